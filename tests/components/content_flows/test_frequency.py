"""Touch frequency bands and touches per customer and month, by hand."""

import pytest

from salesaudit.components.content_flows import frequency

from .frames import order_frame, touch_frame


def test_touch_frequency_bands_by_hand():
    # Period Jan-Mar. C1: 4 touches in Jan (weekly), none in Feb, 1 in Mar; bought in Jan, Feb.
    # C2: first seen (order) in Feb, 1 touch in Mar, bought in Mar.
    rows = [("K", "C1", f"2025-01-{d:02d}", None, None, None) for d in (2, 9, 16, 23)]
    rows += [("K", "C1", "2025-03-05", None, None, None), ("K", "C2", "2025-03-05", None, None, None)]
    orders = order_frame([("O1", "C1", "2025-01-10", 1, None), ("O2", "C1", "2025-02-10", 1, None),
                          ("O3", "C2", "2025-02-20", 1, None), ("O4", "C2", "2025-03-20", 1, None)])
    bands, monthly = frequency.touch_frequency(touch_frame(rows), orders, "2025-01-01",
                                               "2025-03-31")
    b = bands.set_index("band")
    # Customer-months: C1 Jan/Feb/Mar, C2 Feb/Mar = 5. none: C1-Feb, C2-Feb (both bought);
    # 1-3: C1-Mar (no), C2-Mar (yes); weekly: C1-Jan (yes).
    assert b["customer_months"].tolist() == [2, 2, 1]
    assert b["purchased"].tolist() == [2, 1, 1]
    assert b["rate"].tolist() == pytest.approx([1.0, 0.5, 1.0])
    assert monthly["customers"].tolist() == [1, 2, 2]
    assert monthly["mean_touches"].tolist() == pytest.approx([4.0, 0.0, 1.0])
