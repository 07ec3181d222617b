"""Channel economics: the CPL / CAC rules by hand, profitability and payback, the demo's CAC."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.lead_quality import economics
from salesaudit.methods import stats

from .cases import PROFIT_ECON, PROFIT_LTV, SPEND, SPEND_LEADS, STAGES, leads_frame, spend_frame


@pytest.fixture(scope="module")
def econ():
    return economics.spend_economics(SPEND, SPEND_LEADS, STAGES, "2025-01-01", "2025-12-31")


def test_cpl_and_cac_are_total_spend_over_total_counts(econ):
    ch, _ = econ
    a = ch.set_index("channel").loc["a"]
    # a: spend 100 + 50 = 150 (February bought nothing but still counts); 4 leads, 2 MQLs, 1 customer.
    assert (a.spend, a.leads, a.mqls, a.customers) == (150.0, 4, 2, 1)
    assert a.cpl == pytest.approx(150 / 4)
    assert a.cost_per_mql == pytest.approx(150 / 2)
    assert a.cac == pytest.approx(150 / 1)
    assert a.spend_without_leads == pytest.approx(50.0)
    # CAC interval = CPL / Wilson interval of customers / leads = 37.5 / [lo, hi] of 1/4.
    lo, hi = stats.wilson_interval(1, 4)
    assert (a.cac_low, a.cac_high) == pytest.approx((37.5 / hi, 37.5 / lo))
    assert a.cac_low <= a.cac <= a.cac_high


def test_leads_without_spend_have_no_cpl_and_missing_months_are_flagged(econ):
    ch, _ = econ
    ch = ch.set_index("channel")
    b = ch.loc["b"]
    assert not b.has_spend and np.isnan(b.cpl) and np.isnan(b.cac)  # unknown, not zero
    c = ch.loc["c"]
    # c: 60 of spend for 3 leads; February has leads but no spend row: counted as zero, flagged.
    assert c.cpl == pytest.approx(20.0) and c.months_without_spend == 1
    assert np.isnan(c.cac) and np.isinf(c.cac_high)  # no customer yet: CAC unbounded above
    d = ch.loc["d"]
    assert d.leads == 0 and np.isnan(d.cpl) and d.spend_without_leads == pytest.approx(30.0)


def test_each_count_falls_in_the_month_of_its_event(econ):
    _, monthly = econ
    a = monthly[monthly["channel"] == "a"].set_index("month")
    jan, feb = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
    assert (a.loc[jan, "leads"], a.loc[feb, "leads"]) == (4, 0)
    assert (a.loc[jan, "mqls"], a.loc[feb, "mqls"]) == (1, 1)  # L2 became MQL in February
    assert (a.loc[jan, "customers"], a.loc[feb, "customers"]) == (0, 1)
    assert np.isnan(a.loc[jan, "cac"]) and a.loc[feb, "cac"] == pytest.approx(50.0)
    assert np.isnan(a.loc[feb, "cpl"])  # a month without leads has no CPL of its own


def test_skipped_mql_counts_in_the_month_of_the_later_stage():
    leads = leads_frame([("L1", "a", "2025-01-30", None, "2025-02-02", None, None, None)])
    _, monthly = economics.spend_economics(spend_frame([("2025-01-01", "a", 10)]), leads, STAGES,
                                           "2025-01-01", "2025-12-31")
    assert monthly.set_index("month").loc[pd.Timestamp("2025-02-01"), "mqls"] == 1


def test_ratio_interval_adds_log_standard_errors():
    # a = 2 in (1, 4), b = 1 in (0.5, 2): each log half-width is ln 2, so the ratio's is
    # sqrt(2) ln 2 and the interval is 2 / 2^sqrt(2) .. 2 * 2^sqrt(2).
    lo, hi = economics.ratio_interval(np.array([2.0]), np.array([1.0]), np.array([4.0]),
                                      np.array([1.0]), np.array([0.5]), np.array([2.0]))
    assert lo[0] == pytest.approx(2 / 2 ** np.sqrt(2)) and hi[0] == pytest.approx(2 * 2 ** np.sqrt(2))


def test_profitability_names_the_loser_and_the_money_if_moved():
    prof = economics.channel_profitability(PROFIT_ECON, PROFIT_LTV, period_days=365)
    assert prof["channel"].tolist() == ["A", "B", "C"]  # best first, no value last
    p = prof.set_index("channel")
    assert p.loc["A", "ltv_cac"] == 3.0 and p.loc["B", "ltv_cac"] == 0.5
    assert p["loses_money"].tolist() == [False, True, False] and p.loc["B", "clearly_loses"]
    # Payback, evenly spread repeat value: A needs 100 - 50 = 50 at (300 - 50) / 12 a month
    # = 2.4 months; B needs 160 at 5 a month = 32 months, beyond the year: NaN.
    assert p.loc["A", "payback_months"] == pytest.approx(2.4) and np.isnan(p.loc["B", "payback_months"])
    assert p.loc["B", "contribution_per_year"] == pytest.approx(10 * 100 - 2000)
    mv = economics.reallocation(prof).set_index("channel")
    # B loses 2000 x (1 - 0.5) = 1000 a year; at A's 3.0 the same 2000 earns 2000 x (3 - 0.5) more.
    assert mv.loc["B", "loss_per_year"] == pytest.approx(1000) and mv.loc["B", "best_channel"] == "A"
    assert mv.loc["B", "gain_if_moved_per_year"] == pytest.approx(5000)


def test_payback_on_a_curve_is_interpolated():
    econ = pd.DataFrame({"channel": ["A"], "spend": [100.0], "customers": [1], "has_spend": [True],
                         "cac": [100.0], "cac_low": [90.0], "cac_high": [110.0]})
    ltv = pd.DataFrame({"channel": ["A"], "ltv": [140.0], "ltv_low": [130.0], "ltv_high": [150.0],
                        "first": [20.0]})
    curve = pd.DataFrame({"channel": "A", "month": [0.0, 1.0, 2.0, 3.0], "value": [20.0, 60.0, 90.0, 110.0]})
    p = economics.channel_profitability(econ, ltv, 365, curves=curve)
    assert p.loc[0, "payback_months"] == pytest.approx(2.5)  # 100 lies halfway from 90 to 110


def test_planted_cac_lies_in_the_reported_intervals(demo_lq):
    """Four channels at once: 99.9% intervals (alpha passed to spend_economics)."""
    planted = demo_lq["truth"]["channels"]["cac"]
    for r in demo_lq["econ"].itertuples():
        assert r.cac_low <= planted[r.channel] <= r.cac_high, (r.channel, planted[r.channel], r.cac_low, r.cac_high)
