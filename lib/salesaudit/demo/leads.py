"""Web traffic, leads and sales reps: visitors per day and channel, leads drawn from them with
their whole funnel journey, the reps' planted effects and the lucky late starter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import CHANNELS, MONTH_SEASON, Cal
from salesaudit.demo.frames import Ids, frame, id_array, labels, strings, timestamps
from salesaudit.demo.orders import BASKET_MEDIAN, BASKET_SIGMA

# The funnel stages, as the leads table's timestamp columns.
STAGES = ("created_at", "mql_at", "sql_at", "won_at")

# Leads: 1.5 per customer and year, split by channel; visitors come from a per-channel rate.
LEADS_PER_CUSTOMER = 1.5
LEAD_MIX = {"paid_search": 0.40, "social": 0.30, "email": 0.15, "referral": 0.15}
VISITOR_TO_LEAD = {"paid_search": 0.025, "social": 0.012, "email": 0.05, "referral": 0.04}
WEEKDAY_LEADS = (1.05, 1.05, 1.00, 1.00, 0.95, 0.90, 1.05)  # Monday .. Sunday

# Stage-to-stage probabilities (created->mql, mql->sql, sql->won); MQL->SQL is the leak.
FUNNEL = {
    "paid_search": (0.55, 0.22, 0.55),
    "social": (0.45, 0.18, 0.45),
    "email": (0.70, 0.27, 0.62),
    "referral": (0.75, 0.30, 0.70),
}
MEDIAN_DAYS_TO_WON = {"paid_search": 22.0, "social": 32.0, "email": 15.0, "referral": 10.0}
SIGMA_DAYS_TO_WON = {"paid_search": 0.50, "social": 0.45, "email": 0.55, "referral": 0.60}
MAX_DAYS_TO_CONVERT = 55.0
MATURITY_DAYS = 60
LEAD_CAMPAIGNS = {
    "paid_search": ("brand_search", "generic_shoes", "shopping_feed"),
    "social": ("ig_spring", "fb_lookalike", "tiktok_creators"),
    "email": ("newsletter_signup", "style_guide_download"),
    "referral": ("friend_code", "partner_blog"),
}
LEAD_CAMPAIGN_NAMES = tuple(c for ch in CHANNELS for c in LEAD_CAMPAIGNS[ch])
LANDING_PAGES = ("/", "/promo", "/catalogo", "/guida-taglie", "/iscriviti")

# Sales reps: R01..R07 share the SQLs independently of channel; effects on P(SQL->won) are
# additive and average to zero over the shares (R07 balances). R08 started late and is
# handed exactly 12 SQLs, 9 of them won: lucky, with a true effect of zero.
REPS = tuple(f"R{i:02d}" for i in range(1, 9))
REP_SHARE = (0.16, 0.14, 0.15, 0.14, 0.14, 0.14, 0.13)
REP_EFFECT_FREE = (0.02, -0.03, 0.12, -0.04, 0.0, -0.05)  # R01..R06; R07 balances
BEST_REP, LUCKY_REP, LUCKY_SQLS, LUCKY_WINS = "R03", "R08", 12, 9
LUCKY_START_DAYS_BEFORE_END = 92


def web_traffic(rng, cal: Cal, n: int):
    """Visitors per day and channel (Poisson) and leads = Binomial(visitors, rate)."""
    season = np.asarray(MONTH_SEASON)[cal.month - 1] * np.asarray(WEEKDAY_LEADS)[cal.weekday]
    season = season / season.sum()
    lam, rows, n_leads = {}, [], []
    for ch in CHANNELS:
        lam[ch] = LEADS_PER_CUSTOMER * n * LEAD_MIX[ch] * season  # expected leads per day
        visitors = rng.poisson(lam[ch] / VISITOR_TO_LEAD[ch])
        n_leads.append(rng.binomial(visitors, VISITOR_TO_LEAD[ch]))
        rows.append(visitors)
    dates = pd.date_range(cal.start, periods=cal.days, freq="D")
    table = {
        "date": np.tile(dates.to_numpy(), len(CHANNELS)),
        "channel": np.repeat(np.array(CHANNELS, dtype=object), cal.days),
        "visitors": np.concatenate(rows),
    }
    table["leads_per_row"] = np.concatenate(n_leads)
    return table, lam


def draw_leads(rng, cal: Cal, n_by_row: np.ndarray) -> dict:
    """Leads with their stage timestamps, rep, value; outcome decided, then censored at end."""
    D = cal.days
    row = np.repeat(np.arange(len(n_by_row)), n_by_row)
    ch = row // D
    created = (row % D) + rng.random(len(row))
    n = len(ch)
    p = np.array([FUNNEL[c] for c in CHANNELS])
    reach_mql = rng.random(n) < p[ch, 0]
    reach_sql = reach_mql & (rng.random(n) < p[ch, 1])
    rep = rng.choice(7, size=n, p=np.asarray(REP_SHARE))
    p_win = p[ch, 2] + rep_effects()[rep]
    reach_won = reach_sql & (rng.random(n) < p_win)
    # The whole journey: lognormal with the planted median, capped (the median is unchanged).
    med = np.log([MEDIAN_DAYS_TO_WON[c] for c in CHANNELS])
    sig = np.array([SIGMA_DAYS_TO_WON[c] for c in CHANNELS])
    journey = np.minimum(np.exp(med[ch] + sig[ch] * rng.standard_normal(n)), MAX_DAYS_TO_CONVERT)
    frac = rng.dirichlet((2.0, 2.0, 2.0), size=n)  # share of the journey in each stage
    t_mql = created + frac[:, 0] * journey
    t_sql = t_mql + frac[:, 1] * journey
    t_won = created + journey
    last = np.where(reach_sql, t_sql, np.where(reach_mql, t_mql, created))
    t_lost = last + rng.uniform(0.2, 1.0, n) * (t_won - last)
    # What has happened by the end of the period is observed; the rest is still open.
    mql = np.where(reach_mql & (t_mql < D), t_mql, np.nan)
    sql = np.where(reach_sql & (t_sql < D), t_sql, np.nan)
    won = np.where(reach_won & (t_won < D), t_won, np.nan)
    lost = np.where(~reach_won & (t_lost < D), t_lost, np.nan)
    value = np.round(np.exp(np.log(BASKET_MEDIAN) + BASKET_SIGMA * rng.standard_normal(n)), 2)
    # Lead campaign (a few per channel, as codes into LEAD_CAMPAIGN_NAMES) and landing page.
    size = np.array([len(LEAD_CAMPAIGNS[c]) for c in CHANNELS])
    camp = (np.cumsum(size) - size)[ch] + (rng.random(n) * size[ch]).astype(np.int64)
    page = rng.integers(0, len(LANDING_PAGES), n)
    return {"ch": ch, "created": created, "mql": mql, "sql": sql, "won": won, "lost": lost,
            "rep": np.where(np.isnan(sql), -1, rep), "value": value, "campaign": camp,
            "page": page}


def rep_effects() -> np.ndarray:
    """Additive effects on P(SQL->won) for R01..R07, zero on average over the shares."""
    share = np.asarray(REP_SHARE)
    free = np.asarray(REP_EFFECT_FREE)
    last = -(share[:-1] @ free) / share[-1]
    return np.append(free, last)


def lucky_rep(rng, cal: Cal, leads: dict) -> None:
    """Hand R08 (started late) 9 won and 3 lost SQLs; outcomes are not changed."""
    start = cal.days - LUCKY_START_DAYS_BEFORE_END
    late = leads["sql"] >= start
    won = np.flatnonzero(late & ~np.isnan(leads["won"]))
    lost = np.flatnonzero(late & ~np.isnan(leads["lost"]))
    pick_w = rng.choice(won, size=min(LUCKY_WINS, len(won)), replace=False)
    pick_l = rng.choice(lost, size=min(LUCKY_SQLS - LUCKY_WINS, len(lost)), replace=False)
    leads["rep"][np.concatenate([pick_w, pick_l])] = 7


def leads_table(cal: Cal, leads: dict, cust: dict, ids: Ids) -> pd.DataFrame:
    n = len(leads["ch"])
    o = np.argsort(leads["created"], kind="stable")
    lead_cust = np.full(n, -1)
    new = np.flatnonzero(cust["lead"] >= 0)
    lead_cust[cust["lead"][new]] = new
    has_sql = ~np.isnan(leads["sql"])
    return frame("leads", {
        "lead_id": strings(id_array("L", n, 6)),
        "created_at": timestamps(cal, leads["created"][o]),
        "channel": labels(CHANNELS, leads["ch"][o]),
        "campaign": labels(LEAD_CAMPAIGN_NAMES, leads["campaign"][o]),
        "landing_page": labels(LANDING_PAGES, leads["page"][o]),
        "mql_at": timestamps(cal, leads["mql"][o]),
        "sql_at": timestamps(cal, leads["sql"][o]),
        "won_at": timestamps(cal, leads["won"][o]),
        "lost_at": timestamps(cal, leads["lost"][o]),
        "customer_id": ids.take(ids.customer, lead_cust[o]),
        "rep_id": labels(REPS, leads["rep"][o]),
        "value": np.where(has_sql, leads["value"], np.nan)[o],
    })


def reps_table(cal: Cal) -> pd.DataFrame:
    started = [pd.Timestamp(y, m, 1) for y, m in
               [(2019, 3), (2020, 9), (2021, 2), (2022, 5), (2020, 1), (2023, 4), (2024, 2)]]
    started.append(cal.start + pd.Timedelta(days=cal.days - LUCKY_START_DAYS_BEFORE_END))
    return frame("reps", {
        "rep_id": list(REPS),
        "name": [f"Rep {i}" for i in range(1, 9)],
        "team": ["North"] * 4 + ["South"] * 4,
        "manager": ["Manager North"] * 4 + ["Manager South"] * 4,
        "started_at": np.array(started, dtype="datetime64[ns]"),
    })
