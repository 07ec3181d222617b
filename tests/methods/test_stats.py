"""Tests for salesaudit.methods.stats.

Reference values are hard-coded; the comment above each gives the exact command (an
independent implementation available in the venv) or the hand computation that produced it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesaudit.methods import stats
from salesaudit.methods.stats import Estimate

TOL = 1e-6


# --------------------------------------------------------------------------- Wilson


def test_wilson_scalar_reference():
    # statsmodels.stats.proportion.proportion_confint(12, 50, method="wilson")
    # -> (0.1429739139699172, 0.3741268375794292)
    low, high = stats.wilson_interval(12, 50)
    assert isinstance(low, float) and isinstance(high, float)
    assert low == pytest.approx(0.1429739139699172, abs=TOL)
    assert high == pytest.approx(0.3741268375794292, abs=TOL)


def test_wilson_alpha_reference():
    # statsmodels.stats.proportion.proportion_confint(12, 50, alpha=0.1, method="wilson")
    # -> (0.15566702155608025, 0.3510262350527802)
    low, high = stats.wilson_interval(12, 50, alpha=0.1)
    assert (low, high) == pytest.approx((0.15566702155608025, 0.3510262350527802), abs=TOL)


def test_wilson_vectorized_reference_and_empty(no_warnings):
    # statsmodels.stats.proportion.proportion_confint(
    #     np.array([0, 5, 10, 1]), np.array([10, 10, 10, 3]), method="wilson")
    # -> ([0, 0.236593090513, 0.722467200137, 0.06149194472],
    #     [0.277532799863, 0.763406909487, 1, 0.792340399198]); n = 0 -> NaN
    low, high = stats.wilson_interval(np.array([0, 5, 10, 1, 0]), np.array([10, 10, 10, 3, 0]))
    np.testing.assert_allclose(low[:4], [0.0, 0.236593090513, 0.722467200137, 0.06149194472],
                               atol=TOL)
    np.testing.assert_allclose(high[:4], [0.277532799863, 0.763406909487, 1.0, 0.792340399198],
                               atol=TOL)
    assert low[0] == 0.0 and high[2] == 1.0  # exact at the edges
    assert np.isnan(low[4]) and np.isnan(high[4])
    low, high = stats.wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_broadcasts_and_passes_nan(no_warnings):
    low, high = stats.wilson_interval([1, 2, np.nan], 10)
    assert low.shape == (3,) and np.isnan(low[2]) and np.isnan(high[2])


@pytest.mark.parametrize(
    ("successes", "n", "alpha", "match"),
    [
        (11, 10, 0.05, "must not exceed n"),
        (1, -5, 0.05, "n must be >= 0"),
        (-1, 5, 0.05, "successes must be >= 0"),
        (1, np.inf, 0.05, "finite"),
        (1, 5, 0.0, "alpha"),
        (1, 5, 1.5, "alpha"),
        ("a", 5, 0.05, "numeric"),
    ],
)
def test_wilson_validation(successes, n, alpha, match):
    with pytest.raises(ValueError, match=match):
        stats.wilson_interval(successes, n, alpha=alpha)


def test_wilson_validation_message_counts_offenders():
    with pytest.raises(ValueError, match=r"2 value\(s\), e.g. \(5.0, 4.0\)"):
        stats.wilson_interval([1, 5, 9], [2, 4, 3])


def test_wilson_coverage_simulation():
    # 2,000 seeded Binomial(200, 0.3) draws: the 95% Wilson interval should cover 0.3 about
    # 95% of the time.
    x = np.random.default_rng(20240501).binomial(200, 0.3, size=2000)
    low, high = stats.wilson_interval(x, 200)
    coverage = np.mean((low <= 0.3) & (0.3 <= high))
    assert 0.93 <= coverage <= 0.97


# --------------------------------------------------------------------------- proportions


def test_proportions_series_index_preserved(no_warnings):
    idx = pd.period_range("2025-01", periods=3, freq="M")
    out = stats.proportions(pd.Series([1, 2, 0], index=idx), pd.Series([4, 5, 0], index=idx))
    assert list(out.columns) == ["successes", "n", "rate", "ci_low", "ci_high"]
    assert out.index.equals(idx)
    assert out["rate"].iloc[:2].tolist() == [0.25, 0.4]
    assert out.iloc[2][["rate", "ci_low", "ci_high"]].isna().all()
    assert out["successes"].tolist() == [1, 2, 0] and out["n"].tolist() == [4, 5, 0]
    # statsmodels.stats.proportion.proportion_confint(1, 4, method="wilson")
    # -> (0.04558726...,  0.69935...)
    assert out["ci_low"].iloc[0] == pytest.approx(0.045587, abs=1e-6)
    assert out["ci_high"].iloc[0] == pytest.approx(0.699358, abs=1e-6)


def test_proportions_aligns_same_labels_and_rejects_different():
    s = pd.Series([1, 3], index=["a", "b"])
    out = stats.proportions(s, pd.Series([10, 2], index=["b", "a"]))
    assert out.loc["a", "n"] == 2 and out.loc["b", "n"] == 10
    with pytest.raises(ValueError, match="different indexes"):
        stats.proportions(s, pd.Series([10, 2], index=["a", "c"]))


def test_proportions_arrays_and_scalars():
    out = stats.proportions(np.array([3, 0]), np.array([10, 0]))
    assert list(out.index) == [0, 1] and out["rate"].iloc[0] == pytest.approx(0.3)
    one = stats.proportions(12, 50)
    assert len(one) == 1
    assert one["ci_low"].iloc[0] == pytest.approx(0.1429739139699172, abs=TOL)
    with pytest.raises(ValueError, match="must not exceed n"):
        stats.proportions(pd.Series([5]), pd.Series([4]))


# --------------------------------------------------------------------------- two proportions


def test_two_proportion_reference():
    # statsmodels.stats.proportion.confint_proportions_2indep(12, 50, 5, 40, method="newcomb",
    #     compare="diff") -> (-0.052161724150719985, 0.2664822505467303)
    # statsmodels.stats.proportion.proportions_ztest([12, 5], [50, 40])
    #     -> (1.384994989183883, 0.16605399955543565)
    r = stats.two_proportion_test(12, 50, 5, 40)
    assert isinstance(r, stats.TwoProportionResult)
    assert r.rate1 == pytest.approx(0.24) and r.rate2 == pytest.approx(0.125)
    assert r.difference == pytest.approx(0.115)
    assert r.ci_low == pytest.approx(-0.052161724150719985, abs=TOL)
    assert r.ci_high == pytest.approx(0.2664822505467303, abs=TOL)
    assert r.z == pytest.approx(1.384994989183883, abs=TOL)
    assert r.p_value == pytest.approx(0.16605399955543565, abs=TOL)


def test_two_proportion_extreme_rate_reference():
    # statsmodels.stats.proportion.confint_proportions_2indep(10, 10, 3, 12, method="newcomb",
    #     compare="diff") -> (0.3541202744119278, 0.9110583316059453)
    # statsmodels.stats.proportion.proportions_ztest([10, 3], [10, 12])
    #     -> (3.562626515972126, 0.00036716286346143607)
    r = stats.two_proportion_test(10, 10, 3, 12)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.3541202744119278, 0.9110583316059453),
                                                  abs=TOL)
    assert r.z == pytest.approx(3.562626515972126, abs=TOL)
    assert r.p_value == pytest.approx(0.00036716286346143607, abs=1e-9)


def test_two_proportion_both_zero(no_warnings):
    # statsmodels.stats.proportion.confint_proportions_2indep(0, 10, 0, 20, method="newcomb",
    #     compare="diff") -> (-0.1611251580528194, 0.27753279986288926); no difference: z 0, p 1
    r = stats.two_proportion_test(0, 10, 0, 20)
    assert r.difference == 0 and r.z == 0 and r.p_value == 1
    assert (r.ci_low, r.ci_high) == pytest.approx((-0.1611251580528194, 0.27753279986288926),
                                                  abs=TOL)


def test_two_proportion_swap_is_antisymmetric():
    a, b = stats.two_proportion_test(12, 50, 5, 40), stats.two_proportion_test(5, 40, 12, 50)
    assert b.difference == pytest.approx(-a.difference)
    assert (b.ci_low, b.ci_high) == pytest.approx((-a.ci_high, -a.ci_low))
    assert b.z == pytest.approx(-a.z) and b.p_value == pytest.approx(a.p_value)


def test_two_proportion_empty_group_and_validation(no_warnings):
    r = stats.two_proportion_test(3, 10, 0, 0)
    assert r.rate1 == pytest.approx(0.3)
    assert all(math.isnan(v) for v in (r.rate2, r.difference, r.ci_low, r.ci_high, r.z,
                                       r.p_value))
    with pytest.raises(ValueError, match="must not exceed n"):
        stats.two_proportion_test(11, 10, 1, 10)
    with pytest.raises(ValueError, match="scalars"):
        stats.two_proportion_test([1, 2], [10, 10], 1, 10)


# --------------------------------------------------------------------------- chi-square


def test_chi_square_reference():
    # scipy.stats.chi2_contingency([[10, 20, 30], [20, 15, 5]], correction=False)
    # -> statistic 18.650793650793652, dof 2, pvalue 8.913158246593224e-05
    # Cramér's V by hand: sqrt(18.650793650793652 / (100 * (2 - 1))) = 0.43186564636
    r = stats.chi_square_test(pd.DataFrame([[10, 20, 30], [20, 15, 5]], columns=list("abc")))
    assert r.statistic == pytest.approx(18.650793650793652, abs=TOL)
    assert r.dof == 2
    assert r.p_value == pytest.approx(8.913158246593224e-05, abs=1e-10)
    assert r.cramers_v == pytest.approx(0.43186564636, abs=TOL)


def test_chi_square_2x2_has_no_yates_correction():
    # scipy.stats.chi2_contingency([[12, 38], [5, 35]], correction=False)
    # -> 1.9182111200644643, dof 1, p 0.1660539995554316 (with Yates it would be 1.2410354...)
    r = stats.chi_square_test(np.array([[12, 38], [5, 35]]))
    assert r.statistic == pytest.approx(1.9182111200644643, abs=TOL)
    assert r.p_value == pytest.approx(0.1660539995554316, abs=TOL)
    # the pooled z-test is the same test: z^2 == chi2 (statsmodels proportions_ztest, above)
    assert stats.two_proportion_test(12, 50, 5, 40).z ** 2 == pytest.approx(r.statistic)


def test_chi_square_drops_empty_rows_and_columns(no_warnings):
    base = stats.chi_square_test([[10, 20, 30], [20, 15, 5]])
    padded = stats.chi_square_test([[10, 0, 20, 30], [0, 0, 0, 0], [20, 0, 15, 5]])
    assert padded == base
    degenerate = stats.chi_square_test([[3, 4], [0, 0]])
    assert degenerate.dof == 0 and math.isnan(degenerate.statistic)
    assert math.isnan(degenerate.p_value) and math.isnan(degenerate.cramers_v)


@pytest.mark.parametrize(
    ("table", "match"),
    [([1, 2, 3], "2-D"), ([[1, -2], [3, 4]], ">= 0"), ([[1, np.nan], [3, 4]], "NaN")],
)
def test_chi_square_validation(table, match):
    with pytest.raises(ValueError, match=match):
        stats.chi_square_test(table)


# --------------------------------------------------------------------------- BH


def test_benjamini_hochberg_reference_nan_and_index():
    # statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03, 0.2], method="fdr_bh")[1]
    # -> [0.04, 0.0533333333, 0.0533333333, 0.2]
    # (by hand: sorted p .01 .03 .04 .2 times m/rank 4, 2, 4/3, 1 -> .04 .06 .0533 .2,
    #  running minimum from the top -> .04 .0533 .0533 .2)
    p = pd.Series([0.01, np.nan, 0.04, 0.03, 0.2], index=list("abcde"))
    out = stats.benjamini_hochberg(p)
    assert list(out.columns) == ["p_value", "q_value", "significant"]
    assert list(out.index) == list("abcde")
    np.testing.assert_allclose(out["q_value"].drop("b"), [0.04, 0.0533333333, 0.0533333333, 0.2],
                               atol=TOL)
    assert np.isnan(out.loc["b", "q_value"]) and not out.loc["b", "significant"]
    assert out["significant"].tolist() == [True, False, False, False, False]
    assert out["significant"].dtype == bool


def test_benjamini_hochberg_edges():
    assert stats.benjamini_hochberg([]).empty
    all_nan = stats.benjamini_hochberg([np.nan, np.nan])
    assert all_nan["q_value"].isna().all() and not all_nan["significant"].any()
    assert stats.benjamini_hochberg([0.001]).loc[0, "q_value"] == pytest.approx(0.001)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        stats.benjamini_hochberg([0.5, 1.2])


# --------------------------------------------------------------------------- compare to rest


def test_compare_to_rest_reference(no_warnings):
    # Rest of each group = totals (52 / 300) minus the group:
    # statsmodels.stats.proportion.proportions_ztest([30, 22], [100, 200]) -> p 4.162301098666168e-05
    # statsmodels.stats.proportion.proportions_ztest([10, 42], [100, 200]) -> p 0.017659130787733353
    # statsmodels.stats.proportion.proportions_ztest([12, 40], [100, 200]) -> p 0.08442085299721558
    # statsmodels.stats.multitest.multipletests([4.1623e-05, 0.017659, 0.084421],
    #     method="fdr_bh")[1] -> [0.000124869033, 0.026488696182, 0.084420852997]
    s = pd.Series([30, 10, 12, 0], index=pd.Index(list("wxyz"), name="channel"))
    n = pd.Series([100, 100, 100, 0], index=s.index)
    out = stats.compare_to_rest(s, n)
    assert list(out.columns) == ["successes", "n", "rate", "ci_low", "ci_high", "rest_rate",
                                 "difference", "p_value", "q_value", "verdict"]
    assert out.index.equals(s.index)
    np.testing.assert_allclose(out["rest_rate"].iloc[:3], [22 / 200, 42 / 200, 40 / 200])
    np.testing.assert_allclose(out["p_value"].iloc[:3],
                               [4.162301098666168e-05, 0.017659130787733353, 0.08442085299721558],
                               rtol=1e-6)
    np.testing.assert_allclose(out["q_value"].iloc[:3],
                               [0.000124869033, 0.026488696182, 0.084420852997], rtol=1e-6)
    assert out["verdict"].tolist() == ["higher", "lower", "not distinguishable",
                                       "not distinguishable"]
    assert out.loc["z", ["rate", "p_value", "q_value"]].isna().all()


def test_compare_to_rest_single_group(no_warnings):
    out = stats.compare_to_rest(pd.Series([3], index=["only"]), pd.Series([10], index=["only"]))
    assert out.loc["only", "rate"] == pytest.approx(0.3)
    assert np.isnan(out.loc["only", "rest_rate"]) and np.isnan(out.loc["only", "p_value"])
    assert out.loc["only", "verdict"] == "not distinguishable"


# --------------------------------------------------------------------------- means


def test_mean_ci_reference():
    # v = [2, 4, 4, 5, 7, 9]
    # scipy.stats.t.interval(0.95, 5, loc=np.mean(v), scale=scipy.stats.sem(v))
    # -> (2.5606268548543683, 7.772706478478966)
    est = stats.mean_ci([2.0, 4.0, np.nan, 4.0, 5.0, 7.0, 9.0])
    assert isinstance(est, Estimate)
    assert est.value == pytest.approx(31 / 6) and est.n == 6
    assert est.ci_low == pytest.approx(2.5606268548543683, abs=TOL)
    assert est.ci_high == pytest.approx(7.772706478478966, abs=TOL)


def test_mean_ci_edges(no_warnings):
    empty = stats.mean_ci([])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.value, empty.ci_low, empty.ci_high))
    assert stats.mean_ci(pd.Series([np.nan, np.nan])).n == 0
    one = stats.mean_ci([np.nan, 2.0])
    assert one.value == 2.0 and one.n == 1 and math.isnan(one.ci_low)
    const = stats.mean_ci([3.0, 3.0, 3.0])
    assert (const.ci_low, const.ci_high) == (3.0, 3.0)
    with pytest.raises(ValueError, match="infinite"):
        stats.mean_ci([1.0, np.inf])


def test_estimate_is_frozen():
    est = stats.mean_ci([1.0, 2.0])
    with pytest.raises(AttributeError):
        est.value = 0  # type: ignore[misc]


# --------------------------------------------------------------------------- bootstrap

_SAMPLE = np.random.default_rng(11).lognormal(3.0, 0.5, size=300)


def test_bootstrap_deterministic_for_seed():
    a = stats.bootstrap_ci(_SAMPLE, n_boot=500, seed=3)
    b = stats.bootstrap_ci(_SAMPLE, n_boot=500, seed=3)
    c = stats.bootstrap_ci(_SAMPLE, n_boot=500, seed=4)
    assert a == b
    assert (a.ci_low, a.ci_high) != (c.ci_low, c.ci_high)
    assert a.value == c.value == pytest.approx(_SAMPLE.mean())


def test_bootstrap_mean_agrees_with_t_interval():
    # For 300 mildly skewed values the percentile bootstrap and t interval should nearly agree.
    boot = stats.bootstrap_ci(_SAMPLE, n_boot=2000)
    t = stats.mean_ci(_SAMPLE)
    sem = _SAMPLE.std(ddof=1) / np.sqrt(_SAMPLE.size)
    assert boot.n == 300
    assert abs(boot.ci_low - t.ci_low) < 0.3 * sem
    assert abs(boot.ci_high - t.ci_high) < 0.3 * sem


@pytest.mark.parametrize(("name", "func"), [("mean", np.mean), ("median", np.median),
                                            ("sum", np.sum)])
def test_bootstrap_named_statistics_match_callables(name, func):
    named = stats.bootstrap_ci(_SAMPLE, statistic=name, n_boot=300, seed=1)
    called = stats.bootstrap_ci(_SAMPLE, statistic=lambda a: func(a, axis=1), n_boot=300, seed=1)
    assert named == called
    assert named.value == pytest.approx(func(_SAMPLE))
    assert named.ci_low <= named.value <= named.ci_high


def test_bootstrap_sum_scales_mean():
    m = stats.bootstrap_ci(_SAMPLE, "mean", n_boot=300, seed=2)
    s = stats.bootstrap_ci(_SAMPLE, "sum", n_boot=300, seed=2)
    assert s.ci_low == pytest.approx(m.ci_low * _SAMPLE.size)
    assert s.ci_high == pytest.approx(m.ci_high * _SAMPLE.size)


def test_bootstrap_edges(no_warnings):
    empty = stats.bootstrap_ci([])
    assert empty.n == 0 and math.isnan(empty.value) and math.isnan(empty.ci_low)
    one = stats.bootstrap_ci([np.nan, 5.0], n_boot=50)
    assert one == Estimate(5.0, 5.0, 5.0, 1)
    with_nan = stats.bootstrap_ci(np.append(_SAMPLE, np.nan), n_boot=200)
    assert with_nan == stats.bootstrap_ci(_SAMPLE, n_boot=200)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"statistic": "mode"}, "statistic must be one of"),
     ({"statistic": lambda a: a}, "one value per row"),
     ({"n_boot": 0}, "n_boot"),
     ({"n_boot": 2.5}, "n_boot"),
     ({"alpha": 1.0}, "alpha")],
)
def test_bootstrap_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        stats.bootstrap_ci(_SAMPLE, **kwargs)


def test_bootstrap_chunk_rows_bound_memory():
    # 1e6 values x 1000 replicates would be a 1e9-element index matrix; chunks stay bounded.
    rows = stats._chunk_rows(1000, 1_000_000)
    assert 1 <= rows < 1000
    assert rows * 1_000_000 <= stats._MAX_BOOT_ELEMENTS <= 2e7
    assert stats._chunk_rows(1000, 10) == 1000  # small samples: one chunk
    assert stats._chunk_rows(1000, 10**9) == 1  # at least one row


def test_bootstrap_is_chunked_and_chunking_does_not_change_results(monkeypatch):
    expected = stats.bootstrap_ci(_SAMPLE, n_boot=250, seed=5)
    shapes: list[tuple[int, int]] = []
    original = stats._resample_indices

    def spy(rng, n, rows):
        idx = original(rng, n, rows)
        shapes.append(idx.shape)
        return idx

    monkeypatch.setattr(stats, "_MAX_BOOT_ELEMENTS", 7 * _SAMPLE.size)
    monkeypatch.setattr(stats, "_resample_indices", spy)
    got = stats.bootstrap_ci(_SAMPLE, n_boot=250, seed=5)
    assert max(r * n for r, n in shapes) <= 7 * _SAMPLE.size
    assert sum(r for r, _ in shapes) == 250 and len(shapes) == 36  # 35 chunks of 7, one of 5
    assert got == expected


def test_bootstrap_diff_ci():
    b = np.random.default_rng(8).normal(50.0, 5.0, size=400)
    a = b[:200] + 10.0
    est = stats.bootstrap_diff_ci(a, b, n_boot=1000, seed=1)
    assert est.value == pytest.approx(a.mean() - b.mean())
    assert est.ci_low < est.value < est.ci_high
    assert est.ci_low < 10.0 + (a.mean() - 10 - b.mean()) + 1e-9 < est.ci_high
    assert est.n == 600
    assert est == stats.bootstrap_diff_ci(a, b, n_boot=1000, seed=1)
    med = stats.bootstrap_diff_ci(a, b, statistic="median", n_boot=300)
    assert med.value == pytest.approx(np.median(a) - np.median(b))
    gone = stats.bootstrap_diff_ci([], b)
    assert math.isnan(gone.value) and math.isnan(gone.ci_low) and gone.n == 400


# --------------------------------------------------------------------------- median


def test_median_ci_n20_reference():
    # Observations below the median ~ Binomial(20, 1/2).
    # scipy.stats.binom.cdf([4, 5, 6], 20, 0.5) -> [0.005909, 0.020695, 0.057659]
    # largest l with F(l - 1) <= 0.025: l - 1 = 5, so l = 6 and u = 20 + 1 - 6 = 15;
    # the interval is [X_(6), X_(15)] with coverage 1 - 2 * 0.020695 = 0.9586.
    values = np.arange(1, 21) ** 2  # X_(k) = k^2, shuffled below
    shuffled = np.random.default_rng(0).permutation(values).astype(float)
    est = stats.median_ci(shuffled)
    assert est.value == pytest.approx((10**2 + 11**2) / 2)
    assert (est.ci_low, est.ci_high) == (36.0, 225.0)
    assert est.n == 20


def test_median_ci_n100_reference():
    # scipy.stats.binom.cdf([38, 39, 40], 100, 0.5) -> [0.010489, 0.017600, 0.028444]
    # l - 1 = 39 -> l = 40, u = 101 - 40 = 61: [X_(40), X_(61)]
    est = stats.median_ci(np.arange(1.0, 101.0))
    assert (est.ci_low, est.ci_high) == (40.0, 61.0)


def test_median_ci_small_and_empty(no_warnings):
    # scipy.stats.binom.cdf(0, 5, 0.5) = 0.03125 > 0.025: no order statistic reaches 95% at n=5
    five = stats.median_ci([5.0, 1.0, 3.0, 2.0, 4.0])
    assert five.value == 3.0 and math.isnan(five.ci_low) and math.isnan(five.ci_high)
    # scipy.stats.binom.cdf(0, 6, 0.5) = 0.015625 <= 0.025: l = 1, [min, max]
    six = stats.median_ci([6.0, 1.0, np.nan, 3.0, 2.0, 4.0, 5.0])
    assert (six.value, six.ci_low, six.ci_high, six.n) == (3.5, 1.0, 6.0, 6)
    empty = stats.median_ci([np.nan])
    assert empty.n == 0 and math.isnan(empty.value)


# --------------------------------------------------------------------------- large samples


def test_ratio_ci_with_unit_denominators_is_the_normal_mean_interval():
    rng = np.random.default_rng(5)
    v = rng.lognormal(3, 1, 50_000)
    r = stats.ratio_ci(v, np.ones_like(v))
    half = 1.959964 * v.std(ddof=1) / np.sqrt(v.size)
    assert r.value == pytest.approx(v.mean())
    assert (r.ci_low, r.ci_high) == pytest.approx((v.mean() - half, v.mean() + half), rel=1e-6)
    assert r.n == v.size


def test_ratio_ci_agrees_with_the_cluster_bootstrap():
    # The delta-method interval is what the bootstrap converges to: on 3,000 customers with
    # skewed, correlated revenue and orders, both intervals agree within 5% of their width.
    rng = np.random.default_rng(11)
    orders = rng.poisson(2, 3_000) + 1
    revenue = orders * rng.gamma(2, 30, 3_000)
    delta = stats.ratio_ci(revenue, orders)

    def ratio(a):
        i = a.astype(np.int64)
        return revenue[i].sum(axis=1) / orders[i].sum(axis=1)

    boot = stats.bootstrap_ci(np.arange(3_000), statistic=ratio, n_boot=4000, seed=2)
    width = boot.ci_high - boot.ci_low
    assert delta.value == pytest.approx(boot.value)
    assert abs(delta.ci_low - boot.ci_low) < 0.05 * width
    assert abs(delta.ci_high - boot.ci_high) < 0.05 * width


def test_ratio_diff_ci_paired_counts_the_covariance_and_unpaired_adds_variances():
    rng = np.random.default_rng(3)
    base = rng.gamma(2, 50, 30_000)
    a, b = base + rng.normal(0, 1, base.size), base
    ones = np.ones_like(base)
    paired = stats.ratio_diff_ci(a, ones, b, ones)
    unpaired = stats.ratio_diff_ci(a, ones, b, ones, paired=False)
    assert paired.value == pytest.approx(unpaired.value)
    # Same customers measured twice: the shared part cancels, the interval is far narrower.
    assert (paired.ci_high - paired.ci_low) < 0.05 * (unpaired.ci_high - unpaired.ci_low)
    welch = 1.959964 * np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    assert unpaired.ci_high - unpaired.value == pytest.approx(welch, rel=1e-6)
    assert unpaired.n == 2 * base.size and paired.n == base.size


def test_bootstrap_of_a_large_sample_is_the_t_interval():
    v = np.random.default_rng(1).exponential(10, stats.LARGE_N + 1)
    assert stats.bootstrap_ci(v) == stats.mean_ci(v)
    s = stats.bootstrap_ci(v, "sum")
    assert s.value == pytest.approx(v.sum()) and s.ci_low < v.sum() < s.ci_high
    d = stats.bootstrap_diff_ci(v, v[:100] + 1)
    assert d.n == v.size + 100 and d.ci_low < d.value < d.ci_high
