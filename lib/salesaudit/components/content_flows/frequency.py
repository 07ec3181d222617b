"""Touch frequency: touches per customer and month, and buying by how often customers were
touched (correlational: flows fire on purchases)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.components.content_flows.timeline import period_bounds, sent_mask, to_ns
from salesaudit.i18n import N_
from salesaudit.methods import stats

# Band values are compared by code in English; tables show them translated.
BANDS = (N_("none"), N_("1–3 a month"), N_("weekly or more (4+)"))


def _band(n: np.ndarray) -> np.ndarray:
    """Position in BANDS of each count of touches (integers: millions of cells)."""
    return np.select([n == 0, n < 4], [0, 1], 2)


def touch_frequency(touches: pd.DataFrame, orders: pd.DataFrame | None, start,
                    end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touches per customer and month, and the purchase probability by frequency band.

    Customer-months: every customer touched at least once in the period, for each month of
    the period from the month of their first touch or order (in the data) on. Bands: no
    touch, 1–3 touches (at least monthly), 4+ (about weekly). Returns (bands, monthly):
    bands with customer-months, share of them (Wilson), purchase rate in the month (Wilson)
    and its difference from untouched months; monthly with customers, share touched and
    mean touches per customer (t interval). Correlational: flows fire on purchases.
    """
    lo, hi = period_bounds(start, end)
    months = pd.period_range(lo, hi - pd.Timedelta(days=1), freq="M")
    k = len(months)
    cid = touches["customer_id"]
    sent = sent_mask(touches) & cid.notna().to_numpy()
    t_ns = to_ns(touches["sent_at"])
    in_p = sent & (t_ns >= lo.value) & (t_ns < hi.value)
    cust = pd.Index(pd.unique(cid if in_p.all() else cid[in_p]))
    if cust.empty:
        return pd.DataFrame(), pd.DataFrame()
    m0 = months[0].ordinal  # months since 1970-01, as numpy's datetime64[M]

    def month_idx(ns: np.ndarray) -> np.ndarray:
        return ns.view("datetime64[ns]").astype("datetime64[M]").astype(np.int64) - m0

    def earliest(codes: np.ndarray, ns: np.ndarray) -> np.ndarray:
        """Per customer of `cust`, the first of the times `ns` (int64 max when none)."""
        ok = codes >= 0
        out = np.full(len(cust), np.iinfo(np.int64).max)
        np.minimum.at(out, codes[ok], ns[ok])
        return out

    # Customers as integer codes into `cust`: grouping ten million id strings is slow.
    tcode = np.where(sent, arrow.codes(cid, cust), -1)
    first_ns = earliest(tcode, t_ns)
    okey = np.array([], dtype=np.int64)
    has_orders = orders is not None
    if has_orders:
        oc = arrow.codes(orders["customer_id"], cust)
        o_ns = to_ns(orders["ordered_at"])
        first_ns = np.minimum(first_ns, earliest(oc, o_ns))
        inside = (oc >= 0) & (o_ns >= lo.value) & (o_ns < hi.value)
        okey = arrow.distinct(oc[inside] * k + month_idx(o_ns[inside]))[0]
    start_m = np.clip(month_idx(first_ns), 0, k - 1)
    # Sparse: only (customer, month) cells with a touch or an order are built; a customer's
    # first event precedes their touches and orders, so those cells are all live.
    cells, per_cell = arrow.distinct(tcode[in_p] * k + month_idx(t_ns[in_p]))  # touches per cell
    live = np.bincount(start_m, minlength=k).cumsum()  # customers live in each month
    total = int(live.sum())
    bands = _bands(per_cell, total, np.isin(cells, okey) if has_orders else None, len(okey))
    return bands, _monthly(months, cells, per_cell, live)


def _bands(per_cell: np.ndarray, total: int, bought: np.ndarray | None,
           purchased: int) -> pd.DataFrame:
    """Customer-months per band and their share (Wilson); given `bought` (per touched
    customer-month, whether the customer ordered that month; None without orders), the
    purchase rate in the month per band (Wilson) and its difference from untouched months.
    `per_cell`: touches of each touched customer-month; `total`: every live customer-month;
    `purchased`: the customer-months with an order."""
    band_t = _band(per_cell)
    cnt = pd.Series(np.bincount(band_t, minlength=len(BANDS)), index=list(BANDS))
    cnt[BANDS[0]] = total - len(per_cell)
    share = stats.proportions(cnt, pd.Series(total, index=cnt.index))
    bands = pd.DataFrame({"band": BANDS, "customer_months": cnt.to_numpy(),
                          "share": share["rate"].to_numpy(), "share_low": share["ci_low"].to_numpy(),
                          "share_high": share["ci_high"].to_numpy()})
    if bought is None:
        return bands
    b = pd.Series(np.bincount(band_t, weights=bought, minlength=len(BANDS)).astype(
        np.int64), index=list(BANDS))
    b[BANDS[0]] = purchased - int(bought.sum())
    p = stats.proportions(b, cnt)
    bands["purchased"] = b.to_numpy()
    bands["rate"], bands["ci_low"], bands["ci_high"] = (
        p["rate"].to_numpy(), p["ci_low"].to_numpy(), p["ci_high"].to_numpy())
    diffs = [stats.two_proportion_test(int(b.iloc[i]), int(cnt.iloc[i]), int(b.iloc[0]),
                                       int(cnt.iloc[0])) if cnt.iloc[i] and cnt.iloc[0]
             else None for i in range(1, len(BANDS))]
    bands["diff_vs_none"] = [np.nan] + [np.nan if d is None else d.difference for d in diffs]
    bands["diff_low"] = [np.nan] + [np.nan if d is None else d.ci_low for d in diffs]
    bands["diff_high"] = [np.nan] + [np.nan if d is None else d.ci_high for d in diffs]
    bands["p_value"] = [np.nan] + [np.nan if d is None else d.p_value for d in diffs]
    return bands


def _monthly(months: pd.PeriodIndex, cells: np.ndarray, per_cell: np.ndarray,
             live: np.ndarray) -> pd.DataFrame:
    """Per month: customers live, how many were touched (share, Wilson) and the mean touches
    per live customer (t interval). `cells` are customer x len(months) + month keys of the
    touched customer-months, `per_cell` their touches, `live` the customers per month."""
    k = len(months)
    cell_month = cells % k
    rows = []
    for mi in range(k):
        n_m = per_cell[cell_month == mi]
        est = stats.mean_ci(np.concatenate([n_m, np.zeros(int(live[mi]) - len(n_m))]))
        rows.append({"month": months[mi].to_timestamp(), "customers": int(live[mi]),
                     "touched": len(n_m), "mean_touches": est.value,
                     "mt_low": est.ci_low, "mt_high": est.ci_high})
    monthly = pd.DataFrame(rows)
    p = stats.proportions(monthly["touched"], monthly["customers"])
    monthly["touched_share"], monthly["ts_low"], monthly["ts_high"] = (
        p["rate"], p["ci_low"], p["ci_high"])
    return monthly
