"""Touches and the orders they guide: which orders a touch or a promotion guided, and what
happened in each touch's window.

Rules (stated in the notebook too):
- A touch is a row of `touches` that was actually sent: holdout rows (group = control) were
  never sent; they only serve as the comparison group of the uplift.
- Attribution (`attribute_orders`): an order is *guided by a touch* when the same customer
  received a touch at or before the order and less than `window_days` before it
  (sent_at <= ordered_at < sent_at + window). With several touches in the window the latest
  one gets the order (last touch; ties broken by campaign_id). An order is *guided* when it
  carries a promotion_id or is guided by a touch; every other order is *spontaneous*.
  Anonymous orders can only be guided through their promotion_id.
- A touch *converts* when its customer orders within the window after it (same half-open
  window). Every order counts, whatever its status. Touches whose window is not over on the
  last order date are left out of conversion and revenue figures (their outcome is unknown).
- Opened means opened_at or clicked_at is set (a click proves an open even when the pixel
  was blocked). Rates are per touch sent; recipients are distinct customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.components.content_flows.timeline import CustomerTimeline, sent_mask, to_ns


def attribute_orders(orders: pd.DataFrame, touches: pd.DataFrame | None,
                     window_days: float) -> pd.DataFrame:
    """Class every order as guided or spontaneous (the rule in the module docstring).

    Returns `orders` (same index) plus: campaign_id and touch_sent_at of the attributed
    touch (last touch in the window, else missing), by_touch, by_promotion, guided, and
    source ("promotion" when the order carries a promotion_id, else "touch", else
    "spontaneous"). campaign_id and source are categorical (one code per order).
    """
    out = orders.copy(deep=False)  # copy-on-write: only the added columns are new
    campaign = np.full(len(out), -1)
    sent_at = np.full(len(out), np.datetime64("NaT"), dtype="datetime64[ns]")
    campaigns = pd.Index([], dtype="string")
    if touches is not None and len(touches) and len(out):
        # Campaign codes in id order: among simultaneous touches the last campaign_id wins.
        camp, campaigns = pd.factorize(touches["campaign_id"], sort=True)
        tl = CustomerTimeline(touches["customer_id"], touches["sent_at"], tie_break=camp,
                               where=sent_mask(touches))
        codes = arrow.codes(out["customer_id"], tl.ids)
        row = tl.last_at_or_before(codes, out["ordered_at"])
        touch_at = to_ns(touches["sent_at"])[np.maximum(row, 0)]
        inside = (row >= 0) & (to_ns(out["ordered_at"]) - touch_at < pd.Timedelta(
            days=window_days).value)
        campaign = np.where(inside, camp[np.maximum(row, 0)], -1)
        sent_at[inside] = touch_at[inside].view("datetime64[ns]")
    out["campaign_id"] = pd.Categorical.from_codes(campaign, categories=pd.Index(campaigns))
    out["touch_sent_at"] = sent_at
    out["by_touch"] = campaign >= 0
    promo = out["promotion_id"].notna() if "promotion_id" in out else False
    out["by_promotion"] = np.asarray(promo, dtype=bool) & np.ones(len(out), dtype=bool)
    out["guided"] = out["by_touch"] | out["by_promotion"]
    out["source"] = pd.Categorical.from_codes(
        np.select([out["by_promotion"], out["by_touch"]], [0, 1], 2),
        categories=["promotion", "touch", "spontaneous"])
    return out


def _window_totals(orders: pd.DataFrame, customer_ids: pd.Series, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `customer_ids`: the number of that customer's orders with
    lo <= ordered_at < hi and their revenue (missing revenue counts 0)."""
    tl = CustomerTimeline(orders["customer_id"], orders["ordered_at"])
    revenue = orders["revenue"].to_numpy(dtype=float, na_value=np.nan)[tl.rows]
    cum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(revenue))])
    codes = arrow.codes(customer_ids, tl.ids)
    a, b = tl.count_before(codes, lo), tl.count_before(codes, hi)
    n = np.where(codes >= 0, b - a, 0)
    return n, np.where(codes >= 0, cum[b] - cum[a], 0.0)


def touch_outcomes(touches: pd.DataFrame, orders: pd.DataFrame | None,
                   window_days: float) -> pd.DataFrame:
    """Per touch (control rows included): opened, clicked, and when orders are given the
    customer's orders and revenue in [sent_at, sent_at + window), converted, and mature
    (the window ends by the last order in the data)."""
    t = touches.copy(deep=False)  # copy-on-write: new columns only, the touches are shared
    clicked = t["clicked_at"].notna() if "clicked_at" in t else pd.Series(False, index=t.index)
    opened = t["opened_at"].notna() if "opened_at" in t else pd.Series(False, index=t.index)
    t["opened"] = (opened | clicked).to_numpy(dtype=bool)
    t["clicked"] = clicked.to_numpy(dtype=bool)
    t["control"] = ~sent_mask(t)
    if orders is None or orders.empty:
        return t
    if t["customer_id"].isna().any():
        t = t[t["customer_id"].notna()]
    sent = to_ns(t["sent_at"])
    end = sent + pd.Timedelta(days=window_days).value
    n, revenue = _window_totals(orders, t["customer_id"], sent, end)
    t["window_orders"] = n
    t["window_revenue"] = np.round(revenue, 2)
    t["converted"] = n > 0
    t["mature"] = end <= to_ns([orders["ordered_at"].max()])[0]
    return t
