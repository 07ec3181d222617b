"""Attribution and touch windows: the rule by hand at its edges, then against a brute-force
scan of the definition on random small cases."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.content_flows import attribution

from .frames import T, W, order_frame, touch_frame


def test_window_edges_are_half_open_and_orders_before_the_touch_are_spontaneous():
    touches = touch_frame([("K1", "C1", "2025-03-01 10:00", None, None, None)])
    orders = order_frame([
        ("O1", "C1", "2025-03-01 09:59:59", 10, None),  # before the touch
        ("O2", "C1", "2025-03-01 10:00:00", 20, None),  # at the touch: inside
        ("O3", "C1", "2025-03-08 09:59:59", 30, None),  # 1 s before the window closes
        ("O4", "C1", "2025-03-08 10:00:00", 40, None),  # exactly 7 days: outside
        ("O5", "C2", "2025-03-02 10:00:00", 50, None),  # another customer
    ])
    a = attribution.attribute_orders(orders, touches, W).set_index("order_id")
    assert a["by_touch"].tolist() == [False, True, True, False, False]
    assert a["source"].tolist() == ["spontaneous", "touch", "touch", "spontaneous", "spontaneous"]
    assert a.loc["O2", "campaign_id"] == "K1"
    assert a.loc["O3", "touch_sent_at"] == T("2025-03-01 10:00")
    assert pd.isna(a.loc["O4", "campaign_id"])


def test_several_touches_the_latest_in_the_window_gets_the_order():
    touches = touch_frame([
        ("K1", "C1", "2025-03-01", None, None, None),
        ("K2", "C1", "2025-03-04", None, None, None),
        ("K9", "C1", "2025-03-10", None, None, None),  # simultaneous with K3
        ("K3", "C1", "2025-03-10", None, None, None),
    ])
    orders = order_frame([
        ("O1", "C1", "2025-03-03", 10, None),  # only K1 before it
        ("O2", "C1", "2025-03-05", 10, None),  # K1 and K2 in the window: K2 is the latest
        ("O3", "C1", "2025-03-10 12:00", 10, None),  # tie: the last campaign_id (K9) wins
        ("O4", "C1", "2025-03-09", 10, None),  # K2 (5 days) still in the window
    ])
    a = attribution.attribute_orders(orders, touches, W).set_index("order_id")
    assert a["campaign_id"].tolist() == ["K1", "K2", "K9", "K2"]


def test_control_rows_never_guide_and_promotions_guide_even_anonymous_orders():
    touches = touch_frame([("K1", "C1", "2025-03-01", None, None, "control"),
                           ("K1", "C2", "2025-03-01", None, None, "treatment")])
    orders = order_frame([
        ("O1", "C1", "2025-03-02", 10, None),  # its touch was a holdout row: not sent
        ("O2", "C2", "2025-03-02", 10, None),
        ("O3", None, "2025-03-02", 10, "P1"),  # anonymous, tagged
        ("O4", None, "2025-03-02", 10, None),  # anonymous, untagged
        ("O5", "C2", "2025-03-03", 10, "P1"),  # both: the promotion is its source
    ])
    a = attribution.attribute_orders(orders, touches, W).set_index("order_id")
    assert a["guided"].tolist() == [False, True, True, False, True]
    assert a["source"].tolist() == ["spontaneous", "touch", "promotion", "spontaneous", "promotion"]
    assert a.loc["O5", "by_touch"] and a.loc["O5", "by_promotion"]
    # Without touches only promotions guide; without promotion_id only touches do.
    assert attribution.attribute_orders(orders, None, W)["guided"].tolist() == [False, False, True,
                                                                         False, True]
    no_promo = attribution.attribute_orders(orders.drop(columns="promotion_id"), touches, W)
    assert no_promo["guided"].tolist() == [False, True, False, False, True]


def test_touch_outcomes_sum_the_orders_in_each_touch_window():
    touches = touch_frame([
        ("K1", "C1", "2025-03-01", "2025-03-01 02:00", None, None),
        ("K2", "C1", "2025-03-05", None, "2025-03-05 01:00", None),  # click without open
        ("K3", "C2", "2025-03-01", None, None, None),
        ("K4", "C3", "2025-03-28", None, None, None),  # window ends after the last order
    ])
    orders = order_frame([
        ("O1", "C1", "2025-02-28", 5, None),
        ("O2", "C1", "2025-03-02", 10, None),
        ("O3", "C1", "2025-03-06", 20, None),
        ("O4", "C1", "2025-03-12", 40, None),
        ("O5", "C3", "2025-03-30", 1, None),
    ])
    t = attribution.touch_outcomes(touches, orders, W).set_index("campaign_id")
    # K1: [03-01, 03-08) holds O2 + O3 = 30; K2: [03-05, 03-12) holds O3 only (O4 is at the edge).
    assert t["window_orders"].tolist() == [2, 1, 0, 1]
    assert t["window_revenue"].tolist() == [30.0, 20.0, 0.0, 1.0]
    assert t["converted"].tolist() == [True, True, False, True]
    assert t["opened"].tolist() == [True, True, False, False]  # a click proves the open
    assert t["mature"].tolist() == [True, True, True, False]  # 03-28 + 7 d > 03-30


def _random_case(seed: int, n_orders: int = 400, n_touches: int = 600):
    """Few customers and few distinct times, so that ties, repeats, anonymous orders,
    customers never touched and touches of customers who never ordered all occur."""
    rng = np.random.default_rng(seed)

    def day(n):  # 40 distinct half-days: many ties
        return T("2025-01-01") + pd.to_timedelta(rng.integers(0, 40, n) * 12, unit="h")

    def cust(n, k):  # k customers and missing ids
        return [None if i == k else f"C{i}" for i in rng.integers(0, k + 1, n)]

    orders = pd.DataFrame({"order_id": [f"O{i}" for i in range(n_orders)],
                           "customer_id": cust(n_orders, 12), "ordered_at": day(n_orders),
                           "revenue": rng.integers(1, 100, n_orders).astype(float),
                           "promotion_id": None}).astype(
        {"order_id": "string", "customer_id": "string", "promotion_id": "string"})
    touches = pd.DataFrame({"campaign_id": [f"K{i}" for i in rng.integers(0, 4, n_touches)],
                            "customer_id": cust(n_touches, 15), "sent_at": day(n_touches),
                            "opened_at": pd.NaT, "clicked_at": pd.NaT,
                            "group": rng.choice(["treatment", "control", None], n_touches)})
    return orders, touches.astype({"campaign_id": "string", "customer_id": "string",
                                   "group": "string"})


@pytest.mark.parametrize("seed", range(5))
def test_windows_and_last_touch_equal_a_brute_force_scan(seed):
    orders, touches = _random_case(seed)
    window = pd.Timedelta(days=W)
    out = attribution.touch_outcomes(touches, orders, W).reset_index(drop=True)
    t = touches[touches["customer_id"].notna()].reset_index(drop=True)
    for i, r in t.iterrows():  # the definition, row by row (small data)
        o = orders[(orders["customer_id"] == r.customer_id) & (orders["ordered_at"] >= r.sent_at)
                   & (orders["ordered_at"] < r.sent_at + window)]
        assert out.loc[i, "window_orders"] == len(o)
        assert out.loc[i, "window_revenue"] == pytest.approx(o["revenue"].sum())
    a = attribution.attribute_orders(orders, touches, W)
    sent = touches[touches["group"].fillna("treatment") != "control"]
    for i, r in orders.iterrows():
        c = sent[(sent["customer_id"] == r.customer_id) & (sent["sent_at"] <= r.ordered_at)
                 & (sent["sent_at"] > r.ordered_at - window)] if pd.notna(r.customer_id) else sent[:0]
        # Last touch; among simultaneous ones the largest campaign_id.
        best = c.sort_values(["sent_at", "campaign_id"]).tail(1)
        got = a.loc[i, "campaign_id"]
        if best.empty:
            assert pd.isna(got) and pd.isna(a.loc[i, "touch_sent_at"])
        else:
            assert got == best["campaign_id"].iloc[0]
            assert a.loc[i, "touch_sent_at"] == best["sent_at"].iloc[0]


def test_attribution_when_no_touch_was_sent():
    orders = order_frame([("O1", "C1", "2025-03-02", 10, None)])
    touches = touch_frame([("K1", "C1", "2025-03-01", None, None, "control")])
    a = attribution.attribute_orders(orders, touches, W)
    assert a["source"].tolist() == ["spontaneous"] and a["campaign_id"].isna().all()
