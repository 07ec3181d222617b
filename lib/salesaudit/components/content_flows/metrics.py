"""Content and marketing flows: campaign and flow performance, guided vs spontaneous sales,
promotion conversion, promotion-responsive customers, uplift against a holdout, touch frequency.

Rules used throughout (stated in the notebook too):
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
- Campaigns are compared with their peers: the other campaigns of the same kind (flows with
  flows, newsletters with newsletters), or automated vs manual when kind is missing.

Everything is vectorized (pd.merge_asof by customer on time); no loops over customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from salesaudit import arrow, fmt
from salesaudit.i18n import N_, _, label
from salesaudit.methods import stats

# A campaign under-performs when its rate is credibly below (1 - MARGIN) x its peers' rate.
MARGIN = 0.25
METRICS = {"open": ("opened", "sent"), "click": ("clicked", "sent"),
           "conversion": ("converted", "mature")}
ACTIONS = {
    "open": N_("Rework the subject line, sender name and send time of {name}, and check its "
               "list."),
    "click": N_("Rework the content and call to action of {name}."),
    "conversion": N_("Check the offer, timing and landing page of {name}; test changes against "
                     "a holdout."),
}
# The orders columns this module reads (a notebook reads only these: a large client's orders
# with every column are gigabytes).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "promotion_id")
# Band and group values are compared by code in English; tables show them translated.
BANDS = (N_("none"), N_("1–3 a month"), N_("weekly or more (4+)"))


# --------------------------------------------------------------------------- helpers


def period_bounds(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end + 1 day): the period's days, end inclusive."""
    return pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)


def _sent_mask(touches: pd.DataFrame) -> np.ndarray:
    """Which touches were actually sent (holdout control rows were not)."""
    if "group" not in touches:
        return np.ones(len(touches), dtype=bool)
    return (touches["group"].fillna("treatment") != "control").to_numpy(dtype=bool)


def _ns(values) -> np.ndarray:
    """Timestamps as int64 nanoseconds."""
    return np.asarray(values, dtype="datetime64[ns]").view(np.int64)


class _CustomerTimeline:
    """Events (orders or touches) of known customers sorted by (customer, time, tie-break),
    searchable by binary search: windows per customer over tens of millions of rows without
    merging frames. Customers are integer codes into `ids`; a time is stored as its rank
    among the event times (how many are earlier), so (customer, time) packs into one
    sortable int64."""

    def __init__(self, customer_ids: pd.Series, times, tie_break: np.ndarray | None = None,
                 where: np.ndarray | None = None):
        codes, uniques = pd.factorize(customer_ids)
        self.ids = pd.Index(uniques)
        known = codes >= 0 if where is None else (codes >= 0) & where  # the events kept
        t = _ns(times)[known]
        self.times = np.sort(t)
        self.m = len(self.times) + 1
        key = codes[known].astype(np.int64) * self.m + np.searchsorted(self.times, t)
        self.rows = np.flatnonzero(known)  # event positions in the input, sorted below
        order = (np.argsort(key, kind="stable") if tie_break is None
                 else np.lexsort((tie_break[known], key)))
        self.key, self.rows = key[order], self.rows[order]

    def count_before(self, codes: np.ndarray, times, inclusive: bool = False) -> np.ndarray:
        """Position just past each customer's last event before `times` (at or before with
        `inclusive`) in the sorted events; `codes` index `ids` (−1: no customer)."""
        rank = np.searchsorted(self.times, _ns(times), "right" if inclusive else "left")
        needles = np.where(codes >= 0, codes, 0) * self.m + rank
        # Binary search is several times faster on sorted needles (cache locality).
        order = np.argsort(needles)
        pos = np.empty(len(needles), dtype=np.int64)
        pos[order] = np.searchsorted(self.key, needles[order], "left")
        return pos

    def last_at_or_before(self, codes: np.ndarray, times) -> np.ndarray:
        """Input position of each customer's last event at or before `times` (−1: none);
        among simultaneous events the last in tie-break order."""
        if not len(self.rows):
            return np.full(len(codes), -1)
        pos = self.count_before(codes, times, inclusive=True) - 1
        ok = (codes >= 0) & (pos >= 0)
        ok[ok] = self.key[pos[ok]] // self.m == codes[ok]
        return np.where(ok, self.rows[np.maximum(pos, 0)], -1)


def _window_totals(orders: pd.DataFrame, customer_ids: pd.Series, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `customer_ids`: the number of that customer's orders with
    lo <= ordered_at < hi and their revenue (missing revenue counts 0)."""
    tl = _CustomerTimeline(orders["customer_id"], orders["ordered_at"])
    revenue = orders["revenue"].to_numpy(dtype=float, na_value=np.nan)[tl.rows]
    cum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(revenue))])
    codes = arrow.codes(customer_ids, tl.ids)
    a, b = tl.count_before(codes, lo), tl.count_before(codes, hi)
    n = np.where(codes >= 0, b - a, 0)
    return n, np.where(codes >= 0, cum[b] - cum[a], 0.0)


# --------------------------------------------------------------------------- attribution


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
        tl = _CustomerTimeline(touches["customer_id"], touches["sent_at"], tie_break=camp,
                               where=_sent_mask(touches))
        codes = arrow.codes(out["customer_id"], tl.ids)
        row = tl.last_at_or_before(codes, out["ordered_at"])
        touch_at = _ns(touches["sent_at"])[np.maximum(row, 0)]
        inside = (row >= 0) & (_ns(out["ordered_at"]) - touch_at < pd.Timedelta(
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
    t["control"] = ~_sent_mask(t)
    if orders is None or orders.empty:
        return t
    if t["customer_id"].isna().any():
        t = t[t["customer_id"].notna()]
    sent = _ns(t["sent_at"])
    end = sent + pd.Timedelta(days=window_days).value
    n, revenue = _window_totals(orders, t["customer_id"], sent, end)
    t["window_orders"] = n
    t["window_revenue"] = np.round(revenue, 2)
    t["converted"] = n > 0
    t["mature"] = end <= _ns([orders["ordered_at"].max()])[0]
    return t


# --------------------------------------------------------------------------- campaigns


def _peer_group(campaigns: pd.DataFrame) -> pd.Series:
    if "kind" in campaigns and campaigns["kind"].notna().any():
        auto = (campaigns["automated"].fillna(False) if "automated" in campaigns
                else pd.Series(False, index=campaigns.index))
        kind = campaigns["kind"].astype("string").fillna("other")
        return kind.mask(auto.to_numpy(dtype=bool), "flow").astype(str)
    if "automated" in campaigns:
        return pd.Series(np.where(campaigns["automated"].fillna(False), "flow", "campaign"),
                         index=campaigns.index)
    return pd.Series("campaign", index=campaigns.index)


def campaign_metrics(outcomes: pd.DataFrame, campaigns: pd.DataFrame | None,
                     attributed: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per campaign or flow: sent, recipients, open / click / click-to-open /
    conversion rates with Wilson intervals, revenue per touch in the window with its
    interval, and (given attributed orders) last-touch attributed orders and revenue."""
    # Integer campaign codes over all rows (control rows get −1): the touches can be tens of
    # millions of rows, and filtering or grouping them by id strings copies and hashes them.
    sent = ~outcomes["control"].to_numpy(dtype=bool)
    camp, ids = pd.factorize(outcomes["campaign_id"], sort=True)
    camp = np.where(sent, camp, -1)

    def per_campaign(mask: np.ndarray | None = None, weights=None) -> np.ndarray:
        ok = camp >= 0 if mask is None else (camp >= 0) & mask
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        return np.bincount(camp[ok], weights=w, minlength=len(ids))

    n_sent = per_campaign()
    has = n_sent > 0  # campaigns with only holdout rows are not listed
    cust, _ = pd.factorize(outcomes["customer_id"])
    n_cust = int(cust.max()) + 1 if len(cust) else 1
    pair = (camp >= 0) & (cust >= 0)
    pairs = arrow.distinct(camp[pair].astype(np.int64) * n_cust + cust[pair])[0]  # (campaign, customer)
    opened = outcomes["opened"].to_numpy(dtype=bool)
    clicked = outcomes["clicked"].to_numpy(dtype=bool)
    out = pd.DataFrame({
        "sent": n_sent, "recipients": np.bincount(pairs // n_cust, minlength=len(ids)),
        "opened": per_campaign(opened), "clicked": per_campaign(clicked),
        "clicked_opened": per_campaign(opened & clicked),
    }, index=pd.Index(ids, name="campaign_id")).astype("int64")[has]
    if "converted" in outcomes:
        mature = outcomes["mature"].to_numpy(dtype=bool)
        out["mature"] = per_campaign(mature).astype("int64")[has]
        out["converted"] = per_campaign(
            mature & outcomes["converted"].to_numpy(dtype=bool)).astype("int64")[has]
        # Revenue per touch of each campaign's mature touches, in row order within a campaign.
        cm = np.where(mature, camp, -1)
        rows = np.argsort(cm, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(cm[cm >= 0], minlength=len(ids)))]
        rows = rows[len(cm) - bounds[-1]:]  # drop the −1 rows, sorted first
        revenue = outcomes["window_revenue"].to_numpy(dtype=float, na_value=np.nan)
        est = {}
        for i, c in enumerate(np.flatnonzero(np.diff(bounds) > 0)):
            est[ids[c]] = stats.bootstrap_ci(revenue[rows[bounds[c]:bounds[c + 1]]], seed=i)
        out["revenue_per_touch"] = [est[c].value if c in est else np.nan for c in out.index]
        out["rpt_low"] = [est[c].ci_low if c in est else np.nan for c in out.index]
        out["rpt_high"] = [est[c].ci_high if c in est else np.nan for c in out.index]
    for name, (x, n) in {**METRICS, "click_to_open": ("clicked_opened", "opened")}.items():
        if x not in out:
            continue
        p = stats.proportions(out[x], out[n])
        out[f"{name}_rate"], out[f"{name}_low"], out[f"{name}_high"] = (
            p["rate"], p["ci_low"], p["ci_high"])
    if attributed is not None:
        a = arrow.codes(attributed["campaign_id"], out.index)
        ok = (a >= 0) & attributed["by_touch"].to_numpy(dtype=bool)
        out["attributed_orders"] = np.bincount(a[ok], minlength=len(out))
        out["attributed_revenue"] = np.bincount(a[ok], minlength=len(out), weights=np.nan_to_num(
            attributed["revenue"].to_numpy(dtype=float, na_value=np.nan)[ok]))
    out.index.name = "campaign_id"
    out = out.reset_index()
    if campaigns is not None:
        info = campaigns.set_index("campaign_id")
        info = info.assign(peer_group=_peer_group(info).to_numpy())
        keep = [c for c in ["name", "kind", "channel", "automated", "promotion_id", "cost",
                            "peer_group"] if c in info]
        out = out.join(info[keep], on="campaign_id")
    if "peer_group" not in out:
        out["peer_group"] = "campaign"
    out["peer_group"] = out["peer_group"].fillna("unknown campaign")
    if "name" not in out:
        out["name"] = out["campaign_id"]
    out["name"] = out["name"].fillna(out["campaign_id"]).astype(str)
    return out


def _margin_test(x: np.ndarray, n: np.ndarray, xr: np.ndarray, nr: np.ndarray,
                 margin: float) -> np.ndarray:
    """One-sided p-value of H1: rate < (1 - margin) x rest rate. z-test on adjusted rates
    ((x + 1) / (n + 2), Agresti–Caffo style) so that 0 of 10 does not look certain."""
    p = (x + 1) / (n + 2)
    pr = (xr + 1) / (nr + 2)
    k = 1 - margin
    se = np.sqrt(p * (1 - p) / (n + 2) + k * k * pr * (1 - pr) / (nr + 2))
    z = (p - k * pr) / se
    return np.where((n > 0) & (nr > 0), sps.norm.cdf(z), np.nan)


def underperformers(metrics: pd.DataFrame, alpha: float = 0.05,
                    margin: float = MARGIN) -> pd.DataFrame:
    """Each campaign's open, click and conversion rate against its peers (the rest of its
    peer group, pooled). Per metric: the rest's rate, the two-sided test p-value, the
    one-sided margin test p-value (rate below (1 - margin) x the rest) and verdict:
    "under-performing" (margin test significant), "lower" / "higher" (significant, but not
    by the margin), or "not distinguishable". Benjamini–Hochberg runs over every test of
    the table at once (all campaigns x metrics). `flagged` lists the under-performing
    metrics. A campaign alone in its peer group gets "no peers"; one with n = 0, "no data".
    """
    out = metrics[["campaign_id", "name", "peer_group"]].copy()
    present = [m for m, (x, n) in METRICS.items() if x in metrics and n in metrics]
    if metrics.empty:
        present = []
    pieces = []
    for m in present:
        x_col, n_col = METRICS[m]
        x = metrics[x_col].to_numpy(dtype=float)
        n = metrics[n_col].to_numpy(dtype=float)
        grp = metrics["peer_group"].to_numpy()
        gx = pd.Series(x).groupby(grp).transform("sum").to_numpy()
        gn = pd.Series(n).groupby(grp).transform("sum").to_numpy()
        xr, nr = gx - x, gn - n
        # Each campaign against the rest of its peer group (two-sided); BH is redone below.
        groups = [np.asarray(i) for i in pd.Series(np.arange(len(x))).groupby(grp).groups.values()]
        rest = pd.concat([stats.compare_to_rest(pd.Series(x[i], index=i), pd.Series(n[i], index=i))
                          for i in groups]).sort_index()
        out[f"{m}_rest_rate"] = rest["rest_rate"].to_numpy()
        pieces.append(pd.DataFrame({
            "metric": m, "row": np.arange(len(out)), "n": n, "nr": nr,
            "diff": rest["difference"].to_numpy(), "p": rest["p_value"].to_numpy(),
            "p_margin": _margin_test(x, n, xr, nr, margin)}))
    if not pieces:
        out["flagged"] = ""
        return out
    allp = pd.concat(pieces, ignore_index=True)
    allp["q"] = stats.benjamini_hochberg(allp["p"].to_numpy(), alpha)["q_value"].to_numpy()
    allp["q_margin"] = stats.benjamini_hochberg(allp["p_margin"].to_numpy(), alpha)[
        "q_value"].to_numpy()
    sig, under = allp["q"] <= alpha, allp["q_margin"] <= alpha
    allp["verdict"] = np.select(
        [allp["n"] == 0, allp["nr"] == 0, under, sig & (allp["diff"] < 0),
         sig & (allp["diff"] > 0)],
        ["no data", "no peers", "under-performing", "lower", "higher"], "not distinguishable")
    for m in present:
        d = allp[allp["metric"] == m].set_index("row").reindex(np.arange(len(out)))
        out[f"{m}_p"] = d["p"].to_numpy()
        out[f"{m}_q"] = d["q"].to_numpy()
        out[f"{m}_q_margin"] = d["q_margin"].to_numpy()
        out[f"{m}_verdict"] = d["verdict"].to_numpy()
    flags = np.array([[v == "under-performing" for v in out[f"{m}_verdict"]] for m in present])
    out["flagged"] = [", ".join(m for m, f in zip(present, col, strict=True) if f)
                      for col in flags.T]
    return out


# --------------------------------------------------------------------------- guided sales


def _in_period(df: pd.DataFrame, col: str, start, end) -> pd.DataFrame:
    """The rows dated in the period; `df` itself when all are (filtering copies every column)."""
    lo, hi = period_bounds(start, end)
    inside = ((df[col] >= lo) & (df[col] < hi)).to_numpy(dtype=bool)
    return df if inside.all() else df[inside]


def guided_monthly(attributed: pd.DataFrame, start, end) -> pd.DataFrame:
    """Orders and revenue per month, guided vs spontaneous, over the period's months.

    revenue_per_day columns divide by the days of the month inside the period, so partial
    first and last months are comparable; guided_share is the share of orders guided, with
    its Wilson interval."""
    lo, hi = period_bounds(start, end)
    a = _in_period(attributed, "ordered_at", start, end)
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


# --------------------------------------------------------------------------- promotions


def _promotion_touches(outcomes: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Sent, mature touches of campaigns linked to a promotion, with their promotion_id."""
    if "promotion_id" not in campaigns or "converted" not in outcomes:
        return pd.DataFrame(columns=["promotion_id", "customer_id", "converted"])
    camp = campaigns.loc[campaigns["promotion_id"].notna(), ["campaign_id", "promotion_id"]]
    pos = arrow.codes(outcomes["campaign_id"], pd.Index(camp["campaign_id"]))
    keep = (pos >= 0) & (~outcomes["control"] & outcomes["mature"]).to_numpy(dtype=bool)
    s = outcomes.loc[keep, ["customer_id", "converted"]]  # filter the 2 columns only
    s.insert(0, "promotion_id", camp["promotion_id"].iloc[pos[keep]].array)
    return s


def _tagged(orders: pd.DataFrame | None, start, end) -> pd.DataFrame:
    """(promotion_id, customer_id) pairs of known customers' tagged orders in the period."""
    if orders is None or "promotion_id" not in orders:
        return pd.DataFrame(columns=["promotion_id", "customer_id"])
    o = _in_period(orders, "ordered_at", start, end)
    o = o[o["promotion_id"].notna() & o["customer_id"].notna()]
    return o[["promotion_id", "customer_id"]].drop_duplicates()


def promotion_conversion(outcomes: pd.DataFrame, campaigns: pd.DataFrame,
                         orders: pd.DataFrame | None, start, end,
                         promotions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per promotion: customers reached by its campaigns, how many bought within the window
    after a touch (rate, Wilson interval, each promotion against the rest with BH), and how
    many of the reached used it (an order carrying its promotion_id in the period).
    Ranked by conversion, best first."""
    pt = _promotion_touches(outcomes, campaigns)
    if pt.empty:
        return pd.DataFrame()
    # (promotion, customer) pairs as integer keys: promotion codes in id order x customers.
    promo, promos = pd.factorize(pt["promotion_id"], sort=True)
    cust, custs = pd.factorize(pt["customer_id"])
    n = max(len(custs), 1)
    key = promo.astype(np.int64) * n + cust
    pairs = arrow.distinct(key)[0]
    bought = np.isin(pairs, key[pt["converted"].to_numpy(dtype=bool)])
    tag = _tagged(orders, start, end)
    tp = arrow.codes(tag["promotion_id"], pd.Index(promos))
    tc = arrow.codes(tag["customer_id"], pd.Index(custs))
    redeemed = np.isin(pairs, tp[(tp >= 0) & (tc >= 0)] * n + tc[(tp >= 0) & (tc >= 0)])
    p_of = pairs // n
    g = pd.DataFrame({"reached": np.bincount(p_of, minlength=len(promos)),
                      "bought": np.bincount(p_of, weights=bought, minlength=len(promos)),
                      "redeemed": np.bincount(p_of, weights=redeemed, minlength=len(promos))},
                     index=pd.Index(promos, name="promotion_id")).astype("int64")
    r = stats.compare_to_rest(g["bought"], g["reached"])
    red = stats.proportions(g["redeemed"], g["reached"])
    out = pd.DataFrame({"reached": g["reached"], "bought": g["bought"], "rate": r["rate"],
                        "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                        "rest_rate": r["rest_rate"], "q_value": r["q_value"],
                        "verdict": r["verdict"], "redeemed": g["redeemed"],
                        "redeem_rate": red["rate"], "redeem_low": red["ci_low"],
                        "redeem_high": red["ci_high"]})
    out.index.name = "promotion_id"
    out = out.reset_index()
    if promotions is not None and "name" in promotions:
        out = out.merge(promotions[["promotion_id", "name"]], on="promotion_id", how="left")
    if "name" not in out:
        out["name"] = out["promotion_id"]
    out["name"] = out["name"].fillna(out["promotion_id"]).astype(str)
    out["label"] = out["promotion_id"].astype(str) + " " + out["name"]
    return out.sort_values(["rate", "promotion_id"], ascending=[False, True]).reset_index(drop=True)


RESPONDER_GROUPS = (N_("0 (reached, no response)"), "1", "2", "3+")


def promotion_responders(outcomes: pd.DataFrame | None, campaigns: pd.DataFrame | None,
                         orders: pd.DataFrame, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How many promotions each customer responded to, and what those customers are worth.

    A customer responded to a promotion when they bought within the window after one of its
    touches, or placed an order carrying its promotion_id in the period. The base is every
    customer reached by a promotion touch or with a tagged order. Returns the table per
    group (0, 1, 2, 3+ promotions, plus customers outside the base) with customers, share
    of the base (Wilson), period revenue, share of all period revenue, revenue per customer
    (bootstrap) — and the repeat responders (2+ promotions): customer_id, promotions.
    """
    pt = (_promotion_touches(outcomes, campaigns)
          if outcomes is not None and campaigns is not None else
          pd.DataFrame(columns=["promotion_id", "customer_id", "converted"]))
    tag = _tagged(orders, start, end)
    o = _in_period(orders, "ordered_at", start, end)
    total = float(o["revenue"].sum())
    # Customers as integer codes: those with an order in the period first (their revenue by
    # bincount, not by grouping millions of id strings), then those only reached.
    oc, ids = pd.factorize(o["customer_id"])
    ids, n_buyers = pd.Index(ids), len(ids)  # codes below n_buyers ordered in the period
    revenue = o["revenue"].to_numpy(dtype=float, na_value=np.nan)
    pc = arrow.codes(pt["customer_id"], ids)
    extra = pd.Index(pd.unique(pt["customer_id"][(pc < 0) & pt["customer_id"].notna().to_numpy()]))
    pc = np.where(pc >= 0, pc, len(ids) + arrow.codes(pt["customer_id"], extra))
    pc[pt["customer_id"].isna().to_numpy()] = -1
    tc = arrow.codes(tag["customer_id"], ids)  # tagged orders are period orders: all found
    ids = ids.append(extra)
    rev = np.bincount(oc[oc >= 0], weights=np.nan_to_num(revenue[oc >= 0]), minlength=len(ids))
    # The base in order of first appearance (reached, then tagged), as before the codes.
    both = np.r_[pc, tc]
    base = pd.unique(both[both >= 0])
    promos = pd.Index(pd.concat([pt["promotion_id"].drop_duplicates(),
                                 tag["promotion_id"].drop_duplicates()]).dropna().unique())
    promo = np.r_[arrow.codes(pt["promotion_id"], promos), arrow.codes(tag["promotion_id"], promos)]
    # Distinct (customer, promotion) responses, counted per customer.
    ok = np.r_[pt["converted"].to_numpy(dtype=bool), np.ones(len(tag), dtype=bool)] & (
        both >= 0) & (promo >= 0)
    pairs = arrow.distinct(both[ok] * max(len(promos), 1) + promo[ok])[0]
    n_resp = np.bincount(pairs // max(len(promos), 1), minlength=len(ids))
    count = n_resp[base]
    group = np.select([count == 0, count == 1, count == 2], [0, 1, 2], 3)
    in_base = np.zeros(len(ids), dtype=bool)
    in_base[base] = True
    outside = np.flatnonzero(~in_base[:n_buyers])  # bought in the period, never reached
    outside = outside[np.argsort(ids[outside])]  # by id, as before the codes
    rows = []
    for i, grp in enumerate((*RESPONDER_GROUPS, N_("not reached by any promotion"))):
        codes = outside if i == len(RESPONDER_GROUPS) else base[group == i]
        per = rev[codes]
        est = stats.bootstrap_ci(per, seed=i)
        rows.append({"group": grp, "customers": len(codes), "revenue": float(per.sum()),
                     "revenue_per_customer": est.value, "rpc_low": est.ci_low,
                     "rpc_high": est.ci_high})
    out = pd.DataFrame(rows)
    listed = out["group"].isin(RESPONDER_GROUPS)
    p = stats.proportions(out["customers"].where(listed, 0), np.where(listed, len(base), 0))
    out["share_of_base"], out["sob_low"], out["sob_high"] = p["rate"], p["ci_low"], p["ci_high"]
    out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
    repeat = pd.DataFrame({"customer_id": ids[base[count >= 2]], "promotions": count[count >= 2]})
    return out, repeat.sort_values("customer_id").reset_index(drop=True)


# --------------------------------------------------------------------------- uplift


def holdout_uplift(outcomes: pd.DataFrame, campaigns: pd.DataFrame | None = None,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Per campaign with a randomized holdout (mature touches of both groups): conversion in
    the window for treatment and control, their difference (Newcombe interval, z-test),
    revenue and orders per customer in the window and their differences (bootstrap), and
    the incremental orders and revenue over the treated (difference x treated)."""
    if "group" not in outcomes or "converted" not in outcomes:
        return pd.DataFrame()
    m = outcomes[outcomes["mature"] & outcomes["group"].isin(["treatment", "control"])]
    rows = []
    for cid, d in m.groupby("campaign_id", sort=True):
        t, c = d[d["group"] == "treatment"], d[d["group"] == "control"]
        if t.empty or c.empty:
            continue
        test = stats.two_proportion_test(int(t["converted"].sum()), len(t),
                                         int(c["converted"].sum()), len(c), alpha=alpha)
        rev = stats.bootstrap_diff_ci(t["window_revenue"], c["window_revenue"])
        ords = stats.bootstrap_diff_ci(t["window_orders"], c["window_orders"], seed=1)
        nt = len(t)
        rows.append({
            "campaign_id": cid, "treated": nt, "control": len(c),
            "treatment_rate": test.rate1, "control_rate": test.rate2,
            "uplift": test.difference, "uplift_low": test.ci_low, "uplift_high": test.ci_high,
            "p_value": test.p_value,
            "treatment_revenue_per_customer": float(t["window_revenue"].mean()),
            "control_revenue_per_customer": float(c["window_revenue"].mean()),
            "revenue_diff": rev.value, "revenue_diff_low": rev.ci_low,
            "revenue_diff_high": rev.ci_high,
            "incremental_orders": ords.value * nt, "incr_orders_low": ords.ci_low * nt,
            "incr_orders_high": ords.ci_high * nt,
            "incremental_revenue": rev.value * nt, "incr_revenue_low": rev.ci_low * nt,
            "incr_revenue_high": rev.ci_high * nt,
        })
    out = pd.DataFrame(rows)
    if not out.empty and campaigns is not None:
        keep = [c for c in ["name", "promotion_id", "sent_at"] if c in campaigns]
        out = out.merge(campaigns[["campaign_id", *keep]], on="campaign_id", how="left")
    return out


# --------------------------------------------------------------------------- frequency


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
    sent = _sent_mask(touches) & cid.notna().to_numpy()
    t_ns = _ns(touches["sent_at"])
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
        o_ns = _ns(orders["ordered_at"])
        first_ns = np.minimum(first_ns, earliest(oc, o_ns))
        inside = (oc >= 0) & (o_ns >= lo.value) & (o_ns < hi.value)
        okey = arrow.distinct(oc[inside] * k + month_idx(o_ns[inside]))[0]
    start_m = np.clip(month_idx(first_ns), 0, k - 1)
    # Sparse: only (customer, month) cells with a touch or an order are built; a customer's
    # first event precedes their touches and orders, so those cells are all live.
    cells, per_cell = arrow.distinct(tcode[in_p] * k + month_idx(t_ns[in_p]))  # touches per cell
    live = np.bincount(start_m, minlength=k).cumsum()  # customers live in each month
    total = int(live.sum())
    band_t = _band(per_cell)
    bought_t = np.isin(cells, okey)
    cnt = pd.Series(np.bincount(band_t, minlength=len(BANDS)), index=list(BANDS))
    cnt[BANDS[0]] = total - len(cells)
    share = stats.proportions(cnt, pd.Series(total, index=cnt.index))
    bands = pd.DataFrame({"band": BANDS, "customer_months": cnt.to_numpy(),
                          "share": share["rate"].to_numpy(), "share_low": share["ci_low"].to_numpy(),
                          "share_high": share["ci_high"].to_numpy()})
    if has_orders:
        b = pd.Series(np.bincount(band_t, weights=bought_t, minlength=len(BANDS)).astype(
            np.int64), index=list(BANDS))
        b[BANDS[0]] = len(okey) - int(bought_t.sum())
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
    return bands, monthly


# --------------------------------------------------------------------------- everything


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
        touches = _in_period(touches, "sent_at", start, end)
    outcomes = metrics = under = attributed = monthly = trend = None
    promos = responders = repeat = uplift = bands = freq = None
    if touches is not None:
        outcomes = touch_outcomes(touches, orders, window_days)
    if orders is not None:
        attributed = attribute_orders(_in_period(orders, "ordered_at", start, end),
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


# --------------------------------------------------------------------------- findings


def _rate(r, col: str, n: str) -> str:
    return fmt.rate_ci(getattr(r, f"{col}_rate"), getattr(r, f"{col}_low"),
                       getattr(r, f"{col}_high"), int(getattr(r, n)))


def underperformer_money(res: FlowsResult, campaign_id: str) -> float | None:
    """Revenue per year if the campaign earned its peers' revenue per touch in the window
    (its touches per year x the gap). An estimate of what is at stake, not a promise."""
    m = res.metrics
    if m is None or "revenue_per_touch" not in m:
        return None
    r = m.set_index("campaign_id").loc[campaign_id]
    peers = m[(m["peer_group"] == r["peer_group"]) & (m["campaign_id"] != campaign_id)]
    w = peers["mature"].to_numpy(dtype=float)
    if w.sum() == 0 or not np.isfinite(r["revenue_per_touch"]):
        return None
    peer_rpt = float(np.nansum(peers["revenue_per_touch"].to_numpy() * w) / w.sum())
    gap = peer_rpt - float(r["revenue_per_touch"])
    return float(gap * r["sent"] / res.years) if gap > 0 else None


def findings(res: FlowsResult, currency: str = "EUR") -> list[dict]:
    """The page's findings, as keyword arguments for `FindingsLog.record`."""
    out: list[dict] = []
    if res.under is not None and res.metrics is not None:
        m = res.metrics.set_index("campaign_id")
        u = res.under[res.under["flagged"] != ""].set_index("campaign_id")
        worst = []
        for cid, row in u.iterrows():
            metric = row["flagged"].split(", ")[0]
            r = m.loc[cid]
            worst.append((r[f"{metric}_rate"] / row[f"{metric}_rest_rate"]
                          if row[f"{metric}_rest_rate"] > 0 else 0.0, cid, metric))
        for ratio, cid, metric in sorted(worst)[:3]:
            r, row = m.loc[cid], u.loc[cid]
            money = underperformer_money(res, cid)
            n_col = METRICS[metric][1]
            out.append(dict(
                key=f"underperformer-{cid}",
                sentence=_("{name} ({peers}) under-performs on {flagged}: its {rate_name} is "
                           "{rate} against {peer_rate} for its peers (credibly more than "
                           "{margin} below, Benjamini–Hochberg {q}).",
                           name=r["name"], peers=label(r["peer_group"]),
                           flagged=flagged_label(row["flagged"]),
                           rate_name=_(RATE_LABELS[metric]),
                           rate=fmt.rate_ci(r[f"{metric}_rate"], r[f"{metric}_low"],
                                            r[f"{metric}_high"], int(r[n_col])),
                           peer_rate=fmt.pct(row[f"{metric}_rest_rate"]),
                           margin=fmt.pct(MARGIN, 0),
                           q=fmt.pvalue(row[f"{metric}_q_margin"]).replace("p", "q", 1)),
                action=_(ACTIONS[metric], name=r["name"]),
                metric=_(RATE_LABELS[metric]), value=float(r[f"{metric}_rate"]),
                ci_low=float(r[f"{metric}_low"]), ci_high=float(r[f"{metric}_high"]),
                n=int(r[n_col]), unit="rate",
                comparison=_("peers ({peers}) {rate}", peers=label(r["peer_group"]),
                             rate=fmt.pct(row[f"{metric}_rest_rate"])),
                money_per_year=money, severity="high" if ratio < 0.5 else "medium",
                anchor="underperformers",
                extra={"campaign_id": cid, "flagged": row["flagged"], "rate_ratio": float(ratio),
                       "money_rule": "touches per year x (peers' revenue per touch - its own)"},
            ))
    if res.uplift is not None and not res.uplift.empty:
        for r in res.uplift.itertuples():
            sig = r.p_value < 0.05
            name = getattr(r, "name", r.campaign_id)
            out.append(dict(
                key=f"holdout-uplift-{r.campaign_id}",
                sentence=_("Against its randomized holdout, {name} raised purchase within "
                           "{days} days from {control} to {treated}: {uplift} points (95% CI "
                           "{low} to {high}, {p}), about {revenue} of incremental revenue "
                           "({revenue_low} to {revenue_high}).",
                           name=name, days=days(res.window_days),
                           control=fmt.pct(r.control_rate), treated=fmt.pct(r.treatment_rate),
                           uplift=fmt.signed(100 * r.uplift), low=fmt.signed(100 * r.uplift_low),
                           high=fmt.signed(100 * r.uplift_high), p=fmt.pvalue(r.p_value),
                           revenue=fmt.money(r.incremental_revenue, currency),
                           revenue_low=fmt.money(r.incr_revenue_low, currency),
                           revenue_high=fmt.money(r.incr_revenue_high, currency)),
                action=(_("Keep this campaign and keep a holdout on every promotion, so its "
                          "effect stays measured.") if sig and r.uplift > 0 else
                        _("Its effect is not distinguishable from zero: rethink the offer before "
                          "sending it again, and keep the holdout.")),
                metric=_("uplift in purchase rate"), value=float(r.uplift),
                ci_low=float(r.uplift_low), ci_high=float(r.uplift_high),
                n=int(r.treated + r.control), unit="rate",
                comparison=_("control {rate} (n = {n})", rate=fmt.pct(r.control_rate),
                             n=fmt.count(r.control)),
                money_per_year=float(r.incremental_revenue / res.years) if sig else None,
                severity="high" if sig else "medium", anchor="uplift",
                extra={"incremental_orders": float(r.incremental_orders),
                       "incremental_revenue": float(r.incremental_revenue),
                       "incremental_revenue_ci": [float(r.incr_revenue_low),
                                                  float(r.incr_revenue_high)]},
            ))
    if res.metrics is not None and "converted" in (res.outcomes if res.outcomes is not None else {}):
        n_hold = 0 if res.uplift is None else len(res.uplift)
        n_camp = len(res.metrics)
        if n_hold < n_camp:
            out.append(dict(
                key="no-holdout",
                sentence=_("{missing} of {total} campaigns and flows have no randomized "
                           "holdout, so the revenue attributed to them is not causal: part of it "
                           "would have come anyway.",
                           missing=fmt.count(n_camp - n_hold), total=fmt.count(n_camp)),
                action=_("Hold out a random 10–15% of recipients on every flow and campaign for "
                         "a few sends; measure uplift, not attributed revenue."),
                metric=_("campaigns without a holdout"), value=float(n_camp - n_hold),
                n=n_camp, unit="count", comparison=_("every campaign"), severity="medium",
                anchor="uplift"))
    if res.monthly is not None and res.attributed is not None:
        mo = res.monthly
        gs = stats.proportions(int(mo["guided_orders"].sum()), int(mo["orders"].sum()))
        g_rev = float(mo["guided_revenue"].sum())
        tot = float(mo["revenue"].sum())
        tr = res.trend
        trend_txt = ""
        severity = "info"
        if tr is not None and np.isfinite(tr.growth_per_year):
            grows = tr.ci_low > 0
            falls = tr.ci_high < 0
            trend_txt = " " + _(
                "Spontaneous revenue per day changes by {growth} a year (95% CI {low} to "
                "{high}): {verdict}",
                growth=fmt.signed(tr.growth_per_year, 0, pct=True),
                low=fmt.signed(tr.growth_low, 0, pct=True), high=fmt.signed(tr.growth_high, 0, pct=True),
                verdict=(_("it grows on its own.") if grows else _("it is falling.") if falls
                         else _("no trend is distinguishable.")))
            severity = "medium" if falls else "info"
        out.append(dict(
            key="guided-share",
            sentence=_("{share} of orders were guided (a promotion or a touch in the previous "
                       "{days} days), carrying {revenue_share} of revenue.",
                       share=fmt.rate_ci(gs["rate"].iloc[0], gs["ci_low"].iloc[0],
                                         gs["ci_high"].iloc[0], int(mo["orders"].sum())),
                       days=days(res.window_days),
                       revenue_share=fmt.pct(g_rev / tot if tot else np.nan)) + trend_txt,
            action=_("Record every day which sales a promotion or message guided; judge "
                     "promotions by the uplift they add, not by the guided revenue they touch."),
            metric=_("share of orders guided"), value=float(gs["rate"].iloc[0]),
            ci_low=float(gs["ci_low"].iloc[0]), ci_high=float(gs["ci_high"].iloc[0]),
            n=int(mo["orders"].sum()), unit="rate", comparison=_("spontaneous orders"),
            severity=severity, anchor="guided-sales",
            extra={"guided_revenue": g_rev, "total_revenue": tot,
                   "spontaneous_growth_per_year": None if tr is None else tr.growth_per_year}))
    if res.promotions is not None and len(res.promotions) > 1:
        p = res.promotions
        best, worst = p.iloc[0], p.iloc[-1]
        out.append(dict(
            key="promotion-conversion",
            sentence=_("Of the customers each promotion reached, {best} converted {best_rate} "
                       "within {days} days, {worst} only {worst_rate}.",
                       best=best["label"], worst=worst["label"], days=days(res.window_days),
                       best_rate=fmt.rate_ci(best["rate"], best["ci_low"], best["ci_high"],
                                             int(best["reached"])),
                       worst_rate=fmt.rate_ci(worst["rate"], worst["ci_low"], worst["ci_high"],
                                              int(worst["reached"]))),
            action=_("Reuse what worked in {best}; reconsider the audience and offer of "
                     "{worst}. Reached-and-bought is not causal: compare with a holdout.",
                     best=best["name"], worst=worst["name"]),
            metric=_("promotion conversion (reached → bought)"), value=float(worst["rate"]),
            ci_low=float(worst["ci_low"]), ci_high=float(worst["ci_high"]),
            n=int(worst["reached"]), unit="rate",
            comparison=f"{best['label']} {fmt.pct(best['rate'])}", severity="info",
            anchor="promotion-conversion"))
    if res.responders is not None and res.repeat_responders is not None:
        r = res.responders.set_index("group")
        rep = r.loc[["2", "3+"]]
        n_rep = int(rep["customers"].sum())
        base = int(r.loc[list(RESPONDER_GROUPS), "customers"].sum())
        if base and n_rep:
            sh = stats.proportions(n_rep, base)
            out.append(dict(
                key="repeat-responders",
                sentence=_("{n} customers ({share} of those reached) responded to two or more "
                           "promotions and carry {revenue_share} of the period's revenue.",
                           n=fmt.count(n_rep),
                           share=fmt.rate_ci(sh["rate"].iloc[0], sh["ci_low"].iloc[0],
                                             sh["ci_high"].iloc[0], base),
                           revenue_share=fmt.pct(rep["revenue_share"].sum())),
                action=_("Treat repeat responders as a segment: early access and loyalty "
                         "offers, and use them to test new promotions (the list is on the page)."),
                metric=_("share of reached customers responding to 2+ promotions"),
                value=float(sh["rate"].iloc[0]), ci_low=float(sh["ci_low"].iloc[0]),
                ci_high=float(sh["ci_high"].iloc[0]), n=base, unit="rate",
                comparison=_("customers reached by promotions"), severity="info",
                anchor="responders",
                extra={"revenue_share": float(rep["revenue_share"].sum())}))
    if res.bands is not None and "rate" in res.bands:
        b = res.bands.set_index("band")
        rare = float(b.loc[BANDS[0], "share"])
        # Compare untouched months with the most frequent band that actually occurs.
        seen = [band for band in BANDS[1:] if band in b.index and pd.notna(b.loc[band, "rate"])]
        compared = (_("customers touched {band} bought in {rate} of months against "
                      "{untouched} untouched", band=label(seen[-1]),
                      rate=fmt.pct(b.loc[seen[-1], "rate"]),
                      untouched=fmt.pct(b.loc[BANDS[0], "rate"]))
                    if seen else _("no customer was touched often enough to compare"))
        out.append(dict(
            key="touch-frequency",
            sentence=_("In {share} of customer-months a marketable customer got no touch at "
                       "all; {compared} (correlational, not causal).",
                       share=fmt.rate_ci(rare, b.loc[BANDS[0], "share_low"],
                                         b.loc[BANDS[0], "share_high"],
                                         int(b["customer_months"].sum())),
                       compared=compared),
            action=_("Touch every marketable customer at least monthly, and test weekly "
                     "against monthly with a randomized split before making it the rule."),
            metric=_("customer-months without a touch"), value=rare,
            ci_low=float(b.loc[BANDS[0], "share_low"]), ci_high=float(b.loc[BANDS[0], "share_high"]),
            n=int(b["customer_months"].sum()), unit="rate",
            comparison=_("seed 002: touch at least monthly, better weekly"),
            severity="low", anchor="touch-frequency"))
    return out


# --------------------------------------------------------------------------- display tables

# Verdicts, metric and peer-group names stay English in the data (code compares them); the
# reader sees them through label() and flagged_label().
VERDICTS = (N_("no data"), N_("no peers"), N_("under-performing"), N_("lower"), N_("higher"),
            N_("not distinguishable"))
PEER_GROUPS = (N_("flow"), N_("campaign"), N_("other"), N_("promotion"), N_("newsletter"),
               N_("content"))
METRIC_LABELS = {"open": N_("open"), "click": N_("click"), "conversion": N_("conversion")}
RATE_LABELS = {"open": N_("open rate"), "click": N_("click rate"),
               "conversion": N_("conversion rate")}


def flagged_label(flagged: str) -> str:
    """'open, click' (the `flagged` column) in the report's language."""
    return ", ".join(_(METRIC_LABELS.get(m, m)) for m in flagged.split(", ")) if flagged else ""


def days(x) -> str:
    """A number of days as `{x:g}` would write it, in the report's locale."""
    return fmt.number(x, 0 if float(x).is_integer() else 1)


def _rates(df: pd.DataFrame, prefix: str, n: str) -> list[str]:
    return [fmt.rate_ci(r[f"{prefix}_rate"], r[f"{prefix}_low"], r[f"{prefix}_high"], int(r[n]))
            for _, r in df.iterrows()]


def _ci(df: pd.DataFrame, prefix: str) -> list[str]:
    """'44.3% (42.6%–45.9%)': the rate and its interval; the n is in its own column."""
    return [fmt.rate_ci(r[f"{prefix}_rate"], r[f"{prefix}_low"], r[f"{prefix}_high"])
            for _, r in df.iterrows()]


def campaign_table(res: FlowsResult, part: str = "engagement",
                   currency: str = "EUR") -> pd.DataFrame:
    """Per campaign and flow, formatted, with each rate's verdict against its peers.

    part="engagement": open, click and click-to-open rates (n = touches sent);
    part="purchases": conversion (n = touches with a full window), revenue per touch in
    the window with its interval, last-touch attributed orders and revenue.
    """
    m = res.metrics.merge(res.under.drop(columns=["name", "peer_group"]), on="campaign_id")
    out = pd.DataFrame({_("campaign"): m["campaign_id"] + " " + m["name"],
                        _("peers"): m["peer_group"].map(label)})
    if part == "engagement":
        out[_("touches sent (n)")] = m["sent"].map(fmt.count)
        out[_("recipients")] = m["recipients"].map(fmt.count)
        out[_("open rate (95% CI)")] = _ci(m, "open")
        out[_("open vs peers")] = m["open_verdict"].map(label)
        out[_("click rate (95% CI)")] = _ci(m, "click")
        out[_("click vs peers")] = m["click_verdict"].map(label)
        out[_("click-to-open (95% CI, n = opened)")] = _rates(m, "click_to_open", "opened")
    elif "conversion_rate" in m:
        out[_("touches with a full window (n)")] = m["mature"].map(fmt.count)
        out[_("conversion (95% CI)")] = _ci(m, "conversion")
        out[_("conversion vs peers")] = m["conversion_verdict"].map(label)
        out[_("revenue per touch, {currency} (95% CI)", currency=currency)] = [
            f"{fmt.number(r.revenue_per_touch, 2)} ({fmt.number(r.rpt_low, 2)}–"
            f"{fmt.number(r.rpt_high, 2)})" for r in m.itertuples()]
        out[_("attributed orders")] = m["attributed_orders"].map(fmt.count)
        out[_("attributed revenue")] = [fmt.money(v, currency) for v in m["attributed_revenue"]]
    out[_("under-performs on")] = m["flagged"].map(flagged_label).replace("", "–")
    return out


def promotion_table(p: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        _("promotion"): p["label"], _("reached"): p["reached"].map(fmt.count),
        _("bought within the window"): [fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.reached))
                                        for r in p.itertuples()],
        _("vs the other promotions"): p["verdict"].map(label),
        _("used it (tagged order)"): [fmt.rate_ci(r.redeem_rate, r.redeem_low, r.redeem_high)
                                      for r in p.itertuples()]})


def responder_table(r: pd.DataFrame, currency: str = "EUR") -> pd.DataFrame:
    return pd.DataFrame({
        _("promotions responded to"): r["group"].map(label),
        _("customers"): r["customers"].map(fmt.count),
        _("share of customers reached"): [fmt.rate_ci(x.share_of_base, x.sob_low, x.sob_high)
                                          if pd.notna(x.share_of_base) else "–"
                                          for x in r.itertuples()],
        _("revenue in the period"): [fmt.money(v, currency) for v in r["revenue"]],
        _("share of all revenue"): r["revenue_share"].map(fmt.pct),
        _("revenue per customer (95% CI)"): [
            f"{fmt.money(x.revenue_per_customer, currency)} ({fmt.money(x.rpc_low, currency)}–"
            f"{fmt.money(x.rpc_high, currency)})" for x in r.itertuples()]})


def uplift_table(u: pd.DataFrame, currency: str = "EUR") -> pd.DataFrame:
    def m(v):
        return fmt.money(v, currency)

    return pd.DataFrame({
        _("campaign"): u["campaign_id"] + " " + u.get("name", u["campaign_id"]).fillna(""),
        _("treated / control"): [f"{fmt.count(r.treated)} / {fmt.count(r.control)}"
                                 for r in u.itertuples()],
        _("purchase rate treated / control"): [
            f"{fmt.pct(r.treatment_rate)} / {fmt.pct(r.control_rate)}" for r in u.itertuples()],
        _("uplift (95% CI)"): [_("{uplift} pts ({low} to {high})", uplift=fmt.signed(100 * r.uplift),
                                 low=fmt.signed(100 * r.uplift_low), high=fmt.signed(100 * r.uplift_high))
                               for r in u.itertuples()],
        _("p-value"): u["p_value"].map(fmt.sig),
        _("revenue per customer treated / control"): [
            f"{fmt.money(r.treatment_revenue_per_customer, currency, 2)} / "
            f"{fmt.money(r.control_revenue_per_customer, currency, 2)}" for r in u.itertuples()],
        _("incremental orders (95% CI)"): [
            f"{fmt.number(r.incremental_orders, 0)} ({fmt.number(r.incr_orders_low, 0)}–"
            f"{fmt.number(r.incr_orders_high, 0)})" for r in u.itertuples()],
        _("incremental revenue (95% CI)"): [
            f"{m(r.incremental_revenue)} ({m(r.incr_revenue_low)}–{m(r.incr_revenue_high)})"
            for r in u.itertuples()]})


def bands_table(b: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({_("touches in the month"): b["band"].map(label),
                        _("customer-months"): b["customer_months"].map(fmt.count),
                        _("share of customer-months"): [
                            fmt.rate_ci(r.share, r.share_low, r.share_high)
                            for r in b.itertuples()]})
    if "rate" in b:
        out[_("bought in the month")] = [
            fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.customer_months))
            for r in b.itertuples()]
        out[_("difference vs no touch")] = [
            "–" if pd.isna(r.diff_vs_none) else
            _("{diff} pts ({low} to {high}, {p})", diff=fmt.signed(100 * r.diff_vs_none),
              low=fmt.signed(100 * r.diff_low), high=fmt.signed(100 * r.diff_high),
              p=fmt.pvalue(r.p_value)) for r in b.itertuples()]
    return out
