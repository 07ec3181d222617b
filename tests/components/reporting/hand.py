"""Hand-computed orders shared by the reporting component's tests."""

import pandas as pd

START, END = "2025-01-01", "2025-12-31"


def make_orders(rows):
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue", "status"])
    for c in ("order_id", "customer_id", "status"):
        df[c] = df[c].astype("string")
    df["ordered_at"] = pd.to_datetime(df["ordered_at"])
    return df


# A: one order (another one before the period is ignored); B: three orders, one returned;
# C: one cancelled order; D: twelve orders of 1; plus one anonymous order of 100.
HAND = make_orders(
    [("o0", "A", "2024-12-20", 99.0, "completed"),
     ("o1", "A", "2025-03-01", 10.0, "completed"),
     ("o2", "B", "2025-02-01", 20.0, "completed"),
     ("o3", "B", "2025-04-01", 30.0, "completed"),
     ("o4", "B", "2025-05-01", 5.0, "returned"),
     ("o5", "C", "2025-06-01", 40.0, "cancelled"),
     ("o6", None, "2025-06-02", 100.0, "completed")]
    + [(f"d{i}", "D", f"2025-{i + 1:02d}-15", 1.0, "completed") for i in range(12)]
)
