"""Inputs shared by the lead-quality tests: hand-made leads and spend whose counts the tests
work out by hand."""

import numpy as np
import pandas as pd

STAGES = [("Lead", "created_at"), ("MQL", "mql_at"), ("SQL", "sql_at"), ("Customer", "won_at")]
COLS = ["lead_id", "channel", "created_at", "mql_at", "sql_at", "won_at", "lost_at", "customer_id"]


def leads_frame(rows):
    df = pd.DataFrame(rows, columns=COLS)
    for c in ["created_at", "mql_at", "sql_at", "won_at", "lost_at"]:
        df[c] = pd.to_datetime(df[c])
    for c in ["lead_id", "channel", "customer_id"]:
        df[c] = df[c].astype("string")
    return df


def spend_frame(rows):
    return pd.DataFrame({"period_start": pd.to_datetime([r[0] for r in rows]),
                         "channel": pd.array([r[1] for r in rows], dtype="string"),
                         "amount": [float(r[2]) for r in rows]})


SPEND_LEADS = leads_frame([
    # a: 4 leads in January, 2 MQL (one in Feb), 1 won in February; no leads in February.
    ("L1", "a", "2025-01-05", "2025-01-06", "2025-01-20", "2025-02-03", None, "C1"),
    ("L2", "a", "2025-01-06", "2025-02-01", None, None, "2025-02-10", None),
    ("L3", "a", "2025-01-07", None, None, None, "2025-01-20", None),
    ("L4", "a", "2025-01-08", None, None, None, "2025-01-21", None),
    # b: leads but no spend rows at all.
    ("L5", "b", "2025-01-05", None, None, None, None, None),
    # c: spend in January only; leads in January (2) and February (1).
    ("L6", "c", "2025-01-05", None, None, None, None, None),
    ("L7", "c", "2025-01-09", None, None, None, None, None),
    ("L8", "c", "2025-02-09", None, None, None, None, None),
])
SPEND = spend_frame([("2025-01-01", "a", 100), ("2025-02-01", "a", 50), ("2025-01-01", "c", 60),
                     ("2025-03-01", "d", 30)])  # d: spend without a single lead

HAND = leads_frame([
    ("L1", "a", "2025-01-01", "2025-01-02", "2025-01-05", "2025-01-11", None, "C1"),
    ("L2", "a", "2025-01-01", "2025-01-03", "2025-01-06", None, "2025-01-09", None),
    ("L3", "a", "2025-01-01", None, None, None, None, None),  # untouched: nothing after creation
    ("L4", "b", "2025-01-01", "2025-01-02", None, None, "2025-01-20", None),
    ("L5", "b", "2025-01-01", "2025-01-02", "2025-01-03", None, "2025-02-01", None),
])

# Profitability by hand: A returns 3 per unit of spend, B 0.5 (loses money), C has no value.
PROFIT_ECON = pd.DataFrame({"channel": ["A", "B", "C"], "spend": [1000.0, 2000.0, 10.0],
                            "customers": [10, 10, 0], "has_spend": [True, True, True],
                            "cac": [100.0, 200.0, np.nan], "cac_low": [90.0, 180.0, np.nan],
                            "cac_high": [110.0, 220.0, np.inf]})
PROFIT_LTV = pd.DataFrame({"channel": ["A", "B"], "ltv": [300.0, 100.0], "ltv_low": [280.0, 90.0],
                           "ltv_high": [320.0, 110.0], "first": [50.0, 40.0]})
