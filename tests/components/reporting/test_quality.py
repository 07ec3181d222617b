"""Data-quality checks and scores on planted problems, from frames and from a table cache."""

import pandas as pd
import pytest

from salesaudit.components.reporting import quality

from .hand import END, START, make_orders


def test_data_quality_finds_planted_problems(tmp_path):
    orders = make_orders([("o1", "A", "2025-01-01", 10.0, "completed"),
                          ("o1", "A", "2025-01-02", 12.0, "completed"),   # duplicate key
                          ("o3", "Z", "2025-01-03", 11.0, "completed"),   # orphan customer
                          ("o4", "B", "2099-01-01", 9.0, "completed"),    # future date
                          ("o5", "B", "2024-06-01", 0.0, "completed")]    # history, zero amount
                         + [(f"x{i}", "A", "2025-02-01", 10.0 + i % 3, "completed") for i in range(95)]
                         + [("big", "B", "2025-03-01", 10_000.0, "completed")])  # outlier
    cust = pd.DataFrame({"customer_id": pd.array(["A", "B", "C"], dtype="string"),
                         "first_seen_at": pd.to_datetime(["2024-01-01", None, "1900-01-01"])})
    tables = {"orders": orders, "customers": cust}
    q = quality.data_quality(tables, START, END, today="2026-01-15")
    found = set(zip(q["table"], q["check"], q["rows"], strict=True))
    assert ("orders", "duplicate keys", 1) in found
    assert ("orders", "orphan keys", 1) in found
    assert ("orders", "dates in the future", 1) in found
    assert ("orders", "dates outside the period", 2) in found  # 2024 and 2099
    assert ("orders", "outliers", 1) in found and ("orders", "zero amounts", 1) in found
    assert ("customers", "nulls", 1) in found and ("customers", "dates before 1990", 1) in found
    loader = pd.DataFrame({"table": ["customers"], "column": [None],
                           "check": ["exact duplicate rows dropped"], "rows": [1],
                           "share": [0.25], "examples": [""], "action": [""]})
    s = quality.quality_scores(q, {n: len(df) for n, df in tables.items()}, loader).set_index("table")
    # orders: 101 rows; duplicate, orphan, future (weight 1, 1/101 each), outlier (0.5 × 1/101),
    # zero (0.2 × 1/101): 100 × (100/101)³ × (1 − 0.5/101) × (1 − 0.2/101).
    exp = 100 * (100 / 101) ** 3 * (1 - 0.5 / 101) * (1 - 0.2 / 101)
    assert s.loc["orders", "score"] == pytest.approx(exp, abs=0.05)
    # customers: 1900 date (1/3, weight 1) and the loader's duplicate (0.25, weight 1).
    assert s.loc["customers", "score"] == pytest.approx(100 * (2 / 3) * 0.75, abs=0.05)
    assert s.loc["customers", "fix_first"].startswith("dates before 1990")
    clean = quality.quality_scores(quality.data_quality({"customers": cust.iloc[:1]}, START, END),
                              {"customers": 1})
    assert clean.loc[0, "score"] == 100 and clean.loc[0, "fix_first"] == ""
    # The same checks a column at a time from a table cache (how a large client's run reads).
    from salesaudit.ingest.cache import CachedTables, TableColumns

    for n, df in tables.items():
        df.to_parquet(tmp_path / f"{n}.parquet")
    cached = CachedTables(tmp_path, {n: len(df) for n, df in tables.items()})
    passing = cached.passing()
    assert isinstance(passing["orders"], TableColumns) and cached._loaded == {}
    lazy = quality.data_quality(passing, START, END, today="2026-01-15")
    pd.testing.assert_frame_equal(lazy, q)
