"""Conversion per channel, the conversion model and Simpson's guard: by hand, against
statsmodels' per-lead logit, and the demo's planted rates."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.lead_quality import conversion
from salesaudit.methods import stats

from .cases import HAND, STAGES


def test_channel_conversion_adds_lead_to_customer_and_compares_with_the_rest():
    conv = conversion.channel_conversion(HAND, STAGES)
    top = conv[conv["step"] == 0].set_index("channel")
    assert top["transition"].iloc[0] == "Lead → Customer"
    assert top.loc["a", ["converted", "entered"]].tolist() == [1, 3]
    assert top.loc["b", ["converted", "entered"]].tolist() == [0, 2]
    assert set(conv["verdict"]) == {"not distinguishable"}  # 5 leads prove nothing
    assert conv.groupby("step").size().tolist() == [2, 2, 2, 2]


def test_two_stage_funnel_has_one_transition_row_per_channel():
    """A funnel of two stages (e.g. MQL → customer) must not list the same transition twice."""
    leads = pd.DataFrame({"lead_id": ["a", "b", "c"], "channel": ["x", "x", "y"],
                          "created_at": pd.to_datetime(["2025-01-01"] * 3),
                          "won_at": pd.to_datetime(["2025-01-09", None, None])})
    conv = conversion.channel_conversion(leads, [("MQL", "created_at"), ("Customer", "won_at")])
    assert conv["transition"].tolist() == ["MQL → Customer"] * 2
    assert conv.set_index("channel")["converted"].to_dict() == {"x": 1, "y": 0}


def test_conversion_model_leaves_out_attributes_nested_in_the_channel():
    rng = np.random.default_rng(1)
    n = 2000
    ch = rng.choice(["a", "b"], n)
    won = rng.random(n) < np.where(ch == "a", 0.3, 0.1)
    leads = pd.DataFrame({
        "channel": ch, "campaign": np.char.add(ch, rng.choice(["1", "2"], n)),
        "landing_page": rng.choice(["/x", "/y"], n),
        "created_at": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 300, n), "D"),
        "won_at": pd.Series(pd.Timestamp("2025-12-01"), index=range(n)).where(won),
    })
    m = conversion.conversion_model(leads, "won_at")
    assert "campaign" in m.dropped and "landing_page" not in m.dropped
    # Planted odds ratio of b against a: (0.1 / 0.9) / (0.3 / 0.7) = 0.259; the reference is
    # the larger channel, so the table holds that ratio or its inverse.
    ref = m.references["channel"]
    other = "b" if ref == "a" else "a"
    planted = (0.1 / 0.9) / (0.3 / 0.7) if ref == "a" else (0.3 / 0.7) / (0.1 / 0.9)
    row = m.odds_ratios.set_index(["variable", "level"]).loc[("channel", other)]
    assert row.ci_low <= planted <= row.ci_high


def test_conversion_model_on_grouped_rows_equals_the_logit_per_lead():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    n = 3000
    ch = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    page = rng.choice(["/x", "/y"], n)
    won = rng.random(n) < np.where(ch == "a", 0.3, 0.15) + np.where(page == "/x", 0.05, 0)
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 360, n), "D")
    leads = pd.DataFrame({"channel": ch, "landing_page": page, "created_at": created,
                          "won_at": pd.Series(pd.Timestamp("2025-12-01"), index=range(n)).where(won)})
    m = conversion.conversion_model(leads, "won_at")
    # The reference: statsmodels' Logit on one row per lead, same terms and references.
    d = pd.DataFrame({"won": won.astype(int), "channel": ch, "landing_page": page,
                      "quarter": created.quarter.map("Q{}".format)})
    refs = {v: d[v].value_counts().idxmax() for v in ("channel", "landing_page", "quarter")}
    assert m.references == refs  # the largest group of each
    ref = smf.logit("won ~ " + " + ".join(f'C({v}, Treatment("{r}"))' for v, r in refs.items()),
                    d).fit(disp=0)
    got = m.odds_ratios.set_index(["variable", "level"])
    for term in ref.params.index[1:]:
        key = (term.split(",")[0][2:], term.rsplit("[T.", 1)[1][:-1])
        assert got.loc[key, "odds_ratio"] == pytest.approx(np.exp(ref.params[term]), rel=1e-6)
        lo, hi = np.exp(ref.conf_int().loc[term])
        assert (got.loc[key, "ci_low"], got.loc[key, "ci_high"]) == pytest.approx((lo, hi), rel=1e-6)
        assert got.loc[key, "p_value"] == pytest.approx(ref.pvalues[term], rel=1e-5)
        assert got.loc[key, "n"] == int((d[key[0]] == key[1]).sum())
    assert m.pseudo_r2 == pytest.approx(ref.prsquared, rel=1e-6)


def test_mix_and_rate_effects_add_up_and_the_paradox_is_flagged():
    # First half: A 20 leads (10 won), B 80 (8 won): blended 18%. Second half: A 80 (32 won),
    # B 20 (1 won): blended 33%. Both channels fall (50→40%, 10→5%), the blend rises.
    # mix = 0.6 x (0.5 + 0.4) / 2 - 0.6 x (0.1 + 0.05) / 2 = 0.225;
    # rate = -0.1 x 0.5 - 0.05 x 0.5 = -0.075; together 0.15 = 0.33 - 0.18.
    rows = []
    for half, date in [(0, "2025-01-10"), (1, "2025-11-10")]:
        for ch, n, won in ([("A", 20, 10), ("B", 80, 8)], [("A", 80, 32), ("B", 20, 1)])[half]:
            rows += [(ch, date, date if i < won else None) for i in range(n)]
    leads = pd.DataFrame(rows, columns=["channel", "created_at", "won_at"])
    leads["created_at"] = pd.to_datetime(leads["created_at"])
    leads["won_at"] = pd.to_datetime(leads["won_at"])
    s = conversion.mix_vs_rate(leads, "won_at", split="2025-06-01")
    assert (s.blended_first, s.blended_second) == pytest.approx((0.18, 0.33))
    assert (s.mix_effect, s.rate_effect) == pytest.approx((0.225, -0.075))
    assert s.paradox


def test_no_paradox_when_channels_move_with_the_blend():
    leads = pd.DataFrame({"channel": ["A"] * 4 + ["B"] * 4,
                          "created_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-12-01", "2025-12-02"] * 2),
                          "won_at": pd.to_datetime([None, None, "2025-12-05", None, None, None, "2025-12-05", None])})
    s = conversion.mix_vs_rate(leads, "won_at", split="2025-06-01")
    assert not s.paradox and s.mix_effect == pytest.approx(0.0) and s.rate_effect == pytest.approx(0.5)


def test_planted_channel_conversion_rates_lie_in_the_intervals(demo_lq):
    """16 rates (4 channels x 3 stages + lead → customer) are checked at once, so each must lie
    in its 99.9% Wilson interval (family-wise miss chance about 1.6%), not the 95% one."""
    conv = conversion.channel_conversion(demo_lq["ripe"], STAGES)
    truth = demo_lq["truth"]["funnel"]
    cols = dict(STAGES)
    low, high = stats.wilson_interval(conv["converted"], conv["entered"], alpha=0.001)
    missed = []
    for r, lo, hi in zip(conv.itertuples(), low, high, strict=True):
        if r.step == 0:
            planted = truth["lead_to_won"][r.channel]
        else:
            a, b = r.transition.split(" → ")
            planted = truth["conversion"][r.channel][f"{cols[a]}->{cols[b]}"]
        if not lo <= planted <= hi:
            missed.append((r.channel, r.transition, planted, lo, hi))
    assert not missed, missed
    worst = conv[(conv["step"] == 0)].sort_values("rate").iloc[0]
    assert worst.channel == "social" and worst.verdict == "lower"
