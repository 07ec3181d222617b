"""Planted in the orders: one-time share, orders per customer, loyalty ticket difference,
rhythm breakers.
"""

from __future__ import annotations

import math

import pandas as pd

from .checks import Z, inside, known


def test_one_time_share_and_orders_per_customer(mid):
    counts = known(mid.tables["orders"]).groupby("customer_id").size()
    tr = mid.truth["customers"]
    assert inside((counts == 1).sum(), len(counts), tr["one_time_buyer_share"])
    se = counts.std() / math.sqrt(len(counts))
    assert abs(counts.mean() - tr["orders_per_customer_mean"]) < Z * se


def test_loyalty_ticket_difference(mid):
    o, tr = mid.tables["orders"], mid.truth["loyalty"]
    card, other = o.loc[o["loyalty_card"], "revenue"], o.loc[~o["loyalty_card"], "revenue"]
    se = math.sqrt(card.var() / len(card) + other.var() / len(other))
    assert abs(card.mean() - other.mean() - tr["ticket_difference_eur"]) < Z * se
    c = mid.tables["customers"]
    assert inside(c["loyalty_member_since"].notna().sum(), len(c), tr["member_share"])
    # card orders are exactly members' orders on/after joining
    known = o.merge(c[["customer_id", "loyalty_member_since"]], on="customer_id", how="left")
    expected = known["ordered_at"] >= known["loyalty_member_since"]
    assert (known["loyalty_card"] == expected.fillna(False)).all()


def test_rhythm_breakers_stop_buying(mid):
    o = known(mid.tables["orders"])
    tr = mid.truth["customers"]
    breakers = tr["rhythm_breakers"]
    assert len(breakers) > 50
    mine = o[o["customer_id"].isin(breakers)].groupby("customer_id")["ordered_at"]
    assert (mine.size() >= 4).all()
    assert (mine.max() < pd.Timestamp("2025-09-30")).all()
    assert (mine.max() >= pd.Timestamp("2025-03-01")).all()
