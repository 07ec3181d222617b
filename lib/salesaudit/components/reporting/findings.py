"""The reporting page's findings: one rule per finding, each returning the keyword arguments
for `FindingsLog.record` or None when it has nothing to say, and `build`, which the notebook
calls, in the page's order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import fmt
from salesaudit.components.reporting.loyalty import Loyalty
from salesaudit.components.reporting.metrics import BuyerSplit
from salesaudit.i18n import _


def build(split: BuyerSplit | None = None, kpi: pd.DataFrame | None = None,
          breakers: pd.DataFrame | None = None, backtest: pd.DataFrame | None = None,
          loyal: Loyalty | None = None, scores: pd.DataFrame | None = None,
          quality: pd.DataFrame | None = None, currency: str = "EUR") -> list[dict]:
    """The reporting page's findings, as keyword arguments for `FindingsLog.record`.
    `kpi` is accepted for the notebook's call and read by no rule."""
    found = [
        _one_time_buyers(split),
        _broken_rhythm(breakers, scores, backtest, currency),
        _loyalty_ticket(loyal, currency),
        _loyalty_incremental(loyal, currency),
        _data_quality(quality),
    ]
    return [f for f in found if f is not None]


def _one_time_buyers(split: BuyerSplit | None) -> dict | None:
    """Always said when the period has customers: the share who bought once and their revenue."""
    if split is None or not split.customers:
        return None
    e = split.one_time
    g = split.groups.iloc[0]
    return dict(
        key="one-time-buyers",
        sentence=_("{share} of customers bought only once in the period; they bring "
                   "{revenue_share} of revenue ({interval}).",
                   share=fmt.rate_ci(e.value, e.ci_low, e.ci_high, e.n),
                   revenue_share=fmt.pct(g["revenue_share"]),
                   interval=fmt.interval(g["revenue_share_low"], g["revenue_share_high"])),
        action=_("Make the second purchase the goal of onboarding: a timed follow-up after "
                 "the first order, with an incentive tested against a holdout."),
        metric=_("one-time buyer share"), value=e.value, ci_low=e.ci_low, ci_high=e.ci_high,
        n=e.n, unit="rate", comparison=_("customers who bought more than once"),
        severity="medium", anchor="buyer-split",
    )


def _broken_rhythm(breakers: pd.DataFrame | None, scores: pd.DataFrame | None,
                   backtest: pd.DataFrame | None, currency: str) -> dict | None:
    """Regular customers gone quiet beyond their rhythm, with the revenue a year they brought."""
    if breakers is None or scores is None or not len(breakers):
        return None
    at_risk = float(breakers["revenue_per_year"].sum())
    return dict(
        key="broken-rhythm",
        sentence=_("{n} regular customers have gone quiet for longer than their own purchase "
                   "rhythm makes likely; they used to bring {money} a year.",
                   n=fmt.count(len(breakers)), money=fmt.money(at_risk, currency))
        + _backtest_sentence(backtest),
        action=_("Contact them now, highest value first (download the list), with a personal "
                 "win-back offer; measure it against a random 10% left uncontacted."),
        metric=_("customers with a broken rhythm"), value=float(len(breakers)),
        n=int(len(scores)), unit="count", comparison=_("customers with ≥ 2 purchase days"),
        money_per_year=at_risk, severity="high", anchor="broken-rhythm",
        extra={"ids": breakers["customer_id"].astype(str).head(20).tolist()},
    )


def _backtest_sentence(backtest: pd.DataFrame | None) -> str:
    """The back-test of the own-rhythm rule at p < 0.01 (how many it flagged never came back),
    as a sentence to append; empty without a back-test or when it flagged nobody."""
    cal = None
    if backtest is not None:
        f = backtest[(backtest["group"] == "flagged") & (backtest["rule"].str.contains("0.01"))]
        cal = f.iloc[0] if len(f) else None
    return ("" if cal is None or not cal["n"] else
            " " + _("Back-tested on an earlier cut-off, {rate} of the customers the rule "
                    "flagged never came back.",
                    rate=fmt.rate_ci(cal["rate"], cal["ci_low"], cal["ci_high"], cal["n"])))


def _loyalty_ticket(loyal: Loyalty | None, currency: str) -> dict | None:
    """How much more card orders average than others; medium only when the interval excludes 0."""
    if loyal is None or np.isnan(loyal.ticket_diff.value):
        return None
    d = loyal.ticket_diff
    sig = d.ci_low > 0 or d.ci_high < 0
    return dict(
        key="loyalty-ticket",
        sentence=_("Orders with the loyalty card average {diff} more than orders without "
                   "(95% CI {low} to {high}, n = {n} customers and anonymous orders){unclear}; "
                   "members choose to join, so this is not the card's effect.",
                   diff=fmt.money(d.value, currency, 2), low=fmt.money(d.ci_low, currency, 2),
                   high=fmt.money(d.ci_high, currency, 2), n=fmt.count(d.n),
                   unclear="" if sig else _(", not distinguishable from zero")),
        action=_("Judge the card by the before/after comparison of new members against "
                 "matched non-members, and test card offers on a random holdout of members."),
        metric=_("card − non-card average ticket"), value=d.value, ci_low=d.ci_low,
        ci_high=d.ci_high, n=d.n, unit="money",
        comparison=_("orders without the card"),
        severity="medium" if sig else "info", anchor="loyalty",
    )


def _loyalty_incremental(loyal: Loyalty | None, currency: str) -> dict | None:
    """What joining adds (before/after against matched non-members), when it could be estimated;
    medium only when the interval excludes 0."""
    if loyal is None or loyal.did is None:
        return None
    e, w = loyal.did, loyal.window_days
    sig = e.ci_low > 0 or e.ci_high < 0
    return dict(
        key="loyalty-incremental",
        sentence=_("In the {days} days after joining, members bring {diff} more completed "
                   "revenue than matched non-members over the same dates (95% CI {low} to "
                   "{high}, n = {n} members){unclear}; a before/after estimate, since members "
                   "self-select.",
                   days=w, diff=fmt.money(e.value, currency, 2),
                   low=fmt.money(e.ci_low, currency, 2), high=fmt.money(e.ci_high, currency, 2),
                   n=fmt.count(e.n), unclear="" if sig else _(", not distinguishable from zero")),
        action=_("Confirm with a randomized test (e.g. offer the card's benefit to a random "
                 "half of new sign-ups) before investing more in the programme."),
        metric=_("incremental revenue per member, {days} days after joining", days=w),
        value=e.value, ci_low=e.ci_low, ci_high=e.ci_high, n=e.n, unit="money",
        comparison=_("matched non-members (before/after)"),
        severity="medium" if sig else "info", anchor="loyalty",
    )


def _data_quality(quality: pd.DataFrame | None) -> dict | None:
    """The worst-scoring table when it scores below 95/100; high below 80."""
    if quality is None or not len(quality):
        return None
    worst = quality.iloc[0]  # sorted by score
    if not worst["score"] < 95:
        return None
    return dict(
        key="data-quality",
        sentence=_("The {table} table scores {score}/100 for data quality; its largest "
                   "problem: {problem}.", table=worst["table"],
                   score=fmt.number(worst["score"], 0), problem=worst["fix_first"]),
        action=_("Fix first: {action}.", action=worst["action"]),
        metric=_("data-quality score of {table}", table=worst["table"]),
        value=float(worst["score"]), n=int(worst["rows"]), unit="ratio",
        comparison=_("100 = no problem found"),
        severity="high" if worst["score"] < 80 else "medium", anchor="data-quality",
    )
