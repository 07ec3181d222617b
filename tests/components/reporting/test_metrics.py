"""Customer-base metrics: the one-time/repeat split, KPIs, repeat rates and new/returning
months on hand-computed orders, then recovery of the demo's planted one-time buyer share and
orders per customer."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.reporting import metrics

from .hand import END, HAND, START


def test_buyer_split_hand_computed():
    s = metrics.buyer_split(HAND, START, END)
    # Period customers A (1 order), B (3), C (1, cancelled), D (12): one-time = A, C = 2/4.
    assert s.customers == 4 and s.one_time.value == 0.5
    g = s.groups.set_index("group")
    # Completed revenue: A 10, B 20 + 30 (the returned 5 brings none), C 0, D 12 → 72.
    assert s.revenue == 72.0
    assert g.loc["bought once", "revenue"] == 10.0
    assert g.loc["bought once", "revenue_share"] == pytest.approx(10 / 72)
    assert g.loc["bought more than once", "customers"] == 2
    b = s.bands.set_index("band")
    assert b["customers"].tolist() == [2, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert b.loc["10+", "revenue"] == 12.0 and b.loc["3", "revenue_per_customer"] == 50.0
    assert np.isnan(b.loc["2", "revenue_per_customer"])  # empty band: no crash, no number


def test_kpis_hand_computed():
    k = metrics.kpis(HAND, START, END).set_index("metric")
    # Average ticket over completed period orders, anonymous included:
    # (10 + 20 + 30 + 12 × 1 + 100) / 16 = 172 / 16 = 10.75.
    assert k.loc["average ticket", "value"] == pytest.approx(10.75)
    assert k.loc["average ticket", "n"] == 16
    assert k.loc["orders per customer", "value"] == pytest.approx((1 + 3 + 1 + 12) / 4)
    assert k.loc["revenue per customer", "value"] == pytest.approx(72 / 4)
    lo, hi = k.loc["revenue per customer", ["ci_low", "ci_high"]]
    assert lo <= 18 <= hi


def test_repeat_rates_only_count_cohorts_old_enough():
    fo = metrics.first_orders(HAND)
    r = metrics.repeat_rates(fo, pd.Timestamp("2025-12-31"), windows=(30, 90, 365)).set_index("window_days")
    # First orders: A 2024-12-20 (second 2025-03-01, 71 days), B 02-01 (second 04-01, 59 days),
    # C 06-01 (none), D 01-15 (second 02-15, 31 days). All ≥ 90 days old on 12-31.
    assert r.loc[30, ["repeaters", "n"]].tolist() == [0, 4]
    assert r.loc[90, ["repeaters", "n"]].tolist() == [3, 4]
    # 365 days: only A's first order is old enough (2024-12-20 ≤ 2024-12-31); it repeated.
    assert r.loc[365, ["repeaters", "n"]].tolist() == [1, 1]
    # customers.first_seen_at before the data start marks a customer as existing, not new.
    cust = pd.DataFrame({"customer_id": ["A", "B"],
                         "first_seen_at": pd.to_datetime(["2020-01-01", None])})
    assert metrics.first_orders(HAND, cust)["is_new"].to_dict() == {
        "A": False, "B": True, "C": True, "D": True}


def test_monthly_new_returning():
    m = metrics.monthly_new_returning(HAND, START, END)
    jan = m[m["month"] == "2025-01-01"].set_index("type")
    assert jan.loc["new", "customers"] == 1 and "returning" not in jan.index  # D starts
    mar = m[m["month"] == "2025-03-01"].set_index("type")
    assert mar.loc["returning", "customers"] == 2  # A (first order in 2024) and D


# --------------------------------------------------------------------------- planted truths


def test_recovers_one_time_buyer_share_and_orders_per_customer(demo_data):
    orders, customers, truth = demo_data
    t = truth["customers"]
    s = metrics.buyer_split(orders, START, END)
    # One-time share: the planted value is a probability; the realized share of ~17,000
    # customers falls in the 99.9% Wilson interval unless the estimator is wrong.
    from salesaudit.methods import stats

    lo, hi = stats.wilson_interval(round(s.one_time.value * s.customers), s.customers,
                                   alpha=0.001)
    assert lo <= t["one_time_buyer_share"] <= hi
    k = metrics.kpis(orders, START, END, customers=customers).set_index("metric")
    opc = k.loc["orders per customer"]
    # The bootstrap interval is 95%; widen it by half its width on each side (≈ 99.9%) so
    # the test fails on a wrong estimator, not on chance.
    half = (opc["ci_high"] - opc["ci_low"]) / 2
    assert opc["ci_low"] - half <= t["orders_per_customer_mean"] <= opc["ci_high"] + half
