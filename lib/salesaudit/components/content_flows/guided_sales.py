"""Guided vs spontaneous sales per month, and whether spontaneous revenue grows on its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from salesaudit.components.content_flows.timeline import in_period, period_bounds
from salesaudit.methods import stats


def guided_monthly(attributed: pd.DataFrame, start, end) -> pd.DataFrame:
    """Orders and revenue per month, guided vs spontaneous, over the period's months.

    revenue_per_day columns divide by the days of the month inside the period, so partial
    first and last months are comparable; guided_share is the share of orders guided, with
    its Wilson interval."""
    lo, hi = period_bounds(start, end)
    a = in_period(attributed, "ordered_at", start, end)
    months = pd.period_range(lo, hi - pd.Timedelta(days=1), freq="M")
    # Month numbers (numpy datetime64[M] = Period ordinals): faster than Periods on many rows.
    month = a["ordered_at"].to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    spontaneous = ~a["guided"].to_numpy(dtype=bool)  # 0 guided, 1 spontaneous: no strings
    g = a.groupby([month, spontaneous])["revenue"].agg(["size", "sum"]).unstack(fill_value=0)
    g = g.reindex(months.asi8, fill_value=0)
    out = pd.DataFrame(index=months)
    for code, k in enumerate(("guided", "spontaneous")):
        key = bool(code)
        out[f"{k}_orders"] = g[("size", key)].to_numpy() if ("size", key) in g else 0
        out[f"{k}_revenue"] = g[("sum", key)].to_numpy() if ("sum", key) in g else 0.0
    first = np.maximum(months.start_time, lo)
    last = np.minimum(months.end_time.normalize() + pd.Timedelta(days=1), hi)
    out["days"] = (last - first).days.to_numpy()
    for k in ("guided", "spontaneous"):
        out[f"{k}_revenue_per_day"] = out[f"{k}_revenue"] / out["days"]
    orders = out["guided_orders"] + out["spontaneous_orders"]
    p = stats.proportions(out["guided_orders"].astype("int64"), orders.astype("int64"))
    out["orders"] = orders
    out["guided_share"], out["gs_low"], out["gs_high"] = p["rate"], p["ci_low"], p["ci_high"]
    out["revenue"] = out["guided_revenue"] + out["spontaneous_revenue"]
    out.index.name = "month"
    out = out.reset_index()
    out["month"] = out["month"].dt.to_timestamp()
    return out


@dataclass(frozen=True)
class Trend:
    """Linear trend of a monthly series of revenue per day (OLS on the month number)."""

    slope: float  # change of revenue per day, per month
    ci_low: float
    ci_high: float
    p_value: float
    months: int
    level: float  # mean revenue per day over the months
    growth_per_year: float  # 12 x slope / level
    growth_low: float
    growth_high: float


def revenue_trend(monthly: pd.DataFrame, column: str = "spontaneous_revenue_per_day",
                  alpha: float = 0.05) -> Trend | None:
    """OLS slope of `column` on the month number with its t interval; None under 3 months.
    Seasonality is not modelled: it widens the interval (stated on the page)."""
    y = monthly[column].to_numpy(dtype=float)
    if len(y) < 3 or not np.isfinite(y).all():
        return None
    x = sm.add_constant(np.arange(len(y), dtype=float))
    fit = sm.OLS(y, x).fit()
    lo, hi = fit.conf_int(alpha)[1]
    level = float(y.mean())
    scale = 12 / level if level > 0 else np.nan
    return Trend(float(fit.params[1]), float(lo), float(hi), float(fit.pvalues[1]), len(y), level,
                 float(fit.params[1]) * scale, float(lo) * scale, float(hi) * scale)
