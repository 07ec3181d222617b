"""The content-and-flows page's findings: one rule per finding, each returning the keyword
arguments for `FindingsLog.record` (None when the data do not support it); `build` runs them
in page order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import fmt
from salesaudit.components.content_flows.frequency import BANDS
from salesaudit.components.content_flows.guided_sales import Trend
from salesaudit.components.content_flows.metrics import FlowsResult
from salesaudit.components.content_flows.performance import MARGIN, METRICS
from salesaudit.components.content_flows.promotions import RESPONDER_GROUPS
from salesaudit.components.content_flows.tables import RATE_LABELS, days, flagged_label
from salesaudit.i18n import N_, _, label
from salesaudit.methods import stats

# What to do about a campaign under-performing on each rate.
ACTIONS = {
    "open": N_("Rework the subject line, sender name and send time of {name}, and check its "
               "list."),
    "click": N_("Rework the content and call to action of {name}."),
    "conversion": N_("Check the offer, timing and landing page of {name}; test changes against "
                     "a holdout."),
}


def build(res: FlowsResult, currency: str = "EUR") -> list[dict]:
    """The page's findings, as keyword arguments for `FindingsLog.record`, in page order:
    under-performers (the three furthest below their peers), the holdout uplift of each
    campaign that has one, then the missing holdouts, guided share, promotion conversion,
    repeat responders and touch frequency."""
    out = [_underperformer(res, ratio, cid, metric)
           for ratio, cid, metric in _worst_underperformers(res)]
    if res.uplift is not None and not res.uplift.empty:
        out += [_holdout_uplift(res, r, currency) for r in res.uplift.itertuples()]
    rules = (_no_holdout, _guided_share, _promotion_conversion, _repeat_responders,
             _touch_frequency)
    return out + [f for f in (rule(res) for rule in rules) if f is not None]


def underperformer_money(res: FlowsResult, campaign_id: str) -> float | None:
    """Revenue per year if the campaign earned its peers' revenue per touch in the window
    (its touches per year x the gap). An estimate of what is at stake, not a promise."""
    m = res.metrics
    if m is None or "revenue_per_touch" not in m:
        return None
    r = m.set_index("campaign_id").loc[campaign_id]
    peers = m[(m["peer_group"] == r["peer_group"]) & (m["campaign_id"] != campaign_id)]
    w = peers["mature"].to_numpy(dtype=float)
    if w.sum() == 0 or not np.isfinite(r["revenue_per_touch"]):
        return None
    peer_rpt = float(np.nansum(peers["revenue_per_touch"].to_numpy() * w) / w.sum())
    gap = peer_rpt - float(r["revenue_per_touch"])
    return float(gap * r["sent"] / res.years) if gap > 0 else None


def _worst_underperformers(res: FlowsResult) -> list[tuple[float, str, str]]:
    """The three flagged campaigns furthest below their peers, as (rate / peers' rate,
    campaign_id, metric) on the first metric each is flagged on; worst first."""
    if res.under is None or res.metrics is None:
        return []
    m = res.metrics.set_index("campaign_id")
    u = res.under[res.under["flagged"] != ""].set_index("campaign_id")
    worst = []
    for cid, row in u.iterrows():
        metric = row["flagged"].split(", ")[0]
        r = m.loc[cid]
        worst.append((r[f"{metric}_rate"] / row[f"{metric}_rest_rate"]
                      if row[f"{metric}_rest_rate"] > 0 else 0.0, cid, metric))
    return sorted(worst)[:3]


def _underperformer(res: FlowsResult, ratio: float, cid: str, metric: str) -> dict:
    """A campaign credibly more than MARGIN below its peers on `metric`, with the money at
    stake when its revenue per touch is below theirs."""
    m = res.metrics.set_index("campaign_id")
    u = res.under[res.under["flagged"] != ""].set_index("campaign_id")
    r, row = m.loc[cid], u.loc[cid]
    money = underperformer_money(res, cid)
    n_col = METRICS[metric][1]
    return dict(
        key=f"underperformer-{cid}",
        sentence=_("{name} ({peers}) under-performs on {flagged}: its {rate_name} is "
                   "{rate} against {peer_rate} for its peers (credibly more than "
                   "{margin} below, Benjamini–Hochberg {q}).",
                   name=r["name"], peers=label(r["peer_group"]),
                   flagged=flagged_label(row["flagged"]),
                   rate_name=_(RATE_LABELS[metric]),
                   rate=fmt.rate_ci(r[f"{metric}_rate"], r[f"{metric}_low"],
                                    r[f"{metric}_high"], int(r[n_col])),
                   peer_rate=fmt.pct(row[f"{metric}_rest_rate"]),
                   margin=fmt.pct(MARGIN, 0),
                   q=fmt.pvalue(row[f"{metric}_q_margin"]).replace("p", "q", 1)),
        action=_(ACTIONS[metric], name=r["name"]),
        metric=_(RATE_LABELS[metric]), value=float(r[f"{metric}_rate"]),
        ci_low=float(r[f"{metric}_low"]), ci_high=float(r[f"{metric}_high"]),
        n=int(r[n_col]), unit="rate",
        comparison=_("peers ({peers}) {rate}", peers=label(r["peer_group"]),
                     rate=fmt.pct(row[f"{metric}_rest_rate"])),
        money_per_year=money, severity="high" if ratio < 0.5 else "medium",
        anchor="underperformers",
        extra={"campaign_id": cid, "flagged": row["flagged"], "rate_ratio": float(ratio),
               "money_rule": "touches per year x (peers' revenue per touch - its own)"},
    )


def _holdout_uplift(res: FlowsResult, r, currency: str) -> dict:
    """What a campaign with a randomized holdout caused (`r`: its row of `res.uplift`)."""
    sig = r.p_value < 0.05
    name = getattr(r, "name", r.campaign_id)
    return dict(
        key=f"holdout-uplift-{r.campaign_id}",
        sentence=_("Against its randomized holdout, {name} raised purchase within "
                   "{days} days from {control} to {treated}: {uplift} points (95% CI "
                   "{low} to {high}, {p}), about {revenue} of incremental revenue "
                   "({revenue_low} to {revenue_high}).",
                   name=name, days=days(res.window_days),
                   control=fmt.pct(r.control_rate), treated=fmt.pct(r.treatment_rate),
                   uplift=fmt.signed(100 * r.uplift), low=fmt.signed(100 * r.uplift_low),
                   high=fmt.signed(100 * r.uplift_high), p=fmt.pvalue(r.p_value),
                   revenue=fmt.money(r.incremental_revenue, currency),
                   revenue_low=fmt.money(r.incr_revenue_low, currency),
                   revenue_high=fmt.money(r.incr_revenue_high, currency)),
        action=(_("Keep this campaign and keep a holdout on every promotion, so its "
                  "effect stays measured.") if sig and r.uplift > 0 else
                _("Its effect is not distinguishable from zero: rethink the offer before "
                  "sending it again, and keep the holdout.")),
        metric=_("uplift in purchase rate"), value=float(r.uplift),
        ci_low=float(r.uplift_low), ci_high=float(r.uplift_high),
        n=int(r.treated + r.control), unit="rate",
        comparison=_("control {rate} (n = {n})", rate=fmt.pct(r.control_rate),
                     n=fmt.count(r.control)),
        money_per_year=float(r.incremental_revenue / res.years) if sig else None,
        severity="high" if sig else "medium", anchor="uplift",
        extra={"incremental_orders": float(r.incremental_orders),
               "incremental_revenue": float(r.incremental_revenue),
               "incremental_revenue_ci": [float(r.incr_revenue_low),
                                          float(r.incr_revenue_high)]},
    )


def _no_holdout(res: FlowsResult) -> dict | None:
    """Campaigns and flows without a randomized holdout: their attributed revenue is not
    causal."""
    if res.metrics is None or res.outcomes is None or "converted" not in res.outcomes:
        return None
    n_hold = 0 if res.uplift is None else len(res.uplift)
    n_camp = len(res.metrics)
    if n_hold >= n_camp:
        return None
    return dict(
        key="no-holdout",
        sentence=_("{missing} of {total} campaigns and flows have no randomized "
                   "holdout, so the revenue attributed to them is not causal: part of it "
                   "would have come anyway.",
                   missing=fmt.count(n_camp - n_hold), total=fmt.count(n_camp)),
        action=_("Hold out a random 10–15% of recipients on every flow and campaign for "
                 "a few sends; measure uplift, not attributed revenue."),
        metric=_("campaigns without a holdout"), value=float(n_camp - n_hold),
        n=n_camp, unit="count", comparison=_("every campaign"), severity="medium",
        anchor="uplift")


def _guided_share(res: FlowsResult) -> dict | None:
    """The share of orders and revenue guided by a promotion or a touch, with the trend of
    spontaneous revenue."""
    if res.monthly is None or res.attributed is None:
        return None
    mo = res.monthly
    gs = stats.proportions(int(mo["guided_orders"].sum()), int(mo["orders"].sum()))
    g_rev = float(mo["guided_revenue"].sum())
    tot = float(mo["revenue"].sum())
    tr = res.trend
    trend_txt, severity = _spontaneous_trend(tr)
    return dict(
        key="guided-share",
        sentence=_("{share} of orders were guided (a promotion or a touch in the previous "
                   "{days} days), carrying {revenue_share} of revenue.",
                   share=fmt.rate_ci(gs["rate"].iloc[0], gs["ci_low"].iloc[0],
                                     gs["ci_high"].iloc[0], int(mo["orders"].sum())),
                   days=days(res.window_days),
                   revenue_share=fmt.pct(g_rev / tot if tot else np.nan)) + trend_txt,
        action=_("Record every day which sales a promotion or message guided; judge "
                 "promotions by the uplift they add, not by the guided revenue they touch."),
        metric=_("share of orders guided"), value=float(gs["rate"].iloc[0]),
        ci_low=float(gs["ci_low"].iloc[0]), ci_high=float(gs["ci_high"].iloc[0]),
        n=int(mo["orders"].sum()), unit="rate", comparison=_("spontaneous orders"),
        severity=severity, anchor="guided-sales",
        extra={"guided_revenue": g_rev, "total_revenue": tot,
               "spontaneous_growth_per_year": None if tr is None else tr.growth_per_year})


def _spontaneous_trend(tr: Trend | None) -> tuple[str, str]:
    """The sentence on spontaneous revenue's trend (empty without one) and the guided-share
    finding's severity: medium when spontaneous revenue is falling."""
    trend_txt = ""
    severity = "info"
    if tr is not None and np.isfinite(tr.growth_per_year):
        grows = tr.ci_low > 0
        falls = tr.ci_high < 0
        trend_txt = " " + _(
            "Spontaneous revenue per day changes by {growth} a year (95% CI {low} to "
            "{high}): {verdict}",
            growth=fmt.signed(tr.growth_per_year, 0, pct=True),
            low=fmt.signed(tr.growth_low, 0, pct=True), high=fmt.signed(tr.growth_high, 0, pct=True),
            verdict=(_("it grows on its own.") if grows else _("it is falling.") if falls
                     else _("no trend is distinguishable.")))
        severity = "medium" if falls else "info"
    return trend_txt, severity


def _promotion_conversion(res: FlowsResult) -> dict | None:
    """The best and worst converting promotions among the customers they reached."""
    if res.promotions is None or len(res.promotions) <= 1:
        return None
    p = res.promotions
    best, worst = p.iloc[0], p.iloc[-1]
    return dict(
        key="promotion-conversion",
        sentence=_("Of the customers each promotion reached, {best} converted {best_rate} "
                   "within {days} days, {worst} only {worst_rate}.",
                   best=best["label"], worst=worst["label"], days=days(res.window_days),
                   best_rate=fmt.rate_ci(best["rate"], best["ci_low"], best["ci_high"],
                                         int(best["reached"])),
                   worst_rate=fmt.rate_ci(worst["rate"], worst["ci_low"], worst["ci_high"],
                                          int(worst["reached"]))),
        action=_("Reuse what worked in {best}; reconsider the audience and offer of "
                 "{worst}. Reached-and-bought is not causal: compare with a holdout.",
                 best=best["name"], worst=worst["name"]),
        metric=_("promotion conversion (reached → bought)"), value=float(worst["rate"]),
        ci_low=float(worst["ci_low"]), ci_high=float(worst["ci_high"]),
        n=int(worst["reached"]), unit="rate",
        comparison=f"{best['label']} {fmt.pct(best['rate'])}", severity="info",
        anchor="promotion-conversion")


def _repeat_responders(res: FlowsResult) -> dict | None:
    """Customers who responded to two or more promotions, and their share of revenue."""
    if res.responders is None or res.repeat_responders is None:
        return None
    r = res.responders.set_index("group")
    rep = r.loc[["2", "3+"]]
    n_rep = int(rep["customers"].sum())
    base = int(r.loc[list(RESPONDER_GROUPS), "customers"].sum())
    if not (base and n_rep):
        return None
    sh = stats.proportions(n_rep, base)
    return dict(
        key="repeat-responders",
        sentence=_("{n} customers ({share} of those reached) responded to two or more "
                   "promotions and carry {revenue_share} of the period's revenue.",
                   n=fmt.count(n_rep),
                   share=fmt.rate_ci(sh["rate"].iloc[0], sh["ci_low"].iloc[0],
                                     sh["ci_high"].iloc[0], base),
                   revenue_share=fmt.pct(rep["revenue_share"].sum())),
        action=_("Treat repeat responders as a segment: early access and loyalty "
                 "offers, and use them to test new promotions (the list is on the page)."),
        metric=_("share of reached customers responding to 2+ promotions"),
        value=float(sh["rate"].iloc[0]), ci_low=float(sh["ci_low"].iloc[0]),
        ci_high=float(sh["ci_high"].iloc[0]), n=base, unit="rate",
        comparison=_("customers reached by promotions"), severity="info",
        anchor="responders",
        extra={"revenue_share": float(rep["revenue_share"].sum())})


def _touch_frequency(res: FlowsResult) -> dict | None:
    """Customer-months without a touch, and buying by touch frequency (correlational)."""
    if res.bands is None or "rate" not in res.bands:
        return None
    b = res.bands.set_index("band")
    rare = float(b.loc[BANDS[0], "share"])
    # Compare untouched months with the most frequent band that actually occurs.
    seen = [band for band in BANDS[1:] if band in b.index and pd.notna(b.loc[band, "rate"])]
    compared = (_("customers touched {band} bought in {rate} of months against "
                  "{untouched} untouched", band=label(seen[-1]),
                  rate=fmt.pct(b.loc[seen[-1], "rate"]),
                  untouched=fmt.pct(b.loc[BANDS[0], "rate"]))
                if seen else _("no customer was touched often enough to compare"))
    return dict(
        key="touch-frequency",
        sentence=_("In {share} of customer-months a marketable customer got no touch at "
                   "all; {compared} (correlational, not causal).",
                   share=fmt.rate_ci(rare, b.loc[BANDS[0], "share_low"],
                                     b.loc[BANDS[0], "share_high"],
                                     int(b["customer_months"].sum())),
                   compared=compared),
        action=_("Touch every marketable customer at least monthly, and test weekly "
                 "against monthly with a randomized split before making it the rule."),
        metric=_("customer-months without a touch"), value=rare,
        ci_low=float(b.loc[BANDS[0], "share_low"]), ci_high=float(b.loc[BANDS[0], "share_high"]),
        n=int(b["customer_months"].sum()), unit="rate",
        comparison=_("seed 002: touch at least monthly, better weekly"),
        severity="low", anchor="touch-frequency")
