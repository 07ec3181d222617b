"""The planted truths written to truth.json: one function per section (a component's truths).

Every number is a parameter of the generating process or an expectation from
expectations.py, never a statistic of the generated rows (except *_realized and the list
of rhythm breakers, which name what was planted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from salesaudit.demo.base import CHANNELS, Cal
from salesaudit.demo.campaigns import UNDERPERFORMING_FLOW
from salesaudit.demo.customers import ACTIVE_SHARE_EXISTING, MEMBER_SHARE
from salesaudit.demo.frames import Ids
from salesaudit.demo.leads import (
    BEST_REP,
    FUNNEL,
    LEAD_MIX,
    LUCKY_REP,
    MATURITY_DAYS,
    MAX_DAYS_TO_CONVERT,
    MEDIAN_DAYS_TO_WON,
    REP_SHARE,
    REPS,
    SIGMA_DAYS_TO_WON,
    STAGES,
    VISITOR_TO_LEAD,
    rep_effects,
)
from salesaudit.demo.orders import (
    BASKET_MEDIAN,
    BASKET_SIGMA,
    BREAK_PROB,
    BREAK_WINDOW,
    COST_SHARE,
    INTERVAL_CLIP,
    INTERVAL_MEAN,
    INTERVAL_SHAPE,
    JITTER,
    LOYALTY_DELTA,
    ONE_TIME_SHARE,
    STATUS,
)
from salesaudit.demo.promotions import HOLDOUT, HOLDOUT_PROMO, PROMO_TAG_PROB
from salesaudit.demo.service import (
    CSAT_P,
    CSAT_REPURCHASE,
    CSAT_RESPONSE,
    FIRST_RESPONSE_MEDIAN_HOURS,
    FIRST_RESPONSE_SIGMA,
    NPS_P,
    REOPENED,
    REPURCHASE_DAYS,
    RESOLUTION_MEDIAN_HOURS,
    SATISFACTION,
    repurchase_p,
)
from salesaudit.demo.stores import (
    ANONYMOUS_SHARE,
    STORE_CONVERSION,
    STORE_HOURS,
    STORES,
    WEAK_HOUR,
)


def build_truth(cal: Cal, n: int, seed: int, expect: dict, spend: dict, ids: Ids,
                breakers: dict, meta: dict, lucky: dict) -> dict:
    """truth.json: the sections in a fixed order, JSON-native."""
    period_start, period_end = cal.start.date().isoformat(), cal.end.date().isoformat()
    return native({
        "seed": int(seed),
        "n_customers": int(n),  # the `customers` argument; "customers" holds the section
        "currency": "EUR",
        "period": {"start": period_start, "end": period_end},
        "as_of": period_end,
        "channels": _channels(expect, spend),
        "funnel": _funnel(expect),
        "traffic": _traffic(),
        "store": _store(),
        "customers": _customers(cal, n, expect, ids, breakers),
        "orders": _orders(expect),
        "loyalty": _loyalty(),
        "promotions": _promotions(),
        "promotion_uplift": _promotion_uplift(meta),
        "flows": _flows(meta),
        "reps": _reps(expect, lucky),
        "service": _service(expect),
        "surveys": _surveys(),
        "notes": [
            "All values are parameters of the generating process or expectations computed "
            "from them; none is measured on the generated rows (except *_realized and the "
            "rhythm_breakers list, which name what was planted).",
            "Money is rounded to cents; expectations ignore that rounding (< 0.005 EUR).",
        ],
    })


def _channels(expect: dict, spend: dict) -> dict:
    """CAC against the 12-month margin per channel: the money-losing channel and LTV rank."""
    spend_total = {ch: float(sum(a for a, c in zip(spend["amount"], spend["channel"],
                                                    strict=True) if c == ch))
                   for ch in CHANNELS}
    cac = {ch: spend_total[ch] / expect["new_customers"][ch] for ch in CHANNELS}
    margin = expect["margin12"]
    losing = [ch for ch in CHANNELS if cac[ch] > margin[ch]]
    assert losing == ["social"], (cac, margin)
    ltv_rank = sorted(CHANNELS, key=lambda c: -margin[c])
    return {
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
    }


def _funnel(expect: dict) -> dict:
    """Stage conversion per channel, the leaking stage and the journey times."""
    return {
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
    }


def _traffic() -> dict:
    return {
        "visitor_to_lead": dict(VISITOR_TO_LEAD),
        "notes": "visitors ~ Poisson per day and channel; leads = Binomial(visitors, rate).",
    }


def _store() -> dict:
    """Store conversion by hour and the weak hour."""
    return {
        "stores": list(STORES),
        "open_hours": list(STORE_HOURS),
        "closed_weekdays": ["Sunday"],
        "conversion_by_hour": {str(h): p for h, p in STORE_CONVERSION.items()},
        "weak_hour": WEAK_HOUR,
        "anonymous_share": ANONYMOUS_SHARE,
        "notes": "store orders per store and hour slot = Binomial(visitors, p_hour), "
                 "anonymous or not; a known store order whose day has no planned customer "
                 "order left becomes anonymous, so the anonymous share is about 0.30.",
    }


def _customers(cal: Cal, n: int, expect: dict, ids: Ids, breakers: dict) -> dict:
    """One-time share, orders per customer and the rhythm breakers (named by id)."""
    brk = np.flatnonzero(breakers["chosen"])
    brk_ids = sorted(ids.customer.take(pa.array(brk)).to_pylist())
    brk_from, brk_to = ((cal.start + pd.Timedelta(days=cal.offset(d))).date().isoformat()
                        for d in BREAK_WINDOW)
    return {
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
    }


def _orders(expect: dict) -> dict:
    return {
        "revenue_base": {"distribution": "lognormal", "median": BASKET_MEDIAN,
                         "sigma": BASKET_SIGMA, "mean": expect["base_mean"]},
        "status_probabilities": dict(STATUS),
        "notes": "revenue = base (iid, rounded to cents) + loyalty delta on card orders; "
                 "cost = revenue x cost share (channel mean +- 0.03); a won lead's first "
                 "order is at won_at and its base is the lead's value.",
    }


def _loyalty() -> dict:
    return {
        "member_share": MEMBER_SHARE,
        "ticket_difference_eur": LOYALTY_DELTA,
        "notes": "membership is randomized; card orders = members' orders on/after "
                 "loyalty_member_since (anonymous orders never carry the card). The base "
                 "basket is iid for every order, so mean(card) - mean(non-card) has "
                 "expectation exactly ticket_difference_eur.",
    }


def _promotions() -> dict:
    return {
        "tag_probability": PROMO_TAG_PROB,
        "notes": "orders placed while a promotion runs carry its promotion_id with "
                 "tag_probability (online-only promotions: online orders); P03 is the "
                 "holdout coupon, carried only by treated recipients' window purchases. "
                 "Guided sales by touches are not planted directly.",
    }


def _promotion_uplift(meta: dict) -> dict:
    """The randomized holdout: control and treatment purchase rates in the window."""
    holdout_camp = next(c["id"] for c in meta["schedule"] if c.get("holdout"))
    return {
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
    }


def _flows(meta: dict) -> dict:
    """Open and click rates per campaign and the under-performing flow."""
    sched, rates = meta["schedule"], meta["rates"]
    flow_ids = {c["flow"]: c["id"] for c in sched if c["kind"] == "flow"}
    return {
        "underperforming": [flow_ids[UNDERPERFORMING_FLOW]],
        "flow_ids": flow_ids,
        "open_rate": {k: float(v[0]) for k, v in rates.items()},
        "click_rate": {k: float(v[0] * v[1]) for k, v in rates.items()},
        "click_given_open": {k: float(v[1]) for k, v in rates.items()},
        "notes": "per touch actually sent (holdout control rows excluded); click_rate = "
                 "clicks / recipients. Opens within 48 h, clicks within 24 h of the open; "
                 "nothing is sent in the last 3 days, so no open is censored.",
    }


def _reps(expect: dict, lucky: dict) -> dict:
    """Rep effects and win rates: the best rep and the lucky small one."""
    # Marginal P(SQL->won) over the expected channel mix of SQLs.
    sql_w = np.array([expect["leads"][c] * FUNNEL[c][0] * FUNNEL[c][1] for c in CHANNELS])
    sql_w = sql_w / sql_w.sum()
    p_bar = float(sql_w @ np.array([FUNNEL[c][2] for c in CHANNELS]))
    eff = np.append(rep_effects(), 0.0)
    return {
        "best": BEST_REP,
        "lucky_small": LUCKY_REP,
        "effect": {r: float(e) for r, e in zip(REPS, eff, strict=True)},
        "win_rate": {r: p_bar + float(e) for r, e in zip(REPS, eff, strict=True)},
        "assignment_share": dict(zip(REPS, (*REP_SHARE, 0.0), strict=True)),
        "lucky_small_realized": lucky,
        "notes": "reps R01-R07 are assigned to SQLs independently of channel; win "
                 "probability = channel rate + rep effect. R08 started late and was handed "
                 "9 won and 3 lost SQLs chosen after the outcome: its true effect is 0.",
    }


def _service(expect: dict) -> dict:
    """Response times and the CSAT repurchase model with its csat 5 vs 1 difference."""
    m = CSAT_REPURCHASE
    pi = expect["plan"]["pi"]
    mean_prior = float((pi[1] * 1 + pi[2] * 2 + pi[3] * 3) / pi[1:].sum())
    p5, p1 = (float(repurchase_p(5, mean_prior)), float(repurchase_p(1, mean_prior)))
    return {
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
    }


def _surveys() -> dict:
    nps = 100 * (sum(NPS_P[9:]) - sum(NPS_P[:7]))
    return {
        "nps": nps,
        "csat_share_4_5": CSAT_P[3] + CSAT_P[4],
        "nps_distribution": {str(i): p for i, p in enumerate(NPS_P)},
        "csat_distribution": {str(i + 1): p for i, p in enumerate(CSAT_P)},
        "nps_share": 0.5,
    }


def native(x):
    """JSON-native types only."""
    if isinstance(x, dict):
        return {str(k): native(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [native(v) for v in x]
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return round(float(x), 10)
    return x
