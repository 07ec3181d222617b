"""The service page's findings: one rule per finding, each returning the keyword arguments for
`FindingsLog.record` or None when the data do not support it; `build` runs them in page order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import fmt
from salesaudit.components.customer_service.metrics import REPURCHASE_WINDOW_DAYS, ServiceResult
from salesaudit.i18n import _


def _slowest_channel_first_response(res: ServiceResult) -> dict | None:
    """The channel with the longest median wait for a first answer, against the fastest;
    None unless at least two channels have a median."""
    ch = res.times.get(("first_response", "channel", "calendar"))
    if not (ch is not None and len(ch.dropna(subset=["median"])) > 1):
        return None
    c = ch.dropna(subset=["median"])
    slow, fast = c.loc[c["median"].idxmax()], c.loc[c["median"].idxmin()]
    separated = slow["median_low"] > fast["median_high"]
    return dict(
        key="first-response",
        sentence=_("Customers writing by {channel} wait a median {median} hours for a first answer "
                   "(95% CI {low}–{high}, n = {n}; 90% answered within {p90} h) against "
                   "{fast_median} h by {fast_channel}.",
                   channel=slow["channel"], median=fmt.number(slow["median"]),
                   low=fmt.number(slow["median_low"]), high=fmt.number(slow["median_high"]),
                   n=fmt.count(slow["tickets"]), p90=fmt.number(slow["p90"]),
                   fast_median=fmt.number(fast["median"]), fast_channel=fast["channel"]),
        action=_("Set a first-response target for {channel} (e.g. same working day) and "
                 "staff or automate acknowledgements to meet it.", channel=slow["channel"]),
        metric=_("median first-response time"), value=float(slow["median"]),
        ci_low=float(slow["median_low"]), ci_high=float(slow["median_high"]),
        n=int(slow["tickets"]), unit="hours",
        comparison=_("{channel}: {median} h", channel=fast["channel"], median=fmt.number(fast["median"])),
        severity="medium" if separated else "low", anchor="response-times",
    )


def _overall_service_times(res: ServiceResult) -> dict | None:
    """The overall first-response and resolution times, when both are known (`build` asks
    only when no channel comparison was made)."""
    overall = {k: res.times.get((k, None, "calendar")) for k in ("first_response", "resolution")}
    if not all(v is not None and len(v) and pd.notna(v["median"].iloc[0]) for v in overall.values()):
        return None
    fr, rs = (overall[k].iloc[0] for k in ("first_response", "resolution"))
    return dict(
        key="service-times",
        sentence=_("Half of the tickets get a first answer within {median} h (95% CI {low}–{high}, "
                   "n = {n}) and are resolved within {resolved_days} days; one in ten waits more "
                   "than {p90_days} days for resolution.",
                   median=fmt.number(fr["median"]), low=fmt.number(fr["median_low"]),
                   high=fmt.number(fr["median_high"]), n=fmt.count(fr["tickets"]),
                   resolved_days=fmt.number(rs["median"] / 24), p90_days=fmt.number(rs["p90"] / 24)),
        action=_("Set first-response and resolution targets from these baselines and follow "
                 "the 90th percentile, not only the median."),
        metric=_("median resolution time"), value=float(rs["median"]),
        ci_low=float(rs["median_low"]), ci_high=float(rs["median_high"]),
        n=int(rs["tickets"]), unit="hours", comparison=_("no channel breakdown in the data"),
        severity="info", anchor="response-times",
    )


def _csat_drives_repurchase(res: ServiceResult) -> dict | None:
    """Whether CSAT goes with buying again (and what lifting low ratings would bring back),
    or is not distinguishable from no association; None when the effect could not be fitted."""
    eff = res.csat_effect
    if eff is None:
        return None
    sig = eff.ci_low > 0 or eff.ci_high < 0
    m = res.money or {}
    return dict(
        key="csat-repurchase",
        sentence=_("Among customers with a ticket, each extra CSAT point goes with {ratio}× the odds "
                   "of buying again within {days} days (95% CI {low}–{high}, n = {n}; controlling "
                   "for prior purchases; observational, not a proven cause)",
                   ratio=fmt.number(np.exp(eff.coef), 2), days=REPURCHASE_WINDOW_DAYS,
                   low=fmt.number(np.exp(eff.ci_low), 2), high=fmt.number(np.exp(eff.ci_high), 2),
                   n=fmt.count(eff.n))
        + (_("; lifting tickets rated 1–3 to 4 would bring back about {customers} customers a year.",
             customers=fmt.number(m["extra_customers_per_year"], 0)) if m and sig else
           "." if sig else _("; not distinguishable from no association.")),
        action=_("Treat service satisfaction as a repurchase driver: follow up every ticket "
                 "rated 1–3 within a day and review their causes weekly.") if sig else
        _("Raise the CSAT response rate and re-check this link when more ratings are in."),
        metric=_("odds ratio of repurchase per CSAT point"), value=float(np.exp(eff.coef)),
        ci_low=float(np.exp(eff.ci_low)), ci_high=float(np.exp(eff.ci_high)), n=eff.n,
        unit="ratio", comparison=_("1 = no association"),
        money_per_year=m.get("money_per_year") if sig else None,
        severity="high" if sig and eff.coef > 0 else "info", anchor="service-repurchase",
        extra={"log_odds_per_point": eff.coef, "log_odds_ci": [eff.ci_low, eff.ci_high],
               **{k: v for k, v in m.items() if k != "money_per_year"}},
    )


def _nps(res: ServiceResult) -> dict | None:
    """The survey NPS with its interval, when surveys have 0–10 answers."""
    if res.nps_overall is None:
        return None
    n = res.nps_overall
    return dict(
        key="nps",
        sentence=_("NPS is {nps} (95% CI {low} to {high}, n = {n}): {promoters} promoters, "
                   "{detractors} detractors.",
                   nps=f"{100 * n.value:+.0f}", low=f"{100 * n.ci_low:+.0f}",
                   high=f"{100 * n.ci_high:+.0f}", n=fmt.count(n.n),
                   promoters=fmt.pct(n.promoters), detractors=fmt.pct(n.detractors)),
        action=_("Report NPS with its interval each month and read the detractors' comments; "
                 "move only on changes larger than the interval."),
        metric=_("NPS (points)"), value=100 * n.value, ci_low=100 * n.ci_low, ci_high=100 * n.ci_high,
        n=n.n, unit="count", comparison=_("promoters minus detractors"), severity="info",
        anchor="satisfaction",
    )


def _lowest_agent_csat(res: ServiceResult) -> dict | None:
    """The agent with the lowest shrunk CSAT among those flagged lower than the team after
    Benjamini–Hochberg; None when no agent is flagged."""
    ag = res.agents.get("csat")
    if ag is None or not len(ag):
        return None
    low = ag[ag["verdict"] == "lower"]
    if not len(low):
        return None
    r = low.sort_values("shrunk").iloc[0]
    return dict(
        key="agent-csat",
        sentence=_("Agent {agent}'s CSAT is {csat} after adjusting for channel, category and "
                   "month (95% CI {ci}, n = {n}) against {team} for the team, lower after "
                   "Benjamini–Hochberg.",
                   agent=r.agent_id, csat=fmt.pct(r.adjusted), ci=fmt.interval(r.adj_low, r.adj_high),
                   n=fmt.count(r.n), team=fmt.pct(r.team_rate)),
        action=_("Review {agent}'s low-rated tickets with the best-rated agent ({best}).",
                 agent=r.agent_id, best=ag.iloc[0].agent_id),
        metric=_("CSAT 4–5 share, adjusted"), value=float(r.adjusted), ci_low=float(r.adj_low),
        ci_high=float(r.adj_high), n=int(r.n), unit="rate",
        comparison=_("team {rate}", rate=fmt.pct(r.team_rate)), severity="medium", anchor="agents",
    )


def build(res: ServiceResult, currency: str = "EUR") -> list[dict]:
    """The service page's findings, as keyword arguments for `FindingsLog.record`."""
    by_channel = _slowest_channel_first_response(res)
    # No channel to compare: state the overall times, the baseline for any target.
    overall = _overall_service_times(res) if by_channel is None else None
    found = (by_channel, overall, _csat_drives_repurchase(res), _nps(res), _lowest_agent_csat(res))
    return [f for f in found if f is not None]
