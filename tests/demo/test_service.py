"""Planted in tickets and surveys: the CSAT effect on repurchase, response times, NPS and CSAT."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from .checks import Z, inside, known, period_end


def test_csat_effect_on_repurchase(mid):
    sm = pytest.importorskip("statsmodels.api")
    t, tr = mid.tables, mid.truth["service"]["csat_repurchase"]
    tickets = t["tickets"]
    mature = tickets[tickets["opened_at"] <= period_end(mid.truth) - pd.Timedelta(days=tr["window_days"])]
    pairs = known(t["orders"])[["customer_id", "ordered_at"]].merge(
        mature[["ticket_id", "customer_id", "opened_at"]], on="customer_id")
    prior = pairs[pairs["ordered_at"] < pairs["opened_at"]].groupby("ticket_id").size()
    later = pairs[(pairs["ordered_at"] > pairs["opened_at"])
                  & (pairs["ordered_at"] <= pairs["opened_at"] + pd.Timedelta(days=tr["window_days"]))]
    df = mature.assign(prior=mature["ticket_id"].map(prior),
                       y=mature["ticket_id"].isin(later["ticket_id"]).astype(int))
    df = df.dropna(subset=["csat"])
    assert df["prior"].between(1, 3).all()
    fit = sm.Logit(df["y"], sm.add_constant(df[["csat", "prior"]].astype(float))).fit(disp=0)
    for name, key in (("csat", "logit_coef_per_point"), ("prior", "prior_orders_coef"),
                      ("const", "intercept")):
        assert abs(fit.params[name] - tr[key]) < Z * fit.bse[name], name


def test_service_times_and_surveys(mid):
    t, truth = mid.tables, mid.truth
    tk = t["tickets"]
    hours = (tk["first_response_at"] - tk["opened_at"]).dt.total_seconds() / 3600
    for ch, med in truth["service"]["first_response_median_hours"].items():
        h = hours[tk["channel"] == ch].dropna()
        # median of a lognormal sample: within Z standard errors of log-median
        se = 1.2533 * truth["service"]["first_response_sigma"] / math.sqrt(len(h))
        assert abs(math.log(h.median()) - math.log(med)) < Z * se, ch
    assert tk["resolved_at"].isna().any() and tk["reopened"].mean() < 0.12
    sv = t["surveys"]
    nps = sv.loc[sv["scale"] == "nps", "score"]
    promoters, detractors = (nps >= 9).mean(), (nps <= 6).mean()
    se = 100 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / len(nps))
    assert abs(100 * (promoters - detractors) - truth["surveys"]["nps"]) < Z * se
    csat = sv.loc[sv["scale"] == "csat", "score"]
    assert inside((csat >= 4).sum(), len(csat), truth["surveys"]["csat_share_4_5"])
