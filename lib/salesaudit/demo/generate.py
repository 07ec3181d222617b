"""The entry: `generate()` runs the simulators in a fixed order from one seed and returns the
tables and truths; `write()` stores them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from salesaudit.demo.base import calendar
from salesaudit.demo.campaigns import campaigns_and_touches, touches_table
from salesaudit.demo.customers import customers_table, draw_customers
from salesaudit.demo.expectations import expectations
from salesaudit.demo.frames import Ids, frame
from salesaudit.demo.leads import draw_leads, leads_table, lucky_rep, reps_table, web_traffic
from salesaudit.demo.orders import (
    order_plan,
    order_timeline,
    order_values,
    orders_table,
    rhythm_breakers,
)
from salesaudit.demo.promotions import draw_holdout, promotions_table
from salesaudit.demo.service import draw_surveys, draw_tickets, surveys_table, tickets_table
from salesaudit.demo.spend import monthly_spend
from salesaudit.demo.stores import store_orders
from salesaudit.demo.truth import build_truth, native
from salesaudit.ingest import contract

# Written as dates in csv (the other timestamps keep their time of day).
DATE_COLUMNS = {("customers", "first_seen_at"), ("customers", "loyalty_member_since"),
                ("traffic", "date"), ("spend", "period_start"), ("reps", "started_at")}


@dataclass
class Demo:
    """The twelve canonical tables (contract names and dtypes) and the planted truths."""

    tables: dict[str, pd.DataFrame]
    truth: dict


def generate(customers: int = 20_000, seed: int = 42, start: str = "2025-01-01",
             end: str = "2025-12-31") -> Demo:
    """All twelve tables of the demo client and the truths planted in them."""
    if customers < 500:
        raise ValueError("customers must be at least 500 for every planted effect to appear")
    cal = calendar(start, end)
    rng = np.random.default_rng(seed)
    n = int(customers)

    traffic, lam = web_traffic(rng, cal, n)
    leads = draw_leads(rng, cal, traffic.pop("leads_per_row"))
    lucky_rep(rng, cal, leads)
    cust = draw_customers(rng, cal, n, leads)
    plan = order_plan(rng, cal, cust)
    breakers = rhythm_breakers(rng, cal, cust, plan)
    orders = order_timeline(rng, cal, cust, plan, breakers)
    holdout = draw_holdout(rng, cal, cust, plan, orders)
    store_traffic, orders = store_orders(rng, cal, n, orders, holdout)
    tickets = draw_tickets(rng, cal, cust, plan, orders)
    order_values(rng, cal, cust, leads, orders, holdout)
    campaigns, touches, meta = campaigns_and_touches(rng, cal, cust, orders, holdout)
    surveys = draw_surveys(rng, cal, cust)
    expect = expectations(cal, n, lam)
    spend = monthly_spend(cal, lam, expect)

    # Build the frames, dropping the big raw arrays as soon as they are turned into tables.
    ids = Ids(n, len(orders["t"]))
    tables = {"touches": touches_table(cal, touches, ids)}
    del touches
    tables["orders"] = orders_table(cal, orders, ids)
    del orders
    lucky = {"sqls": int((leads["rep"] == 7).sum()),
             "wins": int(((leads["rep"] == 7) & ~np.isnan(leads["won"])).sum())}
    tables["leads"] = leads_table(cal, leads, cust, ids)
    del leads
    tables["customers"] = customers_table(cal, cust, ids)
    tables["tickets"] = tickets_table(cal, tickets, ids)
    tables["surveys"] = surveys_table(cal, surveys, ids)
    tables["traffic"] = frame("traffic", traffic)
    tables["store_traffic"] = frame("store_traffic", store_traffic)
    tables["spend"] = frame("spend", spend)
    tables["campaigns"] = frame("campaigns", campaigns)
    tables["promotions"] = promotions_table(cal, holdout)
    tables["reps"] = reps_table(cal)
    tables = {name: tables[name] for name in contract.TABLES}
    truth = build_truth(cal, n, seed, expect, spend, ids, breakers, meta, lucky)
    return Demo(tables=tables, truth=truth)


def write(demo: Demo, out: Path, fmt: str = "csv") -> None:
    """Write `<table>.csv|parquet` for every table and `truth.json` into `out`."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in demo.tables.items():
        if fmt == "parquet":
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            _write_csv(name, df, out / f"{name}.csv")
    text = json.dumps(native(demo.truth), indent=2, sort_keys=True, ensure_ascii=False)
    (out / "truth.json").write_text(text + "\n", encoding="utf-8")


def _write_csv(name: str, df: pd.DataFrame, path: Path) -> None:
    # pyarrow writes ISO timestamps, true/false and empty cells for missing values, fast.
    arrays, names = [], []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            arr = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"),
                           from_pandas=True)
            if (name, col) in DATE_COLUMNS:
                arr = arr.cast(pa.date32())
        else:
            arr = pa.array(s, from_pandas=True)
        arrays.append(arr)
        names.append(col)
    table = pa.Table.from_arrays(arrays, names=names)
    try:  # plain cells; quotes only if some text holds a comma, quote or line break
        body = pa.BufferOutputStream()
        pacsv.write_csv(table, body, pacsv.WriteOptions(include_header=False,
                                                        quoting_style="none"))
    except pa.ArrowInvalid:
        body = pa.BufferOutputStream()
        pacsv.write_csv(table, body, pacsv.WriteOptions(include_header=False,
                                                        quoting_style="needed"))
    with open(path, "wb") as f:
        f.write((",".join(names) + "\n").encode())
        f.write(body.getvalue().to_pybytes())
