"""Stores: door counters per store-hour, store orders = Binomial(visitors, p_hour), matched to
known customers' planned orders of the same day or left anonymous.
"""

from __future__ import annotations

import numpy as np

from salesaudit.demo.base import MONTH_SEASON, Cal, group_rank

# Stores: open Monday-Saturday 09:00-20:00; store orders = Binomial(visitors, p_hour).
STORES = ("ST1", "ST2", "ST3")
STORE_SIZE = (1.25, 1.0, 0.75)
STORE_HOURS = tuple(range(9, 20))
STORE_HOUR_TRAFFIC = (0.6, 0.8, 1.0, 1.1, 1.0, 0.8, 0.9, 1.0, 1.2, 1.3, 1.1)
STORE_CONVERSION = {9: 0.10, 10: 0.12, 11: 0.13, 12: 0.12, 13: 0.05, 14: 0.11,
                    15: 0.12, 16: 0.13, 17: 0.14, 18: 0.14, 19: 0.12}
WEAK_HOUR = 13
STORE_VISITORS_PER_SLOT = 25.0  # mean per store-hour at 20,000 customers
STORE_WEEKDAY = (0.9, 0.9, 0.95, 1.0, 1.1, 1.35, 0.0)
ANONYMOUS_SHARE = 0.30


def store_orders(rng, cal: Cal, n: int, orders: dict, holdout: dict):
    """Door counters per store-hour and store orders = Binomial(visitors, p_hour).

    70% of store orders belong to customers: they take the place of customer orders planned
    for the same day (count-preserving); the rest, and any surplus, are anonymous.
    """
    scale = n / 20_000
    season = np.asarray(MONTH_SEASON)[cal.month - 1] * np.asarray(STORE_WEEKDAY)[cal.weekday]
    open_days = np.flatnonzero(season > 0)
    rows, slot_day, slot_time, slot_store, slot_n = [], [], [], [], []
    for si, size in enumerate(STORE_SIZE):
        for hi, hour in enumerate(STORE_HOURS):
            lam = STORE_VISITORS_PER_SLOT * scale * size * STORE_HOUR_TRAFFIC[hi] * season[open_days]
            lam = lam / np.mean(STORE_HOUR_TRAFFIC)
            visitors = rng.poisson(lam)
            bought = rng.binomial(visitors, STORE_CONVERSION[hour])
            rows.append((si, hour, open_days, visitors))
            slot_day.append(open_days)
            slot_time.append(open_days + hour / 24)
            slot_store.append(np.full(len(open_days), si))
            slot_n.append(bought)
    day_all = np.concatenate(slot_day)
    cnt = np.concatenate(slot_n)
    s_day = np.repeat(day_all, cnt)
    s_t = np.repeat(np.concatenate(slot_time), cnt) + rng.random(cnt.sum()) / 24
    s_store = np.repeat(np.concatenate(slot_store), cnt)
    known = rng.random(len(s_t)) >= ANONYMOUS_SHARE
    # Match known store orders to planned customer orders of the same day.
    c_day = np.floor(orders["t"]).astype(np.int64)
    cand = np.flatnonzero(~orders["fixed"] & ~holdout["edge"])
    cand = cand[np.lexsort((rng.random(len(cand)), c_day[cand]))]
    k_idx = np.flatnonzero(known)
    k_idx = k_idx[np.argsort(s_day[k_idx], kind="stable")]
    big = 1 << 32
    key_c = c_day[cand] * big + group_rank(c_day[cand])
    key_s = s_day[k_idx].astype(np.int64) * big + group_rank(s_day[k_idx])
    _, ic, iks = np.intersect1d(key_c, key_s, assume_unique=True, return_indices=True)
    matched_o, matched_s = cand[ic], k_idx[iks]
    orders["t"][matched_o] = s_t[matched_s]
    orders["store"][matched_o] = s_store[matched_s]
    anon = np.ones(len(s_t), bool)
    anon[matched_s] = False
    m = int(anon.sum())
    for key, val in (("cust", np.full(m, -1)), ("t", s_t[anon]),
                     ("first_new", np.zeros(m, bool)), ("fixed", np.zeros(m, bool)),
                     ("store", s_store[anon].astype(np.int8))):
        orders[key] = np.concatenate([orders[key], val])
    # Final order: by time; customer order numbers follow.
    o = np.lexsort((orders["cust"], orders["t"]))
    for key in orders:
        orders[key] = orders[key][o]
    store_ids = np.asarray(STORES, dtype=object)
    start64 = np.datetime64(cal.start, "ns")
    table = {"store_id": [], "hour_start": [], "visitors": []}
    for si, hour, days, visitors in rows:
        table["store_id"].append(np.full(len(days), store_ids[si], dtype=object))
        table["hour_start"].append(start64 + (days * 24 + hour).astype("timedelta64[h]"))
        table["visitors"].append(visitors)
    table = {k: np.concatenate(v) for k, v in table.items()}
    o = np.lexsort((table["store_id"].astype(str), table["hour_start"]))
    table = {k: v[o] for k, v in table.items()}
    return table, orders
