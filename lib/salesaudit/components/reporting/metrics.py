"""Customer-base metrics for the reporting page: the orders as every metric of the component
reads them (`prepare`), one-time vs repeat buyers, purchases per customer, KPIs with intervals,
new and returning customers by month. Cohorts, RFM, broken purchase rhythm, the loyalty card and
data quality have their own modules in this folder (`cohorts`, `rfm`, `rhythm`, `loyalty`,
`quality`); what the page displays is in `tables`, its findings in `findings`.

Rules used throughout the component (stated in the notebook too):
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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.i18n import N_, _
from salesaudit.methods import stats

N_BOOT = 1000
BANDS = [str(i) for i in range(1, 10)] + ["10+"]

# --------------------------------------------------------------------------- preparation


# The orders columns this component reads (every module of it reads orders through `prepare`;
# a notebook reads only these: a large client's orders with every column are gigabytes), and
# those it keeps next to the derived `kept` and `net` (the metrics filter and copy orders many
# times).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "status", "cost", "loyalty_card")
USED_COLUMNS = ("customer_id", "ordered_at", "cost", "loyalty_card")


def prepare(orders: pd.DataFrame) -> pd.DataFrame:
    """The orders columns this component uses, with `net` (revenue of completed orders, else 0)
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
