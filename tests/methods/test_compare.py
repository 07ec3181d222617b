"""Fair comparison of people: hand-computed shrinkage and funnel limits, adjustment, ranking."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from salesaudit.methods import compare, stats


def test_moment_prior_by_hand():
    # x = (2, 8), n = (10, 10): pooled mean 0.5; Q = 10 * 0.3² + 10 * 0.3² = 1.8;
    # tau² = (Q - (k - 1) * 0.25) / (N - Σn²/N) = (1.8 - 0.25) / (20 - 10) = 0.155;
    # strength = 0.25 / 0.155 - 1 = 0.612903; alpha = beta = 0.306452.
    prior = compare.beta_binomial_prior([2, 8], [10, 10])
    assert prior.alpha == pytest.approx(0.306452, abs=1e-6)
    assert prior.beta == pytest.approx(0.306452, abs=1e-6)
    assert prior.mean == pytest.approx(0.5)


def test_posterior_mean_and_credible_interval_by_hand():
    # Prior Beta(2, 8) and 3 of 10: posterior Beta(5, 15), mean 5 / 20 = 0.25.
    out = compare.shrink(pd.Series([3], index=["a"]), pd.Series([10], index=["a"]),
                         prior=compare.BetaPrior(2.0, 8.0, "given"))
    assert out.loc["a", "shrunk"] == pytest.approx(0.25)
    assert out.loc["a", "rate"] == pytest.approx(0.3)
    assert out.loc["a", "cr_low"] == pytest.approx(sps.beta.ppf(0.025, 5, 15))
    assert out.loc["a", "cr_high"] == pytest.approx(sps.beta.ppf(0.975, 5, 15))
    # With the moment prior of the case above: (0.306452 + 2) / (0.612903 + 10) = 0.217325.
    two = compare.shrink(pd.Series([2, 8]), pd.Series([10, 10]))
    assert two["shrunk"].tolist() == pytest.approx([0.217325, 0.782675], abs=1e-6)


def test_no_spread_beyond_noise_pools_fully_and_empty_groups_get_the_prior():
    # Identical rates: tau² = (0 - 0.25) / 10 < 0, so every group is the pooled rate.
    out = compare.shrink(pd.Series([5, 5, 0]), pd.Series([10, 10, 0]))
    assert out["shrunk"].tolist() == pytest.approx([0.5, 0.5, 0.5], abs=1e-6)
    assert np.isnan(out["rate"].iloc[2])
    assert np.isnan(compare.beta_binomial_prior([], []).alpha)
    with pytest.raises(ValueError):
        compare.beta_binomial_prior([3], [2])


def test_marginal_ml_recovers_a_known_prior():
    rng = np.random.default_rng(1)
    p = rng.beta(30, 20, size=400)  # mean 0.6, strength 50
    n = rng.integers(50, 200, size=400)
    x = rng.binomial(n, p)
    for method in ("ml", "mm"):
        prior = compare.beta_binomial_prior(x, n, method=method)
        assert prior.mean == pytest.approx(0.6, abs=0.01)
        assert 30 < prior.strength < 80, (method, prior)


def test_funnel_limits_by_hand():
    # Exact (Spiegelhalter's interpolation), n = 10, p0 = 0.5, 95%:
    # lower: r = 2 (F(1) = 0.010742 < 0.025 <= F(2) = 0.054688), a = (0.054688 - 0.025)
    # / 0.043945 = 0.675556, limit (2 - 0.675556) / 10 = 0.132444;
    # upper: r = 8 (F(7) = 0.945313 < 0.975 <= F(8) = 0.989258), a = 0.324444 → 0.767556.
    ex = compare.funnel_limits(0.5, [10], 0.95)
    assert ex[["low", "high"]].iloc[0].tolist() == pytest.approx([0.132444, 0.767556], abs=1e-6)
    # Normal: 0.5 ± 1.959964 * sqrt(0.25 / 10) = 0.5 ± 0.309898.
    nm = compare.funnel_limits(0.5, [10], 0.95, method="normal")
    assert nm[["low", "high"]].iloc[0].tolist() == pytest.approx([0.190102, 0.809898], abs=1e-6)
    # 99.8% limits are wider; normal limits are clipped to [0, 1].
    wide = compare.funnel_limits(0.5, [10], 0.998)
    assert wide["low"].iloc[0] < ex["low"].iloc[0] and wide["high"].iloc[0] > ex["high"].iloc[0]
    assert compare.funnel_limits(0.05, [5], 0.95, method="normal")["low"].iloc[0] == 0.0
    band = compare.funnel_band(0.5, 100)
    assert set(band["level"]) == {0.95, 0.998} and band["n"].max() == 100


def _cases(spec):
    """spec: [(group, channel, wins, losses)] → one row per case."""
    rows = [(g, ch, True) for g, ch, w, _ in spec for _ in range(w)]
    rows += [(g, ch, False) for g, ch, _, lo in spec for _ in range(lo)]
    return pd.DataFrame(rows, columns=["rep", "channel", "won"])


def test_adjustment_removes_a_difference_explained_by_lead_mix():
    # Channel a wins 60 of 80, channel b 20 of 80; rep r1 only gets a, r2 only b.
    # Raw: 75% vs 25%. A saturated channel model expects exactly what each got:
    # O/E = 1, so both adjusted rates are the team rate 80 / 160 = 50%, verdict neutral.
    df = _cases([("r1", "a", 60, 20), ("r2", "b", 20, 60)])
    out = compare.fair_comparison(df, "rep", "won", ["channel"]).set_index("rep")
    assert out["rate"].tolist() == pytest.approx([0.75, 0.25])
    assert out["expected"].tolist() == pytest.approx([60, 20], abs=1e-6)
    assert out["adjusted"].tolist() == pytest.approx([0.5, 0.5], abs=1e-6)
    assert (out["verdict"] == "not distinguishable").all()
    # Without covariates (or with a single-level one) nothing is adjusted.
    flat = compare.fair_comparison(df.assign(channel="x"), "rep", "won", ["channel", "missing"])
    assert flat.set_index("rep")["adjusted"].tolist() == pytest.approx([0.75, 0.25])


def test_a_handful_of_lucky_cases_is_never_ranked_first():
    spec = [(f"r{i}", "a", 250, 250) for i in range(5)] + [("good", "a", 330, 170),
                                                            ("tiny", "a", 4, 0)]
    out = compare.fair_comparison(_cases(spec), "rep", "won", ["channel"])
    assert out.iloc[0]["rep"] == "good"
    tiny = out.set_index("rep").loc["tiny"]
    assert tiny["rate"] == 1.0 and tiny["rank"] > 1 and tiny["verdict"] == "not distinguishable"
    good = out.set_index("rep").loc["good"]
    assert good["verdict"] == "higher" and good["outside_998"]
    # The q-values are Benjamini–Hochberg of the two-sided z-test p-values.
    bh = stats.benjamini_hochberg(out["p_value"])
    assert out["q_value"].tolist() == pytest.approx(bh["q_value"].tolist())
    # good: O = 330, E = 500 * team, team = 1584/3004 ... z = (O - E) / sqrt(n t (1 - t)).
    t = 1584 / 3004
    z = (330 - 500 * t) / np.sqrt(500 * t * (1 - t))
    assert good["z"] == pytest.approx(z, rel=1e-6)


def test_rows_without_a_group_are_ignored_and_empty_input_gives_empty_output():
    df = _cases([("r1", "a", 3, 1), ("r2", "a", 1, 3)])
    df.loc[0, "rep"] = None
    out = compare.fair_comparison(df, "rep", "won", ["channel"])
    assert out["n"].sum() == 7
    empty = compare.fair_comparison(df.iloc[:0], "rep", "won", ["channel"])
    assert empty.empty
