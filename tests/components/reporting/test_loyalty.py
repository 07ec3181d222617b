"""Loyalty card on hand-computed orders and missing inputs, then recovery of the demo's
planted ticket difference, member share and before/after effect."""

import pandas as pd
import pytest

from salesaudit.components.reporting import loyalty

from .hand import END, START, make_orders


def test_loyalty_hand_computed_and_missing_inputs():
    o = make_orders([("m1", "M", "2025-01-10", 10.0, "completed"),
                     ("m2", "M", "2025-02-10", 20.0, "completed"),
                     ("m3", "M", "2025-03-10", 30.0, "completed"),
                     ("n1", "N", "2025-01-05", 10.0, "completed"),
                     ("n2", "N", "2025-02-05", 14.0, "completed"),
                     ("a1", None, "2025-02-06", 6.0, "completed")])
    cust = pd.DataFrame({"customer_id": ["M", "N"],
                         "loyalty_member_since": pd.to_datetime(["2025-02-01", None])})
    flags = loyalty.card_flags(o, cust)
    assert flags.tolist() == [False, True, True, False, False, False]
    L = loyalty.loyalty(o, START, END, cust)
    t = L.tickets.set_index("group")
    # Card orders 20, 30 → 25; non-card 10, 10, 14, 6 → 10; difference 15.
    assert t.loc["card", "mean_ticket"] == 25 and t.loc["no card", "mean_ticket"] == 10
    assert L.ticket_diff.value == pytest.approx(15)
    assert L.card_revenue_share.value == pytest.approx(50 / 90)
    assert L.member_share.value == 0.5 and L.member_share.n == 2
    # Members' revenue, before and after joining: M's 10 + 20 + 30 = 60 of 90.
    assert L.member_revenue_share.value == pytest.approx(60 / 90)
    assert L.margins is None and L.did is None  # no cost column; too few members for a DiD
    assert loyalty.loyalty(o, START, END, None) is None  # no card information at all
    # A loyalty_card column left empty by the export falls back to the join dates.
    empty = o.assign(loyalty_card=pd.array([None] * len(o), dtype="boolean"))
    assert loyalty.card_flags(empty, cust).tolist() == flags.tolist()

# --------------------------------------------------------------------------- planted truths


def test_recovers_loyalty_ticket_difference_and_member_share(demo_data):
    orders, customers, truth = demo_data
    t = truth["loyalty"]
    L = loyalty.loyalty(orders, START, END, customers)
    d = L.ticket_diff
    # The demo's card orders are the same iid basket + 8 EUR: the difference's 95% bootstrap
    # interval must contain 8 (a 5% chance of a false failure is too high for a test, so
    # widen by half the interval width, ≈ 99.9%).
    half = (d.ci_high - d.ci_low) / 2
    assert d.ci_low - half <= t["ticket_difference_eur"] <= d.ci_high + half
    assert d.ci_low > 0
    from salesaudit.methods import stats

    m = L.member_share
    lo, hi = stats.wilson_interval(round(m.value * m.n), m.n, alpha=0.001)
    assert lo <= t["member_share"] <= hi
    # Before/after: membership changes nothing but +8 on every card order, so the
    # diff-in-diff per member is 8 × the members' completed orders in the after window.
    assert L.did is not None and L.did.ci_low > 0
    expected = 8 * L.did_table.loc[0, "completed_orders_after"]
    half = (L.did.ci_high - L.did.ci_low) / 2
    assert L.did.ci_low - half <= expected <= L.did.ci_high + half
    # Margin rate is given when cost is.
    assert L.margins is not None and L.margin_diff is not None
