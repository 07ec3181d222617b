"""Planted in the leads and web traffic: funnel rates and the leak, visitor-to-lead rates,
the best rep and the lucky one.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .checks import Z, inside, period_end


def test_funnel_rates_and_the_leak(mid):
    t, tr = mid.tables, mid.truth
    leads = t["leads"]
    mature = leads[leads["created_at"] <= period_end(tr) - pd.Timedelta(days=tr["funnel"]["maturity_days"])]
    for ch, g in mature.groupby("channel"):
        reached = [len(g)] + [g[c].notna().sum() for c in ("mql_at", "sql_at", "won_at")]
        rates = {}
        for (a, b), n_from, n_to in zip([("created_at", "mql_at"), ("mql_at", "sql_at"),
                                         ("sql_at", "won_at")], reached[:-1], reached[1:], strict=True):
            key = f"{a}->{b}"
            rates[key] = n_to / n_from
            assert inside(n_to, n_from, tr["funnel"]["conversion"][ch][key]), (ch, key)
        assert min(rates, key=rates.get) == "mql_at->sql_at", ch
        days = (g["won_at"] - g["created_at"]).dt.total_seconds().dropna() / 86400
        assert days.max() <= tr["funnel"]["max_days_to_convert"] + 1e-6
        # the median of a sample: the planted median lies between the z-order statistics
        k = np.sort(days.to_numpy())
        lo = int(len(k) / 2 - Z * math.sqrt(len(k)) / 2)
        hi = int(len(k) / 2 + Z * math.sqrt(len(k)) / 2)
        assert k[lo] <= tr["funnel"]["median_days_to_won"][ch] <= k[hi], ch
    lost = mature[mature["won_at"].isna()]
    assert lost["lost_at"].notna().all()  # a mature lead's outcome is known


def test_visitor_to_lead(mid):
    t, tr = mid.tables, mid.truth
    visitors = t["traffic"].groupby("channel")["visitors"].sum()
    leads = t["leads"].groupby("channel").size()
    for ch, rate in tr["traffic"]["visitor_to_lead"].items():
        assert inside(leads[ch], visitors[ch], rate), ch


def test_reps_best_and_lucky(mid):
    t, tr = mid.tables, mid.truth["reps"]
    leads = t["leads"]
    closed = leads[leads["sql_at"].notna() & (leads["won_at"].notna() | leads["lost_at"].notna())]
    g = closed.groupby("rep_id")["won_at"]
    wins, n = g.count(), g.size()
    assert n[tr["lucky_small"]] == 12 and wins[tr["lucky_small"]] == 9
    big = n[n >= 100].index
    assert (wins[big] / n[big]).idxmax() == tr["best"]
    assert (wins / n).idxmax() == tr["lucky_small"]  # the raw ranking is fooled
    for rep in big:
        assert inside(wins[rep], n[rep], tr["win_rate"][rep]), rep
    started = t["reps"].set_index("rep_id")["started_at"]
    own = leads[leads["rep_id"] == tr["lucky_small"]]
    assert (own["sql_at"] >= started[tr["lucky_small"]]).all()
