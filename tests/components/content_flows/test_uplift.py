"""Uplift against a randomized holdout, by hand."""

import pytest

from salesaudit.components.content_flows import attribution, uplift
from salesaudit.methods import stats

from .frames import W, order_frame, touch_frame


def test_holdout_uplift_by_hand():
    rows = [("K1", f"T{i}", "2025-03-01", None, None, "treatment") for i in range(4)]
    rows += [("K1", f"C{i}", "2025-03-01", None, None, "control") for i in range(2)]
    orders = order_frame([("O1", "T0", "2025-03-02", 30, None),
                          ("O2", "T1", "2025-03-03", 10, None),
                          ("O3", "T1", "2025-03-04", 10, None),
                          ("O4", "C0", "2025-03-02", 20, None),
                          ("O5", "Z", "2025-04-30", 0, None)])
    u = uplift.holdout_uplift(attribution.touch_outcomes(touch_frame(rows), orders, W)).iloc[0]
    # Treated 2/4 bought, control 1/2: uplift 0; revenue 50/4 = 12.5 vs 20/2 = 10 per customer.
    assert (u["treated"], u["control"]) == (4, 2)
    assert u["uplift"] == pytest.approx(0.0)
    assert u["revenue_diff"] == pytest.approx(2.5)
    assert u["incremental_revenue"] == pytest.approx(2.5 * 4)
    assert u["incremental_orders"] == pytest.approx((3 / 4 - 1 / 2) * 4)
    ref = stats.two_proportion_test(2, 4, 1, 2)
    assert (u["uplift_low"], u["uplift_high"]) == pytest.approx((ref.ci_low, ref.ci_high))
    # No control group: no uplift rows.
    treated_only = touch_frame(rows[:4])
    assert uplift.holdout_uplift(attribution.touch_outcomes(treated_only, orders, W)).empty
