"""Customer service and surveys: tickets on planned orders with the CSAT repurchase model,
response and resolution times, and NPS/CSAT survey answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from salesaudit.demo.base import Cal, pick
from salesaudit.demo.frames import Ids, frame, id_array, labels, strings, timestamps

# Service: one ticket per ticketed customer, on its 1st, 2nd or 3rd order of the period.
TICKET_PLAN = (0.16, 0.09, 0.07)  # P(ticket on order j = 1, 2, 3) per active customer
SATISFACTION = (0.08, 0.10, 0.17, 0.30, 0.35)  # P(csat = 1..5)
CSAT_REPURCHASE = {"intercept": -1.2, "logit_coef_per_point": 0.35, "prior_orders_coef": 0.25}
REPURCHASE_DAYS = 180
TICKET_DELAY_DAYS = (0.05, 7.0)
TICKET_CHANNELS = (("email", 0.45), ("chat", 0.35), ("phone", 0.20))
FIRST_RESPONSE_MEDIAN_HOURS = {"email": 8.0, "chat": 0.5, "phone": 0.1}
FIRST_RESPONSE_SIGMA = 0.8
RESOLUTION_MEDIAN_HOURS, RESOLUTION_SIGMA = 30.0, 1.0
TICKET_CATEGORIES = (("delivery", 0.35), ("return", 0.25), ("product", 0.20),
                     ("payment", 0.10), ("account", 0.10))
AGENTS = tuple(f"A{i:02d}" for i in range(1, 7))
CSAT_RESPONSE, REOPENED = 0.60, 0.08

# Surveys: about 0.15 answers per customer, half NPS, half CSAT.
SURVEYS_PER_CUSTOMER = 0.15
NPS_P = (0.02, 0.01, 0.02, 0.03, 0.03, 0.06, 0.08, 0.12, 0.18, 0.22, 0.23)  # scores 0..10
CSAT_P = (0.05, 0.08, 0.17, 0.35, 0.35)  # scores 1..5
COMMENTS_GOOD = ("Consegna veloce", "Ottimo servizio", "Commessa gentilissima", "Tutto perfetto")
COMMENTS_BAD = ("Consegna in ritardo", "Reso complicato", "Taglia sbagliata", "Nessuna risposta")


def repurchase_p(s, j):
    """P(an order within REPURCHASE_DAYS after a ticket): the planted logistic model of
    satisfaction s and prior orders j."""
    m = CSAT_REPURCHASE
    return special.expit(m["intercept"] + m["logit_coef_per_point"] * s
                         + m["prior_orders_coef"] * j)


def draw_tickets(rng, cal: Cal, cust: dict, plan: dict, orders: dict) -> dict:
    """One ticket per ticketed customer, on its j-th order; censored at the period end."""
    D = cal.days
    c = orders["cust"]
    by_cust = np.lexsort((orders["t"], c))
    cs = c[by_cust]
    who = np.flatnonzero(plan["has_ticket"])
    first = np.searchsorted(cs, who)
    pos = by_cust[first + plan["j"][who] - 1]
    assert np.all(c[pos] == who)
    opened = orders["t"][pos] + plan["delay"][who]
    keep = opened < D
    who, pos, opened = who[keep], pos[keep], opened[keep]
    o = np.argsort(opened, kind="stable")
    who, pos, opened = who[o], pos[o], opened[o]
    n = len(who)
    chan = pick(rng, TICKET_CHANNELS, n)
    med = np.log([FIRST_RESPONSE_MEDIAN_HOURS[ch] for ch, _ in TICKET_CHANNELS])[chan]
    first_resp = opened + np.exp(med + FIRST_RESPONSE_SIGMA * rng.standard_normal(n)) / 24
    resolved = first_resp + np.exp(np.log(RESOLUTION_MEDIAN_HOURS)
                                   + RESOLUTION_SIGMA * rng.standard_normal(n)) / 24
    first_resp = np.where(first_resp < D, first_resp, np.nan)
    resolved = np.where(resolved < D, resolved, np.nan)
    done = ~np.isnan(resolved)
    csat = np.where(done & (rng.random(n) < CSAT_RESPONSE), plan["sat"][who], np.nan)
    return {"cust": who, "order_pos": pos, "opened": opened, "first_resp": first_resp,
            "resolved": resolved, "channel": chan, "category": pick(rng, TICKET_CATEGORIES, n),
            "agent": rng.integers(0, len(AGENTS), n), "csat": csat,
            "reopened": done & (rng.random(n) < REOPENED),
            "prior_orders": plan["j"][who]}


def draw_surveys(rng, cal: Cal, cust: dict) -> dict:
    D = cal.days
    n = int(round(SURVEYS_PER_CUSTOMER * len(cust["ch"])))
    who = rng.integers(0, len(cust["ch"]), n)
    lo = np.maximum(cust["first"][who], 0)
    at = np.sort(lo + rng.random(n) * (D - lo))
    nps = rng.random(n) < 0.5
    score = np.where(nps, rng.choice(11, size=n, p=NPS_P), 1 + rng.choice(5, size=n, p=CSAT_P))
    good = np.where(nps, score >= 9, score >= 4)
    bad = np.where(nps, score <= 6, score <= 2)
    comment = np.full(n, None, dtype=object)
    has = rng.random(n) < 0.3
    g, b = has & good, has & bad
    comment[g] = np.asarray(COMMENTS_GOOD, dtype=object)[rng.integers(0, 4, g.sum())]
    comment[b] = np.asarray(COMMENTS_BAD, dtype=object)[rng.integers(0, 4, b.sum())]
    order = np.argsort(at, kind="stable")
    return {"cust": who[order], "at": at[order], "score": score[order].astype(float),
            "nps": nps[order], "comment": comment[order]}


def tickets_table(cal: Cal, t: dict, ids: Ids) -> pd.DataFrame:
    n = len(t["cust"])
    return frame("tickets", {
        "ticket_id": strings(id_array("T", n, 5)),
        "opened_at": timestamps(cal, t["opened"]),
        "customer_id": ids.take(ids.customer, t["cust"]),
        "order_id": ids.take(ids.order, t["order_pos"]),
        "first_response_at": timestamps(cal, t["first_resp"]),
        "resolved_at": timestamps(cal, t["resolved"]),
        "channel": labels(tuple(c for c, _ in TICKET_CHANNELS), t["channel"]),
        "category": labels(tuple(c for c, _ in TICKET_CATEGORIES), t["category"]),
        "agent_id": labels(AGENTS, t["agent"]),
        "csat": t["csat"],
        "reopened": t["reopened"],
    })


def surveys_table(cal: Cal, s: dict, ids: Ids) -> pd.DataFrame:
    n = len(s["cust"])
    return frame("surveys", {
        "response_id": strings(id_array("S", n, 5)),
        "answered_at": timestamps(cal, s["at"]),
        "score": s["score"],
        "scale": labels(("csat", "nps"), s["nps"].astype(np.int64)),
        "customer_id": ids.take(ids.customer, s["cust"]),
        "comment": s["comment"],
    })
