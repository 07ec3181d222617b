"""Content and marketing flows: campaign and flow performance, guided vs spontaneous sales,
promotion conversion, promotion-responsive customers, uplift against a holdout, touch frequency.

`analyze` computes everything the page shows, once. The parts live in their own modules:
attribution (the touch, window and guided-order rules), performance (each campaign against
its peers), guided_sales, promotions, uplift and frequency; timeline holds the time helpers
they share. Everything is vectorized (binary search by customer on time); no loops over
customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from salesaudit.components.content_flows.attribution import attribute_orders, touch_outcomes
from salesaudit.components.content_flows.frequency import touch_frequency
from salesaudit.components.content_flows.guided_sales import (
    Trend,
    guided_monthly,
    revenue_trend,
)
from salesaudit.components.content_flows.performance import campaign_metrics, underperformers
from salesaudit.components.content_flows.promotions import (
    promotion_conversion,
    promotion_responders,
)
from salesaudit.components.content_flows.timeline import in_period, period_bounds
from salesaudit.components.content_flows.uplift import holdout_uplift

# The orders columns this component reads, in every one of its modules (a notebook reads
# only these: a large client's orders with every column are gigabytes).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "promotion_id")


@dataclass
class FlowsResult:
    window_days: float
    start: pd.Timestamp
    end: pd.Timestamp
    period_days: int
    as_of: pd.Timestamp | None  # last order in the data: windows must end by then
    n_touches: int  # sent in the period
    n_control: int
    outcomes: pd.DataFrame | None  # per touch (sent in the period, control rows included)
    metrics: pd.DataFrame | None  # per campaign / flow
    under: pd.DataFrame | None
    attributed: pd.DataFrame | None  # orders of the period with their class
    monthly: pd.DataFrame | None
    trend: Trend | None
    promotions: pd.DataFrame | None
    responders: pd.DataFrame | None
    repeat_responders: pd.DataFrame | None
    uplift: pd.DataFrame | None
    bands: pd.DataFrame | None
    frequency: pd.DataFrame | None

    @property
    def years(self) -> float:
        return self.period_days / 365


def analyze(campaigns: pd.DataFrame | None, touches: pd.DataFrame | None,
            orders: pd.DataFrame | None, start, end, window_days: float = 7,
            promotions: pd.DataFrame | None = None, alpha: float = 0.05) -> FlowsResult:
    """Everything the content-and-flows page shows, computed once. Any table may be None;
    the parts that need it are then None."""
    lo, hi = period_bounds(start, end)
    all_touches = touches  # orders early in the period may follow touches sent before it
    if touches is not None:
        touches = in_period(touches, "sent_at", start, end)
    outcomes = metrics = under = attributed = monthly = trend = None
    promos = responders = repeat = uplift = bands = freq = None
    if touches is not None:
        outcomes = touch_outcomes(touches, orders, window_days)
    if orders is not None:
        attributed = attribute_orders(in_period(orders, "ordered_at", start, end),
                                      all_touches, window_days)
        monthly = guided_monthly(attributed, start, end)
        trend = revenue_trend(monthly)
    if outcomes is not None:
        metrics = campaign_metrics(outcomes, campaigns, attributed)
        under = underperformers(metrics, alpha=alpha)
        bands, freq = touch_frequency(touches, orders, start, end)
        if orders is not None:
            uplift = holdout_uplift(outcomes, campaigns, alpha=alpha)
            if campaigns is not None:
                promos = promotion_conversion(outcomes, campaigns, orders, start, end, promotions)
    if orders is not None and (outcomes is not None or "promotion_id" in orders):
        responders, repeat = promotion_responders(outcomes, campaigns, orders, start, end)
    return FlowsResult(
        window_days=window_days, start=lo, end=hi - pd.Timedelta(days=1),
        period_days=(hi - lo).days,
        as_of=None if orders is None or orders.empty else orders["ordered_at"].max(),
        n_touches=0 if outcomes is None else int((~outcomes["control"]).sum()),
        n_control=0 if outcomes is None else int(outcomes["control"].sum()),
        outcomes=outcomes, metrics=metrics, under=under, attributed=attributed,
        monthly=monthly, trend=trend, promotions=promos, responders=responders,
        repeat_responders=repeat, uplift=uplift, bands=bands, frequency=freq)

