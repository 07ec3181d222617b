"""Guided vs spontaneous sales per month, and the trend of spontaneous revenue."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.content_flows import attribution, guided_sales

from .frames import W, order_frame


def test_guided_monthly_uses_days_inside_the_period():
    orders = order_frame([("O1", "C1", "2025-01-20", 100, "P1"),
                          ("O2", "C1", "2025-01-25", 60, None),
                          ("O3", "C2", "2025-02-03", 40, None),
                          ("O4", "C2", "2025-03-01", 1, None)])
    a = attribution.attribute_orders(orders, None, W)
    mo = guided_sales.guided_monthly(a, "2025-01-16", "2025-02-28")  # O4 is outside the period
    assert mo["days"].tolist() == [16, 28]
    assert mo["guided_orders"].tolist() == [1, 0]
    assert mo["spontaneous_revenue"].tolist() == [60.0, 40.0]
    assert mo["spontaneous_revenue_per_day"].tolist() == pytest.approx([60 / 16, 40 / 28])
    assert mo["guided_share"].tolist() == pytest.approx([0.5, 0.0])


def test_revenue_trend_recovers_an_exact_line():
    mo = pd.DataFrame({"spontaneous_revenue_per_day": 100 + 5.0 * np.arange(12)})
    tr = guided_sales.revenue_trend(mo)
    assert tr.slope == pytest.approx(5.0) and tr.ci_low == pytest.approx(5.0)
    assert tr.level == pytest.approx(127.5)
    assert tr.growth_per_year == pytest.approx(60 / 127.5)
