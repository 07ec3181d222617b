"""Promotions and the randomized holdout on the P03 coupon campaign."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import Cal, snap
from salesaudit.demo.frames import frame, timestamps

# Promotions (day offsets in a 365-day year) and the randomized holdout on P03.
PROMOTIONS = (
    ("P01", "Saldi invernali", "seasonal_sale", "all", 4, 58),
    ("P02", "Festa della donna", "discount", "online", 64, 68),
    ("P03", "Coupon primavera -15%", "coupon", "email", None, None),  # the holdout coupon
    ("P04", "Saldi estivi", "seasonal_sale", "all", 184, 242),
    ("P05", "Black Friday", "discount", "all", 327, 334),
    ("P06", "Natale", "bundle", "all", 341, 357),
)
PROMO_TAG_PROB = 0.35  # orders during a promotion carrying its promotion_id
HOLDOUT_PROMO, HOLDOUT_DAY, HOLDOUT_HOUR = "P03", 125, 10
HOLDOUT = {"treatment_share": 0.85, "control_rate": 0.10, "treatment_rate": 0.16,
           "window_days": 7}


def draw_holdout(rng, cal: Cal, cust: dict, plan: dict, orders: dict) -> dict:
    """Randomized holdout on one promotion campaign: the 7-day purchase is decided first.

    Audience: consented existing customers with orders in the period and no ticket. Each
    recipient buys within the window with the rate of its group; orders are only moved
    (nearest order in, or in-window orders a few days earlier), so counts do not change.
    """
    s = cal.offset(HOLDOUT_DAY) + HOLDOUT_HOUR / 24
    w = HOLDOUT["window_days"]
    aud = cust["consent"] & cust["active"] & ~cust["is_new"] & (plan["ticket"] == 0)
    rec = np.flatnonzero(aud)
    treat = rng.random(len(rec)) < HOLDOUT["treatment_share"]
    rate = np.where(treat, HOLDOUT["treatment_rate"], HOLDOUT["control_rate"])
    buys = rng.random(len(rec)) < rate
    n = len(cust["ch"])
    want = np.zeros(n, np.int8)  # 0 not in audience, 1 must not buy, 2 must buy
    want[rec] = np.where(buys, 2, 1)
    c, t = orders["cust"], orders["t"]
    in_win = (t >= s) & (t < s + w)
    has = np.bincount(c[in_win], minlength=n) > 0
    # Must buy, no order in the window: move the nearest order inside it.
    need = (want == 2) & ~has
    cand = np.flatnonzero(need[c])
    dist = np.maximum(np.maximum(s - t[cand], t[cand] - (s + w)), 0)
    o = np.lexsort((dist, c[cand]))
    firsts = cand[o][np.r_[True, np.diff(c[cand][o]) != 0]] if len(cand) else cand
    day_in = np.floor(s) + rng.integers(1, w, len(firsts))
    t[firsts] = snap(rng, day_in)
    # Must not buy: in-window orders move 1-20 days before the window.
    out = np.flatnonzero((want[c] == 1) & in_win)
    t[out] = snap(rng, np.floor(s) - rng.integers(1, 21, len(out)))
    # Orders on the window's edge days keep their time of day (no store re-timing).
    day = np.floor(t)
    edge = (want[c] > 0) & ((day == np.floor(s)) | (day == np.floor(s) + w))
    return {"sent": s, "rec": rec, "treat": treat, "buys": buys, "edge": edge}


def promotions_table(cal: Cal, holdout: dict) -> pd.DataFrame:
    rows = {"promotion_id": [], "starts_at": [], "ends_at": [], "name": [], "kind": [],
            "channel": []}
    for pid, name, kind, chan, a, b in PROMOTIONS:
        if a is None:
            s = holdout["sent"]
            start, end = s, s + HOLDOUT["window_days"] - 1 / 86400
        else:
            start, end = cal.offset(a), cal.offset(b) + 1 - 1 / 86400
        rows["promotion_id"].append(pid)
        rows["starts_at"].append(timestamps(cal, [start])[0])
        rows["ends_at"].append(timestamps(cal, [end])[0])
        rows["name"].append(name)
        rows["kind"].append(kind)
        rows["channel"].append(chan)
    return frame("promotions", rows)
