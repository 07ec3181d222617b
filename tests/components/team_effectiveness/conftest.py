"""Inputs shared by the team tests (metrics and findings): hand-made leads whose deal rules
can be checked by hand, and the team page's results on them and on the demo client."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.team_effectiveness import metrics as team

STAGES = [("Lead", "created_at"), ("MQL", "mql_at"), ("SQL", "sql_at"), ("Customer", "won_at")]
AS_OF = pd.Timestamp("2025-12-31 23:59:59")


def _leads(rows):
    cols = ["lead_id", "channel", "rep_id", "created_at", "mql_at", "sql_at", "won_at", "lost_at",
            "value"]
    df = pd.DataFrame(rows, columns=cols)
    for c in cols[3:8]:
        df[c] = pd.to_datetime(df[c])
    return df


HAND = _leads([
    # rep a: won after 10 days, lost, mature open (counts as not won), young open (left out).
    ("L1", "x", "a", "2025-01-01", "2025-01-02", "2025-01-05", "2025-01-15", None, 100.0),
    ("L2", "x", "a", "2025-01-01", "2025-01-02", "2025-01-05", None, "2025-01-20", 50.0),
    ("L3", "x", "a", "2025-01-01", "2025-01-02", "2025-06-01", None, None, 70.0),
    ("L4", "x", "a", "2025-12-01", "2025-12-02", "2025-12-21", None, None, 20.0),
    # rep b: skipped SQL (won straight from MQL): starts at its earliest later stage.
    ("L5", "y", "b", "2025-03-01", "2025-03-02", None, "2025-03-12", None, 80.0),
    ("L6", "y", None, "2025-03-01", None, None, None, None, np.nan),  # no rep: not a deal
])


@pytest.fixture(scope="package")
def bare_team():
    """The hand-made leads without the optional lost_at and value columns, and no reps table."""
    bare = HAND.drop(columns=["lost_at", "value"])
    return team.analyze(bare, None, STAGES, "2025-01-01", "2025-12-31")


@pytest.fixture(scope="package")
def demo_team(default_demo):
    t, truth = default_demo.tables, default_demo.truth
    res = team.analyze(t["leads"], t["reps"], STAGES, truth["period"]["start"],
                       truth["period"]["end"], maturity_days=truth["funnel"]["maturity_days"])
    return res, truth
