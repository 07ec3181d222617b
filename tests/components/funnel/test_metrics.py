"""Funnel metrics: hand-computed cases, then recovery of the demo's planted truths."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.funnel import metrics as funnel
from salesaudit.methods import stats

from .cases import STAGES

T = pd.Timestamp


def _leads(rows):
    df = pd.DataFrame(rows, columns=["lead_id", "channel", "created_at", "mql_at", "sql_at", "won_at"])
    for c in ["created_at", "mql_at", "sql_at", "won_at"]:
        df[c] = pd.to_datetime(df[c])
    return df


HAND = _leads([
    # 4 leads in "a": 3 MQL, 2 SQL (one skipped MQL), 1 won; 2 leads in "b": both MQL, none SQL.
    ("L1", "a", "2025-01-01", "2025-01-02", "2025-01-05", "2025-01-11"),
    ("L2", "a", "2025-01-01", "2025-01-03", None, None),
    ("L3", "a", "2025-01-01", None, "2025-01-04", None),  # skipped MQL: counts as reached
    ("L4", "a", "2025-01-01", None, None, None),
    ("L5", "b", "2025-01-01", "2025-01-02", None, None),
    ("L6", "b", "2025-01-01", "2025-01-02", None, None),
])


def test_reaching_a_later_stage_implies_the_earlier_ones():
    reach = funnel.stage_reach(HAND, [c for _, c in STAGES])
    assert reach.sum().tolist() == [6, 5, 2, 1]
    assert reach.loc[2].tolist() == [True, True, True, False]


def test_stage_conversion_counts_and_intervals():
    overall = funnel.stage_conversion(HAND, STAGES)
    assert overall["transition"].tolist() == ["Lead → MQL", "MQL → SQL", "SQL → Customer"]
    assert overall["entered"].tolist() == [6, 5, 2]
    assert overall["converted"].tolist() == [5, 2, 1]
    assert overall["rate"].tolist() == pytest.approx([5 / 6, 2 / 5, 1 / 2])
    assert overall["cumulative"].tolist() == pytest.approx([5 / 6, 2 / 6, 1 / 6])
    # Wilson 95% for 2/5: statsmodels.stats.proportion.proportion_confint(2, 5, method="wilson")
    assert overall.loc[1, ["ci_low", "ci_high"]].tolist() == pytest.approx([0.117621, 0.769276], abs=1e-6)
    by = funnel.stage_conversion(HAND, STAGES, by="channel")
    b = by[by["channel"] == "b"]
    assert b["entered"].tolist() == [2, 2, 0]
    assert b["converted"].tolist() == [2, 0, 0]
    assert np.isnan(b["rate"].iloc[2])  # nobody entered: no rate, no crash


def test_leak_is_the_lowest_stage_tested_against_the_next_lowest():
    overall = pd.DataFrame({
        "step": [1, 2, 3], "transition": ["Lead → MQL", "MQL → SQL", "SQL → Customer"],
        "from_stage": ["Lead", "MQL", "SQL"], "to_stage": ["MQL", "SQL", "Customer"],
        "entered": [10_000, 6_000, 1_500], "converted": [6_000, 1_500, 900],
        "rate": [0.6, 0.25, 0.6], "ci_low": [0.59, 0.24, 0.575], "ci_high": [0.61, 0.26, 0.625],
    })
    leak = funnel.find_leak(overall, targets={"SQL": 0.40})
    assert leak.transition == "MQL → SQL"
    assert leak.distinguishable and leak.p_value < 1e-12
    assert leak.benchmark == 0.40 and leak.benchmark_source == "target in params"
    assert leak.extra_conversions_share == pytest.approx(0.40 / 0.25 - 1)
    # Without a target, the benchmark is the best channel's lower bound at that stage.
    by = pd.DataFrame({"channel": ["x", "y"], "step": [2, 2], "ci_low": [0.2, 0.3]})
    assert funnel.find_leak(overall, by).benchmark == 0.3
    # Two stages that cannot be told apart are reported as such.
    close = overall.assign(entered=[50, 50, 50], converted=[20, 18, 30], rate=[0.4, 0.36, 0.6])
    assert not funnel.find_leak(close).distinguishable


def test_time_to_convert_censors_open_leads_at_their_age():
    leads = _leads([("L1", "a", "2025-01-01", None, None, "2025-01-11"),   # won after 10 days
                    ("L2", "a", "2025-01-01", None, None, None),           # open: censored
                    ("L3", "b", "2025-01-21", None, None, "2025-02-15")])  # won after as-of
    d = funnel.time_to_convert(leads, "won_at", T("2025-01-31"), maturity_days=20)
    assert d["event"].tolist() == [True, False, False]
    assert d["days"].tolist() == pytest.approx([10, 30, 10])
    assert d["mature"].tolist() == [True, True, False]


def test_cohort_maturity():
    leads = _leads([("L1", "a", "2025-01-10", None, None, "2025-01-20"),
                    ("L2", "a", "2025-03-10", None, None, None)])
    c = funnel.cohort_conversion(leads, "won_at", T("2025-04-15"), 30)
    assert c["month"].dt.strftime("%Y-%m").tolist() == ["2025-01", "2025-03"]
    assert c["mature"].tolist() == [True, False]
    assert c["rate"].tolist() == [1.0, 0.0]


def test_store_hourly_conversion_pools_stores_and_days():
    st = pd.DataFrame({"store_id": ["S1", "S1", "S2", "S1"],
                       "hour_start": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 10:00",
                                                     "2025-01-01 09:00", "2025-01-02 09:00"]),
                       "visitors": [100, 50, 100, 100]})
    orders = pd.DataFrame({"store_id": ["S1", "S1", "S2", None, "S1"],
                           "ordered_at": pd.to_datetime(["2025-01-01 09:15", "2025-01-01 09:59",
                                                         "2025-01-01 09:30", "2025-01-01 09:30",
                                                         "2025-01-01 22:00"]),
                           "revenue": [1.0] * 5})
    h = funnel.store_hourly_conversion(st, orders, "2025-01-01", "2025-01-31")
    assert h["hour"].tolist() == [9, 10]
    assert h["visitors"].tolist() == [300, 50]
    assert h["orders"].tolist() == [3, 0]
    assert h.attrs["orders_outside_counted_hours"] == 1  # the 22:00 order had no counter


def test_visitor_to_lead_flags_channels_in_one_table_only():
    traffic = pd.DataFrame({"date": pd.to_datetime(["2025-01-01"] * 2), "channel": ["a", "z"],
                            "visitors": [1000, 10]})
    v = funnel.visitor_to_lead(traffic, HAND, "2025-01-01", "2025-12-31")
    assert v.loc[v.channel == "a", "leads"].item() == 4
    assert v.loc[v.channel == "a", "rate"].item() == pytest.approx(0.004)
    assert set(v.loc[v["verdict"] == "channel in one table only", "channel"]) == {"b", "z"}


# ----------------------------------------------------------------- planted truths (demo)


# `demo_funnel`: conftest.py.


def test_planted_channel_conversion_rates_lie_in_the_reported_intervals(demo_funnel):
    res, truth = demo_funnel
    missed = []
    for r in res.by_channel.itertuples():
        cols = dict(STAGES)
        key = f"{cols[r.from_stage]}->{cols[r.to_stage]}"
        planted = truth["funnel"]["conversion"][r.channel][key]
        if not r.ci_low <= planted <= r.ci_high:
            missed.append((r.channel, key, planted, r.ci_low, r.ci_high))
    assert not missed, missed


def test_the_planted_leaking_stage_is_found(demo_funnel):
    res, truth = demo_funnel
    leak = truth["funnel"]["leaking_stage"]
    cols = dict(STAGES)
    assert (cols[res.leak.from_stage], cols[res.leak.to_stage]) == (leak["from"], leak["to"])
    assert res.leak.distinguishable
    assert funnel.leak_money_per_year(res) > 0


def test_planted_median_days_to_convert_lie_in_the_intervals(demo_funnel):
    res, truth = demo_funnel
    for r in res.medians.itertuples():
        planted = truth["funnel"]["median_days_to_won"][r.channel]
        assert r.ci_low <= planted <= r.ci_high, (r.channel, planted, r.ci_low, r.ci_high)
    assert res.logrank.p_value < 0.001  # the planted channels differ


def test_planted_visitor_to_lead_rates_and_weak_store_hour(default_demo):
    """Many slots are checked at once, so each planted rate must lie in its 99.9% interval
    (family-wise miss chance about 1% over 11 slots) rather than the 95% one."""
    t, truth = default_demo.tables, default_demo.truth
    start, end = truth["period"]["start"], truth["period"]["end"]
    v = funnel.visitor_to_lead(t["traffic"], t["leads"], start, end)
    for r in v.itertuples():
        assert r.ci_low <= truth["traffic"]["visitor_to_lead"][r.channel] <= r.ci_high
    h = funnel.store_hourly_conversion(t["store_traffic"], t["orders"], start, end)
    weakest = h.sort_values("rate").iloc[0]
    assert weakest.hour == truth["store"]["weak_hour"] and weakest.verdict == "lower"
    low, high = stats.wilson_interval(h["orders"], h["visitors"], alpha=0.001)
    planted = h["hour"].astype(str).map(truth["store"]["conversion_by_hour"])
    assert ((low <= planted) & (planted <= high)).all(), h.assign(planted=planted)
