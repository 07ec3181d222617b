"""Orders of known customers: the purchase rhythm (plan, lattice, rhythm breakers) and the
order values (revenue, cost, status, loyalty card, promotion tags).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import CHANNELS, Cal, pick, snap
from salesaudit.demo.frames import Ids, frame, labels, strings, timestamps
from salesaudit.demo.promotions import HOLDOUT, HOLDOUT_PROMO, PROMO_TAG_PROB, PROMOTIONS
from salesaudit.demo.service import SATISFACTION, TICKET_DELAY_DAYS, TICKET_PLAN, repurchase_p
from salesaudit.demo.stores import STORES

# Purchase rhythm: personal mean interval mu ~ Gamma(shape, mean_ch / shape) clipped to
# [20, 90] days; orders sit on a lattice with uniform jitter of +-20% of mu.
ONE_TIME_SHARE = 0.45
INTERVAL_MEAN = {"paid_search": 36.0, "social": 48.0, "email": 31.0, "referral": 27.0}
INTERVAL_SHAPE = 6.0
INTERVAL_CLIP = (20.0, 90.0)
JITTER = 0.20
BREAK_PROB = 0.04
BREAK_WINDOW = (165, 272)  # day offsets of a 365-day year: 2025-06-15 .. 2025-09-30

# Order values: base ~ lognormal(median 45, sigma 0.55), card orders + 8 EUR.
BASKET_MEDIAN, BASKET_SIGMA = 45.0, 0.55
LOYALTY_DELTA = 8.0
COST_SHARE = {"paid_search": 0.60, "social": 0.62, "email": 0.58, "referral": 0.57}
COST_SHARE_ANONYMOUS, COST_SPREAD = 0.60, 0.03
STATUS = (("completed", 0.94), ("returned", 0.04), ("cancelled", 0.02))


def plan_probabilities() -> dict:
    """Ticket plan and the one-time probability of customers without a first-order ticket.

    A ticket on the first order decides one-time vs repeat through the repurchase model;
    q0 is set so that the share of one-time buyers among all active customers is exact.
    """
    pi = np.r_[1 - sum(TICKET_PLAN), TICKET_PLAN]
    s = np.arange(1, 6)
    pbar = {j: float(np.asarray(SATISFACTION) @ repurchase_p(s, j)) for j in (1, 2, 3)}
    q0 = (ONE_TIME_SHARE - pi[1] * (1 - pbar[1])) / pi[0]
    assert 0 < q0 < 1
    return {"pi": pi, "pbar": pbar, "q0": q0}


def order_plan(rng, cal: Cal, cust: dict) -> dict:
    """Per customer: interval, lattice size, ticket plan, repurchase outcome, one-time flag."""
    n, D = len(cust["ch"]), cal.days
    pp = plan_probabilities()
    lo, hi = INTERVAL_CLIP
    mean = np.array([INTERVAL_MEAN[c] for c in CHANNELS])[cust["ch"]]
    mu = np.clip(rng.gamma(INTERVAL_SHAPE, mean / INTERVAL_SHAPE), lo, hi)
    ticket = rng.choice(4, size=n, p=pp["pi"])
    ticket[~cust["active"]] = 0
    # Existing customers run a stationary lattice (uniform phase). New customers start at
    # their won order; ticketed existing customers come back at a uniform time of the
    # period: their orders 1-3 (and so their tickets) spread over the whole year.
    phi = rng.random(n) * mu
    anchored = cust["is_new"] | (ticket > 0)
    comeback = snap(rng, rng.random(n) * D)
    t0 = np.where(cust["is_new"], cust["won_t"], np.where(anchored, comeback, phi))
    lattice = np.ceil((D - t0) / mu).astype(np.int64)  # lattice points before the end
    k_rep = np.maximum(lattice, 2)  # repeaters get at least two orders
    # The ticket sits on order j = plan; a plan beyond the lattice (a late start) has no
    # ticket - that customer's orders are max(L, 2) whatever the outcome, as in the model.
    j = ticket
    has_ticket = (ticket > 0) & (ticket <= lattice)
    sat = 1 + rng.choice(5, size=n, p=np.asarray(SATISFACTION))
    y = rng.random(n) < repurchase_p(sat, j)
    one = np.where(ticket == 0, rng.random(n) < pp["q0"], np.where(ticket == 1, ~y, False))
    one &= cust["active"]
    churn = has_ticket & (ticket >= 2) & ~y  # stops buying after the ticketed order
    k = np.where(one, 1, np.where(churn, j, k_rep))
    k[~cust["active"]] = 0
    delay = rng.uniform(*TICKET_DELAY_DAYS, n)
    return {"mu": mu, "phi": phi, "t0": t0, "anchored": anchored, "lattice": lattice,
            "ticket": ticket, "has_ticket": has_ticket, "j": j,
            "sat": sat, "y": y, "one": one, "k": k, "delay": delay,
            "repeater": cust["active"] & ~one}


def rhythm_breakers(rng, cal: Cal, cust: dict, plan: dict) -> dict:
    """About 4% of existing repeaters with >= 4 orders before a break date stop buying."""
    b = rng.integers(cal.offset(BREAK_WINDOW[0]), cal.offset(BREAK_WINDOW[1]) + 1,
                     len(plan["mu"])).astype(float)
    before = np.ceil((b - plan["phi"]) / plan["mu"])  # lattice points before the break
    eligible = (~cust["is_new"]) & plan["repeater"] & (plan["ticket"] == 0) & (before >= 4)
    chosen = eligible & (rng.random(len(b)) < BREAK_PROB)
    return {"chosen": chosen, "day": b}


def order_timeline(rng, cal: Cal, cust: dict, plan: dict, breakers: dict) -> dict:
    """Known customers' orders as float days: lattice orders, one-timers, forced seconds."""
    D = cal.days
    anchored = plan["anchored"]
    one_free = plan["one"] & ~anchored  # one order anywhere in the period
    n_lat = np.where(one_free, 0, np.minimum(plan["k"], plan["lattice"]))
    cidx = np.repeat(np.arange(len(n_lat)), n_lat)
    k = np.arange(len(cidx)) - np.repeat(np.cumsum(n_lat) - n_lat, n_lat)
    mu = plan["mu"][cidx]
    base = plan["t0"][cidx] + k * mu
    t = base + mu * rng.uniform(-JITTER, JITTER, len(cidx))
    anchor = anchored[cidx] & (k == 0)  # a won order or a comeback: exact, never moved
    t = np.where(anchor, base, np.clip(t, 0.0, D - 1e-6))
    # Rhythm breakers: lattice points on/after the break date go; the rest stay before it.
    brk = breakers["chosen"][cidx]
    bday = breakers["day"][cidx]
    keep = ~(brk & (base >= bday))
    t = np.where(brk, np.minimum(t, bday - 1e-6), t)
    cidx, t, anchor = cidx[keep], t[keep], anchor[keep]
    t = np.where(anchor, t, snap(rng, t))
    one_idx = np.flatnonzero(one_free)
    t_one = snap(rng, rng.random(len(one_idx)) * D)
    # Anchored repeaters whose lattice has a single point get a second order later on
    # (after their ticket, when the ticket falls inside the period).
    f_idx = np.flatnonzero(plan["k"] > np.where(one_free, 1, plan["lattice"]))
    lo = plan["t0"][f_idx]
    opened = lo + plan["delay"][f_idx]
    lo = np.where((plan["ticket"][f_idx] == 1) & (opened < D), opened, lo)
    t_forced = lo + rng.uniform(0.05, 0.95, len(f_idx)) * (D - lo)
    n_forced = len(f_idx)
    first_new = anchor & cust["is_new"][cidx]
    orders = {
        "cust": np.concatenate([cidx, one_idx, f_idx]),
        "t": np.concatenate([t, t_one, t_forced]),
        "first_new": np.concatenate([first_new, np.zeros(len(one_idx) + n_forced, bool)]),
        # orders whose exact time matters (won order, ticketed order 1, forced second)
        "fixed": np.concatenate([anchor, np.zeros(len(one_idx), bool), np.ones(n_forced, bool)]),
    }
    orders["store"] = np.full(len(orders["t"]), -1, np.int8)
    return orders


def order_values(rng, cal: Cal, cust: dict, leads: dict, orders: dict, holdout: dict):
    """Revenue (iid base + card delta), cost, status, card flag, promotion tags."""
    n = len(orders["t"])
    c, t = orders["cust"], orders["t"]
    known = c >= 0
    base = np.round(np.exp(np.log(BASKET_MEDIAN) + BASKET_SIGMA * rng.standard_normal(n)), 2)
    # A won lead's first order is the deal: its value, drawn from the same distribution.
    fn = np.flatnonzero(orders["first_new"])
    base[fn] = leads["value"][cust["lead"][c[fn]]]
    since = np.where(known, cust["member_since"][np.maximum(c, 0)], np.nan)
    card = known & (t >= since)  # NaN (non-member) compares False
    revenue = base + LOYALTY_DELTA * card
    share_ch = np.array([COST_SHARE[ch] for ch in CHANNELS])
    share = np.where(known, share_ch[cust["ch"][np.maximum(c, 0)]], COST_SHARE_ANONYMOUS)
    share = share + rng.uniform(-COST_SPREAD, COST_SPREAD, n)
    orders["revenue"] = np.round(revenue, 2)
    orders["cost"] = np.round(revenue * share, 2)
    orders["status"] = pick(rng, STATUS, n)
    orders["card"] = card
    # Promotions: orders during a promotion carry its id with a fixed probability.
    promo = np.full(n, -1, np.int8)
    online = orders["store"] < 0
    for i, (_pid, _name, _kind, chan, a, b) in enumerate(PROMOTIONS):
        if a is None:
            continue
        inside = (t >= cal.offset(a)) & (t < cal.offset(b) + 1)
        if chan == "online":
            inside &= online
        promo[inside & (rng.random(n) < PROMO_TAG_PROB)] = i
    # The holdout coupon: treated recipients' purchases inside the window.
    s, w = holdout["sent"], HOLDOUT["window_days"]
    treated = np.zeros(len(cust["ch"]), bool)
    treated[holdout["rec"][holdout["treat"]]] = True
    hi = [p[0] for p in PROMOTIONS].index(HOLDOUT_PROMO)
    promo[known & treated[np.maximum(c, 0)] & (t >= s) & (t < s + w)] = hi
    orders["promo"] = promo


def orders_table(cal: Cal, orders: dict, ids: Ids) -> pd.DataFrame:
    store = orders["store"].astype(np.int64)
    return frame("orders", {
        "order_id": strings(ids.order),
        "customer_id": ids.take(ids.customer, orders["cust"]),
        "ordered_at": timestamps(cal, orders["t"]),
        "revenue": orders["revenue"],
        "cost": orders["cost"],
        "channel": labels(("online", "store"), (store >= 0).astype(np.int64)),
        "store_id": labels(STORES, store),
        "promotion_id": labels(tuple(p[0] for p in PROMOTIONS), orders["promo"].astype(np.int64)),
        "loyalty_card": orders["card"],
        "status": labels(tuple(s for s, _ in STATUS), orders["status"]),
    })
