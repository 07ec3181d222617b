"""Funnel metrics: stage conversion, the leaking stage, time to convert, visitor → lead,
store conversion per hour slot.

Rules used throughout (stated in the notebook too):
- A lead has reached a stage when that stage's timestamp, or any later stage's, is set
  (stages can be skipped in CRMs; reaching SQL implies having passed MQL).
- Conversion rates use mature leads only: created at least `maturity_days` before the as-of
  date, so their outcome is known. Younger leads would bias every rate down.
- Time to convert is a survival question: leads not (yet) won are censored at their age on
  the as-of date; never dropped, never counted as lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit.i18n import _
from salesaudit.methods import stats, survival

# The orders columns this module reads (a notebook reads only these: a large client's orders
# with every column are gigabytes).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "store_id")


def as_of_date(leads: pd.DataFrame, period_end) -> pd.Timestamp:
    """The date outcomes are observed at: the period's last day, or the last event if earlier."""
    end = pd.Timestamp(period_end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    ts = leads.select_dtypes("datetime").max().max()
    return min(end, ts) if pd.notna(ts) else end


def in_period(leads: pd.DataFrame, start, end) -> pd.DataFrame:
    created = leads["created_at"]
    return leads[(created >= pd.Timestamp(start)) & (created < pd.Timestamp(end) + pd.Timedelta(days=1))]


def stage_reach(leads: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Boolean frame: has each lead reached each stage (a later stage implies the earlier)."""
    reached = leads[columns].notna().to_numpy()
    # Reverse cumulative OR: reached stage k if any stage >= k is set.
    reached = np.logical_or.accumulate(reached[:, ::-1], axis=1)[:, ::-1]
    return pd.DataFrame(reached, columns=columns, index=leads.index)


def reach_dates(leads: pd.DataFrame, stages: list[tuple[str, str]], stage_index: int) -> pd.Series:
    """When each lead reached a stage: its own date, else the first later stage's (skipped)."""
    cols = [c for _, c in stages][stage_index:]
    return leads[cols].bfill(axis=1).iloc[:, 0]


def mature(leads: pd.DataFrame, as_of: pd.Timestamp, maturity_days: int) -> pd.Series:
    return leads["created_at"] <= as_of - pd.Timedelta(days=maturity_days)


def stage_conversion(
    leads: pd.DataFrame,
    stages: list[tuple[str, str]],
    by: str | None = None,
) -> pd.DataFrame:
    """Stage-to-stage and cumulative conversion with Wilson intervals.

    `stages` is [(name, column), …] starting with the lead itself. Pass mature leads only.
    Returns one row per (group, step): from/to stage, entered, converted, rate and interval,
    cumulative share of leads reaching the stage and its interval.
    """
    names = [n for n, _ in stages]
    cols = [c for _, c in stages]
    reach = stage_reach(leads, cols)
    keys = leads[by].fillna("(none)") if by else pd.Series("all", index=leads.index)
    counts = reach.groupby(keys.to_numpy(), sort=True).sum()  # rows: group, cols: stages
    rows = []
    for i in range(1, len(cols)):
        entered = counts[cols[i - 1]]
        converted = counts[cols[i]]
        step = stats.proportions(converted, entered)
        cum = stats.proportions(converted, counts[cols[0]])
        rows.append(pd.DataFrame({
            "group": counts.index,
            "step": i,
            "from_stage": names[i - 1],
            "to_stage": names[i],
            "transition": f"{names[i - 1]} → {names[i]}",
            "entered": entered.to_numpy(),
            "converted": converted.to_numpy(),
            "rate": step["rate"].to_numpy(),
            "ci_low": step["ci_low"].to_numpy(),
            "ci_high": step["ci_high"].to_numpy(),
            "cumulative": cum["rate"].to_numpy(),
            "cum_ci_low": cum["ci_low"].to_numpy(),
            "cum_ci_high": cum["ci_high"].to_numpy(),
        }))
    out = pd.concat(rows, ignore_index=True)
    if by:
        out = out.rename(columns={"group": by})
    else:
        out = out.drop(columns="group")
    return out.sort_values([by, "step"] if by else ["step"]).reset_index(drop=True)


def funnel_counts(leads: pd.DataFrame, stages: list[tuple[str, str]]) -> pd.DataFrame:
    """Leads reaching each stage (all leads, for the funnel chart)."""
    cols = [c for _, c in stages]
    reach = stage_reach(leads, cols).sum()
    out = pd.DataFrame({"stage": [n for n, _ in stages], "count": reach.to_numpy()})
    out["rate_from_previous"] = out["count"] / out["count"].shift(1)
    return out


@dataclass(frozen=True)
class Leak:
    transition: str
    from_stage: str
    to_stage: str
    rate: float
    ci_low: float
    ci_high: float
    entered: int
    next_lowest: str  # the transition it is compared with
    next_lowest_rate: float
    p_value: float
    distinguishable: bool
    benchmark: float  # the rate it could reach: target, or the best channel's lower bound
    benchmark_source: str
    extra_conversions_share: float  # relative rise of final conversions at the benchmark


def find_leak(
    overall: pd.DataFrame,
    by_channel: pd.DataFrame | None = None,
    channel_col: str = "channel",
    targets: dict[str, float] | None = None,
    alpha: float = 0.05,
) -> Leak | None:
    """The stage that loses most: the lowest stage-to-stage rate, tested against the next
    lowest (two-proportion test). Its benchmark is the params target for that stage when
    given, else the lower 95% bound of the best channel's rate at that stage (a level the
    business already reaches somewhere)."""
    d = overall.dropna(subset=["rate"]).sort_values("rate").reset_index(drop=True)
    if len(d) < 2:
        return None
    low, nxt = d.iloc[0], d.iloc[1]
    test = stats.two_proportion_test(int(low.converted), int(low.entered),
                                     int(nxt.converted), int(nxt.entered), alpha=alpha)
    targets = targets or {}
    if low.to_stage in targets:
        bench, source = targets[low.to_stage], _("target in params")
    elif by_channel is not None and len(by_channel):
        ch = by_channel[by_channel["step"] == low.step].sort_values("ci_low", ascending=False)
        bench = float(ch.iloc[0].ci_low)
        source = _("best channel ({channel}), lower 95% bound", channel=ch.iloc[0][channel_col])
    else:
        bench, source = float(low.rate), _("none")
    bench = max(bench, float(low.rate))
    return Leak(
        transition=str(low.transition), from_stage=str(low.from_stage),
        to_stage=str(low.to_stage), rate=float(low.rate), ci_low=float(low.ci_low),
        ci_high=float(low.ci_high), entered=int(low.entered),
        next_lowest=str(nxt.transition), next_lowest_rate=float(nxt.rate),
        p_value=float(test.p_value), distinguishable=bool(test.p_value < alpha),
        benchmark=bench, benchmark_source=source,
        extra_conversions_share=bench / float(low.rate) - 1 if low.rate > 0 else np.nan,
    )


def cohort_conversion(
    leads: pd.DataFrame, final_col: str, as_of: pd.Timestamp, maturity_days: int
) -> pd.DataFrame:
    """Lead → final stage per monthly cohort of lead creation, with Wilson intervals.

    A cohort is `mature` when its last lead is at least `maturity_days` old on the as-of date.
    """
    month = leads["created_at"].dt.to_period("M")
    won = leads[final_col].notna()
    g = won.groupby(month.to_numpy()).agg(["sum", "size"])
    out = stats.proportions(g["sum"], g["size"]).reset_index(names="month")
    month_end = out["month"].map(lambda p: p.end_time)
    out["mature"] = (month_end + pd.Timedelta(days=maturity_days) <= as_of).to_numpy()
    out["month"] = out["month"].dt.to_timestamp()
    return out


def time_to_convert(
    leads: pd.DataFrame, final_col: str, as_of: pd.Timestamp, maturity_days: int,
    by: str = "channel",
) -> pd.DataFrame:
    """Days from lead to the final stage per lead: event = reached it, otherwise censored
    at the lead's age on the as-of date. `mature` marks leads old enough for their outcome
    to be known."""
    end = leads[final_col].where(leads[final_col] <= as_of)
    stop = end.fillna(as_of)
    days = (stop - leads["created_at"]).dt.total_seconds() / 86400
    return pd.DataFrame({
        by: leads[by].to_numpy(),
        "days": days.clip(lower=0).to_numpy(),
        "event": end.notna().to_numpy(),
        "mature": mature(leads, as_of, maturity_days).to_numpy(),
    })


def km_curves(durations: pd.DataFrame, by: str = "channel") -> pd.DataFrame:
    """Kaplan–Meier curve per group (survival = share not yet converted)."""
    parts = []
    for g, d in durations.groupby(by, sort=True):
        km = survival.kaplan_meier(d["days"].to_numpy(), d["event"].to_numpy())
        km.insert(0, by, g)
        parts.append(km)
    return pd.concat(parts, ignore_index=True)


def median_days_to_convert(durations: pd.DataFrame, by: str = "channel") -> pd.DataFrame:
    """Median days to convert among converted leads of mature cohorts (all their conversions
    are observed, so the median is not biased toward fast converters), with a
    distribution-free 95% interval; plus the Kaplan–Meier share converted by day 30."""
    rows = []
    for g, d in durations.groupby(by, sort=True):
        conv = d.loc[d["event"] & d["mature"], "days"]
        est = stats.median_ci(conv.to_numpy())
        at30 = survival.cumulative_incidence_at(d["days"].to_numpy(), d["event"].to_numpy(), 30)
        rows.append({by: g, "converted": int(len(conv)), "median_days": est.value,
                     "ci_low": est.ci_low, "ci_high": est.ci_high,
                     "converted_by_day_30": at30.value, "cd30_low": at30.ci_low,
                     "cd30_high": at30.ci_high, "leads": int(len(d))})
    return pd.DataFrame(rows)


def visitor_to_lead(traffic: pd.DataFrame, leads: pd.DataFrame, start, end) -> pd.DataFrame:
    """Leads per visitor by channel over the period, Wilson intervals, compared with the rest.

    Channels present in only one of the two tables are listed with a missing rate."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    t = traffic[(traffic["date"] >= lo) & (traffic["date"] < hi)]
    visitors = t.groupby("channel")["visitors"].sum().astype("int64")
    n_leads = in_period(leads, start, end).groupby("channel").size()
    both = visitors.index.intersection(n_leads.index)
    out = stats.compare_to_rest(n_leads[both].clip(upper=visitors[both]), visitors[both])
    out.index.name = "channel"
    out = out.reset_index().rename(columns={"successes": "leads", "n": "visitors"})
    only = sorted(set(visitors.index) ^ set(n_leads.index))
    if only:
        out = pd.concat([out, pd.DataFrame({"channel": only, "verdict": "channel in one table only"})],
                        ignore_index=True)
    return out


def store_hourly_conversion(
    store_traffic: pd.DataFrame, orders: pd.DataFrame, start, end
) -> pd.DataFrame:
    """Store orders per door-counter visitor by hour of day, all stores and days pooled;
    each slot compared with the other slots (Benjamini–Hochberg)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    st = store_traffic[(store_traffic["hour_start"] >= lo) & (store_traffic["hour_start"] < hi)]
    o = orders[orders["store_id"].notna() & (orders["ordered_at"] >= lo) & (orders["ordered_at"] < hi)]
    slots = pd.DataFrame({"store_id": o["store_id"], "hour_start": o["ordered_at"].dt.floor("h")})
    n_orders = slots.groupby(["store_id", "hour_start"]).size().rename("orders")
    merged = st.set_index(["store_id", "hour_start"]).join(n_orders, how="left").fillna({"orders": 0})
    hour = merged.index.get_level_values("hour_start").hour
    g = merged.groupby(hour).agg(visitors=("visitors", "sum"), orders=("orders", "sum"))
    g = g[g["visitors"] > 0]
    out = stats.compare_to_rest(g["orders"].clip(upper=g["visitors"]).astype("int64"),
                                g["visitors"].astype("int64"))
    out.index.name = "hour"
    unmatched = len(slots) - int(g["orders"].sum())
    out.attrs["orders_outside_counted_hours"] = unmatched
    return out.reset_index().rename(columns={"successes": "orders", "n": "visitors"})


def value_per_conversion(leads: pd.DataFrame, orders: pd.DataFrame | None, final_col: str,
                         currency: str = "EUR") -> tuple[stats.Estimate | None, str]:
    """What one more conversion is worth: the mean deal value of won leads when given, else
    the mean revenue in the 365 days after winning of won leads' customers in `orders`."""
    won = leads[leads[final_col].notna()]
    if "value" in won and won["value"].notna().sum() >= 10:
        return stats.bootstrap_ci(won["value"].dropna().to_numpy()), "mean deal value of won leads"
    if orders is not None and "customer_id" in won and won["customer_id"].notna().sum() >= 10:
        w = won.dropna(subset=["customer_id"])[["customer_id", final_col]]
        o = orders.merge(w, on="customer_id")
        days = (o["ordered_at"] - o[final_col]).dt.days
        rev = o.loc[(days >= 0) & (days < 365)].groupby("customer_id")["revenue"].sum()
        per = rev.reindex(w["customer_id"].unique(), fill_value=0.0).to_numpy()
        return stats.bootstrap_ci(per), "mean first-year revenue of won leads' customers"
    return None, "no deal value or orders linked to won leads"


@dataclass
class FunnelResult:
    stages: list[tuple[str, str]]
    as_of: pd.Timestamp
    maturity_days: int
    n_leads: int
    n_mature: int
    counts: pd.DataFrame
    overall: pd.DataFrame
    by_channel: pd.DataFrame
    leak: Leak | None
    cohorts: pd.DataFrame
    durations: pd.DataFrame
    curves: pd.DataFrame
    medians: pd.DataFrame
    logrank: survival.LogrankResult | None
    value: stats.Estimate | None
    value_source: str
    leads_per_year: float


def analyze(leads: pd.DataFrame, stages: list[tuple[str, str]], start, end,
            maturity_days: int = 60, targets: dict[str, float] | None = None,
            orders: pd.DataFrame | None = None) -> FunnelResult:
    """Everything the funnel page shows about leads, computed once."""
    leads = in_period(leads, start, end)
    as_of = as_of_date(leads, end)
    ripe = leads[mature(leads, as_of, maturity_days)]
    final = stages[-1][1]
    overall = stage_conversion(ripe, stages)
    by_channel = stage_conversion(ripe, stages, by="channel")
    durations = time_to_convert(leads, final, as_of, maturity_days)
    logrank = None
    if durations["channel"].nunique() > 1 and durations["event"].any():
        logrank = survival.logrank_test(durations["days"].to_numpy(), durations["event"].to_numpy(),
                                     durations["channel"].to_numpy())
    value, source = value_per_conversion(leads, orders, final)
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    return FunnelResult(
        stages=stages, as_of=as_of, maturity_days=maturity_days, n_leads=len(leads),
        n_mature=len(ripe), counts=funnel_counts(leads, stages), overall=overall,
        by_channel=by_channel, leak=find_leak(overall, by_channel, targets=targets),
        cohorts=cohort_conversion(leads, final, as_of, maturity_days), durations=durations,
        curves=km_curves(durations), medians=median_days_to_convert(durations),
        logrank=logrank, value=value, value_source=source,
        leads_per_year=len(leads) * 365 / days,
    )


def leak_money_per_year(res: FunnelResult) -> float | None:
    """Extra conversions per year if the leaking stage reached its benchmark, times the value
    of a conversion. Downstream rates are assumed unchanged (an estimate, stated as such)."""
    if res.leak is None or res.value is None or not np.isfinite(res.leak.extra_conversions_share):
        return None
    final_rate = float(res.overall["cumulative"].iloc[-1])
    extra = res.leads_per_year * final_rate * res.leak.extra_conversions_share
    return float(extra * res.value.value)
