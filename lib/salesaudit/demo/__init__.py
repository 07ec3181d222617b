"""The demo client: a deterministic synthetic shop with planted, known effects.

"Demo Shop S.r.l." is an Italian-style retailer selling online and in three stores (EUR).
`generate()` builds all twelve contract tables from one seed and returns the planted truths;
`write()` stores the tables (csv or parquet) with `truth.json` beside them.

Every number in `truth` is a parameter of the generating process or an expectation computed
from the parameters in closed form or by deterministic numerical integration - never a
statistic of the generated rows. To keep them exact while several effects touch the same
orders, the steps are arranged so that they do not disturb each other:

- one-time buyers are decided by a Bernoulli draw per active customer (a ticket on the
  first order decides it through the repurchase model instead; the other customers'
  probability is set so the overall share stays exact); repeaters get at least two orders;
- repeat customers buy on a jittered lattice (personal interval `mu`), so the expected
  number of orders is known in closed form; rhythm breakers and ticket churn remove whole
  lattice points, the promotion holdout only moves orders, store matching only moves an
  order within its day;
- the repurchase outcome after a ticket is drawn from the logistic model first and the
  customer's later orders follow it (kept or stopped); a ticket's timing never depends on
  the outcome, so the model holds for every ticket whose 180 days lie inside the period;
- store orders per store-hour are Binomial(visitors, p_hour); loyalty-card revenue is
  base + delta with the base drawn iid for every order, so card and non-card orders differ
  by exactly delta in expectation.

Everything is vectorized numpy; loops run only over channels, reps, campaigns and stores.
Times are kept as float days since the period start and turned into timestamps at the end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from scipy import signal, special, stats

from salesaudit.ingest import contract

# ------------------------------------------------------------------ planted parameters

CHANNELS = ("paid_search", "social", "email", "referral")
STAGES = ("created_at", "mql_at", "sql_at", "won_at")

# Leads: 1.5 per customer and year, split by channel; visitors come from a per-channel rate.
LEADS_PER_CUSTOMER = 1.5
LEAD_MIX = {"paid_search": 0.40, "social": 0.30, "email": 0.15, "referral": 0.15}
VISITOR_TO_LEAD = {"paid_search": 0.025, "social": 0.012, "email": 0.05, "referral": 0.04}
MONTH_SEASON = (1.10, 0.90, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 1.00, 1.05, 1.25, 1.35)
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

# Customers.
PRE_MIX = {"paid_search": 0.35, "social": 0.20, "email": 0.20, "referral": 0.25}
ACTIVE_SHARE_EXISTING = 0.85  # existing customers with >= 1 order in the period
MARKETS = (("IT", 0.70), ("DE", 0.12), ("FR", 0.10), ("ES", 0.08))
IT_REGIONS = ("Nord-Ovest", "Nord-Est", "Centro", "Sud", "Isole")
GENDERS = (("F", 0.57), ("M", 0.41), (None, 0.02))
CONSENT_SHARE = 0.70
MEMBER_SHARE = 0.35
MEMBER_BEFORE_PERIOD = 0.60  # existing members who joined before the period

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
ONLINE_HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 6, 7, 8, 9, 10, 10, 7, 3)

# Acquisition cost per new customer (spend = CAC x expected new customers in the period).
CAC = {"paid_search": 75.0, "social": 140.0, "email": 35.0, "referral": 45.0}

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

DATE_COLUMNS = {("customers", "first_seen_at"), ("customers", "loyalty_member_since"),
                ("traffic", "date"), ("spend", "period_start"), ("reps", "started_at")}


@dataclass
class Demo:
    """The twelve canonical tables (contract names and dtypes) and the planted truths."""

    tables: dict[str, pd.DataFrame]
    truth: dict


@dataclass
class _Cal:
    start: pd.Timestamp
    end: pd.Timestamp
    days: int  # D: the period is [0, D) in days since start
    weekday: np.ndarray
    month: np.ndarray

    def offset(self, day365: float) -> int:
        """A day of the 365-day template, stretched to this period."""
        return int(round(day365 * self.days / 365))


# ------------------------------------------------------------------ public API


def generate(customers: int = 20_000, seed: int = 42, start: str = "2025-01-01",
             end: str = "2025-12-31") -> Demo:
    """All twelve tables of the demo client and the truths planted in them."""
    if customers < 500:
        raise ValueError("customers must be at least 500 for every planted effect to appear")
    cal = _calendar(start, end)
    rng = np.random.default_rng(seed)
    n = int(customers)

    traffic, lam = _traffic(rng, cal, n)
    leads = _leads(rng, cal, traffic.pop("leads_per_row"))
    _lucky_rep(rng, cal, leads)
    cust = _customers(rng, cal, n, leads)
    plan = _order_plan(rng, cal, cust)
    breakers = _rhythm_breakers(rng, cal, cust, plan)
    orders = _order_timeline(rng, cal, cust, plan, breakers)
    holdout = _holdout(rng, cal, cust, plan, orders)
    store_traffic, orders = _stores(rng, cal, n, orders, holdout)
    tickets = _tickets(rng, cal, cust, plan, orders)
    _order_values(rng, cal, cust, leads, orders, holdout)
    campaigns, touches, meta = _campaigns_and_touches(rng, cal, cust, orders, holdout)
    surveys = _surveys(rng, cal, cust)
    expect = _expectations(cal, n, lam)
    spend = _spend(cal, lam, expect)

    # Build the frames, dropping the big raw arrays as soon as they are turned into tables.
    ids = _Ids(n, len(orders["t"]))
    tables = {"touches": _touches_table(cal, touches, ids)}
    del touches
    tables["orders"] = _orders_table(cal, orders, ids)
    del orders
    lucky = {"sqls": int((leads["rep"] == 7).sum()),
             "wins": int(((leads["rep"] == 7) & ~np.isnan(leads["won"])).sum())}
    tables["leads"] = _leads_table(cal, leads, cust, ids)
    del leads
    tables["customers"] = _customers_table(cal, cust, ids)
    tables["tickets"] = _tickets_table(cal, tickets, ids)
    tables["surveys"] = _surveys_table(cal, surveys, ids)
    tables["traffic"] = _table("traffic", traffic)
    tables["store_traffic"] = _table("store_traffic", store_traffic)
    tables["spend"] = _table("spend", spend)
    tables["campaigns"] = _table("campaigns", campaigns)
    tables["promotions"] = _promotions_table(cal, holdout)
    tables["reps"] = _reps_table(cal)
    tables = {name: tables[name] for name in contract.TABLES}
    truth = _truth(cal, n, seed, expect, spend, ids, breakers, holdout, meta, lucky)
    return Demo(tables=tables, truth=truth)


def write(demo: Demo, out: Path, fmt: str = "csv") -> None:
    """Write `<table>.csv|parquet` for every table and `truth.json` into `out`."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in demo.tables.items():
        if fmt == "parquet":
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            _write_csv(name, df, out / f"{name}.csv")
    text = json.dumps(_native(demo.truth), indent=2, sort_keys=True, ensure_ascii=False)
    (out / "truth.json").write_text(text + "\n", encoding="utf-8")


def _write_csv(name: str, df: pd.DataFrame, path: Path) -> None:
    # pyarrow writes ISO timestamps, true/false and empty cells for missing values, fast.
    arrays, names = [], []
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            arr = pa.array(s.to_numpy(dtype="datetime64[s]"), type=pa.timestamp("s"),
                           from_pandas=True)
            if (name, col) in DATE_COLUMNS:
                arr = arr.cast(pa.date32())
        else:
            arr = pa.array(s, from_pandas=True)
        arrays.append(arr)
        names.append(col)
    table = pa.Table.from_arrays(arrays, names=names)
    try:  # plain cells; quotes only if some text holds a comma, quote or line break
        body = pa.BufferOutputStream()
        pacsv.write_csv(table, body, pacsv.WriteOptions(include_header=False,
                                                        quoting_style="none"))
    except pa.ArrowInvalid:
        body = pa.BufferOutputStream()
        pacsv.write_csv(table, body, pacsv.WriteOptions(include_header=False,
                                                        quoting_style="needed"))
    with open(path, "wb") as f:
        f.write((",".join(names) + "\n").encode())
        f.write(body.getvalue().to_pybytes())


# ------------------------------------------------------------------ calendar and helpers


def _calendar(start: str, end: str) -> _Cal:
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    dates = pd.date_range(s, e, freq="D")
    if len(dates) < 200:
        raise ValueError("the demo needs a period of at least 200 days")
    return _Cal(s, e, len(dates), np.asarray(dates.day_of_week), np.asarray(dates.month))


def _pick(rng, options, n):
    """n draws from (value, probability) pairs, as indices."""
    p = np.array([w for _, w in options], float)
    return rng.choice(len(options), size=n, p=p / p.sum())


def _group_rank(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys (keys sorted)."""
    first = np.searchsorted(sorted_keys, sorted_keys, side="left")
    return np.arange(len(sorted_keys)) - first


def _snap(rng, t: np.ndarray) -> np.ndarray:
    """Keep the day, redraw the time of day from the online hourly profile."""
    p = np.asarray(ONLINE_HOURS, float)
    hour = rng.choice(24, size=len(t), p=p / p.sum())
    return np.floor(t) + (hour + rng.random(len(t))) / 24


def _mu_cdf(x, ch: str):
    """P(mu <= x) for the clipped gamma of the purchase interval (atoms at the clips)."""
    lo, hi = INTERVAL_CLIP
    x = np.asarray(x, float)
    f = stats.gamma.cdf(x, INTERVAL_SHAPE, scale=INTERVAL_MEAN[ch] / INTERVAL_SHAPE)
    return np.where(x < lo, 0.0, np.where(x >= hi, 1.0, f))


# ------------------------------------------------------------------ traffic and leads


def _traffic(rng, cal: _Cal, n: int):
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


def _leads(rng, cal: _Cal, n_by_row: np.ndarray) -> dict:
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
    p_win = p[ch, 2] + _rep_effects()[rep]
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


def _rep_effects() -> np.ndarray:
    """Additive effects on P(SQL->won) for R01..R07, zero on average over the shares."""
    share = np.asarray(REP_SHARE)
    free = np.asarray(REP_EFFECT_FREE)
    last = -(share[:-1] @ free) / share[-1]
    return np.append(free, last)


def _lucky_rep(rng, cal: _Cal, leads: dict) -> None:
    """Hand R08 (started late) 9 won and 3 lost SQLs; outcomes are not changed."""
    start = cal.days - LUCKY_START_DAYS_BEFORE_END
    late = leads["sql"] >= start
    won = np.flatnonzero(late & ~np.isnan(leads["won"]))
    lost = np.flatnonzero(late & ~np.isnan(leads["lost"]))
    pick_w = rng.choice(won, size=min(LUCKY_WINS, len(won)), replace=False)
    pick_l = rng.choice(lost, size=min(LUCKY_SQLS - LUCKY_WINS, len(lost)), replace=False)
    leads["rep"][np.concatenate([pick_w, pick_l])] = 7


# ------------------------------------------------------------------ customers


def _customers(rng, cal: _Cal, n: int, leads: dict) -> dict:
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
    c["market"] = _pick(rng, MARKETS, n)
    region = rng.integers(0, len(IT_REGIONS), n)
    c["region"] = np.where(c["market"] == 0, region, -1)
    c["gender"] = _pick(rng, GENDERS, n)
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


# ------------------------------------------------------------------ orders


def _repurchase_p(s, j):
    m = CSAT_REPURCHASE
    return special.expit(m["intercept"] + m["logit_coef_per_point"] * s
                         + m["prior_orders_coef"] * j)


def _plan_probabilities() -> dict:
    """Ticket plan and the one-time probability of customers without a first-order ticket.

    A ticket on the first order decides one-time vs repeat through the repurchase model;
    q0 is set so that the share of one-time buyers among all active customers is exact.
    """
    pi = np.r_[1 - sum(TICKET_PLAN), TICKET_PLAN]
    s = np.arange(1, 6)
    pbar = {j: float(np.asarray(SATISFACTION) @ _repurchase_p(s, j)) for j in (1, 2, 3)}
    q0 = (ONE_TIME_SHARE - pi[1] * (1 - pbar[1])) / pi[0]
    assert 0 < q0 < 1
    return {"pi": pi, "pbar": pbar, "q0": q0}


def _order_plan(rng, cal: _Cal, cust: dict) -> dict:
    """Per customer: interval, lattice size, ticket plan, repurchase outcome, one-time flag."""
    n, D = len(cust["ch"]), cal.days
    pp = _plan_probabilities()
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
    comeback = _snap(rng, rng.random(n) * D)
    t0 = np.where(cust["is_new"], cust["won_t"], np.where(anchored, comeback, phi))
    lattice = np.ceil((D - t0) / mu).astype(np.int64)  # lattice points before the end
    k_rep = np.maximum(lattice, 2)  # repeaters get at least two orders
    # The ticket sits on order j = plan; a plan beyond the lattice (a late start) has no
    # ticket - that customer's orders are max(L, 2) whatever the outcome, as in the model.
    j = ticket
    has_ticket = (ticket > 0) & (ticket <= lattice)
    sat = 1 + rng.choice(5, size=n, p=np.asarray(SATISFACTION))
    y = rng.random(n) < _repurchase_p(sat, j)
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


def _rhythm_breakers(rng, cal: _Cal, cust: dict, plan: dict) -> dict:
    """About 4% of existing repeaters with >= 4 orders before a break date stop buying."""
    b = rng.integers(cal.offset(BREAK_WINDOW[0]), cal.offset(BREAK_WINDOW[1]) + 1,
                     len(plan["mu"])).astype(float)
    before = np.ceil((b - plan["phi"]) / plan["mu"])  # lattice points before the break
    eligible = (~cust["is_new"]) & plan["repeater"] & (plan["ticket"] == 0) & (before >= 4)
    chosen = eligible & (rng.random(len(b)) < BREAK_PROB)
    return {"chosen": chosen, "day": b}


def _order_timeline(rng, cal: _Cal, cust: dict, plan: dict, breakers: dict) -> dict:
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
    t = np.where(anchor, t, _snap(rng, t))
    one_idx = np.flatnonzero(one_free)
    t_one = _snap(rng, rng.random(len(one_idx)) * D)
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


def _holdout(rng, cal: _Cal, cust: dict, plan: dict, orders: dict) -> dict:
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
    t[firsts] = _snap(rng, day_in)
    # Must not buy: in-window orders move 1-20 days before the window.
    out = np.flatnonzero((want[c] == 1) & in_win)
    t[out] = _snap(rng, np.floor(s) - rng.integers(1, 21, len(out)))
    # Orders on the window's edge days keep their time of day (no store re-timing).
    day = np.floor(t)
    edge = (want[c] > 0) & ((day == np.floor(s)) | (day == np.floor(s) + w))
    return {"sent": s, "rec": rec, "treat": treat, "buys": buys, "edge": edge}


def _stores(rng, cal: _Cal, n: int, orders: dict, holdout: dict):
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
    key_c = c_day[cand] * big + _group_rank(c_day[cand])
    key_s = s_day[k_idx].astype(np.int64) * big + _group_rank(s_day[k_idx])
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


def _tickets(rng, cal: _Cal, cust: dict, plan: dict, orders: dict) -> dict:
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
    chan = _pick(rng, TICKET_CHANNELS, n)
    med = np.log([FIRST_RESPONSE_MEDIAN_HOURS[ch] for ch, _ in TICKET_CHANNELS])[chan]
    first_resp = opened + np.exp(med + FIRST_RESPONSE_SIGMA * rng.standard_normal(n)) / 24
    resolved = first_resp + np.exp(np.log(RESOLUTION_MEDIAN_HOURS)
                                   + RESOLUTION_SIGMA * rng.standard_normal(n)) / 24
    first_resp = np.where(first_resp < D, first_resp, np.nan)
    resolved = np.where(resolved < D, resolved, np.nan)
    done = ~np.isnan(resolved)
    csat = np.where(done & (rng.random(n) < CSAT_RESPONSE), plan["sat"][who], np.nan)
    return {"cust": who, "order_pos": pos, "opened": opened, "first_resp": first_resp,
            "resolved": resolved, "channel": chan, "category": _pick(rng, TICKET_CATEGORIES, n),
            "agent": rng.integers(0, len(AGENTS), n), "csat": csat,
            "reopened": done & (rng.random(n) < REOPENED),
            "prior_orders": plan["j"][who]}


def _order_values(rng, cal: _Cal, cust: dict, leads: dict, orders: dict, holdout: dict):
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
    orders["status"] = _pick(rng, STATUS, n)
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


# ------------------------------------------------------------------ campaigns and touches


def _campaign_schedule(cal: _Cal) -> list[dict]:
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


def _campaigns_and_touches(rng, cal: _Cal, cust: dict, orders: dict, holdout: dict):
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


def _flow_sends(rng, cal: _Cal, flow: str, cust: dict, orders: dict):
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


# ------------------------------------------------------------------ spend and surveys


def _spend(cal: _Cal, lam: dict, expect: dict) -> dict:
    """Monthly spend per channel: planted CAC x expected new customers, by lead volume."""
    dates = pd.date_range(cal.start, periods=cal.days, freq="D")
    month = dates.to_period("M")
    months = month.unique()
    out = {"period_start": [], "channel": [], "amount": []}
    for ch in CHANNELS:
        total = CAC[ch] * expect["new_customers"][ch]
        per_month = pd.Series(lam[ch]).groupby(np.asarray(month.astype(str))).sum()
        share = per_month / per_month.sum()
        for mth in months:
            out["period_start"].append(mth.to_timestamp())
            out["channel"].append(ch)
            out["amount"].append(round(float(total * share[str(mth)]), 2))
    out["period_start"] = np.array(out["period_start"], dtype="datetime64[ns]")
    return out


def _surveys(rng, cal: _Cal, cust: dict) -> dict:
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


# ------------------------------------------------------------------ exact expectations


def _int_journey_cdf(a, b, ch: str):
    """Integral over [a, b] of P(journey <= x), journey = min(lognormal, cap); closed form."""
    m, s, cap = MEDIAN_DAYS_TO_WON[ch], SIGMA_DAYS_TO_WON[ch], MAX_DAYS_TO_CONVERT

    def h(x):  # integral_0^x Phi((ln y - ln m) / s) dy, for 0 <= x <= cap
        x = np.asarray(x, float)
        out = np.zeros_like(x)
        pos = x > 0
        z = (np.log(x[pos]) - np.log(m)) / s
        out[pos] = x[pos] * special.ndtr(z) - m * np.exp(s * s / 2) * special.ndtr(z - s)
        return out

    a, b = np.asarray(a, float), np.asarray(b, float)
    return (h(np.clip(b, 0, cap)) - h(np.clip(a, 0, cap))
            + np.maximum(b, cap) - np.maximum(a, cap))


def _anchored_orders(w: np.ndarray, ch: str, pp: dict) -> np.ndarray:
    """Expected orders of a customer whose lattice starts w days before the end, by plan.

    Row T = ticket plan (0 none, ticket on order 1, 2, 3). Lattice count L = ceil(w / mu)
    (first order included), P(L >= k) = P(mu < w / (k - 1)); repeaters get max(L, 2);
    a ticket on order j = 2, 3 without repurchase stops the customer after order j.
    """
    w = np.asarray(w, float)
    kmax = int(np.ceil(w.max() / INTERVAL_CLIP[0])) + 2
    ge = [np.ones_like(w)] + [_mu_cdf(w / (k - 1), ch) for k in range(2, kmax + 1)]
    ge = np.array(ge)  # ge[k-1] = P(L >= k)
    e_rep = ge.sum(axis=0) + (1 - ge[1])  # E[max(L, 2)]
    pbar, q0 = pp["pbar"], pp["q0"]
    rows = [q0 + (1 - q0) * e_rep, (1 - pbar[1]) + pbar[1] * e_rep]
    for j in (2, 3):
        tail = ge[j:].sum(axis=0)  # E[(max(L,2) - j)^+] = sum_{k > j} P(L >= k)
        rows.append(e_rep - (1 - pbar[j]) * tail)
    return np.array(rows)


def _inv_mu_mean(ch: str) -> float:
    """E[1 / mu] for the clipped gamma, in closed form."""
    lo, hi = INTERVAL_CLIP
    a, th = INTERVAL_SHAPE, INTERVAL_MEAN[ch] / INTERVAL_SHAPE
    inner = (stats.gamma.cdf(hi, a - 1, scale=th) - stats.gamma.cdf(lo, a - 1, scale=th))
    inner /= th * (a - 1)
    return float(inner + _mu_cdf(lo, ch) / lo + (1 - _mu_cdf(hi - 1e-12, ch)) / hi)


def _breaker_loss(cal: _Cal, ch: str) -> float:
    """E[1{>= 4 lattice orders before b} x lattice orders from b on] for an existing repeater.

    With u = phase / mu ~ U(0, 1), x = D / mu and y = b / mu the expectation over u is
    e (floor x - floor y) + min(e, frac x) - min(e, frac y), e = clip(y - 3, 0, 1); it is
    then summed over the break dates and integrated over mu on a fine grid.
    """
    lo, hi = INTERVAL_CLIP
    edges = np.linspace(lo, hi, 14_001)
    mids = (edges[1:] + edges[:-1]) / 2
    wts = np.diff(stats.gamma.cdf(edges, INTERVAL_SHAPE, scale=INTERVAL_MEAN[ch] / INTERVAL_SHAPE))
    mu = np.r_[lo, mids, hi]
    wt = np.r_[_mu_cdf(lo, ch), wts, 1 - _mu_cdf(hi - 1e-12, ch)]
    b = np.arange(cal.offset(BREAK_WINDOW[0]), cal.offset(BREAK_WINDOW[1]) + 1, dtype=float)
    x = cal.days / mu[:, None]
    y = b[None, :] / mu[:, None]
    e = np.clip(y - 3, 0, 1)
    fx, fy = x - np.floor(x), y - np.floor(y)
    val = e * (np.floor(x) - np.floor(y)) + np.minimum(e, fx) - np.minimum(e, fy)
    return float(wt @ val.mean(axis=1))


def _expectations(cal: _Cal, n: int, lam: dict) -> dict:
    """Expected new customers, orders per customer, 12-month value; from parameters only."""
    D = cal.days
    pp = _plan_probabilities()
    pi, q0 = pp["pi"], pp["q0"]
    d = np.arange(D)
    h = 0.01  # grid step (days) for the won-time distribution of new customers
    v_edges = np.arange(0, MAX_DAYS_TO_CONVERT + 1 + h / 2, h)
    m_grid = (np.arange(int(round(D / h))) + 0.5) * h  # w grid, aligned with D - d - v
    out = {"new_customers": {}, "leads": {}, "p_win": {}, "orders_new": {}, "k12": {},
           "orders_pre_per_active": {}, "margin12": {}, "new_check": {}}
    hours = np.asarray(ONLINE_HOURS, float)
    comeback_w = hours[np.floor(((D - m_grid) % 1) * 24).astype(int)]
    comeback_w /= comeback_w.sum()  # density of w = D - comeback time on the grid
    base_mean = BASKET_MEDIAN * np.exp(BASKET_SIGMA ** 2 / 2)
    p_completed = dict(STATUS)["completed"]
    for ch in CHANNELS:
        p1, p2, p3 = FUNNEL[ch]
        pw = p1 * p2 * p3
        # created = d + u (u uniform in the day); won at created + journey, before D
        inside = _int_journey_cdf(D - d - 1, D - d, ch)
        out["leads"][ch] = float(lam[ch].sum())
        out["p_win"][ch] = pw
        out["new_customers"][ch] = float(pw * (lam[ch] @ inside))
        # V = u + journey has CDF F_V(v) = integral_{v-1}^{v} F_journey; w = (D - d) - V
        pmf = np.diff(_int_journey_cdf(v_edges - 1, v_edges, ch))
        lam_grid = np.zeros(int(round(D / h)) + 1)
        lam_grid[np.round((D - d) / h).astype(int)] = lam[ch]
        # mass[m] = sum_i lam[m + 1 + i] pmf[i]: new customers with w = (m + 0.5) h
        mass = signal.fftconvolve(lam_grid, pmf[::-1])[len(pmf): len(pmf) + len(m_grid)]
        parts = _anchored_orders(m_grid, ch, pp)
        out["orders_new"][ch] = float(pw * (mass @ (pi @ parts)))
        out["new_check"][ch] = float(pw * mass.sum())
        # Existing customers: stationary lattice (E[L] = D / mu) minus the breakers' loss;
        # ticketed ones come back at a uniform day with the online time-of-day profile.
        lattice = D * _inv_mu_mean(ch)
        pre = (pi[0] * (q0 + (1 - q0) * lattice)
               - pi[0] * (1 - q0) * BREAK_PROB * _breaker_loss(cal, ch))
        pre += pi[1:] @ (parts[1:] @ comeback_w)
        out["orders_pre_per_active"][ch] = float(pre)
        k12 = float(pi @ _anchored_orders(np.array([365.0]), ch, pp)[:, 0])
        out["k12"][ch] = k12
        per_order = (base_mean + MEMBER_SHARE * LOYALTY_DELTA) * (1 - COST_SHARE[ch]) * p_completed
        out["margin12"][ch] = k12 * per_order
    n_new = sum(out["new_customers"].values())
    active_pre = ACTIVE_SHARE_EXISTING * (n - n_new)
    orders_pre = active_pre * sum(PRE_MIX[c] * out["orders_pre_per_active"][c] for c in CHANNELS)
    orders_new = sum(out["orders_new"].values())
    out["orders_per_customer"] = (orders_pre + orders_new) / (active_pre + n_new)
    out["known_orders"] = orders_pre + orders_new
    out["active"] = active_pre + n_new
    out["base_mean"] = float(base_mean)
    out["plan"] = pp
    return out


# ------------------------------------------------------------------ tables


class _Ids:
    """String ids as pyarrow arrays, indexed by the generator's integer codes."""

    def __init__(self, n_customers: int, n_orders: int):
        self.customer = _id_array("C", n_customers, 6)
        self.order = _id_array("O", n_orders, 7)

    @staticmethod
    def take(ids: pa.Array, idx: np.ndarray) -> pd.Series:
        idx = np.asarray(idx, np.int64)
        return _str(ids.take(pa.array(idx, mask=idx < 0)))


def _id_array(prefix: str, n: int, width: int) -> pa.Array:
    width = max(width, len(str(n)))
    num = pa.array(np.arange(1, n + 1, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(num, width, "0"), "")


def _str(values) -> pd.Series:
    return pd.Series(pd.array(values, dtype="string"))


def _ts(cal: _Cal, days) -> np.ndarray:
    """Float days since start -> datetime64[ns], floored to the second; NaN -> NaT."""
    days = np.asarray(days, float)
    ok = ~np.isnan(days)
    sec = np.where(ok, np.floor(np.where(ok, days, 0) * 86400), 0).astype(np.int64)
    out = np.datetime64(cal.start, "ns") + sec.astype("timedelta64[s]").astype("timedelta64[ns]")
    return np.where(ok, out, np.datetime64("NaT"))


def _table(name: str, data: dict) -> pd.DataFrame:
    """A frame with the contract's columns, in order, with the contract's dtypes."""
    cols = {}
    for col in contract.table(name).columns:
        v = data.get(col.name)
        dtype = contract.DTYPES[col.kind]
        if isinstance(v, pd.Series):
            cols[col.name] = v.reset_index(drop=True).astype(dtype)
        elif dtype == "string":
            cols[col.name] = _str(v)
        elif dtype == "datetime64[ns]":
            cols[col.name] = pd.Series(np.asarray(v, dtype="datetime64[ns]"))
        else:
            cols[col.name] = pd.Series(pd.array(v, dtype=dtype) if dtype in ("boolean", "Int64")
                                       else np.asarray(v, dtype=dtype))
    return pd.DataFrame(cols, copy=False)


def _label(values: tuple, codes: np.ndarray) -> pd.Series:
    """Category labels by code (negative = missing), built in pyarrow (no Python objects)."""
    codes = np.asarray(codes, np.int64)
    return _str(pa.array(list(values), pa.string()).take(pa.array(codes, mask=codes < 0)))


def _customers_table(cal: _Cal, cust: dict, ids: _Ids) -> pd.DataFrame:
    return _table("customers", {
        "customer_id": _str(ids.customer),
        "first_seen_at": _ts(cal, cust["first"]),
        "acquisition_channel": _label(CHANNELS, cust["ch"]),
        "consent_marketing": cust["consent"],
        "loyalty_member_since": _ts(cal, cust["member_since"]),
        "market": _label(tuple(m for m, _ in MARKETS), cust["market"]),
        "gender": _label(tuple(g for g, _ in GENDERS), cust["gender"]),
        "region": _label(IT_REGIONS, cust["region"]),
    })


def _orders_table(cal: _Cal, orders: dict, ids: _Ids) -> pd.DataFrame:
    store = orders["store"].astype(np.int64)
    return _table("orders", {
        "order_id": _str(ids.order),
        "customer_id": ids.take(ids.customer, orders["cust"]),
        "ordered_at": _ts(cal, orders["t"]),
        "revenue": orders["revenue"],
        "cost": orders["cost"],
        "channel": _label(("online", "store"), (store >= 0).astype(np.int64)),
        "store_id": _label(STORES, store),
        "promotion_id": _label(tuple(p[0] for p in PROMOTIONS), orders["promo"].astype(np.int64)),
        "loyalty_card": orders["card"],
        "status": _label(tuple(s for s, _ in STATUS), orders["status"]),
    })


def _leads_table(cal: _Cal, leads: dict, cust: dict, ids: _Ids) -> pd.DataFrame:
    n = len(leads["ch"])
    o = np.argsort(leads["created"], kind="stable")
    lead_cust = np.full(n, -1)
    new = np.flatnonzero(cust["lead"] >= 0)
    lead_cust[cust["lead"][new]] = new
    has_sql = ~np.isnan(leads["sql"])
    return _table("leads", {
        "lead_id": _str(_id_array("L", n, 6)),
        "created_at": _ts(cal, leads["created"][o]),
        "channel": _label(CHANNELS, leads["ch"][o]),
        "campaign": _label(LEAD_CAMPAIGN_NAMES, leads["campaign"][o]),
        "landing_page": _label(LANDING_PAGES, leads["page"][o]),
        "mql_at": _ts(cal, leads["mql"][o]),
        "sql_at": _ts(cal, leads["sql"][o]),
        "won_at": _ts(cal, leads["won"][o]),
        "lost_at": _ts(cal, leads["lost"][o]),
        "customer_id": ids.take(ids.customer, lead_cust[o]),
        "rep_id": _label(REPS, leads["rep"][o]),
        "value": np.where(has_sql, leads["value"], np.nan)[o],
    })


def _touches_table(cal: _Cal, t: dict, ids: _Ids) -> pd.DataFrame:
    return _table("touches", {
        "campaign_id": _label(tuple(t["camp_ids"]), t["camp"]),
        "customer_id": ids.take(ids.customer, t["cust"]),
        "sent_at": _ts(cal, t["sent"]),
        "opened_at": _ts(cal, t["opened"]),
        "clicked_at": _ts(cal, t["clicked"]),
        "group": _label(("treatment", "control"), t["group"].astype(np.int64) - 1),
    })


def _promotions_table(cal: _Cal, holdout: dict) -> pd.DataFrame:
    rows = {"promotion_id": [], "starts_at": [], "ends_at": [], "name": [], "kind": [],
            "channel": []}
    for pid, name, kind, chan, a, b in PROMOTIONS:
        if a is None:
            s = holdout["sent"]
            start, end = s, s + HOLDOUT["window_days"] - 1 / 86400
        else:
            start, end = cal.offset(a), cal.offset(b) + 1 - 1 / 86400
        rows["promotion_id"].append(pid)
        rows["starts_at"].append(_ts(cal, [start])[0])
        rows["ends_at"].append(_ts(cal, [end])[0])
        rows["name"].append(name)
        rows["kind"].append(kind)
        rows["channel"].append(chan)
    return _table("promotions", rows)


def _reps_table(cal: _Cal) -> pd.DataFrame:
    started = [pd.Timestamp(y, m, 1) for y, m in
               [(2019, 3), (2020, 9), (2021, 2), (2022, 5), (2020, 1), (2023, 4), (2024, 2)]]
    started.append(cal.start + pd.Timedelta(days=cal.days - LUCKY_START_DAYS_BEFORE_END))
    return _table("reps", {
        "rep_id": list(REPS),
        "name": [f"Rep {i}" for i in range(1, 9)],
        "team": ["North"] * 4 + ["South"] * 4,
        "manager": ["Manager North"] * 4 + ["Manager South"] * 4,
        "started_at": np.array(started, dtype="datetime64[ns]"),
    })


def _tickets_table(cal: _Cal, t: dict, ids: _Ids) -> pd.DataFrame:
    n = len(t["cust"])
    return _table("tickets", {
        "ticket_id": _str(_id_array("T", n, 5)),
        "opened_at": _ts(cal, t["opened"]),
        "customer_id": ids.take(ids.customer, t["cust"]),
        "order_id": ids.take(ids.order, t["order_pos"]),
        "first_response_at": _ts(cal, t["first_resp"]),
        "resolved_at": _ts(cal, t["resolved"]),
        "channel": _label(tuple(c for c, _ in TICKET_CHANNELS), t["channel"]),
        "category": _label(tuple(c for c, _ in TICKET_CATEGORIES), t["category"]),
        "agent_id": _label(AGENTS, t["agent"]),
        "csat": t["csat"],
        "reopened": t["reopened"],
    })


def _surveys_table(cal: _Cal, s: dict, ids: _Ids) -> pd.DataFrame:
    n = len(s["cust"])
    return _table("surveys", {
        "response_id": _str(_id_array("S", n, 5)),
        "answered_at": _ts(cal, s["at"]),
        "score": s["score"],
        "scale": _label(("csat", "nps"), s["nps"].astype(np.int64)),
        "customer_id": ids.take(ids.customer, s["cust"]),
        "comment": s["comment"],
    })


# ------------------------------------------------------------------ truth


def _truth(cal: _Cal, n: int, seed: int, expect: dict, spend: dict, ids: _Ids,
           breakers: dict, holdout: dict, meta: dict, lucky: dict) -> dict:
    pp = expect["plan"]
    spend_total = {ch: float(sum(a for a, c in zip(spend["amount"], spend["channel"],
                                                    strict=True) if c == ch))
                   for ch in CHANNELS}
    cac = {ch: spend_total[ch] / expect["new_customers"][ch] for ch in CHANNELS}
    margin = expect["margin12"]
    losing = [ch for ch in CHANNELS if cac[ch] > margin[ch]]
    assert losing == ["social"], (cac, margin)
    ltv_rank = sorted(CHANNELS, key=lambda c: -margin[c])
    # Reps: marginal P(SQL->won) over the expected channel mix of SQLs.
    sql_w = np.array([expect["leads"][c] * FUNNEL[c][0] * FUNNEL[c][1] for c in CHANNELS])
    sql_w = sql_w / sql_w.sum()
    p_bar = float(sql_w @ np.array([FUNNEL[c][2] for c in CHANNELS]))
    eff = np.append(_rep_effects(), 0.0)
    # Service: repurchase model and its implied csat 5 vs 1 difference.
    m = CSAT_REPURCHASE
    pi = pp["pi"]
    mean_prior = float((pi[1] * 1 + pi[2] * 2 + pi[3] * 3) / pi[1:].sum())
    p5, p1 = (float(_repurchase_p(5, mean_prior)), float(_repurchase_p(1, mean_prior)))
    nps = 100 * (sum(NPS_P[9:]) - sum(NPS_P[:7]))
    sched, rates = meta["schedule"], meta["rates"]
    flow_ids = {c["flow"]: c["id"] for c in sched if c["kind"] == "flow"}
    holdout_camp = next(c["id"] for c in sched if c.get("holdout"))
    brk = np.flatnonzero(breakers["chosen"])
    brk_ids = sorted(ids.customer.take(pa.array(brk)).to_pylist())
    period_start, period_end = cal.start.date().isoformat(), cal.end.date().isoformat()
    brk_from, brk_to = ((cal.start + pd.Timedelta(days=cal.offset(d))).date().isoformat()
                        for d in BREAK_WINDOW)
    return _native({
        "seed": int(seed),
        "n_customers": int(n),  # the `customers` argument; "customers" holds the section
        "currency": "EUR",
        "period": {"start": period_start, "end": period_end},
        "as_of": period_end,
        "channels": {
            "list": list(CHANNELS),
            "cac": cac,
            "expected_12m_margin": margin,
            "expected_12m_orders": expect["k12"],
            "money_losing": losing[0],
            "ltv_rank": ltv_rank,
            "spend_total": spend_total,
            "expected_new_customers": expect["new_customers"],
            "cost_share": dict(COST_SHARE),
            "mean_interpurchase_days": dict(INTERVAL_MEAN),
            "notes": "CAC = channel spend in the period / expected number of leads of that "
                     "channel won inside the period (closed form from the traffic means, "
                     "funnel probabilities and journey distribution). expected_12m_margin = "
                     "expected sum of (revenue - cost) over completed orders in the 365 days "
                     "from acquisition (first order included), for a customer acquired through "
                     "the channel. Channels differ in order frequency (interval) and margin "
                     "rate; basket size is the same for every channel.",
        },
        "funnel": {
            "stages": list(STAGES),
            "conversion": {ch: dict(zip(("created_at->mql_at", "mql_at->sql_at",
                                         "sql_at->won_at"), FUNNEL[ch], strict=True))
                           for ch in CHANNELS},
            "lead_to_won": {ch: float(np.prod(FUNNEL[ch])) for ch in CHANNELS},
            "leaking_stage": {"from": "mql_at", "to": "sql_at"},
            "median_days_to_won": dict(MEDIAN_DAYS_TO_WON),
            "days_to_won_sigma": dict(SIGMA_DAYS_TO_WON),
            "max_days_to_convert": MAX_DAYS_TO_CONVERT,
            "maturity_days": MATURITY_DAYS,
            "lead_mix": dict(LEAD_MIX),
            "expected_leads": expect["leads"],
            "notes": "Each lead draws its whole journey (created -> won) from a lognormal with "
                     "the channel's median, capped at max_days_to_convert (the cap leaves the "
                     "median unchanged); MQL and SQL sit at Dirichlet(2,2,2) fractions of it. "
                     "Lost leads close at a random point between their last stage and the end "
                     "of the journey. Anything after the period end is not observed (open). "
                     "sql_at->won_at rates are marginal over reps (rep effects average zero).",
        },
        "traffic": {
            "visitor_to_lead": dict(VISITOR_TO_LEAD),
            "notes": "visitors ~ Poisson per day and channel; leads = Binomial(visitors, rate).",
        },
        "store": {
            "stores": list(STORES),
            "open_hours": list(STORE_HOURS),
            "closed_weekdays": ["Sunday"],
            "conversion_by_hour": {str(h): p for h, p in STORE_CONVERSION.items()},
            "weak_hour": WEAK_HOUR,
            "anonymous_share": ANONYMOUS_SHARE,
            "notes": "store orders per store and hour slot = Binomial(visitors, p_hour), "
                     "anonymous or not; a known store order whose day has no planned customer "
                     "order left becomes anonymous, so the anonymous share is about 0.30.",
        },
        "customers": {
            "count": int(n),
            "one_time_buyer_share": ONE_TIME_SHARE,
            "orders_per_customer_mean": expect["orders_per_customer"],
            "expected_active_customers": expect["active"],
            "expected_known_orders": expect["known_orders"],
            "active_share_existing": ACTIVE_SHARE_EXISTING,
            "rhythm_breakers": brk_ids,
            "rhythm_break_rule_hint": (
                "existing repeat customers (regular personal interval of 20-90 days, >= 4 "
                "orders before the break) with no order on or after a break date drawn "
                f"between {brk_from} and {brk_to}; their later orders were removed. No other "
                "customer with >= 4 orders stops buying."),
            "break_window": [brk_from, brk_to],
            "rhythm_breaker_probability": BREAK_PROB,
            "interpurchase_interval": {"distribution": "gamma, clipped", "shape": INTERVAL_SHAPE,
                                       "mean_by_channel": dict(INTERVAL_MEAN),
                                       "clip_days": list(INTERVAL_CLIP), "jitter": JITTER},
            "notes": "Existing customers buy on a stationary lattice from the period start; "
                     "ticketed existing customers come back at a uniform time of the period "
                     "(their first orders carry the tickets); new customers start at won_at. "
                     "one_time_buyer_share and orders_per_customer_mean are among customers "
                     "with >= 1 order (any status) in the period, anonymous orders excluded; "
                     "orders_per_customer_mean is the ratio of expectations, computed in "
                     "closed form plus a numerical integral over new customers' first-order "
                     "dates (error < 1e-3).",
        },
        "orders": {
            "revenue_base": {"distribution": "lognormal", "median": BASKET_MEDIAN,
                             "sigma": BASKET_SIGMA, "mean": expect["base_mean"]},
            "status_probabilities": dict(STATUS),
            "notes": "revenue = base (iid, rounded to cents) + loyalty delta on card orders; "
                     "cost = revenue x cost share (channel mean +- 0.03); a won lead's first "
                     "order is at won_at and its base is the lead's value.",
        },
        "loyalty": {
            "member_share": MEMBER_SHARE,
            "ticket_difference_eur": LOYALTY_DELTA,
            "notes": "membership is randomized; card orders = members' orders on/after "
                     "loyalty_member_since (anonymous orders never carry the card). The base "
                     "basket is iid for every order, so mean(card) - mean(non-card) has "
                     "expectation exactly ticket_difference_eur.",
        },
        "promotions": {
            "tag_probability": PROMO_TAG_PROB,
            "notes": "orders placed while a promotion runs carry its promotion_id with "
                     "tag_probability (online-only promotions: online orders); P03 is the "
                     "holdout coupon, carried only by treated recipients' window purchases. "
                     "Guided sales by touches are not planted directly.",
        },
        "promotion_uplift": {
            "campaign_id": holdout_camp,
            "promotion_id": HOLDOUT_PROMO,
            "window_days": HOLDOUT["window_days"],
            "treatment_share": HOLDOUT["treatment_share"],
            "control_rate": HOLDOUT["control_rate"],
            "treatment_rate": HOLDOUT["treatment_rate"],
            "uplift_abs": HOLDOUT["treatment_rate"] - HOLDOUT["control_rate"],
            "notes": "rate = share of recipients with >= 1 order (any status) in "
                     "[sent_at, sent_at + 7 days). Audience: consented existing customers "
                     "active in the period without a ticket; group randomized 85/15. Control "
                     "rows in touches were never sent (no opens or clicks).",
        },
        "flows": {
            "underperforming": [flow_ids[UNDERPERFORMING_FLOW]],
            "flow_ids": flow_ids,
            "open_rate": {k: float(v[0]) for k, v in rates.items()},
            "click_rate": {k: float(v[0] * v[1]) for k, v in rates.items()},
            "click_given_open": {k: float(v[1]) for k, v in rates.items()},
            "notes": "per touch actually sent (holdout control rows excluded); click_rate = "
                     "clicks / recipients. Opens within 48 h, clicks within 24 h of the open; "
                     "nothing is sent in the last 3 days, so no open is censored.",
        },
        "reps": {
            "best": BEST_REP,
            "lucky_small": LUCKY_REP,
            "effect": {r: float(e) for r, e in zip(REPS, eff, strict=True)},
            "win_rate": {r: p_bar + float(e) for r, e in zip(REPS, eff, strict=True)},
            "assignment_share": dict(zip(REPS, (*REP_SHARE, 0.0), strict=True)),
            "lucky_small_realized": lucky,
            "notes": "reps R01-R07 are assigned to SQLs independently of channel; win "
                     "probability = channel rate + rep effect. R08 started late and was handed "
                     "9 won and 3 lost SQLs chosen after the outcome: its true effect is 0.",
        },
        "service": {
            "first_response_median_hours": dict(FIRST_RESPONSE_MEDIAN_HOURS),
            "first_response_sigma": FIRST_RESPONSE_SIGMA,
            "resolution_median_hours_after_first_response": RESOLUTION_MEDIAN_HOURS,
            "reopened_rate": REOPENED,
            "csat_response_rate": CSAT_RESPONSE,
            "csat_distribution": {str(i + 1): p for i, p in enumerate(SATISFACTION)},
            "csat_repurchase": {
                "logit_coef_per_point": m["logit_coef_per_point"],
                "intercept": m["intercept"],
                "prior_orders_coef": m["prior_orders_coef"],
                "window_days": REPURCHASE_DAYS,
                "mean_prior_orders": mean_prior,
                "p_repurchase_csat5_at_mean": p5,
                "p_repurchase_csat1_at_mean": p1,
                "diff_csat5_vs_csat1_at_mean": p5 - p1,
                "notes": "logit P(order by the same customer in (opened_at, opened_at + 180 d]) "
                         "= intercept + coef x satisfaction + prior_orders_coef x prior_orders, "
                         "prior_orders = the customer's orders in the period before the ticket "
                         "(1-3). csat shows the satisfaction for 60% of resolved tickets "
                         "(missing at random). Exact for tickets opened at least 180 days before "
                         "as_of; later tickets are censored by the period end.",
            },
            "notes": "lognormal response and resolution times; times after as_of are empty.",
        },
        "surveys": {
            "nps": nps,
            "csat_share_4_5": CSAT_P[3] + CSAT_P[4],
            "nps_distribution": {str(i): p for i, p in enumerate(NPS_P)},
            "csat_distribution": {str(i + 1): p for i, p in enumerate(CSAT_P)},
            "nps_share": 0.5,
        },
        "notes": [
            "All values are parameters of the generating process or expectations computed "
            "from them; none is measured on the generated rows (except *_realized and the "
            "rhythm_breakers list, which name what was planted).",
            "Money is rounded to cents; expectations ignore that rounding (< 0.005 EUR).",
        ],
    })


def _native(x):
    """JSON-native types only."""
    if isinstance(x, dict):
        return {str(k): _native(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_native(v) for v in x]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return round(float(x), 10)
    return x
