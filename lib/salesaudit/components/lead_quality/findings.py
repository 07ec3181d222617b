"""The lead-quality page's findings, as keyword arguments for `FindingsLog.record`: one rule
per finding, and `build`, the aggregator the notebook calls."""

from __future__ import annotations

import pandas as pd

from salesaudit import fmt
from salesaudit.components.lead_quality.conversion import MixDecomposition
from salesaudit.i18n import _


def build(conv: pd.DataFrame | None = None, prof: pd.DataFrame | None = None,
          moves: pd.DataFrame | None = None, signals: pd.DataFrame | None = None,
          simpson: MixDecomposition | None = None, currency: str = "EUR",
          ltv_source: str = "") -> list[dict]:
    """The page's findings, as keyword arguments for `FindingsLog.record`."""
    out: list[dict] = []
    if prof is not None:
        prof = prof.dropna(subset=["ltv_cac"])
    if prof is not None and not prof.empty:
        best = prof.iloc[0]
        for r in prof[prof["loses_money"]].itertuples():
            out.append(_money_losing_channel(r, best, moves, currency, ltv_source))
        out.append(_best_channel(best, currency, ltv_source))
    if conv is not None and not conv.empty:
        out.append(_weak_channel_conversion(conv))
    if signals is not None and not signals.empty:
        out.append(_sqls_handed_over_too_early(signals))
    out.append(_simpson_mix(simpson))
    return [f for f in out if f is not None]


def _money_losing_channel(r, best: pd.Series, moves: pd.DataFrame | None, currency: str,
                          ltv_source: str) -> dict:
    """A channel whose LTV:CAC is below 1 (row `r` of the profitability table), with what
    cutting it saves and what moving its spend to the best channel would add."""
    mv = moves[moves["channel"] == r.channel].iloc[0] if moves is not None and len(moves) else None
    sure = _("clearly") if r.clearly_loses else _("probably (the interval reaches 1)")
    if mv is not None:
        action = _("Cut {channel} spend: that alone avoids a {loss} loss a year; moved to {best}, "
                   "its {spend} would add an estimated {gain} of value a year (an upper estimate: it "
                   "assumes {best} keeps its cost per customer at a larger budget, which rarely "
                   "holds in full).",
                   channel=r.channel, loss=fmt.money(mv.loss_per_year, currency), best=mv.best_channel,
                   spend=fmt.money(r.spend_per_year, currency),
                   gain=fmt.money(mv.gain_if_moved_per_year, currency))
    else:
        action = _("Cut {channel} spend or fix its unit economics.", channel=r.channel)
    return dict(
        key=f"money-losing-channel-{r.channel}",
        sentence=_("{channel} loses money: each customer costs {cac} to acquire and brings {ltv} in "
                   "12 months (LTV:CAC {ratio}), {sure} below break-even.",
                   channel=r.channel, cac=fmt.money(r.cac, currency), ltv=fmt.money(r.ltv, currency),
                   ratio=fmt.value_ci(r.ltv_cac, r.ltv_cac_low, r.ltv_cac_high, digits=2), sure=sure),
        action=action,
        metric=_("LTV:CAC"), value=float(r.ltv_cac), ci_low=float(r.ltv_cac_low),
        ci_high=float(r.ltv_cac_high), n=int(r.customers), unit="ratio",
        comparison=_("best channel {channel} at {ratio}", channel=best.channel,
                     ratio=fmt.number(best.ltv_cac, 2)),
        money_per_year=None if mv is None else float(mv.gain_if_moved_per_year),
        severity="high" if r.clearly_loses else "medium", anchor="profitability",
        extra={"loss_per_year": None if mv is None else float(mv.loss_per_year),
               "cac": float(r.cac), "ltv": float(r.ltv), "ltv_source": ltv_source},
    )


def _best_channel(best: pd.Series, currency: str, ltv_source: str) -> dict:
    """The channel that returns the most per unit of spend (first row of the profitability
    table among channels with a ratio)."""
    return dict(
        key="best-channel",
        sentence=_("{channel} returns the most per euro: LTV:CAC {ratio} (CAC {cac}, 12-month value "
                   "{ltv}).", channel=best.channel, ratio=fmt.number(best.ltv_cac, 2),
                   cac=fmt.money(best.cac, currency), ltv=fmt.money(best.ltv, currency)),
        action=_("Grow {channel} first, watching whether its CAC rises with the budget.",
                 channel=best.channel),
        metric=_("LTV:CAC"), value=float(best.ltv_cac), ci_low=float(best.ltv_cac_low),
        ci_high=float(best.ltv_cac_high), n=int(best.customers), unit="ratio",
        severity="info", anchor="profitability", extra={"ltv_source": ltv_source},
    )


def _weak_channel_conversion(conv: pd.DataFrame) -> dict | None:
    """The channel whose leads become customers least often, when lower than the rest."""
    lc = conv[(conv["step"] == 0) & (conv["verdict"] == "lower")].sort_values("rate")
    if not len(lc):
        return None
    r = lc.iloc[0]
    return dict(
        key="weak-channel-conversion",
        sentence=_("Leads from {channel} become customers at {rate}, against {rest} for the other "
                   "channels (significant after Benjamini–Hochberg).", channel=r.channel,
                   rate=fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.entered)),
                   rest=fmt.pct(r.rest_rate)),
        action=_("Qualify {channel} leads harder before they reach sales, or rebalance budget.",
                 channel=r.channel),
        metric=_("lead → customer rate"), value=float(r.rate), ci_low=float(r.ci_low),
        ci_high=float(r.ci_high), n=int(r.entered), unit="rate",
        comparison=_("other channels {rate}", rate=fmt.pct(r.rest_rate)), severity="medium",
        anchor="channel-conversion",
    )


def _sqls_handed_over_too_early(signals: pd.DataFrame) -> dict | None:
    """The channel with the highest share of SQLs never won, when higher than the rest."""
    s = signals[signals["signal"].str.startswith("stalled") & (signals["verdict"] == "higher")]
    if not len(s):
        return None
    r = s.sort_values("rate", ascending=False).iloc[0]
    return dict(
        key="sqls-handed-over-too-early",
        sentence=_("{rate} of {channel} SQLs never become customers, against {rest} in the other "
                   "channels: these leads reach sales too early.",
                   rate=fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.of)), channel=r.channel,
                   rest=fmt.pct(r.rest_rate)),
        action=_("Tighten the MQL → SQL hand-over criteria for {channel}.", channel=r.channel),
        metric=_("SQLs never won"), value=float(r.rate), ci_low=float(r.ci_low),
        ci_high=float(r.ci_high), n=int(r.of), unit="rate",
        comparison=_("other channels {rate}", rate=fmt.pct(r.rest_rate)), severity="medium",
        anchor="lead-quality",
    )


def _simpson_mix(simpson: MixDecomposition | None) -> dict | None:
    """The blended rate moving against every channel's own rate (Simpson's paradox)."""
    if simpson is None or not simpson.paradox:
        return None
    return dict(
        key="simpson-mix",
        sentence=_("The blended lead → customer rate moved from {first} to {second} while every "
                   "channel moved the other way: the change comes from the channel mix, not from "
                   "selling better or worse.", first=fmt.pct(simpson.blended_first),
                   second=fmt.pct(simpson.blended_second)),
        action=_("Read conversion trends per channel, not blended."),
        metric=_("blended lead → customer change"),
        value=simpson.blended_second - simpson.blended_first, unit="rate",
        severity="medium", anchor="simpson",
        extra={"mix_effect": simpson.mix_effect, "rate_effect": simpson.rate_effect},
    )
