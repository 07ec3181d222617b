"""Tests for salesaudit.methods.survival (Kaplan–Meier, its quantiles, log-rank), on hand
examples and statsmodels reference values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from salesaudit.methods import survival
from salesaudit.methods.stats import Estimate

TOL = 1e-6


# --------------------------------------------------------------------------- Kaplan–Meier

# Hand example: 10 subjects; 1 = event, 0 = censored.
KM_T = np.array([1, 2, 2, 3, 4, 5, 6, 7, 8, 9], dtype=float)
KM_E = np.array([1, 1, 0, 1, 0, 1, 0, 1, 0, 0])


def test_kaplan_meier_hand_computed():
    # At each event time S *= (1 - d/n):
    #   t=1: n=10 d=1 -> S = 9/10                   = 0.9
    #   t=2: n=9  d=1 -> S = 0.9 * 8/9              = 0.8      (the censored 2 is at risk)
    #   t=3: n=7  d=1 -> S = 0.8 * 6/7              = 0.6857142857
    #   t=5: n=5  d=1 -> S = 0.6857142857 * 4/5     = 0.5485714286
    #   t=7: n=3  d=1 -> S = 0.5485714286 * 2/3     = 0.3657142857
    #   then censored only, last follow-up t=9 with 1 at risk.
    # log(-log) interval: V = sum d / (n (n - d)) (Greenwood for the cumulative hazard),
    #   bounds S ** exp(+-1.959963984540054 * sqrt(V) / |log S|):
    #   t=1: V = 1/90 -> 0.9 ** exp(+-1.96 * sqrt(1/90) / -log(0.9)) = (0.4730092714, 0.9852813934)
    #   t=3: V = 1/90 + 1/72 + 1/42 -> (0.3045850742, 0.8871484950)
    km = survival.kaplan_meier(KM_T, KM_E)
    assert list(km.columns) == ["time", "survival", "ci_low", "ci_high", "at_risk", "events"]
    assert km["time"].tolist() == [0, 1, 2, 3, 5, 7, 9]
    np.testing.assert_allclose(
        km["survival"], [1, 0.9, 0.8, 0.6857142857, 0.5485714286, 0.3657142857, 0.3657142857],
        atol=TOL)
    assert km["at_risk"].tolist() == [10, 10, 9, 7, 5, 3, 1]
    assert km["events"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert (km.loc[1, "ci_low"], km.loc[1, "ci_high"]) == pytest.approx(
        (0.4730092714, 0.9852813934), abs=TOL)
    assert (km.loc[3, "ci_low"], km.loc[3, "ci_high"]) == pytest.approx(
        (0.3045850742, 0.8871484950), abs=TOL)
    assert (km["ci_low"] <= km["survival"]).all() and (km["survival"] <= km["ci_high"]).all()
    assert km.iloc[0][["survival", "ci_low", "ci_high"]].tolist() == [1.0, 1.0, 1.0]


def test_kaplan_meier_all_events(no_warnings):
    # S: 2/3, 1/3, 0; the log(-log) interval is undefined at S = 0 -> NaN there.
    km = survival.kaplan_meier([3.0, 1.0, 2.0], np.array([True, True, True]))
    np.testing.assert_allclose(km["survival"], [1, 2 / 3, 1 / 3, 0])
    assert np.isnan(km["ci_low"].iloc[-1]) and np.isnan(km["ci_high"].iloc[-1])
    assert km["ci_low"].iloc[:3].notna().all()


def test_kaplan_meier_no_events_and_empty(no_warnings):
    flat = survival.kaplan_meier([2.0, 5.0, 4.0], [0, 0, 0])
    assert flat["time"].tolist() == [0.0, 5.0]
    assert flat["survival"].tolist() == [1.0, 1.0] and flat["at_risk"].tolist() == [3, 1]
    empty = survival.kaplan_meier([], [])
    assert empty.empty and list(empty.columns) == ["time", "survival", "ci_low", "ci_high",
                                                  "at_risk", "events"]


@pytest.mark.parametrize(
    ("durations", "events", "match"),
    [([1.0, np.nan], [1, 0], "NaN"), ([1.0, -2.0], [1, 0], ">= 0"),
     ([1.0, 2.0], [1, 2], "0/1"), ([1.0, 2.0], [1], "differ in length"),
     ([1.0, 2.0], [1, np.nan], "NaN")],
)
def test_survival_validation(durations, events, match):
    with pytest.raises(ValueError, match=match):
        survival.kaplan_meier(durations, events)


def test_km_quantile_median_reference():
    # durations 1..20, censored at 4, 9, 14. By hand S *= (1 - 1/n) at each event time:
    #   S(11) = 0.5215909 (n=10), S(12) = 0.4636364 (n=9) -> first S < 0.5 at t = 12.
    # Interval (inverted log(-log) tests): event times t with
    #   |log(-log S) - log(-log 0.5)| <= 1.959964 * sqrt(V) / |log S|,  V = sum 1/(n (n-1)),
    #   holds for t in {6, 7, 8, 10, 11, 12, 13, 15}: lower = 6, upper = next event time = 16.
    d = np.arange(1.0, 21.0)
    e = (~np.isin(d, [4, 9, 14])).astype(int)
    assert survival.km_quantile(d, e) == Estimate(12.0, 6.0, 16.0, 20)


def test_km_quantile_never_reached(no_warnings):
    # S reaches 0.3657 (hand example above): never below 1 - 0.75 = 0.25 -> NaN;
    # the median is 7 (first S < 0.5) with an open-ended upper bound.
    nan = survival.km_quantile(KM_T, KM_E, q=0.75)
    assert math.isnan(nan.value) and math.isnan(nan.ci_low) and nan.n == 10
    med = survival.km_quantile(KM_T, KM_E)
    assert med.value == 7.0 and med.ci_high == math.inf
    assert math.isnan(survival.km_quantile([1.0, 2.0], [0, 0]).value)
    assert survival.km_quantile([], []).n == 0
    with pytest.raises(ValueError, match="q must"):
        survival.km_quantile(KM_T, KM_E, q=1.0)


def test_logrank_hand_computed():
    # groups a a b b a a b b a b. At each event time: n at risk, n_a at risk, d, d_a
    #   t=1: 10,5,1,1  t=2: 9,4,1,1  t=3: 7,3,1,0  t=5: 5,2,1,1  t=7: 3,1,1,0
    # O_a = 3; E_a = sum d n_a/n = 1/2 + 4/9 + 3/7 + 2/5 + 1/3 = 2.1063492063
    # V = sum d (n_a/n)(1 - n_a/n)(n - d)/(n - 1) = 1.2040337617
    # chi2 = (3 - 2.1063492063)^2 / 1.2040337617 = 0.6632801890
    # p: scipy.survival.chi2.sf(0.6632801890, 1) = 0.4154042962
    r = survival.logrank_test(KM_T, KM_E, np.array(list("aabbaabbab")))
    assert r.statistic == pytest.approx(0.6632801890, abs=TOL)
    assert r.dof == 1
    assert r.p_value == pytest.approx(0.4154042962, abs=TOL)


def test_logrank_edges(no_warnings):
    single = survival.logrank_test(KM_T, KM_E, ["a"] * 10)
    assert single.dof == 0 and math.isnan(single.statistic) and math.isnan(single.p_value)
    no_events = survival.logrank_test(KM_T, np.zeros(10), pd.Series(list("aabbaabbab")))
    assert no_events.dof == 1 and math.isnan(no_events.p_value)
    three = survival.logrank_test(KM_T, KM_E, list("abcabcabca"))
    assert three.dof == 2 and 0 <= three.p_value <= 1
    with pytest.raises(ValueError, match="missing"):
        survival.logrank_test(KM_T, KM_E, ["a", None] * 5)
    with pytest.raises(ValueError, match="one label per duration"):
        survival.logrank_test(KM_T, KM_E, ["a", "b"])


def test_cumulative_incidence_at(no_warnings):
    # KM hand example: S(4) = S(3) = 0.6857142857 with interval (0.3045850742, 0.8871484950),
    # so 1 - S = 0.3142857143 with interval (1 - 0.8871484950, 1 - 0.3045850742).
    est = survival.cumulative_incidence_at(KM_T, KM_E, 4)
    assert est.value == pytest.approx(0.3142857143, abs=TOL)
    assert (est.ci_low, est.ci_high) == pytest.approx((0.1128515050, 0.6954149258), abs=TOL)
    assert est.n == 10
    assert survival.cumulative_incidence_at(KM_T, KM_E, 0.5) == Estimate(0.0, 0.0, 0.0, 10)
    at_end = survival.cumulative_incidence_at(KM_T, KM_E, 9)
    assert at_end.value == pytest.approx(1 - 0.3657142857, abs=TOL)
    beyond = survival.cumulative_incidence_at(KM_T, KM_E, 30)  # no follow-up that long
    assert math.isnan(beyond.value) and beyond.n == 10


def test_cumulative_incidence_edges(no_warnings):
    everyone = survival.cumulative_incidence_at([1.0, 2.0], [1, 1], 30)
    assert everyone.value == 1.0 and everyone.n == 2  # S hit 0: known beyond follow-up
    nobody = survival.cumulative_incidence_at([10.0, 40.0], [0, 0], 30)
    assert nobody == Estimate(0.0, 0.0, 0.0, 2)
    empty = survival.cumulative_incidence_at([], [], 30)
    assert empty.n == 0 and math.isnan(empty.value)
    with pytest.raises(ValueError, match="horizon"):
        survival.cumulative_incidence_at(KM_T, KM_E, float("nan"))
