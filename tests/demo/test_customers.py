"""Planted in the customers: new customers per channel are exactly the won leads."""

from __future__ import annotations

import math

import pandas as pd

from .checks import Z


def test_new_customers_by_channel_are_the_won_leads(mid):
    t, truth = mid.tables, mid.truth
    c = t["customers"]
    new = c[c["first_seen_at"] >= pd.Timestamp(truth["period"]["start"])]
    for ch, expected in truth["channels"]["expected_new_customers"].items():
        got = (new["acquisition_channel"] == ch).sum()
        assert abs(got - expected) < Z * math.sqrt(expected), ch
    won = t["leads"].dropna(subset=["customer_id"])
    first = c.set_index("customer_id").loc[won["customer_id"]]
    assert (first["first_seen_at"].to_numpy() == won["won_at"].dt.normalize().to_numpy()).all()
    assert (first["acquisition_channel"].to_numpy() == won["channel"].to_numpy()).all()
