"""Funnel findings: each rule's trigger by hand, then the findings the demo's planted effects
must produce, in the page's order."""

import pandas as pd
import pytest

from salesaudit.components.funnel import findings, metrics


def _comparison(verdicts, rates, by="channel", values=("a", "b", "c")):
    return pd.DataFrame({by: list(values), "visitors": [1000] * len(values), "rate": rates,
                         "ci_low": [r - 0.01 for r in rates], "ci_high": [r + 0.01 for r in rates],
                         "rest_rate": [0.05] * len(values), "verdict": verdicts})


def test_no_visitor_finding_unless_a_channel_is_lower_than_the_rest():
    same = _comparison(["not distinguishable", "higher", "not distinguishable"], [0.04, 0.06, 0.05])
    assert findings.build_traffic(same) == []
    low = _comparison(["lower", "lower", "higher"], [0.03, 0.02, 0.06])
    (f,) = findings.build_traffic(low)
    assert f["key"] == "visitor-to-lead" and f["value"] == 0.02  # the lowest of the lower ones
    assert "Visitors from b " in f["sentence"]


def test_weak_store_hour_money_is_the_gap_to_the_median_slot_at_the_mean_ticket():
    hourly = _comparison(["lower", "not distinguishable", "not distinguishable"], [0.05, 0.10, 0.12],
                         by="hour", values=(9, 10, 11))
    orders = pd.DataFrame({"store_id": ["S1", "S1", None],
                           "ordered_at": pd.to_datetime(["2025-01-05", "2025-06-05", "2025-06-05"]),
                           "revenue": [40.0, 60.0, 1000.0]})  # the online order is not a store ticket
    (f,) = findings.build_store(hourly, orders, "2025-01-01", "2025-12-31")
    assert f["key"] == "weak-store-hour" and "09:00" in f["sentence"]
    # 1000 visitors x (median 0.10 - 0.05) = 50 orders in the year, at a mean ticket of 50.
    assert f["extra"]["extra_orders_per_year"] == pytest.approx(50.0)
    assert f["money_per_year"] == pytest.approx(50.0 * 50.0)
    assert findings.build_store(hourly.assign(verdict="higher"), orders, "2025-01-01", "2025-12-31") == []


def test_demo_findings_name_the_planted_leak_first_then_the_slow_channel(demo_funnel):
    res, _ = demo_funnel
    found = findings.build(res, "EUR")
    assert [f["key"] for f in found] == ["leaking-stage", "time-to-convert"]
    leak = found[0]
    assert leak["value"] == res.leak.rate and leak["severity"] == "high"
    assert leak["money_per_year"] == metrics.leak_money_per_year(res) > 0


def test_demo_traffic_and_store_findings_name_the_planted_weak_spots(default_demo):
    t, truth = default_demo.tables, default_demo.truth
    start, end = truth["period"]["start"], truth["period"]["end"]
    (v,) = findings.build_traffic(metrics.visitor_to_lead(t["traffic"], t["leads"], start, end))
    planted = truth["traffic"]["visitor_to_lead"]
    assert f"Visitors from {min(planted, key=planted.get)} " in v["sentence"]
    hourly = metrics.store_hourly_conversion(t["store_traffic"], t["orders"], start, end)
    (s,) = findings.build_store(hourly, t["orders"], start, end)
    assert f"{truth['store']['weak_hour']:02d}:00" in s["sentence"] and s["money_per_year"] > 0
