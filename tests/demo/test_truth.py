"""truth.json: every key present, internally consistent, JSON-native."""

from __future__ import annotations

import json

import pytest

from salesaudit import demo

TRUTH_KEYS = [
    "period.start", "period.end", "as_of", "currency", "seed", "n_customers", "customers.count",
    "funnel.conversion", "funnel.leaking_stage.from", "funnel.leaking_stage.to",
    "funnel.median_days_to_won", "funnel.max_days_to_convert", "funnel.maturity_days",
    "traffic.visitor_to_lead", "store.conversion_by_hour", "store.weak_hour",
    "channels.money_losing", "channels.cac", "channels.expected_12m_margin", "channels.ltv_rank",
    "customers.one_time_buyer_share", "customers.orders_per_customer_mean",
    "customers.rhythm_breakers", "customers.rhythm_break_rule_hint",
    "loyalty.ticket_difference_eur", "loyalty.member_share",
    "flows.underperforming", "flows.open_rate", "flows.click_rate",
    "promotion_uplift.campaign_id", "promotion_uplift.promotion_id",
    "promotion_uplift.window_days", "promotion_uplift.control_rate",
    "promotion_uplift.treatment_rate", "promotion_uplift.uplift_abs",
    "reps.best", "reps.lucky_small", "reps.win_rate",
    "service.first_response_median_hours", "service.csat_repurchase.logit_coef_per_point",
    "service.csat_repurchase.intercept", "service.csat_repurchase.prior_orders_coef",
    "service.csat_repurchase.notes", "service.csat_repurchase.diff_csat5_vs_csat1_at_mean",
    "surveys.nps", "surveys.csat_share_4_5",
]


def test_every_truth_key_is_present(small):
    for path in TRUTH_KEYS:
        node = small.truth
        for part in path.split("."):
            assert isinstance(node, dict) and part in node, path
            node = node[part]
    tr = small.truth
    assert tr["currency"] == "EUR" and tr["as_of"] == tr["period"]["end"] == "2025-12-31"
    assert tr["funnel"]["leaking_stage"] == {"from": "mql_at", "to": "sql_at"}
    assert tr["channels"]["money_losing"] == "social"
    assert tr["channels"]["ltv_rank"] == ["referral", "email", "paid_search", "social"]
    assert tr["reps"]["best"] == "R03" and tr["reps"]["lucky_small"] == "R08"
    assert tr["store"]["weak_hour"] == 13
    assert tr["service"]["csat_repurchase"]["logit_coef_per_point"] == 0.35
    assert tr["funnel"]["max_days_to_convert"] <= 55 and tr["funnel"]["maturity_days"] == 60
    assert tr["customers"]["rhythm_breakers"] == sorted(tr["customers"]["rhythm_breakers"])


def test_truth_is_internally_consistent(small):
    tr = small.truth
    ch = tr["channels"]
    for c in demo.CHANNELS:
        conv = tr["funnel"]["conversion"][c]
        leak = conv["mql_at->sql_at"]
        assert 0.18 <= leak <= 0.30
        assert all(0.45 <= v <= 0.75 for k, v in conv.items() if k != "mql_at->sql_at")
        # CAC > 12-month margin exactly for the money-losing channel
        assert (ch["cac"][c] > ch["expected_12m_margin"][c]) == (c == ch["money_losing"])
    # rep effects average out: the rep-weighted win rate equals the channel-mix rate
    share, rate = tr["reps"]["assignment_share"], tr["reps"]["win_rate"]
    assert max(rate, key=rate.get) == "R03"
    assert sum(share[r] * tr["reps"]["effect"][r] for r in share) == pytest.approx(0, abs=1e-9)
    csat = tr["service"]["csat_repurchase"]
    assert csat["diff_csat5_vs_csat1_at_mean"] > 0.2
    assert tr["surveys"]["nps"] == pytest.approx(20.0)


def test_truth_is_json_native(small):
    text = json.dumps(small.truth, sort_keys=True)
    assert json.loads(text) == small.truth
