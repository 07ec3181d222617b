"""The funnel page's findings, as keyword arguments for `FindingsLog.record`: one rule per
finding (each returns its finding or None), and the aggregators the notebook calls."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import fmt
from salesaudit.components.funnel.metrics import FunnelResult, leak_money_per_year
from salesaudit.i18n import _

MIN_CONVERSIONS_FOR_MEDIAN = 20  # fewer converted leads give too wide a median interval


def build(res: FunnelResult, currency: str = "EUR") -> list[dict]:
    """The funnel's findings, as keyword arguments for `FindingsLog.record`."""
    return [f for f in (_leaking_stage(res), _slow_channel(res)) if f is not None]


def build_traffic(v2l: pd.DataFrame) -> list[dict]:
    """The visitor → lead finding (a list: empty when no channel is lower than the rest)."""
    f = _weak_visitor_channel(v2l)
    return [] if f is None else [f]


def build_store(hourly: pd.DataFrame, orders: pd.DataFrame, start, end) -> list[dict]:
    """The store hour-slot finding (a list: empty when no slot is lower than the rest)."""
    f = _weak_store_hour(hourly, orders, start, end)
    return [] if f is None else [f]


def _leaking_stage(res: FunnelResult) -> dict | None:
    """The stage that loses most, with the money its benchmark would bring."""
    if res.leak is None:
        return None
    lk = res.leak
    money = leak_money_per_year(res)
    cmp = (_("lower than every other stage") if lk.distinguishable
           else _("not distinguishable from the next lowest stage"))
    return dict(
        key="leaking-stage",
        sentence=_("The funnel leaks at {transition}: {rate} convert, {comparison} "
                   "({next_lowest} {next_rate}, {p}).",
                   transition=lk.transition,
                   rate=fmt.rate_ci(lk.rate, lk.ci_low, lk.ci_high, lk.entered),
                   comparison=cmp, next_lowest=lk.next_lowest,
                   next_rate=fmt.pct(lk.next_lowest_rate), p=fmt.pvalue(lk.p_value)),
        action=_("Work on {transition} first: reaching {benchmark} ({source}) would add "
                 "{share} more final conversions.",
                 transition=lk.transition, benchmark=fmt.pct(lk.benchmark),
                 source=lk.benchmark_source, share=fmt.pct(lk.extra_conversions_share, 0)),
        metric=_("{transition} conversion", transition=lk.transition), value=lk.rate,
        ci_low=lk.ci_low, ci_high=lk.ci_high, n=lk.entered, unit="rate",
        comparison=_("next lowest stage {stage} at {rate}", stage=lk.next_lowest,
                     rate=fmt.pct(lk.next_lowest_rate)),
        money_per_year=money, severity="high" if lk.distinguishable else "medium",
        anchor="leaking-stage",
        extra={"from_stage": lk.from_stage, "to_stage": lk.to_stage,
               "benchmark": lk.benchmark, "benchmark_source": lk.benchmark_source,
               "value_per_conversion": None if res.value is None else res.value.value,
               "value_source": res.value_source},
    )


def _slow_channel(res: FunnelResult) -> dict | None:
    """The channel whose leads take longest to convert, against the fastest (log-rank)."""
    # Only channels with enough conversions for a stable median and a finite interval.
    m = res.medians.dropna(subset=["median_days", "ci_low", "ci_high"])
    m = m[m["converted"] >= MIN_CONVERSIONS_FOR_MEDIAN]
    if not (len(m) > 1 and res.logrank is not None):
        return None
    slow, fast = m.loc[m["median_days"].idxmax()], m.loc[m["median_days"].idxmin()]
    sig = res.logrank.p_value < 0.05
    return dict(
        key="time-to-convert",
        sentence=_("Leads from {slow} take a median {days} days to convert (95% CI {low}–{high}, "
                   "n = {n}) against {fast_days} days for {fast}; {verdict} (log-rank {p}).",
                   slow=slow.channel, days=fmt.number(slow.median_days, 0),
                   low=fmt.number(slow.ci_low, 0), high=fmt.number(slow.ci_high, 0),
                   n=fmt.count(slow.converted), fast_days=fmt.number(fast.median_days, 0),
                   fast=fast.channel,
                   verdict=_("channels differ") if sig else _("channels do not differ detectably"),
                   p=fmt.pvalue(res.logrank.p_value)),
        action=_("Plan follow-up and cash flow per channel: {channel} leads need longer "
                 "nurturing.", channel=slow.channel),
        metric=_("median days to convert"), value=float(slow.median_days),
        ci_low=float(slow.ci_low), ci_high=float(slow.ci_high), n=int(slow.converted),
        unit="days", comparison=_("{channel}: {days} days", channel=fast.channel,
                                  days=fmt.number(fast.median_days, 0)),
        severity="medium" if sig else "info", anchor="time-to-convert",
    )


def _weak_visitor_channel(v2l: pd.DataFrame) -> dict | None:
    """The channel whose visitors become leads least often, when lower than the rest."""
    low = v2l[v2l["verdict"] == "lower"].sort_values("rate")
    if low.empty:
        return None
    r = low.iloc[0]
    return dict(
        key="visitor-to-lead",
        sentence=_("Visitors from {channel} become leads at {rate}, below the other channels' "
                   "{rest} (significant after Benjamini–Hochberg).",
                   channel=r.channel, rate=_rate(r), rest=fmt.pct(r.rest_rate, 2)),
        action=_("Review the landing pages and offers seen by {channel} visitors.",
                 channel=r.channel),
        metric=_("visitor → lead rate"), value=float(r.rate), ci_low=float(r.ci_low),
        ci_high=float(r.ci_high), n=int(r.visitors), unit="rate",
        comparison=_("other channels {rate}", rate=fmt.pct(r.rest_rate, 2)), severity="low",
        anchor="visitor-to-lead",
    )


def _weak_store_hour(hourly: pd.DataFrame, orders: pd.DataFrame, start, end) -> dict | None:
    """The hour slot where store visitors buy least, when lower than the other slots, with the
    yearly money of bringing it to the median slot at the mean store ticket."""
    low = hourly[hourly["verdict"] == "lower"].sort_values("rate")
    if low.empty:
        return None
    r = low.iloc[0]
    typical = float(hourly["rate"].median())
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    store = orders[orders["store_id"].notna() & (orders["ordered_at"] >= lo) & (orders["ordered_at"] < hi)]
    ticket = float(store["revenue"].mean()) if len(store) else np.nan
    years = (hi - lo).days / 365
    extra_orders = float(r.visitors) * (typical - float(r.rate)) / years
    money = extra_orders * ticket if np.isfinite(ticket) else None
    return dict(
        key="weak-store-hour",
        sentence=_("In the {slot} slot only {rate} of store visitors buy, against a typical "
                   "{typical} per slot.",
                   slot=f"{int(r.hour):02d}:00", rate=_rate(r), typical=fmt.pct(typical)),
        action=_("Staff the {start}–{end} slot like the busiest ones and check queue times.",
                 start=f"{int(r.hour):02d}:00", end=f"{int(r.hour) + 1:02d}:00"),
        metric=_("store conversion per hour slot"), value=float(r.rate), ci_low=float(r.ci_low),
        ci_high=float(r.ci_high), n=int(r.visitors), unit="rate",
        comparison=_("median slot {rate}", rate=fmt.pct(typical)), money_per_year=money,
        severity="medium", anchor="store-hours",
        extra={"extra_orders_per_year": extra_orders, "mean_store_ticket": ticket},
    )


def _rate(r) -> str:
    return fmt.rate_ci(r.rate, r.ci_low, r.ci_high, int(r.visitors))
