"""Monthly acquisition cohorts of new customers: share ordering and cumulative revenue per
acquired customer, by months since the first order (rules in `metrics`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit import arrow, fmt
from salesaudit.components.reporting.metrics import first_orders, known, prepare


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
