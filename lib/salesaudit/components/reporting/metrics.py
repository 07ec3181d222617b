"""Customer-base metrics for the reporting page: one-time vs repeat buyers, purchases per
customer, KPIs with intervals, cohorts, RFM, broken purchase rhythm, loyalty card.

Rules used throughout (stated in the notebook too):
- An order counts as a purchase whatever its status (a returned or cancelled order still shows
  the customer came back); revenue counts completed orders only (returned and cancelled orders
  bring none). Orders without status count as completed. Anonymous orders (no customer id)
  count in the average ticket but in no per-customer metric.
- Per-customer metrics use the orders of the audited period; cohorts, repeat rates and
  rhythms use all the order history given.
- A customer is *new* in the month of their first order in the data, unless
  customers.first_seen_at says they were known before the order data starts (their first
  order in the data is then not their first purchase).
- Money intervals are percentile bootstraps that resample customers (a customer's orders are
  not independent of each other); rates have Wilson intervals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from salesaudit import arrow, fmt
from salesaudit.i18n import N_, _
from salesaudit.methods import clv, stats

N_BOOT = 1000
BANDS = [str(i) for i in range(1, 10)] + ["10+"]

# --------------------------------------------------------------------------- preparation


# The orders columns this module reads (a notebook reads only these: a large client's orders
# with every column are gigabytes), and those it keeps next to the derived `kept` and `net`
# (the metrics filter and copy orders many times).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "status", "cost", "loyalty_card")
USED_COLUMNS = ("customer_id", "ordered_at", "cost", "loyalty_card")


def prepare(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders columns this module uses, with `net` (revenue of completed orders, else 0)
    and `kept` (completed); customer_id becomes a categorical with sorted categories, so every
    metric groups by its integer codes (hashing and sorting ten million id strings in each
    metric was most of their time). Already prepared orders are returned as they are: prepare
    once and pass the result to every metric."""
    if "net" in orders and "kept" in orders:
        return orders
    if "status" in orders:
        # Lower-case the few distinct statuses, not ten million strings.
        codes, statuses = pd.factorize(orders["status"].astype("string"))
        completed = np.flatnonzero(pd.Index(statuses).str.lower() == "completed")
        kept = (codes == -1) | np.isin(codes, completed)
    else:
        kept = np.ones(len(orders), dtype=bool)
    net = np.where(kept, orders["revenue"].to_numpy(dtype=float, na_value=0.0), 0.0)
    codes, ids = arrow.sorted_codes(orders["customer_id"])
    customer = pd.Categorical.from_codes(codes.astype(np.int32), categories=ids)
    # Selecting columns shares their data (copy-on-write); only these three are new.
    return orders[[c for c in USED_COLUMNS if c in orders]].assign(
        customer_id=customer, kept=kept, net=net)


def as_of_date(orders: pd.DataFrame, period_end) -> pd.Timestamp:
    """The date customers are observed at: the end of the period's last day, or the last
    order if the data stop earlier."""
    end = pd.Timestamp(period_end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    last = orders["ordered_at"].max()
    return min(end, last) if pd.notna(last) else end


def in_period(orders: pd.DataFrame, start, end) -> pd.DataFrame:
    """The orders of the period; `orders` itself when all are (filtering copies every column)."""
    t = orders["ordered_at"]
    inside = ((t >= pd.Timestamp(start)) & (t < pd.Timestamp(end) + pd.Timedelta(days=1))).to_numpy(dtype=bool)
    return orders if inside.all() else orders[inside]


def known(orders: pd.DataFrame) -> pd.DataFrame:
    return orders[orders["customer_id"].notna()]


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..n-1 of the customer ids present, numbered in sorted id order
    (grouping by code then gives the same order as grouping by id), -1 when missing; and the
    ids, indexed by code."""
    codes, uniques = arrow.sorted_codes(ids)
    return codes, uniques.rename("customer_id")


def per_customer(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per known customer: orders (any status), kept orders, net revenue, first, last."""
    o = known(prepare(orders))
    codes, ids = customer_codes(o["customer_id"])
    g = pd.DataFrame({"kept": o["kept"].to_numpy(), "net": o["net"].to_numpy(),
                      "t": o["ordered_at"].to_numpy()}).groupby(codes, sort=True)
    return pd.DataFrame({
        "orders": g.size().to_numpy(),
        "kept_orders": g["kept"].sum().to_numpy(),
        "revenue": g["net"].sum().to_numpy(),
        "first": g["t"].min().to_numpy(),
        "last": g["t"].max().to_numpy(),
    }, index=ids)


def _ratio_ci(num, den, n_boot: int = N_BOOT, seed: int = 0) -> stats.Estimate:
    """sum(num) / sum(den) with a bootstrap interval resampling the rows (clusters)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if len(num) == 0 or den.sum() == 0:
        return stats.Estimate(np.nan, np.nan, np.nan, len(num))
    if len(num) > stats.LARGE_N:
        return stats.ratio_ci(num, den)

    def ratio(a: np.ndarray) -> np.ndarray:
        i = a.astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num[i].sum(axis=1) / den[i].sum(axis=1)

    return stats.bootstrap_ci(np.arange(len(num)), statistic=ratio, n_boot=n_boot, seed=seed)


def _ratio_diff_ci(num_a, den_a, num_b, den_b, n_boot: int = N_BOOT,
                   seed: int = 0) -> stats.Estimate:
    """sum(num_a)/sum(den_a) − sum(num_b)/sum(den_b), all arrays over the same clusters
    (customers), with a bootstrap interval resampling clusters."""
    arrs = [np.asarray(x, dtype=float) for x in (num_a, den_a, num_b, den_b)]
    if len(arrs[0]) == 0 or arrs[1].sum() == 0 or arrs[3].sum() == 0:
        return stats.Estimate(np.nan, np.nan, np.nan, len(arrs[0]))
    if len(arrs[0]) > stats.LARGE_N:
        return stats.ratio_diff_ci(*arrs)

    def diff(a: np.ndarray) -> np.ndarray:
        i = a.astype(np.int64)
        s = [x[i].sum(axis=1) for x in arrs]
        with np.errstate(invalid="ignore", divide="ignore"):
            return s[0] / s[1] - s[2] / s[3]

    return stats.bootstrap_ci(np.arange(len(arrs[0])), statistic=diff, n_boot=n_boot, seed=seed)


def _clusters(o: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Cluster per order: the customer's code (as `customer_codes`), or a code of its own
    after the customers' when the order is anonymous; and the customer ids by code."""
    codes, ids = customer_codes(o["customer_id"])
    anon = codes < 0
    codes[anon] = len(ids) + np.arange(int(anon.sum()))
    return codes, ids


def _cluster_sums(clusters: np.ndarray, **columns) -> pd.DataFrame:
    """Per cluster (codes 0..n-1, as `_clusters` gives) the sum of each column: bincounts, not
    a frame of ten million rows grouped."""
    n = int(clusters.max()) + 1 if len(clusters) else 0
    return pd.DataFrame({name: np.bincount(clusters, weights=np.asarray(v, dtype=float), minlength=n)
                         for name, v in columns.items()})


# --------------------------------------------------------------------------- one-time vs repeat


@dataclass(frozen=True)
class BuyerSplit:
    groups: pd.DataFrame  # group, customers, share (+CI), revenue, revenue_share (+CI)
    bands: pd.DataFrame  # band 1..9, 10+: customers, share (+CI), revenue, revenue_share
    one_time: stats.Estimate  # share of customers who bought once
    customers: int
    revenue: float


def buyer_split(orders: pd.DataFrame, start, end, seed: int = 0) -> BuyerSplit:
    """Customers who bought once vs more than once in the period, and purchase-count bands."""
    pc = per_customer(in_period(prepare(orders), start, end))
    n, total = len(pc), float(pc["revenue"].sum())
    once = (pc["orders"] == 1).to_numpy()
    rev = pc["revenue"].to_numpy()
    rows = []
    for label, m in [(N_("bought once"), once), (N_("bought more than once"), ~once)]:
        share = stats.proportions([int(m.sum())], [n]).iloc[0]
        rs = _ratio_ci(rev * m, rev, seed=seed)
        rows.append({"group": label, "customers": int(m.sum()), "share": share["rate"],
                     "share_low": share["ci_low"], "share_high": share["ci_high"],
                     "revenue": float(rev[m].sum()), "revenue_share": rs.value,
                     "revenue_share_low": rs.ci_low, "revenue_share_high": rs.ci_high,
                     "revenue_per_customer": float(rev[m].mean()) if m.any() else np.nan})
    groups = pd.DataFrame(rows)

    band = np.minimum(pc["orders"].to_numpy(), 10)
    counts = np.bincount(band, minlength=11)[1:]
    revs = np.bincount(band, weights=rev, minlength=11)[1:]
    p = stats.proportions(counts, np.full(10, n))
    bands = pd.DataFrame({
        "band": BANDS, "customers": counts, "share": p["rate"].to_numpy(),
        "share_low": p["ci_low"].to_numpy(), "share_high": p["ci_high"].to_numpy(),
        "revenue": revs, "revenue_share": revs / total if total else np.nan,
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        bands["revenue_per_customer"] = revs / counts
    first = groups.iloc[0]
    return BuyerSplit(groups, bands,
                      stats.Estimate(first["share"], first["share_low"], first["share_high"], n),
                      n, total)


# --------------------------------------------------------------------------- KPIs


def first_orders(orders: pd.DataFrame, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per known customer: first and second order time (any status) and whether the first
    order in the data is their acquisition (`is_new`, see the module rules)."""
    k = known(orders)
    # Integer customer codes sorted by id, then a stable sort by (code, time): sorting ten
    # million id strings directly is what made this slow.
    codes, ids = customer_codes(k["customer_id"])
    t = k["ordered_at"].to_numpy()
    order = np.lexsort((t, codes))
    c, t = codes[order], t[order]
    starts = arrow.run_starts(c)
    has_second = np.diff(np.r_[starts, len(c)]) > 1
    second = np.full(len(starts), np.datetime64("NaT"), dtype=t.dtype)
    second[has_second] = t[starts[has_second] + 1]
    out = pd.DataFrame({"first_order_at": t[starts], "second_order_at": second},
                       index=pd.Index(ids, name="customer_id"))
    out["is_new"] = True
    if customers is not None and "first_seen_at" in customers:
        data_start = orders["ordered_at"].min().normalize()
        seen = customers.set_index("customer_id")["first_seen_at"].reindex(out.index)
        out["is_new"] = (seen.isna() | (seen >= data_start)).to_numpy(dtype=bool)
    return out


def repeat_rates(first: pd.DataFrame, as_of, windows=(90, 180, 365)) -> pd.DataFrame:
    """Share of new customers with a second order within w days of the first, among those
    whose first order is at least w days before `as_of` (their outcome is known)."""
    new = first[first["is_new"]]
    gap = (new["second_order_at"] - new["first_order_at"]).dt.total_seconds() / 86_400
    rows = []
    for w in windows:
        eligible = (new["first_order_at"] <= pd.Timestamp(as_of) - pd.Timedelta(days=w)).to_numpy()
        hit = (gap <= w).fillna(False).to_numpy(dtype=bool) & eligible
        rows.append((w, int(hit.sum()), int(eligible.sum())))
    df = pd.DataFrame(rows, columns=["window_days", "repeaters", "n"])
    p = stats.proportions(df["repeaters"], df["n"])
    return df.assign(rate=p["rate"].to_numpy(), ci_low=p["ci_low"].to_numpy(),
                     ci_high=p["ci_high"].to_numpy())


def kpis(orders: pd.DataFrame, start, end, customers: pd.DataFrame | None = None,
         windows=(90, 180, 365), seed: int = 0) -> pd.DataFrame:
    """Average ticket, orders and revenue per customer, repeat rates — each with an interval."""
    o = prepare(orders)
    po = in_period(o, start, end)
    kept = po[po["kept"]]
    g = _cluster_sums(_clusters(kept)[0], net=kept["net"].to_numpy(), one=np.ones(len(kept)))
    ticket = _ratio_ci(g["net"], g["one"], seed=seed)
    pc = per_customer(po)
    opc = stats.bootstrap_ci(pc["orders"].to_numpy(dtype=float), n_boot=N_BOOT, seed=seed)
    rpc = stats.bootstrap_ci(pc["revenue"].to_numpy(dtype=float), n_boot=N_BOOT, seed=seed)
    rows = [
        (N_("average ticket"), ticket.value, ticket.ci_low, ticket.ci_high, len(kept), "money",
         _("revenue / completed orders (anonymous included); customers resampled")),
        (N_("orders per customer"), opc.value, opc.ci_low, opc.ci_high, opc.n, "ratio",
         _("orders of any status in the period, per customer with ≥ 1")),
        (N_("revenue per customer"), rpc.value, rpc.ci_low, rpc.ci_high, rpc.n, "money",
         _("completed revenue in the period, per customer with ≥ 1 order")),
    ]
    rr = repeat_rates(first_orders(o, customers), as_of_date(o, end), windows)
    for r in rr.itertuples():
        rows.append((N_("repeat within {days} days").format(days=r.window_days), r.rate, r.ci_low,
                     r.ci_high, r.n, "rate",
                     _("new customers whose first order is ≥ {days} days old", days=r.window_days)))
    return pd.DataFrame(rows, columns=["metric", "value", "ci_low", "ci_high", "n", "unit", "rule"])


def monthly_new_returning(orders: pd.DataFrame, start, end,
                          customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per month of the period and type (new / returning): customers, orders, revenue."""
    o = prepare(orders)
    fo = first_orders(o, customers)
    po = known(in_period(o, start, end))
    pos = arrow.codes(po["customer_id"], fo.index)  # every customer here has a first order
    month = _month_number(po["ordered_at"])
    new = fo["is_new"].to_numpy(dtype=bool)[pos] & (
        month == _month_number(fo["first_order_at"])[pos])
    types = np.array([N_("new"), N_("returning")])  # codes 0, 1: sorted as before
    d = pd.DataFrame({"month": month, "type": np.where(new, 0, 1), "customer_id": pos,
                      "net": po["net"].to_numpy()})  # codes: counted, not shown
    out = d.groupby(["month", "type"], sort=True).agg(
        customers=("customer_id", "nunique"), orders=("net", "size"), revenue=("net", "sum"))
    out = out.reset_index()
    out["month"] = out["month"].to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    out["type"] = types[out["type"].to_numpy()]
    return out


def _month_number(times: pd.Series) -> np.ndarray:
    """Months since 1970-01 (numpy's datetime64[M]): grouping by month without Period objects."""
    return times.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


# --------------------------------------------------------------------------- cohorts


@dataclass(frozen=True)
class Cohorts:
    retention: pd.DataFrame  # cohort month × months since first order: share with an order
    cum_revenue: pd.DataFrame  # same shape: cumulative completed revenue per customer
    sizes: pd.Series  # cohort month → new customers
    small: pd.DataFrame  # True where the cohort is too small to read (greyed)
    min_n: int


def cohorts(orders: pd.DataFrame, as_of, customers: pd.DataFrame | None = None,
            min_n: int = 30, max_age: int = 12, last: int = 18) -> Cohorts:
    """Monthly acquisition cohorts of new customers (the `last` most recent): share active in
    each month since acquisition, and cumulative revenue per acquired customer. Months not yet
    observed on `as_of` are empty; cohorts smaller than `min_n` are marked `small`."""
    o = prepare(orders)
    fo = first_orders(o, customers)
    fo = fo[fo["is_new"]]
    k = known(o)
    k = k[arrow.isin(k["customer_id"], fo.index) & (k["ordered_at"] <= pd.Timestamp(as_of)).to_numpy()]
    cohort = fo["first_order_at"].dt.to_period("M")
    pos = arrow.codes(k["customer_id"], fo.index)  # k holds only customers of fo
    c_of = cohort.to_numpy()[pos]
    t = k["ordered_at"]
    f = fo["first_order_at"].iloc[pos]
    age = ((t.dt.year.to_numpy() - f.dt.year.to_numpy()) * 12
           + t.dt.month.to_numpy() - f.dt.month.to_numpy())
    d = pd.DataFrame({"cohort": c_of, "age": age, "customer_id": pos,
                      "net": k["net"].to_numpy()})
    d = d[d["age"] <= max_age]
    sizes = cohort.value_counts().sort_index()
    sizes = sizes.iloc[-last:] if len(sizes) > last else sizes
    ages = list(range(max_age + 1))
    active = d.groupby(["cohort", "age"])["customer_id"].nunique().unstack("age")
    active = active.reindex(index=sizes.index, columns=ages).fillna(0)
    revenue = d.groupby(["cohort", "age"])["net"].sum().unstack("age")
    revenue = revenue.reindex(index=sizes.index, columns=ages).fillna(0).cumsum(axis=1)
    retention = active.div(sizes, axis=0)
    cum = revenue.div(sizes, axis=0)
    # A cell is observed once its month has started by as_of.
    as_of_m = pd.Timestamp(as_of).to_period("M")
    months_seen = np.array([(as_of_m - c).n for c in sizes.index])
    unobserved = np.asarray(ages)[None, :] > months_seen[:, None]
    retention = retention.mask(unobserved)
    cum = cum.mask(unobserved)
    small = pd.DataFrame(np.repeat((sizes < min_n).to_numpy()[:, None], len(ages), axis=1),
                         index=sizes.index, columns=ages)
    label = [f"{p.strftime('%Y-%m')} (n = {fmt.count(n)})" for p, n in sizes.items()]
    for df in (retention, cum, small):
        df.index = label
        df.index.name = "cohort"
        df.columns.name = "months since first order"
    return Cohorts(retention, cum, sizes.rename(index=lambda p: p.strftime("%Y-%m")), small, min_n)


# --------------------------------------------------------------------------- RFM

# Segments on the recency (R) and frequency (F) scores 1–5, the usual RFM grid.
SEGMENT_RULES: list[tuple[str, tuple[int, int], tuple[int, int], str]] = [
    # name, R range, F range, what to do
    (N_("champions"), (5, 5), (4, 5), N_("reward them; ask for reviews and referrals")),
    (N_("loyal"), (3, 5), (4, 5), N_("upsell; invite to the loyalty programme")),
    (N_("potential loyalists"), (4, 5), (2, 3), N_("offer membership or a second-purchase incentive")),
    (N_("new customers"), (5, 5), (1, 1), N_("onboard well: the second order is the hard one")),
    (N_("promising"), (4, 4), (1, 1), N_("build the relationship with relevant content")),
    (N_("need attention"), (3, 3), (3, 3), N_("limited-time offers based on past purchases")),
    (N_("about to sleep"), (3, 3), (1, 2), N_("reactivate with popular products before they lapse")),
    (N_("can't lose them"), (1, 2), (5, 5), N_("win them back personally; ask what went wrong")),
    (N_("at risk"), (1, 2), (3, 4), N_("personal win-back offers now")),
    (N_("hibernating"), (1, 2), (1, 2), N_("low-cost reactivation or let go")),
]


def _score(values: pd.Series, higher_is_better: bool = True) -> np.ndarray:
    """Score 1–5 by quintile of rank; ties share the lower score (a customer with one order
    is never scored as frequent because many others also have one)."""
    v = values if higher_is_better else -values
    r = v.rank(method="min").to_numpy()
    # (rank − 1) / (n − 1) runs from 0 (worst) to 1 (best); cut into fifths.
    return np.minimum(5, 1 + np.floor(5 * (r - 1) / max(len(v) - 1, 1)).astype(int))


def rfm(orders: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per customer with an order in the period: recency (days since last order at the as-of
    date), frequency (orders), monetary (completed revenue), R/F/M scores and segment."""
    o = prepare(orders)
    as_of = as_of_date(o, end)
    pc = per_customer(in_period(o, start, end))
    out = pd.DataFrame({
        "recency_days": (as_of - pc["last"]).dt.total_seconds().to_numpy() / 86_400,
        "frequency": pc["orders"].to_numpy(), "monetary": pc["revenue"].to_numpy()},
        index=pc.index)
    out["R"] = _score(out["recency_days"], higher_is_better=False)
    out["F"] = _score(out["frequency"])
    out["M"] = _score(out["monetary"])
    conds, names = [], []
    for name, (r0, r1), (f0, f1), _action in SEGMENT_RULES:
        conds.append(out["R"].between(r0, r1) & out["F"].between(f0, f1))
        names.append(name)
    out["segment"] = np.select(conds, names, default=N_("other"))
    return out


def rfm_segments(r: pd.DataFrame) -> pd.DataFrame:
    """Size and revenue of each RFM segment, in the order of SEGMENT_RULES."""
    n, total = len(r), float(r["monetary"].sum())
    g = r.groupby("segment", sort=False).agg(
        customers=("frequency", "size"), revenue=("monetary", "sum"),
        recency_days=("recency_days", "median"), orders=("frequency", "mean"))
    order = [s[0] for s in SEGMENT_RULES] + ["other"]
    g = g.reindex([s for s in order if s in g.index])
    p = stats.proportions(g["customers"], pd.Series(n, index=g.index))
    actions = {s[0]: s[3] for s in SEGMENT_RULES}
    return pd.DataFrame({
        "segment": g.index, "customers": g["customers"].to_numpy(),
        "share": p["rate"].to_numpy(), "share_low": p["ci_low"].to_numpy(),
        "share_high": p["ci_high"].to_numpy(), "revenue": g["revenue"].to_numpy(),
        "revenue_share": g["revenue"].to_numpy() / total if total else np.nan,
        "median_recency_days": g["recency_days"].to_numpy(),
        "mean_orders": g["orders"].to_numpy(),
        "action": [_(actions[s]) if s in actions else "" for s in g.index],
    })


# --------------------------------------------------------------------------- broken rhythm


def _purchase_days(orders: pd.DataFrame, as_of) -> pd.DataFrame:
    """Known customers' orders up to as_of, one row per customer and purchase day, sorted by
    customer and day; `_c` is the customer's code (`customer_codes`)."""
    o = known(prepare(orders))
    o = o[o["ordered_at"] <= pd.Timestamp(as_of)]
    codes, ids = customer_codes(o["customer_id"])
    d = pd.DataFrame({"_c": codes, "day": o["ordered_at"].dt.floor("D").to_numpy(),
                      "net": o["net"].to_numpy(), "orders": 1})
    d = d.groupby(["_c", "day"], sort=True, as_index=False).sum()
    d.insert(0, "customer_id", ids[d["_c"].to_numpy()])
    return d


def interval_shape(days: pd.DataFrame, min_intervals: int = 3) -> float:
    """Pooled gamma shape of inter-purchase intervals: 1 / mean squared coefficient of
    variation over customers with at least `min_intervals` intervals (each customer's own
    mean removes differences of rhythm between customers)."""
    gap = days.groupby("_c", sort=False)["day"].diff().dt.total_seconds() / 86_400
    g = pd.DataFrame({"c": days["_c"].to_numpy(), "gap": gap.to_numpy()}).dropna()
    s = g.groupby("c")["gap"].agg(["mean", "var", "size"])
    s = s[(s["size"] >= min_intervals) & (s["mean"] > 0)]
    if s.empty:
        return 1.0  # exponential: the least committal rhythm
    cv2 = float((s["var"] / s["mean"] ** 2).mean())
    return 1.0 / cv2 if cv2 > 0 else 50.0


def rhythm_scores(orders: pd.DataFrame, as_of, min_orders: int = 4, p_gap: float = 0.01,
                  p_alive_max: float = 0.2, shape: float | None = None) -> pd.DataFrame:
    """Per customer with at least two purchase days up to `as_of`: their rhythm and whether
    it is broken.

    - With `min_orders` purchase days or more (≥ 3 intervals), the customer's own rhythm:
      intervals are gamma with the customer's mean interval and a pooled shape; `p_quiet`
      is the chance that an active customer stays quiet as long as they have. Broken when
      p_quiet < `p_gap`.
    - With fewer (2 to min_orders − 1), BG/NBD P(alive) (lifetimes, days): broken when
      P(alive) < `p_alive_max`. One-order customers have no rhythm to break.
    revenue_per_year = completed revenue in the 365 days up to the last purchase.
    """
    as_of = pd.Timestamp(as_of)
    days = _purchase_days(orders, as_of)
    g = days.groupby("_c", sort=True)  # codes 0..n-1 in id order: rows are sorted by id
    s = pd.DataFrame({"purchase_days": g.size(), "orders": g["orders"].sum(),
                      "revenue": g["net"].sum(), "first": g["day"].min(), "last": g["day"].max()})
    c = days["_c"].to_numpy()
    s.index = pd.Index(days["customer_id"].iloc[arrow.run_starts(c)], name="customer_id")
    last_of_code = s["last"].to_numpy()  # by code, before customers with one day are dropped
    keep = (s["purchase_days"] >= 2).to_numpy()
    s = s[keep]
    s["mean_interval"] = ((s["last"] - s["first"]).dt.days / (s["purchase_days"] - 1)).astype(float)
    s["days_since_last"] = ((as_of.floor("D") - s["last"]).dt.days).astype(float)
    k = interval_shape(days) if shape is None else shape
    s["p_quiet"] = sps.gamma.sf(s["days_since_last"], a=k, scale=s["mean_interval"] / k)
    summ = clv.customer_summary(prepare(orders), as_of, freq="D", value_col=None)
    s["p_alive"] = np.nan
    if len(summ) and (summ["frequency"] > 0).any():
        from lifetimes.utils import ConvergenceError

        try:
            model = clv.fit_bgnbd(summ)
            s["p_alive"] = clv.p_alive(model, summ).reindex(s.index).to_numpy()
        except ConvergenceError:
            pass  # too little data for BG/NBD: those customers are not flagged
    own = (s["purchase_days"] >= min_orders).to_numpy()
    s["method"] = np.where(own, N_("own rhythm"), "BG/NBD")
    s["broken"] = np.where(own, s["p_quiet"] < p_gap, s["p_alive"] < p_alive_max)
    # What they used to bring a year: completed revenue in the 365 days up to their last
    # purchase (less for customers active for less than a year: no extrapolation).
    recent = days["day"].to_numpy() > last_of_code[c] - np.timedelta64(365, "D")
    per_year = np.bincount(c, weights=np.where(recent, days["net"].to_numpy(), 0.0),
                           minlength=len(last_of_code))
    s["revenue_per_year"] = per_year[keep]
    s["value_at_risk"] = np.where(s["broken"], s["revenue_per_year"], 0.0)
    s.attrs["shape"] = k
    return s


def rhythm_breakers(scores: pd.DataFrame) -> pd.DataFrame:
    """The customers with a broken rhythm, ranked by revenue per year at risk."""
    b = scores[scores["broken"]].sort_values(["value_at_risk", "days_since_last"],
                                              ascending=[False, False], kind="stable")
    return b.reset_index()[["customer_id", "method", "orders", "mean_interval",
                            "days_since_last", "p_quiet", "p_alive", "revenue_per_year"]]


def rhythm_backtest(orders: pd.DataFrame, as_of, horizon_days: int = 120, min_orders: int = 4,
                    p_gaps=(0.001, 0.01, 0.05, 0.1), p_alive_max: float = 0.2) -> pd.DataFrame:
    """Calibration of the rule: apply it at `as_of − horizon_days` with the data known then,
    and count how many flagged customers never ordered again by `as_of` (Wilson interval);
    the not-flagged rows give the base rate to compare with."""
    cut = pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days)
    o = prepare(orders)
    t = o["ordered_at"]
    back = o.loc[(t > cut) & (t <= pd.Timestamp(as_of)), "customer_id"].dropna().unique()
    rows = []
    base = rhythm_scores(o, cut, min_orders=min_orders, p_gap=p_gaps[0],
                         p_alive_max=p_alive_max)
    gone = ~arrow.isin(base.index, back)
    own = (base["method"] == "own rhythm").to_numpy()
    for p in p_gaps:
        flag = own & (base["p_quiet"] < p).to_numpy()
        rows.append(("own rhythm", N_("P(quiet this long) < {p}").format(p=f"{p:g}"), N_("flagged"),
                     int((flag & gone).sum()), int(flag.sum())))
        if p == 0.01 or (p == p_gaps[0] and 0.01 not in p_gaps):  # one base-rate row
            rows.append(("own rhythm", N_("P(quiet this long) ≥ {p}").format(p=f"{p:g}"), N_("not flagged"),
                         int((own & ~flag & gone).sum()), int((own & ~flag).sum())))
    bg = ~own
    flag = bg & (base["p_alive"] < p_alive_max).to_numpy()
    rows.append(("BG/NBD", N_("P(alive) < {p}").format(p=f"{p_alive_max:g}"), "flagged", int((flag & gone).sum()),
                 int(flag.sum())))
    rows.append(("BG/NBD", N_("P(alive) ≥ {p}").format(p=f"{p_alive_max:g}"), "not flagged",
                 int((bg & ~flag & gone).sum()), int((bg & ~flag).sum())))
    df = pd.DataFrame(rows, columns=["method", "rule", "group", "never_came_back", "n"])
    pr = stats.proportions(df["never_came_back"], df["n"])
    df["rate"], df["ci_low"], df["ci_high"] = pr["rate"], pr["ci_low"], pr["ci_high"]
    df.attrs["cutoff"] = cut
    return df


def recall_precision(flagged, truth) -> dict[str, float]:
    """Recall and precision of a set of flagged ids against the planted ones."""
    f, t = set(flagged), set(truth)
    hit = len(f & t)
    return {"flagged": len(f), "planted": len(t), "hits": hit,
            "recall": hit / len(t) if t else np.nan, "precision": hit / len(f) if f else np.nan}


# --------------------------------------------------------------------------- loyalty card


@dataclass(frozen=True)
class Loyalty:
    tickets: pd.DataFrame  # card / no card: orders, mean ticket and interval
    ticket_diff: stats.Estimate  # card − non-card mean ticket
    card_revenue_share: stats.Estimate  # share of completed revenue on card orders
    member_share: stats.Estimate  # share of the period's customers who are members
    member_revenue_share: stats.Estimate  # share of completed revenue from members (all orders)
    margins: pd.DataFrame | None  # card / no card margin rate (when cost is given)
    margin_diff: stats.Estimate | None
    did: stats.Estimate | None  # incremental revenue per member per window (diff-in-diff)
    did_table: pd.DataFrame | None  # before/after means of members and matched non-members
    window_days: int
    members_in_did: int


def card_flags(orders: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series | None:
    """Card flag per order: orders.loyalty_card, else derived from loyalty_member_since."""
    if "loyalty_card" in orders and orders["loyalty_card"].notna().any():
        return orders["loyalty_card"].astype("boolean").fillna(False).astype(bool)
    if customers is not None and "loyalty_member_since" in customers:
        since = customers.set_index("customer_id")["loyalty_member_since"]
        s = arrow.lookup(since, orders["customer_id"])
        return pd.Series((orders["ordered_at"].to_numpy() >= s), index=orders.index)
    return None


def _did(o: pd.DataFrame, customers: pd.DataFrame, as_of, window: int,
         seed: int) -> tuple[stats.Estimate | None, pd.DataFrame | None, int]:
    """Members' completed revenue in the `window` days after joining minus the `window` days
    before, against non-members given the same pseudo join dates (drawn from the members'),
    matched on orders in the before window (0, 1, 2, 3+). Eligible customers had their first
    order at least `window` days before the (pseudo) join date and joined at least `window`
    days before as_of, so both windows are fully observed."""
    k = known(o)
    codes, ids = customer_codes(k["customer_id"])
    t = k["ordered_at"].to_numpy()
    first = pd.Series(pd.Series(t).groupby(codes, sort=True).min().to_numpy(), index=ids)
    since = pd.Series(arrow.lookup(customers.set_index("customer_id")["loyalty_member_since"],
                                   pd.Series(ids)), index=ids)
    w = pd.Timedelta(days=window)
    lo, hi = first + w, pd.Timestamp(as_of) - w
    member = since.notna().to_numpy()
    join = since.to_numpy(dtype="datetime64[ns]")
    elig_m = member & (join >= lo.to_numpy()) & (join <= np.datetime64(hi))
    if elig_m.sum() < 10:
        return None, None, int(elig_m.sum())
    rng = np.random.default_rng(seed)
    pseudo = rng.choice(join[elig_m], size=len(first))
    join = np.where(member, join, pseudo)
    elig_c = ~member & (join >= lo.to_numpy()) & (join <= np.datetime64(hi))
    keep = elig_m | elig_c
    # Each order's customer code picks its (pseudo) join date; sums per code by bincount.
    j = join[codes]
    before = (t >= j - w.to_timedelta64()) & (t < j)
    after = (t >= j) & (t < j + w.to_timedelta64())
    net, kept = k["net"].to_numpy(), k["kept"].to_numpy()

    def per_code(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=len(ids))[keep]

    cust = pd.DataFrame({"join": join[keep], "member": member[keep],
                         "rb": per_code(net * before), "ra": per_code(net * after),
                         "nb": per_code(before.astype(float)).astype(int),
                         "ka": per_code((after & kept).astype(float)).astype(int)},
                        index=ids[keep])
    cust["stratum"] = np.minimum(cust["nb"].to_numpy(dtype=int), 3)
    cust["delta"] = cust["ra"] - cust["rb"]
    # Weight non-members so each stratum counts as often as among members (exact matching).
    nm = cust.groupby(["stratum", "member"]).size().unstack(fill_value=0)
    nm = nm.reindex(columns=[False, True], fill_value=0)
    ok = nm[(nm[False] > 0) & (nm[True] > 0)].index
    cust = cust[cust["stratum"].isin(ok)]
    wt = (nm[True] / nm[False]).reindex(cust["stratum"]).to_numpy()
    cust["weight"] = np.where(cust["member"], 1.0, wt)
    m = cust["member"].to_numpy()
    d = cust["delta"].to_numpy()
    wv = cust["weight"].to_numpy()
    # Bootstrap resampling members and non-members separately; the statistic maps resampled
    # positions back to rows so one weighted mean serves both groups.
    def wmean(a: np.ndarray) -> np.ndarray:
        i = a.astype(np.int64)
        return (d[i] * wv[i]).sum(axis=1) / wv[i].sum(axis=1)

    if len(m) > stats.LARGE_N:  # the delta-method interval the bootstrap converges to
        est = stats.ratio_diff_ci(d[m] * wv[m], wv[m], d[~m] * wv[~m], wv[~m], paired=False)
    else:
        est = stats.bootstrap_diff_ci(np.flatnonzero(m).astype(float),
                                      np.flatnonzero(~m).astype(float), statistic=wmean,
                                      n_boot=N_BOOT, seed=seed)
    est = stats.Estimate(est.value, est.ci_low, est.ci_high, int(m.sum()))
    table = pd.DataFrame({
        "group": [N_("members"), N_("matched non-members")],
        "customers": [int(m.sum()), int((~m).sum())],
        "revenue_before": [np.average(cust["rb"][m], weights=wv[m]),
                           np.average(cust["rb"][~m], weights=wv[~m])],
        "revenue_after": [np.average(cust["ra"][m], weights=wv[m]),
                          np.average(cust["ra"][~m], weights=wv[~m])],
    })
    table["change"] = table["revenue_after"] - table["revenue_before"]
    table["completed_orders_after"] = [np.average(cust["ka"][m], weights=wv[m]),
                                       np.average(cust["ka"][~m], weights=wv[~m])]
    return est, table, int(m.sum())


def loyalty(orders: pd.DataFrame, start, end, customers: pd.DataFrame | None = None,
            window_days: int = 90, seed: int = 0) -> Loyalty | None:
    """Loyalty-card KPIs; None when neither orders.loyalty_card nor
    customers.loyalty_member_since is given."""
    o = prepare(orders)
    card = card_flags(o, customers)
    if card is None:
        return None
    o = o.assign(card=card.to_numpy(dtype=bool))  # a new frame: the caller's stays as it is
    po = in_period(o, start, end)
    kept = po[po["kept"]]
    cl, ids = _clusters(kept)
    # Per cluster (customer or anonymous order) sums, for cluster-bootstrap ratios.
    on, net = kept["card"].to_numpy(), kept["net"].to_numpy()
    per = _cluster_sums(cl, net_c=net * on, n_c=on, net_n=net * ~on, n_n=~on, net=net)
    rows = []
    for label, num, den in [(N_("card"), "net_c", "n_c"), (N_("no card"), "net_n", "n_n")]:
        e = _ratio_ci(per[num], per[den], seed=seed)
        rows.append({"orders": int(per[den].sum()), "group": label, "mean_ticket": e.value,
                     "ci_low": e.ci_low, "ci_high": e.ci_high})
    tickets = pd.DataFrame(rows)[["group", "orders", "mean_ticket", "ci_low", "ci_high"]]
    diff = _ratio_diff_ci(per["net_c"], per["n_c"], per["net_n"], per["n_n"], seed=seed)
    share = _ratio_ci(per["net_c"], per["net"], seed=seed)

    members = None
    if customers is not None and "loyalty_member_since" in customers:
        active = known(po)["customer_id"].unique()
        since = customers.set_index("customer_id")["loyalty_member_since"]
        is_m = pd.notna(arrow.lookup(since, pd.Series(active)))  # reindex hashes 10^6 strings
        member_ids = active[is_m]
        p = stats.proportions([int(is_m.sum())], [len(active)]).iloc[0]
        members = stats.Estimate(p["rate"], p["ci_low"], p["ci_high"], len(active))
    else:  # no join dates: a member is a customer who used the card in the period
        kp = known(po)
        codes, card_ids = customer_codes(kp["customer_id"])
        cust_card = pd.Series(kp["card"].to_numpy()).groupby(codes).any()
        member_ids = card_ids[cust_card.to_numpy(dtype=bool)]
        p = stats.proportions([int(cust_card.sum())], [len(cust_card)]).iloc[0]
        members = stats.Estimate(p["rate"], p["ci_low"], p["ci_high"], len(cust_card))
    pos = per.index.to_numpy()  # cluster codes: customers first, then anonymous orders
    from_members = np.zeros(len(per), dtype=bool)
    from_members[pos < len(ids)] = arrow.isin(ids[pos[pos < len(ids)]], member_ids)
    member_revenue = _ratio_ci(per["net"] * from_members, per["net"], seed=seed)

    margins = margin_diff = None
    if "cost" in kept and kept["cost"].notna().any():
        mk = kept[kept["cost"].notna()]
        on, rev = mk["card"].to_numpy(), mk["net"].to_numpy()
        mar = rev - mk["cost"].to_numpy(dtype=float)
        pm = _cluster_sums(_clusters(mk)[0], rev_c=rev * on, mar_c=mar * on, rev_n=rev * ~on,
                           mar_n=mar * ~on)
        rows = []
        for label, s in [("card", "_c"), ("no card", "_n")]:
            e = _ratio_ci(pm["mar" + s], pm["rev" + s], seed=seed)
            rows.append({"group": label, "margin_rate": e.value, "ci_low": e.ci_low,
                         "ci_high": e.ci_high, "revenue": float(pm["rev" + s].sum())})
        margins = pd.DataFrame(rows)
        margin_diff = _ratio_diff_ci(pm["mar_c"], pm["rev_c"], pm["mar_n"], pm["rev_n"], seed=seed)

    did = table = None
    n_did = 0
    if customers is not None and "loyalty_member_since" in customers:
        did, table, n_did = _did(o, customers, as_of_date(o, end), window_days, seed)
    return Loyalty(tickets=tickets, ticket_diff=diff, card_revenue_share=share,
                   member_share=members, member_revenue_share=member_revenue, margins=margins,
                   margin_diff=margin_diff, did=did, did_table=table, window_days=window_days,
                   members_in_did=n_did)


# --------------------------------------------------------------------------- data quality

# How much each kind of problem weighs in a table's score (share of rows affected × weight).
# Nulls in optional columns, history outside the period and anonymous orders are normal:
# they are listed but weigh nothing.
QUALITY_WEIGHTS = {
    N_("duplicate keys"): 1.0, N_("exact duplicate rows"): 1.0, N_("nulls in a required column"): 1.0,
    N_("orphan keys"): 1.0, N_("dates in the future"): 1.0, N_("dates before 1990"): 1.0,
    N_("outliers"): 0.5, N_("zero amounts"): 0.2, N_("nulls"): 0.0, N_("dates outside the period"): 0.0,
}
QUALITY_ACTIONS = {
    "duplicate keys": N_("make the key unique in the export (one row per id)"),
    "exact duplicate rows": N_("deduplicate the export at the source"),
    "nulls in a required column": N_("fill the column at the source"),
    "orphan keys": N_("export the missing parent rows or fix the ids"),
    "dates in the future": N_("check the clock or the date format of the export"),
    "dates before 1990": N_("check placeholder dates such as 1900-01-01"),
    "outliers": N_("check for test orders or unit errors"),
    "zero amounts": N_("check whether these are free items or errors"),
    "nulls": N_("none needed if the value is genuinely unknown"),
    "dates outside the period": N_("none needed: kept as history"),
}
_MAIN_DATE = {"orders": "ordered_at", "leads": "created_at", "tickets": "opened_at",
              "campaigns": "sent_at", "touches": "sent_at", "surveys": "answered_at",
              "traffic": "date", "store_traffic": "hour_start", "spend": "period_start"}


def data_quality(tables: Mapping[str, pd.DataFrame], period_start, period_end,
                 today=None) -> pd.DataFrame:
    """Per-table checks on the loaded tables: nulls per column, duplicate keys, dates in the
    future / before 1990 / outside the period, orphan keys, outliers (above Q3 + 10×IQR, money
    columns with at least 100 values) and zero amounts. One row per (table, column, check) with rows affected and their share.

    Each table is used a column (or a key) at a time — `df[col]`, `df[[cols]]`, `df.columns`,
    `len(df)` — so `tables` may hold `load.TableColumns` that read columns on demand."""
    from salesaudit.ingest import contract

    today = (pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today))
    start, end = pd.Timestamp(period_start), pd.Timestamp(period_end) + pd.Timedelta(days=1)
    rows: list[dict] = []

    def row(table, column, check, mask_or_count, examples=()) -> dict:
        count = int(np.sum(mask_or_count)) if not np.isscalar(mask_or_count) else int(mask_or_count)
        return dict(table=table, column=column, check=check, rows=count,
                    share=count / max(len(tables[table]), 1),
                    examples="; ".join(map(str, list(examples)[:3])))

    for name in tables:
        df = tables[name]
        t = contract.table(name) if name in contract.TABLES else None
        required = set(t.required) if t else set()
        nullable = {c.name for c in t.columns if c.nullable} if t else set(df.columns)
        # Listed per table: nulls, duplicate keys, value checks, orphan keys.
        nulls_rows, key_rows, value_rows, orphan_rows = [], [], [], []
        if t and t.key and all(k in df for k in t.key) and not (
                len(t.key) == 1 and arrow.all_distinct(df[t.key[0]])):  # the usual case, fast
            keys = df[list(t.key)]
            dup = keys.duplicated(keep="first").to_numpy()
            if dup.any():
                key_rows.append(row(name, ",".join(t.key), "duplicate keys", dup,
                                    keys.loc[dup].head(3).astype(str).agg("/".join, axis=1)))
            del keys
        for col in df.columns:
            s = df[col]  # one column at a time: read from disk when df reads on demand
            nulls = s.isna().to_numpy()
            if nulls.any():
                hard = col in required and col not in nullable
                nulls_rows.append(row(name, col, "nulls in a required column" if hard else "nulls",
                                      nulls))
            if pd.api.types.is_datetime64_any_dtype(s):
                fut = (s > today + pd.Timedelta(days=1)).to_numpy()
                if fut.any():
                    value_rows.append(row(name, col, "dates in the future", fut,
                                          s[fut].head(3).dt.date))
                old = (s < pd.Timestamp("1990-01-01")).to_numpy()
                if old.any():
                    value_rows.append(row(name, col, "dates before 1990", old,
                                          s[old].head(3).dt.date))
                if col == _MAIN_DATE.get(name):
                    out = ((s < start) | (s >= end)).to_numpy()
                    if out.any():
                        value_rows.append(row(name, col, "dates outside the period", out))
            elif (t and col in t.names and t.column(col).kind == "money"
                  and s.notna().sum() >= 100):  # quartiles of fewer values are too noisy
                v = s.to_numpy(dtype=float, na_value=np.nan)
                q1, q3 = np.nanquantile(v, [0.25, 0.75])
                hi = q3 + 10 * (q3 - q1)
                out = v > hi
                if out.any():
                    value_rows.append(row(name, col, "outliers", out,
                                          np.sort(v[out])[::-1][:3].round(2)))
                zero = v == 0
                if zero.any():
                    value_rows.append(row(name, col, "zero amounts", zero))
        if t:
            for col, parent, pcol in t.foreign_keys:
                if col in df and parent in tables and pcol in tables[parent]:
                    v = df[col]
                    orphan = v.notna().to_numpy() & ~arrow.isin(v, tables[parent][pcol])
                    if orphan.any():
                        orphan_rows.append(row(name, col, "orphan keys", orphan, v[orphan].head(3)))
        rows += nulls_rows + key_rows + value_rows + orphan_rows
    out = pd.DataFrame(rows, columns=["table", "column", "check", "rows", "share", "examples"])
    out["weight"] = out["check"].map(QUALITY_WEIGHTS).astype(float)
    out["action"] = out["check"].map({k: _(v) for k, v in QUALITY_ACTIONS.items()})
    return out


def quality_scores(checks: pd.DataFrame, rows: Mapping[str, int],
                   loader: pd.DataFrame | None = None) -> pd.DataFrame:
    """A score per table from 100 (no weighted problem) down to 0: 100 × Π(1 − weight ×
    share) over its problems, and the problem to fix first (largest weight × share).
    The loader's duplicate-row counts (rows it dropped) are added as "exact duplicate rows".
    `rows`: each loaded table's number of rows (`AuditData.rows`), in the order to list them."""
    c = checks.copy()
    if loader is not None and len(loader):
        dup = loader[loader["check"].str.contains("duplicate", case=False, na=False)]
        if len(dup):
            c = pd.concat([c, pd.DataFrame({
                "table": dup["table"].to_numpy(), "column": None,
                "check": "exact duplicate rows", "rows": dup["rows"].to_numpy(),
                "share": dup["share"].to_numpy(dtype=float), "examples": "",
                "weight": QUALITY_WEIGHTS["exact duplicate rows"],
                "action": _(QUALITY_ACTIONS["exact duplicate rows"])})], ignore_index=True)
    c["impact"] = c["weight"] * c["share"].clip(0, 1)
    out = []
    for name, n_rows in rows.items():
        p = c[c["table"] == name]
        score = 100 * float(np.prod(1 - p["impact"].to_numpy())) if len(p) else 100.0
        worst = p.sort_values("impact", ascending=False, kind="stable").head(1)
        fix = (worst.iloc[0] if len(worst) and worst.iloc[0]["impact"] > 0 else None)
        out.append(dict(
            table=name, rows=int(n_rows), score=round(score, 1),
            problems=int((p["impact"] > 0).sum()),
            fix_first="" if fix is None else
            _("{check} ({rows} rows, {share})", check=_(fix["check"]), rows=fmt.count(fix["rows"]),
              share=fmt.pct(fix["share"])) if pd.isna(fix["column"]) else
            _("{check} in {column} ({rows} rows, {share})", check=_(fix["check"]),
              column=str(fix["column"]), rows=fmt.count(fix["rows"]), share=fmt.pct(fix["share"])),
            action="" if fix is None else fix["action"]))
    return pd.DataFrame(out).sort_values(["score", "table"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- labels
# Values above stay English in the data (code compares and groups on them); these put them
# in the report's language where they are shown.

# Loader texts written outside its quality checks (load.py), shown in the same table.
LOADER_TEXTS = (N_("file has a header but no rows"), N_("export the table again"),
                N_("correct at the source"))


_LABELS = [
    (re.compile(r"repeat within (\d+) days"),
     lambda m: _("repeat within {days} days", days=m[1])),
    (re.compile(r"P\(quiet this long\) < (\S+)"),
     lambda m: _("P(quiet this long) < {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(quiet this long\) ≥ (\S+)"),
     lambda m: _("P(quiet this long) ≥ {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(alive\) < (\S+)"),
     lambda m: _("P(alive) < {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(alive\) ≥ (\S+)"),
     lambda m: _("P(alive) ≥ {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"outliers above (\S+) \(Q3 \+ 10×IQR\)"),
     lambda m: _("outliers above {limit} (Q3 + 10×IQR)",
                 limit=fmt.number(float(m[1].replace(",", "")), 2))),
    (re.compile(r"(\S+) before (\S+): rows dropped"),
     lambda m: _("{later} before {earlier}: rows dropped", later=m[1], earlier=m[2])),
]


def label(value):
    """A value this module or the loader writes in English (group, segment, method, metric,
    rule, data-quality check …) as the reader sees it. Only for those columns: client data
    is never passed through here."""
    if not isinstance(value, str):
        return value
    for pattern, text in _LABELS:
        if m := pattern.fullmatch(value):
            return text(m)
    return _(value)


def quality_view(df: pd.DataFrame, share_digits: int = 2) -> pd.DataFrame:
    """A data-quality table (the loader's, `data_quality`'s or `quality_scores`') as the
    reader sees it: texts and headers in the report's language, numbers for the locale."""
    out = df.copy()
    for c in ("check", "action"):
        if c in out:
            out[c] = [label(v) for v in out[c]]
    formats = {"rows": fmt.count, "problems": fmt.count, "weight": lambda v: fmt.sig(v, None),
               "share": lambda v: fmt.pct(v, share_digits), "score": lambda v: fmt.number(v, 1)}
    for c, f in formats.items():
        if c in out:
            out[c] = [f(v) for v in out[c]]
    return out.rename(columns={
        "table": _("table"), "column": _("column"), "check": _("check"), "rows": _("rows"),
        "share": _("share"), "examples": _("examples"), "weight": _("weight"),
        "action": _("action"), "score": _("score"), "problems": _("problems"),
        "fix_first": _("fix first")})


# --------------------------------------------------------------------------- findings


def findings(split: BuyerSplit | None = None, kpi: pd.DataFrame | None = None,
             breakers: pd.DataFrame | None = None, backtest: pd.DataFrame | None = None,
             loyal: Loyalty | None = None, scores: pd.DataFrame | None = None,
             quality: pd.DataFrame | None = None, currency: str = "EUR") -> list[dict]:
    """The reporting page's findings, as keyword arguments for `FindingsLog.record`."""
    out: list[dict] = []
    if split is not None and split.customers:
        e = split.one_time
        g = split.groups.iloc[0]
        out.append(dict(
            key="one-time-buyers",
            sentence=_("{share} of customers bought only once in the period; they bring "
                       "{revenue_share} of revenue ({interval}).",
                       share=fmt.rate_ci(e.value, e.ci_low, e.ci_high, e.n),
                       revenue_share=fmt.pct(g["revenue_share"]),
                       interval=fmt.interval(g["revenue_share_low"], g["revenue_share_high"])),
            action=_("Make the second purchase the goal of onboarding: a timed follow-up after "
                     "the first order, with an incentive tested against a holdout."),
            metric=_("one-time buyer share"), value=e.value, ci_low=e.ci_low, ci_high=e.ci_high,
            n=e.n, unit="rate", comparison=_("customers who bought more than once"),
            severity="medium", anchor="buyer-split",
        ))
    if breakers is not None and scores is not None and len(breakers):
        at_risk = float(breakers["revenue_per_year"].sum())
        cal = None
        if backtest is not None:
            f = backtest[(backtest["group"] == "flagged") & (backtest["rule"].str.contains("0.01"))]
            cal = f.iloc[0] if len(f) else None
        cal_txt = ("" if cal is None or not cal["n"] else
                   " " + _("Back-tested on an earlier cut-off, {rate} of the customers the rule "
                           "flagged never came back.",
                           rate=fmt.rate_ci(cal["rate"], cal["ci_low"], cal["ci_high"], cal["n"])))
        out.append(dict(
            key="broken-rhythm",
            sentence=_("{n} regular customers have gone quiet for longer than their own purchase "
                       "rhythm makes likely; they used to bring {money} a year.",
                       n=fmt.count(len(breakers)), money=fmt.money(at_risk, currency)) + cal_txt,
            action=_("Contact them now, highest value first (download the list), with a personal "
                     "win-back offer; measure it against a random 10% left uncontacted."),
            metric=_("customers with a broken rhythm"), value=float(len(breakers)),
            n=int(len(scores)), unit="count", comparison=_("customers with ≥ 2 purchase days"),
            money_per_year=at_risk, severity="high", anchor="broken-rhythm",
            extra={"ids": breakers["customer_id"].astype(str).head(20).tolist()},
        ))
    if loyal is not None and not np.isnan(loyal.ticket_diff.value):
        d = loyal.ticket_diff
        sig = d.ci_low > 0 or d.ci_high < 0
        out.append(dict(
            key="loyalty-ticket",
            sentence=_("Orders with the loyalty card average {diff} more than orders without "
                       "(95% CI {low} to {high}, n = {n} customers and anonymous orders){unclear}; "
                       "members choose to join, so this is not the card's effect.",
                       diff=fmt.money(d.value, currency, 2), low=fmt.money(d.ci_low, currency, 2),
                       high=fmt.money(d.ci_high, currency, 2), n=fmt.count(d.n),
                       unclear="" if sig else _(", not distinguishable from zero")),
            action=_("Judge the card by the before/after comparison of new members against "
                     "matched non-members, and test card offers on a random holdout of members."),
            metric=_("card − non-card average ticket"), value=d.value, ci_low=d.ci_low,
            ci_high=d.ci_high, n=d.n, unit="money",
            comparison=_("orders without the card"),
            severity="medium" if sig else "info", anchor="loyalty",
        ))
    if loyal is not None and loyal.did is not None:
        e, w = loyal.did, loyal.window_days
        sig = e.ci_low > 0 or e.ci_high < 0
        out.append(dict(
            key="loyalty-incremental",
            sentence=_("In the {days} days after joining, members bring {diff} more completed "
                       "revenue than matched non-members over the same dates (95% CI {low} to "
                       "{high}, n = {n} members){unclear}; a before/after estimate, since members "
                       "self-select.",
                       days=w, diff=fmt.money(e.value, currency, 2),
                       low=fmt.money(e.ci_low, currency, 2), high=fmt.money(e.ci_high, currency, 2),
                       n=fmt.count(e.n), unclear="" if sig else _(", not distinguishable from zero")),
            action=_("Confirm with a randomized test (e.g. offer the card's benefit to a random "
                     "half of new sign-ups) before investing more in the programme."),
            metric=_("incremental revenue per member, {days} days after joining", days=w),
            value=e.value, ci_low=e.ci_low, ci_high=e.ci_high, n=e.n, unit="money",
            comparison=_("matched non-members (before/after)"),
            severity="medium" if sig else "info", anchor="loyalty",
        ))
    if quality is not None and len(quality):
        worst = quality.iloc[0]  # sorted by score
        if worst["score"] < 95:
            out.append(dict(
                key="data-quality",
                sentence=_("The {table} table scores {score}/100 for data quality; its largest "
                           "problem: {problem}.", table=worst["table"],
                           score=fmt.number(worst["score"], 0), problem=worst["fix_first"]),
                action=_("Fix first: {action}.", action=worst["action"]),
                metric=_("data-quality score of {table}", table=worst["table"]),
                value=float(worst["score"]), n=int(worst["rows"]), unit="ratio",
                comparison=_("100 = no problem found"),
                severity="high" if worst["score"] < 80 else "medium", anchor="data-quality",
            ))
    return out
