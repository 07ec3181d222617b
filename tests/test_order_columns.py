"""Notebooks read only each module's ORDER_COLUMNS from `orders` (a large client's orders
with every column are gigabytes). A module that starts using another orders column without
listing it would silently lose that part of its page: each module's results must be the same
from the listed columns as from the whole table."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.content_flows import metrics as flows
from salesaudit.components.customer_service import metrics as service
from salesaudit.components.funnel import metrics as funnel
from salesaudit.components.lead_quality import metrics as leads
from salesaudit.components.reporting import loyalty, rhythm
from salesaudit.components.reporting import metrics as customers


def assert_same(a, b, where: str = "result") -> None:
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, pd.DataFrame):  # frames of orders carry the columns they were given
        pd.testing.assert_frame_equal(a, b[a.columns] if set(a.columns) < set(b.columns) else b,
                                      obj=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, where


def _period(demo):
    return demo.truth["period"]["start"], demo.truth["period"]["end"]


def _customers(t, start, end):
    o = t["orders"]
    return (customers.kpis(o, start, end, customers=t["customers"]),
            loyalty.loyalty(o, start, end, customers=t["customers"]),
            customers.monthly_new_returning(o, start, end, customers=t["customers"]),
            rhythm.rhythm_scores(o, customers.as_of_date(o, end)))


def _flows(t, start, end):
    return flows.analyze(t["campaigns"], t["touches"], t["orders"], start, end,
                         promotions=t["promotions"])


def _leads(t, start, end):
    stages = [("Lead", "created_at"), ("MQL", "mql_at"), ("SQL", "sql_at"),
              ("Customer", "won_at")]
    acq = leads.acquired_customers(t["leads"], t["customers"], stages[-1][1], start, end)
    as_of = pd.Timestamp(end)
    return (leads.customer_values(acq, t["orders"], as_of),
            leads.ltv_holdout(t["orders"], acq, as_of))


def _funnel(t, start, end):
    stages = [("Lead", "created_at"), ("MQL", "mql_at"), ("SQL", "sql_at"),
              ("Customer", "won_at")]
    return (funnel.analyze(t["leads"], stages, start, end, orders=t["orders"]),
            funnel.store_hourly_conversion(t["store_traffic"], t["orders"], start, end))


def _service(t, start, end):
    return service.analyze(t["tickets"], start, end, surveys=t["surveys"], orders=t["orders"])


@pytest.mark.parametrize("module, run", [(customers, _customers), (flows, _flows),
                                         (leads, _leads), (funnel, _funnel),
                                         (service, _service)],
                         ids=["customers", "flows", "leads", "funnel", "service"])
def test_results_from_the_listed_order_columns_equal_those_from_all(small_demo, module, run):
    start, end = _period(small_demo)
    every = dict(small_demo.tables)
    listed = {**every, "orders": every["orders"][[c for c in module.ORDER_COLUMNS
                                                  if c in every["orders"]]]}
    assert set(every["orders"].columns) > set(listed["orders"].columns)  # the test drops some
    assert_same(run(listed, start, end), run(every, start, end))
