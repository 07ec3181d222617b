"""Campaigns and touches: the send schedule, the automated flows' triggers, opens and clicks
at the planted per-campaign rates (the under-performing flow among them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import Cal
from salesaudit.demo.frames import Ids, frame, labels, timestamps
from salesaudit.demo.promotions import HOLDOUT_DAY, HOLDOUT_HOUR, PROMOTIONS

# Campaigns: per-kind open rates and click-given-open rates, audience shares of consented.
FLOWS = {  # name: (open rate, click given open)
    "welcome": (0.55, 0.25),
    "abandoned_cart": (0.45, 0.30),
    "back_in_stock": (0.50, 0.28),
    "complementary": (0.40, 0.20),
    "winback": (0.12, 0.06),  # the under-performer
}
UNDERPERFORMING_FLOW = "winback"
KIND_RATES = {"newsletter": ((0.28, 0.38), (0.10, 0.15)), "content": ((0.25, 0.35), (0.12, 0.20)),
              "promotion": ((0.35, 0.45), (0.15, 0.25))}
AUDIENCE = {"newsletter": 0.50, "content": 0.25, "promotion": 0.30, "sms": 0.20}


def _campaign_schedule(cal: Cal) -> list[dict]:
    """40 campaigns: 5 flows, 12 newsletters, 10 content pieces, 13 promotion sends."""
    last = cal.days - 4
    out = [{"name": f"Flow: {f}", "kind": "flow", "day": 0.0, "flow": f, "channel": "email"}
           for f in FLOWS]
    for m in range(12):
        out.append({"name": f"Newsletter {m + 1:02d}", "kind": "newsletter",
                    "day": cal.offset(round(m * 30.4) + 6) + 10 / 24, "channel": "email"})
    for m in range(10):
        out.append({"name": f"Contenuti {m + 1:02d}", "kind": "content",
                    "day": cal.offset(20 + 34 * m) + 11 / 24, "channel": "email"})
    sends = {"P01": ((0, "email", "lancio"), (26, "sms", "promemoria")),
             "P02": ((0, "email", "lancio"), (2, "email", "promemoria")),
             "P04": ((0, "email", "lancio"), (29, "sms", "promemoria")),
             "P05": ((0, "email", "lancio"), (3, "email", "promemoria"), (6, "sms", "ultimo giorno")),
             "P06": ((0, "email", "lancio"), (9, "email", "promemoria"), (15, "email", "ultimi giorni"))}
    for pid, name, _kind, _chan, a, _b in PROMOTIONS:
        if a is None:
            out.append({"name": f"{name} (holdout test)", "kind": "promotion", "promo": pid,
                        "day": cal.offset(HOLDOUT_DAY) + HOLDOUT_HOUR / 24, "channel": "email",
                        "holdout": True})
            continue
        for off, chan, label in sends[pid]:
            out.append({"name": f"{name} - {label}", "kind": "promotion", "promo": pid,
                        "day": cal.offset(a + off) + 9 / 24, "channel": chan})
    for c in out:
        c["day"] = min(c["day"], last + c["day"] % 1)
    out.sort(key=lambda c: (c["day"], c["name"]))
    for i, c in enumerate(out):
        c["id"] = f"CMP{i + 1:03d}"
    return out


def campaigns_and_touches(rng, cal: Cal, cust: dict, orders: dict, holdout: dict):
    """Campaign rows, touches with opens and clicks at the planted per-campaign rates."""
    D = cal.days
    last_send = D - 3  # opens and clicks happen within 72 h, so all fall inside the period
    sched = _campaign_schedule(cal)
    consent = cust["consent"]
    known_from = np.maximum(cust["first"], 0)
    parts, rates = [], {}
    for ci, camp in enumerate(sched):
        if camp["kind"] == "flow":
            o_rate, k_rate = FLOWS[camp["flow"]]
            who, sent = _flow_sends(rng, cal, camp["flow"], cust, orders)
            # a flow can fire twice for one customer in the same second: keep one
            key = who.astype(np.int64) * (1 << 26) + np.floor(sent * 86400).astype(np.int64)
            _, first = np.unique(key, return_index=True)
            who, sent = who[first], sent[first]
        else:
            (olo, ohi), (klo, khi) = KIND_RATES[camp["kind"]]
            o_rate, k_rate = rng.uniform(olo, ohi), rng.uniform(klo, khi)
            if camp.get("holdout"):
                who = holdout["rec"]
            else:
                share = AUDIENCE["sms" if camp["channel"] == "sms" else camp["kind"]]
                ok = consent & (known_from <= np.floor(camp["day"]))
                who = np.flatnonzero(ok & (rng.random(len(consent)) < share))
            sent = np.full(len(who), camp["day"])
        keep = (sent < last_send) & (sent >= known_from[who])
        who, sent = who[keep], sent[keep]
        group = np.zeros(len(who), np.int8)  # 0 none, 1 treatment, 2 control
        if camp.get("holdout"):
            group = np.where(holdout["treat"][keep], 1, 2).astype(np.int8)
        m = len(who)
        opened = (rng.random(m) < o_rate) & (group != 2)  # control rows are never sent
        clicked = opened & (rng.random(m) < k_rate)
        t_open = sent + np.minimum(np.exp(np.log(3.0) + rng.standard_normal(m)), 48) / 24
        t_click = t_open + np.minimum(np.exp(np.log(0.1) + rng.standard_normal(m)), 24) / 24
        parts.append({"camp": np.full(m, ci, np.int16), "cust": who, "sent": sent,
                      "opened": np.where(opened, t_open, np.nan),
                      "clicked": np.where(clicked, t_click, np.nan), "group": group})
        rates[camp["id"]] = (o_rate, k_rate)
        camp["n"] = int((group != 2).sum())
    touches = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    o = np.argsort(touches["sent"], kind="stable")  # ties keep campaign, then customer order
    touches = {k: v[o] for k, v in touches.items()}
    touches["camp_ids"] = np.array([c["id"] for c in sched], dtype=object)
    promo_ids = [p[0] for p in PROMOTIONS]
    start64 = np.datetime64(cal.start, "ns")
    campaigns = {
        "campaign_id": [c["id"] for c in sched],
        "channel": [c["channel"] for c in sched],
        "sent_at": [start64 + np.timedelta64(int(round(c["day"] * 86400)), "s") for c in sched],
        "name": [c["name"] for c in sched],
        "kind": [c["kind"] for c in sched],
        "automated": [c["kind"] == "flow" for c in sched],
        "promotion_id": [c.get("promo") for c in sched],
        "cost": [round((0.05 if c["channel"] == "sms" else 0.004) * c["n"]
                       + (600.0 if c["kind"] == "flow" else 120.0), 2) for c in sched],
    }
    assert all(p in promo_ids for p in campaigns["promotion_id"] if p)
    meta = {"schedule": sched, "rates": rates}
    return campaigns, touches, meta


def _flow_sends(rng, cal: Cal, flow: str, cust: dict, orders: dict):
    """Who an automated flow writes to, and when (triggered by customer events)."""
    D = cal.days
    consent = cust["consent"]
    c, t = orders["cust"], orders["t"]
    kn = (c >= 0) & consent[np.maximum(c, 0)]
    if flow == "welcome":  # new customers, right after their first purchase
        who = np.flatnonzero(consent & cust["is_new"])
        return who, cust["won_t"][who] + rng.uniform(0.01, 0.1, len(who))
    if flow in ("abandoned_cart", "back_in_stock"):  # browsing events at random times
        rate = 0.25 if flow == "abandoned_cart" else 0.12
        pool = np.flatnonzero(consent)
        who = rng.choice(pool, size=int(rng.binomial(len(pool), rate)))
        lo = np.maximum(cust["first"][who], 0)
        return who, lo + rng.random(len(who)) * (D - 3 - lo)
    if flow == "complementary":  # three days after 12% of purchases
        pick = np.flatnonzero(kn & (rng.random(len(c)) < 0.12))
        return c[pick], t[pick] + 3 + rng.random(len(pick)) / 24
    # winback: 90 days after a purchase not followed by another within 90 days
    o = np.flatnonzero(kn)
    o = o[np.lexsort((t[o], c[o]))]
    nxt_same = np.r_[c[o][1:] == c[o][:-1], False]
    gap = np.r_[t[o][1:] - t[o][:-1], np.inf]
    lapsed = o[~nxt_same | (gap > 90)]
    return c[lapsed], t[lapsed] + 90


def touches_table(cal: Cal, t: dict, ids: Ids) -> pd.DataFrame:
    return frame("touches", {
        "campaign_id": labels(tuple(t["camp_ids"]), t["camp"]),
        "customer_id": ids.take(ids.customer, t["cust"]),
        "sent_at": timestamps(cal, t["sent"]),
        "opened_at": timestamps(cal, t["opened"]),
        "clicked_at": timestamps(cal, t["clicked"]),
        "group": labels(("treatment", "control"), t["group"].astype(np.int64) - 1),
    })
