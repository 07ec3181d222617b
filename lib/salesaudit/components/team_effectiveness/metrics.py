"""Sales team effectiveness: per-rep statistics, a fair comparison, where each rep loses
deals, capacity, and team/manager rollups.

Rules used throughout (stated in the notebook too):
- A rep's deals are the leads with a rep_id. A deal starts at the handover stage: the
  latest funnel stage that (almost) every rep-owned lead has reached (SQL in the demo),
  else lead creation.
- A deal's outcome is known when it is won or lost, or when it is mature (started at least
  `maturity_days` before the as-of date; a mature open deal counts as not won, as in the
  funnel). Win rates use these decided deals only; younger open deals are left out.
- The sales cycle is days from deal start to win, Kaplan–Meier with open deals censored at
  their age on the as-of date; lost deals never complete a cycle and are left out.
- Reps are compared with `compare.fair_comparison`: adjusted for channel, value band and
  month of deal start, shrunk toward the team, flagged only after Benjamini–Hochberg.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit.components.funnel import metrics as funnel
from salesaudit.methods import compare, stats, survival

COVARIATES = ["channel", "value_band", "month"]


def handover_column(leads: pd.DataFrame, stages: list[tuple[str, str]], share: float = 0.95) -> str:
    """The latest stage column set (or implied by a later stage) for >= `share` of rep leads."""
    own = leads[leads["rep_id"].notna()]
    cols = [c for _, c in stages if c in leads]
    if own.empty:
        return cols[0]
    reach = funnel.stage_reach(own, cols).mean()
    ok = [c for c in cols if reach[c] >= share]
    return ok[-1] if ok else cols[0]


def deals(leads: pd.DataFrame, stages: list[tuple[str, str]], as_of: pd.Timestamp,
          maturity_days: int = 60) -> pd.DataFrame:
    """One row per rep-owned lead: start, outcome flags, value band and month for adjustment."""
    final = stages[-1][1]
    start_col = handover_column(leads, stages)
    d = leads[leads["rep_id"].notna()].copy()
    cols = [c for _, c in stages if c in d]
    # Stages can be skipped: a deal starts at its handover date, else its earliest later stage.
    later = cols[cols.index(start_col):]
    start = d[later].bfill(axis=1).iloc[:, 0] if later else d["created_at"]
    d["start"] = start.fillna(d["created_at"])
    d["won"] = d[final].notna() & (d[final] <= as_of)
    d["lost"] = (d["lost_at"].notna() & (d["lost_at"] <= as_of) & ~d["won"]) if "lost_at" in d \
        else False
    d["closed"] = d["won"] | d["lost"]
    d["mature"] = d["start"] <= as_of - pd.Timedelta(days=maturity_days)
    d["decided"] = d["closed"] | d["mature"]
    d["end"] = d[final].where(d["won"]).fillna(d["lost_at"].where(d["lost"]) if "lost_at" in d
                                               else pd.NaT)
    if "value" in d and d["value"].notna().sum() >= 8:
        band = pd.qcut(d["value"], 4, labels=["Q1 (lowest)", "Q2", "Q3", "Q4 (highest)"],
                       duplicates="drop")
        d["value_band"] = band.astype("string").fillna("(no value)")
    else:
        d["value_band"] = "(no value)"
    d["month"] = d["start"].dt.strftime("%Y-%m")
    d["rep_id"] = d["rep_id"].astype("string")
    d.attrs["start_column"] = start_col
    return d


def cycle_durations(d: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Days from deal start to win (event) or to the as-of date (open: censored)."""
    c = d[~d["lost"]]
    stop = c["end"].where(c["won"]).fillna(as_of)
    days = ((stop - c["start"]).dt.total_seconds() / 86400).clip(lower=0)
    return pd.DataFrame({"rep_id": c["rep_id"].to_numpy(), "days": days.to_numpy(),
                         "event": c["won"].to_numpy()})


def per_rep(d: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Deals, win rate (Wilson), mean and median won deal value, KM median cycle and revenue
    won (bootstrap sum over the rep's deals), each with its 95% interval."""
    dec = d[d["decided"]]
    g = dec.groupby("rep_id", sort=True)
    win = stats.proportions(g["won"].sum().astype("int64"), g.size().astype("int64"))
    cyc = cycle_durations(d, as_of)
    rows = []
    for rep, x in d.groupby("rep_id", sort=True):
        w = x.loc[x["won"], "value"] if "value" in x else pd.Series(dtype=float)
        mean = stats.bootstrap_ci(w.to_numpy(dtype=float))
        med = stats.median_ci(w.to_numpy(dtype=float))
        rev = stats.bootstrap_ci(x["value"].where(x["won"], 0.0).to_numpy(dtype=float), "sum") \
            if "value" in x else stats.Estimate(np.nan, np.nan, np.nan, 0)
        c = cyc[cyc["rep_id"] == rep]
        km = survival.km_quantile(c["days"].to_numpy(), c["event"].to_numpy())
        rows.append({"rep_id": rep, "deals": len(x), "open": int((~x["closed"]).sum()),
                     "mean_value": mean.value, "mean_low": mean.ci_low, "mean_high": mean.ci_high,
                     "median_value": med.value, "median_low": med.ci_low,
                     "median_high": med.ci_high, "won_deals": int(x["won"].sum()),
                     "cycle_days": km.value, "cycle_low": km.ci_low, "cycle_high": km.ci_high,
                     "revenue": rev.value, "revenue_low": rev.ci_low, "revenue_high": rev.ci_high})
    out = pd.DataFrame(rows).set_index("rep_id")
    out = out.join(win.rename(columns={"successes": "wins", "n": "decided"}))
    return out.reset_index()


def stage_by_rep(d: pd.DataFrame, stages: list[tuple[str, str]]) -> pd.DataFrame:
    """Stage-to-stage conversion per rep on decided deals, for the stages reps actually work
    (transitions every rep-owned lead passes are dropped), with each rep's rate shrunk toward
    the team and the team's pooled rate and best rep per transition."""
    dec = d[d["decided"]]
    if dec.empty:
        return pd.DataFrame()
    by = funnel.stage_conversion(dec, stages, by="rep_id")
    team = funnel.stage_conversion(dec, stages)
    team = team[team["rate"] < 1]
    by = by[by["step"].isin(team["step"])].copy()
    parts = []
    for step, x in by.groupby("step", sort=True):
        x = x.set_index("rep_id")
        sh = compare.shrink(x["converted"], x["entered"])
        x["shrunk"], x["cr_low"], x["cr_high"] = sh["shrunk"], sh["cr_low"], sh["cr_high"]
        t = team[team["step"] == step].iloc[0]
        x["team_rate"] = float(t["rate"])
        # What a rep at this stage leads to: the team's rates of the later steps.
        later = team[team["step"] > step]["rate"]
        x["downstream"] = float(later.prod()) if len(later) else 1.0
        x["best_rep"] = x["shrunk"].idxmax()
        x["team_median"] = float(x["shrunk"].median())
        x["lower_quartile"] = x["shrunk"] <= x["shrunk"].quantile(0.25)
        parts.append(x.reset_index())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def stage_gaps(sbr: pd.DataFrame, deals_per_year: float, n_decided: int,
               value: float) -> pd.DataFrame:
    """Per transition: extra final conversions (and money) per year if the reps in the lower
    quartile (shrunk rate) reached the median rep, downstream rates unchanged."""
    if sbr.empty:
        return pd.DataFrame()
    low = sbr[sbr["lower_quartile"]]
    gap = ((low["team_median"] - low["shrunk"]).clip(lower=0) * low["entered"] * low["downstream"])
    per = gap.groupby(low["transition"]).sum() * deals_per_year / max(n_decided, 1)
    out = per.rename("extra_wins_per_year").reset_index()
    out["money_per_year"] = out["extra_wins_per_year"] * value
    out["reps"] = low.groupby("transition")["rep_id"].agg(", ".join).reindex(out["transition"]).to_numpy()
    best = sbr.drop_duplicates("transition").set_index("transition")
    out["best_rep"] = best["best_rep"].reindex(out["transition"]).to_numpy()
    out["team_median"] = best["team_median"].reindex(out["transition"]).to_numpy()
    return out.sort_values("money_per_year", ascending=False).reset_index(drop=True)


def backlog(d: pd.DataFrame, start, end, freq: str = "W-SUN") -> pd.DataFrame:
    """Open deals per rep at the end of each week of the period (started, not yet closed)."""
    weeks = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq)
    cut = pd.Series(weeks + pd.Timedelta(days=1), name="week_end")
    x = d[["rep_id", "start", "end"]].merge(cut, how="cross")
    is_open = (x["start"] < x["week_end"]) & (x["end"].isna() | (x["end"] >= x["week_end"]))
    out = x[is_open].groupby(["week_end", "rep_id"]).size().rename("open_deals")
    full = pd.MultiIndex.from_product([cut, sorted(d["rep_id"].unique())], names=["week_end", "rep_id"])
    out = out.reindex(full, fill_value=0).reset_index()
    out["week"] = out["week_end"] - pd.Timedelta(days=1)
    return out.drop(columns="week_end")


@dataclass(frozen=True)
class LoadEffect:
    odds_ratio: float  # per extra deal started by the same rep in the same week
    ci_low: float
    ci_high: float
    p_value: float
    n: int


def weekly_load(d: pd.DataFrame) -> pd.DataFrame:
    """Deals started per rep and ISO week; each deal gets its rep's load of that week."""
    wk = d["start"].dt.to_period("W-SUN").astype("string")
    load = d.groupby([d["rep_id"], wk])["rep_id"].transform("size")
    return d.assign(week=wk, load=load)


def load_effect(d: pd.DataFrame) -> LoadEffect | None:
    """Does a rep win less in weeks with more new deals? Logistic regression of won on the
    rep's weekly load with a fixed effect per rep (so it compares a rep with themself)."""
    import statsmodels.api as sm

    x = weekly_load(d)
    x = x[x["decided"]]
    if len(x) < 50 or x["load"].nunique() < 3:
        return None
    reps = pd.get_dummies(x["rep_id"].astype(object), drop_first=True, dtype=float)
    X = pd.concat([pd.Series(1.0, index=x.index, name="const"), x["load"].astype(float), reps], axis=1)
    try:
        with warnings.catch_warnings():  # separation on small data: checked just below
            warnings.simplefilter("ignore")
            fit = sm.GLM(x["won"].astype(float).to_numpy(), X.to_numpy(),
                         family=sm.families.Binomial()).fit()
    except Exception:
        return None
    if not fit.converged or not np.isfinite(fit.bse[1]):
        return None
    b, se = float(fit.params[1]), float(fit.bse[1])
    return LoadEffect(float(np.exp(b)), float(np.exp(b - 1.96 * se)), float(np.exp(b + 1.96 * se)),
                      float(fit.pvalues[1]), int(len(x)))


def capacity(d: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per rep: deals started per active week (weeks between first and last deal start or the
    period end), against their win rate."""
    x = weekly_load(d)
    end_ts = pd.Timestamp(end) + pd.Timedelta(days=1)
    first = x.groupby("rep_id")["start"].min().clip(lower=pd.Timestamp(start))
    weeks = ((end_ts - first).dt.days / 7).clip(lower=1)
    out = pd.DataFrame({"deals": x.groupby("rep_id").size(), "active_weeks": weeks})
    out["deals_per_week"] = out["deals"] / out["active_weeks"]
    out["busiest_week"] = x.groupby("rep_id")["load"].max()
    return out.reset_index(names="rep_id")


def stale_open(d: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, float]:
    """Open deals per rep older than the team's 90th-percentile cycle (Kaplan–Meier): leads
    left waiting. Returns the table and the threshold in days (NaN when unknown)."""
    cyc = cycle_durations(d, as_of)
    q90 = survival.km_quantile(cyc["days"].to_numpy(), cyc["event"].to_numpy(), q=0.9).value \
        if len(cyc) else np.nan
    op = d[~d["closed"]]
    age = (as_of - op["start"]).dt.total_seconds() / 86400
    stale = (age > q90) if np.isfinite(q90) else pd.Series(False, index=op.index)
    g = pd.DataFrame({"open": op.groupby("rep_id").size(),
                      "stale": stale.groupby(op["rep_id"]).sum()}).fillna(0).astype("int64")
    g = g.reindex(sorted(d["rep_id"].unique()), fill_value=0)
    return g.reset_index(names="rep_id"), float(q90)


def rollups(d: pd.DataFrame, reps: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Per team and per manager (when reps has those columns): reps, deals, win rate with
    Wilson interval, mix-adjusted rate and BH verdict, revenue won."""
    out: dict[str, pd.DataFrame] = {}
    if reps is None:
        return out
    r = reps.assign(rep_id=reps["rep_id"].astype("string"))
    for level in ("team", "manager"):
        if level not in r or r[level].isna().all():
            continue
        x = d.merge(r[["rep_id", level]], on="rep_id", how="left")
        x[level] = x[level].astype("string").fillna("(no " + level + ")")
        dec = x[x["decided"]]
        fair = compare.fair_comparison(dec, level, "won", COVARIATES).set_index(level)
        fair["reps"] = x.groupby(level)["rep_id"].nunique()
        if "value" in x:
            fair["revenue"] = x["value"].where(x["won"], 0.0).groupby(x[level]).sum()
        out[level] = fair.reset_index()
    return out


@dataclass
class TeamResult:
    as_of: pd.Timestamp
    maturity_days: int
    start_column: str
    deals: pd.DataFrame
    per_rep: pd.DataFrame
    fair: pd.DataFrame
    curves: pd.DataFrame
    stages: pd.DataFrame
    gaps: pd.DataFrame
    backlog: pd.DataFrame
    capacity: pd.DataFrame
    load: LoadEffect | None
    stale: pd.DataFrame
    stale_days: float
    rollups: dict
    value: stats.Estimate | None
    deals_per_year: float


def analyze(leads: pd.DataFrame, reps: pd.DataFrame | None, stages: list[tuple[str, str]],
            start, end, maturity_days: int = 60) -> TeamResult:
    """Everything the team page shows, computed once."""
    leads = funnel.in_period(leads, start, end)
    as_of = funnel.as_of_date(leads, end)
    d = deals(leads, stages, as_of, maturity_days)
    dec = d[d["decided"]]
    fair = compare.fair_comparison(dec, "rep_id", "won", COVARIATES)
    cyc = cycle_durations(d, as_of)
    curves = funnel.km_curves(cyc, by="rep_id") if len(cyc) else pd.DataFrame()
    won_values = d.loc[d["won"], "value"].dropna() if "value" in d else pd.Series(dtype=float)
    value = stats.bootstrap_ci(won_values.to_numpy()) if len(won_values) >= 10 else None
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days + 1
    per_year = len(d) * 365 / days
    sbr = stage_by_rep(d, stages)
    gaps = stage_gaps(sbr, per_year, len(dec), value.value if value else np.nan)
    stale, q90 = stale_open(d, as_of)
    return TeamResult(
        as_of=as_of, maturity_days=maturity_days, start_column=d.attrs["start_column"], deals=d,
        per_rep=per_rep(d, as_of), fair=fair, curves=curves, stages=sbr, gaps=gaps,
        backlog=backlog(d, start, end), capacity=capacity(d, start, end), load=load_effect(d),
        stale=stale, stale_days=q90, rollups=rollups(d, reps), value=value, deals_per_year=per_year,
    )

