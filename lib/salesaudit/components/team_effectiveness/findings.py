"""The team page's findings: one rule per finding, each returning the keyword arguments for
`FindingsLog.record` or None when the data do not support it; `build` runs them in page order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import fmt
from salesaudit.components.team_effectiveness.metrics import TeamResult
from salesaudit.i18n import _


def _mean_deal_value(res: TeamResult) -> float | None:
    """Mean won deal value, the price of a win in the money estimates (None: too few won)."""
    return res.value.value if res.value else None


def _best_rep(res: TeamResult) -> dict | None:
    """The top-ranked rep after adjustment and shrinkage: a coach when distinguishable from
    the team, else a warning not to rank reps yet; the reps flagged lower and their gap."""
    f = res.fair
    if not len(f):
        return None
    team = float(f["team_rate"].iloc[0])
    value = _mean_deal_value(res)
    top = f.iloc[0]
    sig = top["verdict"] == "higher"
    low = f[f["verdict"] == "lower"]
    # Money: the reps flagged lower brought to the team rate, per year.
    gap = ((team - low["adjusted"]).clip(lower=0) * low["n"]).sum()
    money = gap * res.deals_per_year / max(int(f["n"].sum()), 1) * value if value and len(low) else None
    lows = ", ".join(low["rep_id"])
    best = dict(rep=top.rep_id, rate=fmt.pct(top.shrunk), interval=fmt.interval(top.cr_low, top.cr_high),
                n=fmt.count(int(top.n)), team_rate=fmt.pct(team))
    return dict(
        key="best-rep",
        sentence=(_("The top-ranked rep, {rep}, wins {rate} of decided deals after adjusting for lead mix "
                    "and shrinking toward the team (95% credible interval {interval}, n = {n}) against a "
                    "team rate of {team_rate}; the best rep, distinguishable from the team after "
                    "Benjamini–Hochberg", **best) if sig else
                  _("The top-ranked rep, {rep}, wins {rate} of decided deals after adjusting for lead mix "
                    "and shrinking toward the team (95% credible interval {interval}, n = {n}) against a "
                    "team rate of {team_rate}; not distinguishable from the team after "
                    "Benjamini–Hochberg", **best))
        + "; " + (_("reps below the team: {reps}.", reps=lows) if len(low) else
                  _("reps below the team: none.")),
        action=(_("Have {rep} coach the others on closing (shadowing, call reviews), starting with "
                  "{reps}.", rep=top.rep_id, reps=lows) if len(low) else
                _("Have {rep} coach the others on closing (shadowing, call reviews).",
                  rep=top.rep_id)) if sig else
        _("Do not rank reps on these rates yet: no rep differs detectably from the team; "
          "compare again when more deals have closed."),
        metric=_("win rate, adjusted and shrunk"), value=float(top.shrunk), ci_low=float(top.cr_low),
        ci_high=float(top.cr_high), n=int(top.n), unit="rate",
        comparison=_("team rate {rate}", rate=fmt.pct(team)), money_per_year=money,
        severity="high" if sig else "info", anchor="fair-comparison",
        extra={"raw_rate": float(top.rate), "q_value": float(top.q_value),
               "reps_lower": list(low["rep_id"])},
    )


def _lucky_small_sample_rep(res: TeamResult) -> dict | None:
    """The rep with the highest raw win rate, when shrinkage ranks someone else first: a rate
    on too few deals to reward or copy."""
    f = res.fair
    if not len(f):
        return None
    top = f.iloc[0]
    raw_top = f.sort_values(["rate", "n"], ascending=[False, False]).iloc[0]
    if raw_top.rep_id == top.rep_id:
        return None
    return dict(
        key="small-sample-rep",
        sentence=_("{rep} has the highest raw win rate, {rate}, but on so few deals that after "
                   "shrinkage it ranks #{rank} ({shrunk}).", rep=raw_top.rep_id,
                   rate=fmt.rate_ci(raw_top.rate, raw_top.ci_low, raw_top.ci_high, int(raw_top.n)),
                   rank=int(raw_top["rank"]), shrunk=fmt.pct(raw_top.shrunk)),
        action=_("Do not reward or copy {rep} on this rate yet; review it when more deals have "
                 "closed.", rep=raw_top.rep_id),
        metric=_("raw win rate"), value=float(raw_top.rate), ci_low=float(raw_top.ci_low),
        ci_high=float(raw_top.ci_high), n=int(raw_top.n), unit="rate",
        comparison=_("shrunk rate {rate}", rate=fmt.pct(raw_top.shrunk)), severity="info",
        anchor="fair-comparison",
    )


def _costliest_stage_gap(res: TeamResult) -> dict | None:
    """The transition where lifting the lower-quartile reps to the median rep is worth the
    most per year (gaps are sorted by money); None when no gap can be valued."""
    if not (len(res.gaps) and pd.notna(res.gaps["money_per_year"].iloc[0])):
        return None
    g = res.gaps.iloc[0]
    return dict(
        key="stage-gap",
        sentence=_("At {transition}, {reps} convert in the team's lower quartile; reaching the median "
                   "rep ({median}) would add about {wins} won deals a year.", transition=g.transition,
                   reps=g.reps, median=fmt.pct(g.team_median), wins=fmt.number(g.extra_wins_per_year, 0)),
        action=_("Pair {reps} with {best_rep}, the best rep at {transition}.", reps=g.reps,
                 best_rep=g.best_rep, transition=g.transition),
        metric=_("{transition} conversion gap", transition=g.transition), value=float(g.extra_wins_per_year),
        n=int(res.deals["decided"].sum()), unit="count",
        comparison=_("median rep {rate}", rate=fmt.pct(g.team_median)),
        money_per_year=float(g.money_per_year),
        severity="medium" if (res.fair["verdict"] == "lower").any() else "low",
        anchor="stage-by-rep",
        extra={"mean_deal_value": _mean_deal_value(res)},
    )


def _load_hurts_winning(res: TeamResult) -> dict | None:
    """Whether a rep's weekly load lowers their odds of winning (hire or rebalance) or not
    (add lead volume first); None when too few deals to fit the load effect."""
    if res.load is None:
        return None
    ld = res.load
    hurt = ld.p_value < 0.05 and ld.ci_high < 1
    per_week = float(res.capacity["deals_per_week"].median()) if len(res.capacity) else np.nan
    load = dict(per_week=fmt.number(per_week, 1), odds_ratio=fmt.number(ld.odds_ratio, 2),
                interval=fmt.interval(ld.ci_low, ld.ci_high, lambda v: fmt.number(v, 2)), n=fmt.count(ld.n))
    return dict(
        key="capacity",
        sentence=_("Reps start a median {per_week} deals a week; each extra deal in a rep's week multiplies "
                   "the odds of winning by {odds_ratio} (95% CI {interval}, n = {n}), so load is hurting "
                   "conversion.", **load) if hurt else
        _("Reps start a median {per_week} deals a week; each extra deal in a rep's week multiplies "
          "the odds of winning by {odds_ratio} (95% CI {interval}, n = {n}), no detectable sign that "
          "the current load hurts conversion.", **load),
        action=(_("Hire or rebalance leads toward the less loaded reps before adding lead volume.")
                if hurt else _("Up to the busiest weeks seen so far, more leads per rep did not "
                               "lower the win rate: add lead volume before adding people, and watch the "
                               "open-deal backlog.")),
        metric=_("odds ratio of winning per extra weekly deal"), value=ld.odds_ratio,
        ci_low=ld.ci_low, ci_high=ld.ci_high, n=ld.n, unit="ratio",
        comparison=_("1 = no effect of load"), severity="medium" if hurt else "info",
        anchor="capacity",
    )


def build(res: TeamResult, currency: str = "EUR") -> list[dict]:
    """The team page's findings, as keyword arguments for `FindingsLog.record`."""
    found = (_best_rep(res), _lucky_small_sample_rep(res), _costliest_stage_gap(res),
             _load_hurts_winning(res))
    return [f for f in found if f is not None]
