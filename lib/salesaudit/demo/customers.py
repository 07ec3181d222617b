"""Customers: the existing base (first seen before the period) plus every won lead, with
market, consent and a randomized loyalty membership.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import CHANNELS, Cal, pick
from salesaudit.demo.frames import Ids, frame, labels, strings, timestamps

# Customers.
PRE_MIX = {"paid_search": 0.35, "social": 0.20, "email": 0.20, "referral": 0.25}
ACTIVE_SHARE_EXISTING = 0.85  # existing customers with >= 1 order in the period
MARKETS = (("IT", 0.70), ("DE", 0.12), ("FR", 0.10), ("ES", 0.08))
IT_REGIONS = ("Nord-Ovest", "Nord-Est", "Centro", "Sud", "Isole")
GENDERS = (("F", 0.57), ("M", 0.41), (None, 0.02))
CONSENT_SHARE = 0.70
MEMBER_SHARE = 0.35
MEMBER_BEFORE_PERIOD = 0.60  # existing members who joined before the period


def draw_customers(rng, cal: Cal, n: int, leads: dict) -> dict:
    """Existing customers (before the period) plus every won lead, sorted by first contact."""
    won_idx = np.flatnonzero(~np.isnan(leads["won"]))
    n_new = len(won_idx)
    n_pre = n - n_new
    if n_pre < n // 2:
        raise ValueError("too few customers for the lead volume")
    pre_ch = rng.choice(len(CHANNELS), size=n_pre, p=[PRE_MIX[c] for c in CHANNELS])
    pre_first = -rng.integers(1, 6 * 365, n_pre).astype(float)  # up to six years back
    is_new = np.r_[np.zeros(n_pre, bool), np.ones(n_new, bool)]
    ch = np.r_[pre_ch, leads["ch"][won_idx]]
    won_t = np.r_[np.full(n_pre, np.nan), leads["won"][won_idx]]
    first = np.r_[pre_first, np.floor(leads["won"][won_idx])]
    lead = np.r_[np.full(n_pre, -1), won_idx]
    order = np.argsort(np.where(is_new, won_t, first + rng.random(n)), kind="stable")
    c = {"is_new": is_new[order], "ch": ch[order], "won_t": won_t[order],
         "first": first[order], "lead": lead[order]}
    c["market"] = pick(rng, MARKETS, n)
    region = rng.integers(0, len(IT_REGIONS), n)
    c["region"] = np.where(c["market"] == 0, region, -1)
    c["gender"] = pick(rng, GENDERS, n)
    c["consent"] = rng.random(n) < CONSENT_SHARE
    # Loyalty membership is randomized, independent of everything else.
    member = rng.random(n) < MEMBER_SHARE
    before = rng.random(n) < MEMBER_BEFORE_PERIOD
    joined_pre = np.floor(c["first"] + rng.random(n) * (-c["first"]))
    joined_in = rng.integers(0, cal.days - 30, n).astype(float)
    since = np.where(c["is_new"], c["first"], np.where(before, joined_pre, joined_in))
    c["member_since"] = np.where(member, since, np.nan)
    c["active"] = c["is_new"] | (rng.random(n) < ACTIVE_SHARE_EXISTING)
    return c


def customers_table(cal: Cal, cust: dict, ids: Ids) -> pd.DataFrame:
    return frame("customers", {
        "customer_id": strings(ids.customer),
        "first_seen_at": timestamps(cal, cust["first"]),
        "acquisition_channel": labels(CHANNELS, cust["ch"]),
        "consent_marketing": cust["consent"],
        "loyalty_member_since": timestamps(cal, cust["member_since"]),
        "market": labels(tuple(m for m, _ in MARKETS), cust["market"]),
        "gender": labels(tuple(g for g, _ in GENDERS), cust["gender"]),
        "region": labels(IT_REGIONS, cust["region"]),
    })
