"""Lead quality and channel economics: conversion per channel, CPL, CAC, value per acquired
customer, LTV:CAC, payback, channel profitability, lead-quality signals, Simpson's guard.

Rules used throughout (stated in the notebook too):
- Stage reach and maturity follow `funnel`: a lead reached a stage when that stage's date or
  a later one is set; conversion rates count mature leads only.
- Spend rule: every count is taken in the month its event happened — leads by creation
  month, MQLs by the month they reached MQL, customers by the month they were won. A
  channel's CPL, cost per MQL and CAC over the period are total spend / total count (ratio of
  sums). Spend in a month without leads still counts (it bought nothing). A channel with
  leads but no spend rows at all has no CPL (spend unknown, not zero); a month without a
  spend row in a channel that has spend rows counts as zero spend and is flagged.
- Intervals on cost per MQL and CAC come from the Wilson interval of the underlying ratio of
  counts (MQLs / leads, customers / leads): CAC = CPL / (customers / leads). CPL itself is
  an accounting figure (spend / leads), shown without interval.
- Value per acquired customer counts completed orders only (when `orders.status` exists) from
  the acquisition day on; margin = revenue - cost when `orders.cost` exists.
- Channels are self-selected sources, not randomized treatments: differences between them
  describe the leads each channel brings, not what a lead would do in another channel.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from salesaudit import fmt
from salesaudit.components.funnel import metrics as funnel
from salesaudit.i18n import N_, _
from salesaudit.methods import clv, stats

OTHER = "(other)"


# --------------------------------------------------------------------------- conversion


def channel_conversion(ripe: pd.DataFrame, stages: list[tuple[str, str]],
                       by: str = "channel") -> pd.DataFrame:
    """Stage-to-stage rates per group (funnel.stage_conversion, reused) plus lead → last
    stage, each group compared with the rest of the groups per transition, Benjamini–
    Hochberg across groups within a transition. Pass mature leads."""
    sc = funnel.stage_conversion(ripe, stages, by=by)
    first = sc[sc["step"] == 1].set_index(by)["entered"]
    last = sc[sc["step"] == sc["step"].max()].set_index(by)["converted"]
    overall = pd.DataFrame({by: first.index, "step": 0,
                            "transition": f"{stages[0][0]} → {stages[-1][0]}",
                            "entered": first.to_numpy(), "converted": last.reindex(first.index).to_numpy()})
    if len(stages) == 2:  # the only transition is lead → last stage itself: keep it once
        sc = sc.iloc[0:0]
    parts = []
    for (step, transition), d in pd.concat([overall, sc], ignore_index=True).groupby(
            ["step", "transition"], sort=True):
        cmp = stats.compare_to_rest(d.set_index(by)["converted"].astype("int64"),
                                    d.set_index(by)["entered"].astype("int64"))
        cmp = cmp.reset_index(names=by).rename(columns={"successes": "converted", "n": "entered"})
        cmp.insert(1, "step", step)
        cmp.insert(2, "transition", transition)
        parts.append(cmp)
    return pd.concat(parts, ignore_index=True)


def _lump(s: pd.Series, min_n: int) -> pd.Series:
    """Levels with fewer than min_n rows become '(other)' (avoids separation in the logit)."""
    s = s.astype(object).fillna("(none)")
    counts = s.value_counts()
    return s.where(s.map(counts) >= min_n, OTHER)


@dataclass(frozen=True)
class ConversionModel:
    odds_ratios: pd.DataFrame  # variable, level, odds_ratio, ci_low, ci_high, p_value, n
    references: dict[str, str]  # variable: reference level
    dropped: dict[str, str]  # variable: why it was left out
    n: int
    pseudo_r2: float


def conversion_model(ripe: pd.DataFrame, final_col: str, by: str = "channel",
                     others: tuple[str, ...] = ("campaign", "landing_page"),
                     min_level_n: int = 30) -> ConversionModel | None:
    """Logistic regression of becoming a customer on channel plus the other lead attributes
    available (categorical: campaign, landing page; and the quarter of lead creation for
    seasonality). Attributes nested in the channel (each value in one channel only) are left
    out: they cannot be told apart from the channel. Levels with < min_level_n leads are
    pooled. Reference level: the largest group. Odds ratios with 95% Wald intervals.

    Every predictor is categorical, so the fit runs on one row per combination of levels
    (wins out of leads, a binomial GLM): the same likelihood, estimates and Wald intervals as
    the logit on one row per lead, which at millions of leads builds a design matrix of
    gigabytes. The pseudo R² is McFadden's on the per-lead likelihood."""
    if len(ripe) < 50 or ripe[by].nunique() < 2:
        return None
    d = pd.DataFrame({"won": ripe[final_col].notna().astype(int).to_numpy(),
                      by: _lump(ripe[by], min_level_n).to_numpy()})
    dropped: dict[str, str] = {}
    for col in others:
        if col not in ripe or ripe[col].notna().sum() == 0:
            continue
        nested = ripe.dropna(subset=[col]).groupby(col)[by].nunique().max() <= 1
        if nested:
            dropped[col] = _("each {column} belongs to one {by}: not separable from it", column=col, by=by)
            continue
        d[col] = _lump(ripe[col], min_level_n).to_numpy()
    quarter = ripe["created_at"].dt.quarter.map("Q{}".format)
    if quarter.nunique() > 1:
        d["quarter"] = quarter.to_numpy()
    variables = [c for c in d.columns if c != "won" and d[c].nunique() > 1]
    refs = {c: str(d[c].value_counts().sort_index().idxmax()) for c in variables}
    terms = " + ".join(f'C({c}, Treatment("{refs[c]}"))' for c in variables)
    g = d.groupby(variables, sort=True)["won"].agg(won="sum", leads="size").reset_index()
    g["lost"] = g["leads"] - g["won"]
    try:
        fit = smf.glm(f"won + lost ~ {terms}", g, family=sm.families.Binomial()).fit(maxiter=200)
    except Exception as exc:  # singular design or perfect separation: say so, do not crash
        return ConversionModel(pd.DataFrame(), refs, {**dropped, "model": str(exc)}, len(d), np.nan)
    ci = fit.conf_int()
    rows = []
    for term in fit.params.index:
        if term == "Intercept":
            continue
        var = term.split(",")[0][2:]
        level = term.rsplit("[T.", 1)[1][:-1]
        rows.append({"variable": var, "level": level, "odds_ratio": np.exp(fit.params[term]),
                     "ci_low": np.exp(ci.loc[term, 0]), "ci_high": np.exp(ci.loc[term, 1]),
                     "p_value": fit.pvalues[term],
                     "n": int(g.loc[g[var] == level, "leads"].sum())})
    table = pd.DataFrame(rows)
    return ConversionModel(table, refs, dropped, len(d), _mcfadden(g, fit.fittedvalues))


def _mcfadden(g: pd.DataFrame, p: pd.Series) -> float:
    """McFadden's pseudo R² (1 − llf / llnull) of a binomial fit on grouped rows (won, lost),
    with the per-lead Bernoulli log-likelihood (the grouped GLM's adds binomial constants)."""
    won, lost = g["won"].to_numpy(dtype=float), g["lost"].to_numpy(dtype=float)
    p = np.clip(p.to_numpy(dtype=float), 1e-300, 1 - 1e-16)
    p0 = won.sum() / (won.sum() + lost.sum())
    llf = float(np.sum(won * np.log(p) + lost * np.log1p(-p)))
    llnull = float(np.sum(won * np.log(p0) + lost * np.log1p(-p0)))
    return 1 - llf / llnull if llnull else np.nan


# --------------------------------------------------------------------------- spend


def _reach_dates(leads: pd.DataFrame, stages: list[tuple[str, str]], stage_index: int) -> pd.Series:
    """When each lead reached a stage: its own date, else the first later stage's (skipped)."""
    cols = [c for _, c in stages][stage_index:]
    return leads[cols].bfill(axis=1).iloc[:, 0]


def monthly_counts(leads: pd.DataFrame, stages: list[tuple[str, str]], start, end) -> pd.DataFrame:
    """Leads, MQLs and customers per channel and month, each counted in the month its event
    happened (creation, reaching the second stage, reaching the last stage), in the period."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    events = {"leads": leads["created_at"], "mqls": _reach_dates(leads, stages, 1),
              "customers": leads[stages[-1][1]]}
    parts = []
    for name, when in events.items():
        ok = when.notna() & (when >= lo) & (when < hi)
        g = pd.DataFrame({"channel": leads.loc[ok, "channel"].to_numpy(),
                          "month": when[ok].dt.to_period("M").dt.to_timestamp().to_numpy()})
        parts.append(g.groupby(["channel", "month"]).size().rename(name))
    return pd.concat(parts, axis=1).fillna(0).astype("int64").reset_index()


def spend_economics(spend: pd.DataFrame, leads: pd.DataFrame, stages: list[tuple[str, str]],
                    start, end, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per channel, per channel-month) spend, counts, CPL, cost per MQL and CAC.

    Per channel: spend, leads, mqls, customers, cpl, cost_per_mql (+ ci), cac (+ ci), and the
    rule flags spend_without_leads (money in months without leads), months_without_spend
    (months with leads but no spend row), has_spend (False: leads but no spend at all).
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    s = spend[(spend["period_start"] >= lo) & (spend["period_start"] < hi)]
    s = s.assign(month=s["period_start"].dt.to_period("M").dt.to_timestamp())
    s = s.groupby(["channel", "month"], as_index=False)["amount"].sum()
    monthly = monthly_counts(leads, stages, start, end).merge(
        s, on=["channel", "month"], how="outer", indicator=True)
    monthly[["leads", "mqls", "customers"]] = monthly[["leads", "mqls", "customers"]].fillna(0).astype("int64")
    monthly["spend_row"] = monthly["_merge"] != "left_only"
    monthly = monthly.drop(columns="_merge").fillna({"amount": 0.0})
    monthly = monthly.rename(columns={"amount": "spend"}).sort_values(["channel", "month"])
    with np.errstate(divide="ignore", invalid="ignore"):
        monthly["cpl"] = np.where(monthly["leads"] > 0, monthly["spend"] / monthly["leads"], np.nan)
        monthly["cac"] = np.where(monthly["customers"] > 0, monthly["spend"] / monthly["customers"], np.nan)
    monthly = monthly.reset_index(drop=True)

    m = monthly.assign(
        no_lead_spend=monthly["spend"].where(monthly["leads"] == 0, 0.0),
        lead_month_no_row=(monthly["leads"] > 0) & ~monthly["spend_row"],
    )
    ch = m.groupby("channel").agg(
        spend=("spend", "sum"), leads=("leads", "sum"), mqls=("mqls", "sum"),
        customers=("customers", "sum"), spend_rows=("spend_row", "sum"),
        spend_without_leads=("no_lead_spend", "sum"), months_without_spend=("lead_month_no_row", "sum"),
    ).reset_index()
    ch["has_spend"] = ch["spend_rows"] > 0
    ch["months_without_spend"] = ch["months_without_spend"].where(ch["has_spend"], 0)
    known = ch["has_spend"] & (ch["leads"] > 0)
    ch["cpl"] = np.where(known, ch["spend"] / ch["leads"].where(ch["leads"] > 0, 1), np.nan)
    for name, count in [("cost_per_mql", "mqls"), ("cac", "customers")]:
        # Counts won from leads created before the period can exceed the period's leads.
        x = np.minimum(ch[count], ch["leads"])
        low, high = stats.wilson_interval(x, ch["leads"], alpha=alpha)
        with np.errstate(divide="ignore", invalid="ignore"):
            ch[name] = np.where(known & (ch[count] > 0), ch["spend"] / ch[count].where(ch[count] > 0, 1), np.nan)
            ch[f"{name}_low"] = np.where(known, ch["cpl"] / high, np.nan)
            ch[f"{name}_high"] = np.where(known & (low > 0), ch["cpl"] / np.where(low > 0, low, 1), np.inf)
        ch[f"{name}_high"] = ch[f"{name}_high"].where(known, np.nan)
    return ch.drop(columns="spend_rows"), monthly


# --------------------------------------------------------------------------- customer value


def acquired_customers(leads: pd.DataFrame | None, customers: pd.DataFrame | None,
                       final_col: str, start, end) -> pd.DataFrame:
    """Customers acquired in the period with their channel and acquisition date.

    Won leads with a customer_id give the channel and date (won_at, first won lead per
    customer); otherwise customers.acquisition_channel with first_seen_at in the period.
    """
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    parts = []
    if leads is not None and "customer_id" in leads and final_col in leads:
        w = leads.dropna(subset=["customer_id", final_col]).sort_values(final_col)
        w = w.drop_duplicates("customer_id")
        parts.append(pd.DataFrame({"customer_id": w["customer_id"].to_numpy(),
                                   "channel": w["channel"].to_numpy(),
                                   "acquired_at": w[final_col].to_numpy()}))
    if customers is not None and {"acquisition_channel", "first_seen_at"} <= set(customers.columns):
        c = customers.dropna(subset=["acquisition_channel", "first_seen_at"])
        parts.append(pd.DataFrame({"customer_id": c["customer_id"].to_numpy(),
                                   "channel": c["acquisition_channel"].to_numpy(),
                                   "acquired_at": c["first_seen_at"].to_numpy()}))
    if not parts:
        return pd.DataFrame({"customer_id": pd.Series(dtype="string"),
                             "channel": pd.Series(dtype="string"),
                             "acquired_at": pd.Series(dtype="datetime64[ns]")})
    out = pd.concat(parts, ignore_index=True).drop_duplicates("customer_id", keep="first")
    out = out[(out["acquired_at"] >= lo) & (out["acquired_at"] < hi)]
    return out.sort_values(["channel", "customer_id"]).reset_index(drop=True)


# The orders columns this module reads (a notebook reads only these: a large client's orders
# with every column are gigabytes).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue", "cost", "status")


def _valid_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """Known customers' completed orders: customer_id, ordered_at, revenue, margin."""
    o = orders[[c for c in ORDER_COLUMNS if c in orders]]  # filter only the columns used
    keep = o["customer_id"].notna().to_numpy()
    if "status" in o:
        keep = keep & (o["status"].fillna("completed") == "completed").to_numpy(dtype=bool)
    o = o[keep]
    margin = o["revenue"] - o["cost"] if "cost" in o else pd.Series(np.nan, index=o.index)
    return pd.DataFrame({"customer_id": o["customer_id"].to_numpy(),
                         "ordered_at": o["ordered_at"].to_numpy(),
                         "revenue": o["revenue"].to_numpy(), "margin": margin.to_numpy()})


def customer_values(acq: pd.DataFrame, orders: pd.DataFrame, as_of,
                    horizons: tuple[int, ...] = (90, 180, 365)) -> pd.DataFrame:
    """Per acquired customer: first-order revenue and margin, and revenue and margin within
    each horizon (days from the acquisition day); NaN for horizons not yet fully observed."""
    as_of = pd.Timestamp(as_of)
    o = _valid_orders(orders).merge(acq[["customer_id", "acquired_at"]], on="customer_id")
    day0 = o["acquired_at"].dt.normalize()
    o["days"] = (o["ordered_at"] - day0).dt.total_seconds() / 86400
    o = o[o["days"] >= 0].sort_values(["customer_id", "ordered_at"])
    first = o.drop_duplicates("customer_id").set_index("customer_id")
    out = acq.set_index("customer_id")[["channel", "acquired_at"]].copy()
    out["first_revenue"] = first["revenue"].reindex(out.index)
    out["first_margin"] = first["margin"].reindex(out.index)
    age = (as_of - out["acquired_at"].dt.normalize()).dt.total_seconds() / 86400
    for h in horizons:
        inside = o[o["days"] < h].groupby("customer_id")[["revenue", "margin"]].sum(min_count=1)
        for col in ("revenue", "margin"):
            v = inside[col].reindex(out.index).fillna(0.0)
            if col == "margin" and o["margin"].isna().all():
                v = v * np.nan
            out[f"{col}_{h}d"] = v.where(age >= h)
    return out.reset_index()


def value_by_channel(values: pd.DataFrame, horizons: tuple[int, ...] = (90, 180, 365),
                     min_n: int = 20, seed: int = 0) -> pd.DataFrame:
    """Mean first-order and horizon values per channel with bootstrap 95% intervals, among
    customers old enough for the horizon (n shown; fewer than min_n: not shown)."""
    metrics = ["first_revenue", "first_margin"] + [f"{c}_{h}d" for h in horizons
                                                   for c in ("revenue", "margin")]
    rows = []
    for ch, d in values.groupby("channel", sort=True):
        for mtr in metrics:
            v = d[mtr].dropna().to_numpy()
            est = stats.bootstrap_ci(v, seed=seed) if len(v) >= min_n else stats.Estimate(np.nan, np.nan, np.nan, len(v))
            rows.append({"channel": ch, "metric": mtr, "value": est.value, "ci_low": est.ci_low,
                         "ci_high": est.ci_high, "n": est.n})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- predicted LTV

WEEK = 7.0  # the BG/NBD time unit: weeks measured to the day (Fader, Hardie & Lee 2005)


RELAXED_TOLERANCES = (1e-5, 1e-4, 1e-3)


def _quiet_fit(make, args: tuple, initial: np.ndarray | None):
    """Fit a lifetimes model with looser tolerances in turn; None when all fail."""
    for tol in RELAXED_TOLERANCES:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return make().fit(*args, tol=tol, initial_params=initial)
            except Exception:
                continue
    return None


def fit_bgnbd_relaxed(summary: pd.DataFrame, initial: np.ndarray | None = None, weights=None):
    """clv.fit_bgnbd, retried through `lifetimes` directly with looser optimizer tolerances
    (1e-5, 1e-4, 1e-3) when it does not converge. Customers who never churn push the dropout
    parameter a towards 0, where BFGS stops on precision loss although the likelihood is
    already flat (the expected purchases agree to 0.1% across these tolerances); the looser
    tolerance accepts that optimum. `initial` (log parameters) warm-starts bootstrap refits
    and skips the strict attempt; `weights` are per-customer bootstrap counts. None when
    every fit fails."""
    from lifetimes import BetaGeoFitter

    if initial is None:
        with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints failed optimizations
            try:
                return clv.fit_bgnbd(summary, weights=weights)
            except Exception:
                pass
    (f, r, t), w = clv.collapse(summary["frequency"], summary["recency"], summary["T"], weights=weights)
    return _quiet_fit(lambda: BetaGeoFitter(penalizer_coef=0.0), (f.astype(int), r, t, w), initial)


def _fit_gamma_gamma_quiet(summary: pd.DataFrame, initial: np.ndarray | None = None, weights=None):
    """clv.fit_gamma_gamma, with the same relaxed retries (and warm start for bootstrap)."""
    from lifetimes import GammaGammaFitter

    if initial is None:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return clv.fit_gamma_gamma(summary, weights=weights)
            except Exception:
                pass
    ok = ((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).to_numpy()
    (f, m), w = clv.collapse(summary["frequency"][ok], summary["monetary_value"][ok],
                             weights=None if weights is None else np.asarray(weights)[ok])
    return _quiet_fit(lambda: GammaGammaFitter(penalizer_coef=0.0), (f.astype(int), m, w), initial)


def _ltv_point(summary: pd.DataFrame, first: np.ndarray, months: np.ndarray, warm=None,
               weights: np.ndarray | None = None):
    """(cumulative value of a new customer at each month, repeats, spend, params, warm start)
    or None when a fit fails.

    Value = mean first-order value + E[repeat purchases by month m] (BG/NBD, for a customer
    just acquired) x the population mean repeat-purchase value (Gamma-Gamma, p v / (q - 1)).
    `weights`: how many times each customer counts (a bootstrap replicate), default once."""
    w = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype=float)
    if ((summary["frequency"] > 0).to_numpy() & (w > 0)).sum() < 10:
        return None
    bgf = fit_bgnbd_relaxed(summary, None if warm is None else warm[0], weights)
    ggf = _fit_gamma_gamma_quiet(summary, None if warm is None else warm[1], weights)
    if bgf is None or ggf is None:
        return None
    weeks = months * 365.25 / 12 / WEEK
    repeats = np.asarray(bgf.expected_number_of_purchases_up_to_time(weeks), dtype=float)
    spend = float(ggf.conditional_expected_average_profit(0, 0))
    params = {**clv.bgnbd_params(bgf), **{k: float(v) for k, v in ggf.params_.items()}}
    start = (np.log(np.maximum(bgf.params_.to_numpy(dtype=float), 1e-12)),
             np.log(ggf.params_.to_numpy(dtype=float)))
    return float(np.average(first, weights=w)) + repeats * spend, repeats, spend, params, start


@dataclass(frozen=True)
class PredictedLTV:
    table: pd.DataFrame  # channel, customers, repeaters, first, repeat_purchases, repeat_value, ltv (+ ci)
    curves: pd.DataFrame  # channel, month, value (cumulative expected value of a new customer)
    params: pd.DataFrame  # channel, r, alpha, a, b, p, q, v
    basis: str  # "margin" or "revenue"
    months: int
    n_boot: int


def predicted_ltv(orders: pd.DataFrame, acq: pd.DataFrame, as_of, months: int = 12,
                  n_boot: int = 60, seed: int = 0, max_months: int = 36) -> PredictedLTV | None:
    """Predicted value of a newly acquired customer per channel over `months` (undiscounted).

    Per channel, BG/NBD (purchase rate and dropout) and Gamma-Gamma (value per repeat
    purchase) are fitted on that channel's acquired customers, whose whole history is
    observed from their first purchase (clv.customer_summary, days, weeks as unit). The value
    is margin when orders carry cost, else revenue. Interval: percentile bootstrap over
    customers (refitting both models; `n_boot` replicates, 0 = no interval)."""
    o = _valid_orders(orders)
    basis = "revenue" if o["margin"].isna().all() else "margin"
    o = o.merge(acq[["customer_id", "channel"]], on="customer_id")
    if o.empty:
        return None
    grid = np.arange(0, max_months + 1, dtype=float)
    rng = np.random.default_rng(seed)
    rows, curves, params = [], [], []
    for ch, oc in o.groupby("channel", sort=True):
        s = clv.customer_summary(oc, as_of, freq="D", freq_multiplier=WEEK, value_col=basis)
        first = oc.sort_values("ordered_at").drop_duplicates("customer_id").set_index("customer_id")[basis]
        first = first.reindex(s.index).to_numpy()
        point = _ltv_point(s, first, grid)
        if point is None:
            rows.append({"channel": ch, "customers": len(s), "repeaters": int((s["frequency"] > 0).sum()),
                         "fit": "did not converge"})
            continue
        curve, repeats, spend, prm, warm = point
        boots = []
        for _boot in range(n_boot):
            # Resampling customers = giving each the number of times it was drawn.
            drawn = np.bincount(rng.integers(0, len(s), len(s)), minlength=len(s))
            b = _ltv_point(s, first, np.array([float(months)]), warm, weights=drawn)
            if b is not None:
                boots.append(b[0][0])
        lo, hi = (np.quantile(boots, [0.025, 0.975]) if len(boots) >= 10 else (np.nan, np.nan))
        rows.append({"channel": ch, "customers": len(s), "repeaters": int((s["frequency"] > 0).sum()),
                     "first": float(np.mean(first)), "repeat_purchases": float(repeats[months]),
                     "repeat_value": spend, "ltv": float(curve[months]), "ltv_low": float(lo),
                     "ltv_high": float(hi), "boot_ok": len(boots), "fit": "ok"})
        curves.append(pd.DataFrame({"channel": ch, "month": grid, "value": curve}))
        params.append({"channel": ch, **prm})
    if not curves:
        return None
    return PredictedLTV(pd.DataFrame(rows), pd.concat(curves, ignore_index=True),
                        pd.DataFrame(params), basis, months, n_boot)


def ltv_holdout(orders: pd.DataFrame, acq: pd.DataFrame, as_of, holdout_days: int = 90) -> pd.DataFrame:
    """Out-of-sample check of the purchase model per channel: fit BG/NBD on orders up to
    as_of - holdout_days, predict each customer's repeat purchases in the holdout, compare
    with what they did (totals per channel; customers first seen in the holdout excluded)."""
    o = _valid_orders(orders).merge(acq[["customer_id", "channel"]], on="customer_id")
    cal_end = pd.Timestamp(as_of) - pd.Timedelta(days=holdout_days)
    rows = []
    for ch, oc in o.groupby("channel", sort=True):
        try:
            s = clv.customer_summary(oc, as_of, freq="D", freq_multiplier=WEEK,
                                     calibration_end=cal_end, value_col=None)
        except ValueError:
            continue
        cal = s.rename(columns={"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T"})
        with warnings.catch_warnings():  # autograd's log of 0 while the dropout goes to 0
            warnings.simplefilter("ignore", RuntimeWarning)
            model = fit_bgnbd_relaxed(cal) if (cal["frequency"] > 0).sum() >= 10 else None
            if model is None:
                continue
            pred = clv.expected_purchases(model, s, float(s["duration_holdout"].iloc[0]))
        actual = s["frequency_holdout"]
        ci = stats.mean_ci(actual.to_numpy())
        rows.append({"channel": ch, "customers": len(s), "actual_mean": float(actual.mean()),
                     "actual_low": ci.ci_low, "actual_high": ci.ci_high,
                     "predicted_mean": float(pred.mean()), "actual": float(actual.sum()),
                     "predicted": float(pred.sum())})
    out = pd.DataFrame(rows)
    if len(out):
        out["error"] = out["predicted"] / out["actual"] - 1
    return out


# --------------------------------------------------------------------------- profitability


def ltv_table(pred: PredictedLTV | None, observed: pd.DataFrame | None,
              horizon: int = 365) -> tuple[pd.DataFrame, str]:
    """The value per acquired customer used for LTV:CAC: the predicted 12-month value when
    the model fitted, else the observed `horizon`-day value of cohorts old enough (margin when
    known). Columns channel, ltv, ltv_low, ltv_high, first; and where it comes from."""
    cols = ["channel", "ltv", "ltv_low", "ltv_high", "first"]
    if pred is not None:
        t = pred.table[pred.table["fit"] == "ok"]
        return t[cols].reset_index(drop=True), _("predicted {months}-month {basis} (BG/NBD + Gamma-Gamma)",
                                                  months=pred.months, basis=_basis_label(pred.basis))
    if observed is not None and len(observed):
        for basis in ("margin", "revenue"):
            v = observed[observed["metric"] == f"{basis}_{horizon}d"].dropna(subset=["value"])
            f = observed[observed["metric"] == f"first_{basis}"].set_index("channel")["value"]
            if len(v):
                out = pd.DataFrame({"channel": v["channel"].to_numpy(), "ltv": v["value"].to_numpy(),
                                    "ltv_low": v["ci_low"].to_numpy(), "ltv_high": v["ci_high"].to_numpy()})
                out["first"] = out["channel"].map(f).to_numpy()
                return out, _("observed {days}-day {basis} of cohorts old enough",
                              days=horizon, basis=_basis_label(basis))
    return pd.DataFrame(columns=cols), _("not available")


def _basis_label(basis: str) -> str:
    """The value basis (margin or revenue) in the report's language."""
    return {"margin": _("margin"), "revenue": _("revenue")}.get(basis, basis)


def ratio_interval(a, a_low, a_high, b, b_low, b_high, z: float = 1.959964):
    """95% interval of a / b from the two (independent) 95% intervals, on the log scale:
    each interval's log half-width / z gives a standard error, the two add in quadrature
    (delta method). Asymmetric intervals use the side facing the other bound. NaN when an
    interval is missing or not positive."""
    def se(x, lo, hi, side):
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.log(hi) - np.log(x) if side == "up" else np.log(x) - np.log(lo)
        return np.asarray(w, dtype=float) / z

    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(np.asarray(a, dtype=float)) - np.log(np.asarray(b, dtype=float))
        up = np.sqrt(se(a, a_low, a_high, "up") ** 2 + se(b, b_low, b_high, "down") ** 2)
        down = np.sqrt(se(a, a_low, a_high, "down") ** 2 + se(b, b_low, b_high, "up") ** 2)
        low, high = np.exp(r - z * down), np.exp(r + z * up)
    return np.where(np.isfinite(low), low, np.nan), np.where(np.isfinite(high), high, np.nan)


def _payback(d: pd.DataFrame, curves: pd.DataFrame | None) -> np.ndarray:
    """Months until the cumulative value of a new customer covers the CAC (interpolated on
    the predicted curve; without a curve, the 12-month value minus the first order is spread
    evenly over the year). NaN: not reached within the curve / a year."""
    out = np.full(len(d), np.nan)
    for i, r in enumerate(d.itertuples()):
        if curves is not None and (curves["channel"] == r.channel).any():
            c = curves[curves["channel"] == r.channel].sort_values("month")
            v, m = c["value"].to_numpy(), c["month"].to_numpy()
            if r.cac <= v[0]:
                out[i] = 0.0
            elif r.cac <= v[-1]:
                out[i] = float(np.interp(r.cac, v, m))  # the curve only rises
        else:
            per_month = (r.ltv - r.first) / 12
            need = r.cac - r.first
            if need <= 0:
                out[i] = 0.0
            elif per_month > 0 and need / per_month <= 12:
                out[i] = need / per_month
    return out


def channel_profitability(econ: pd.DataFrame, ltv: pd.DataFrame, period_days: int,
                          curves: pd.DataFrame | None = None) -> pd.DataFrame:
    """LTV:CAC, payback and contribution per channel, best LTV:CAC first.

    `ltv` (from `ltv_table`) has channel, ltv, ltv_low, ltv_high, first. Contribution per
    year = customers per year x LTV - spend per year. The LTV:CAC interval comes from
    `ratio_interval`. A channel loses money when LTV:CAC < 1; it clearly does when even the
    upper bound is below 1. Channels with spend but no value per customer
    (model not fitted, no customers) stay in the table with missing ratios, listed last.
    """
    d = econ[econ["has_spend"]].merge(ltv, on="channel", how="left")
    per_year = 365.0 / period_days
    d["ltv_cac"] = d["ltv"] / d["cac"]
    d["ltv_cac_low"], d["ltv_cac_high"] = ratio_interval(
        d["ltv"], d["ltv_low"], d["ltv_high"], d["cac"], d["cac_low"], d["cac_high"])
    d["contribution_per_customer"] = d["ltv"] - d["cac"]
    d["spend_per_year"] = d["spend"] * per_year
    d["customers_per_year"] = d["customers"] * per_year
    d["contribution_per_year"] = d["customers_per_year"] * d["ltv"] - d["spend_per_year"]
    d["payback_months"] = _payback(d, curves)
    d["loses_money"] = d["ltv_cac"] < 1
    d["clearly_loses"] = d["ltv_cac_high"] < 1
    return d.sort_values(["ltv_cac", "channel"], ascending=[False, True]).reset_index(drop=True)


def reallocation(prof: pd.DataFrame) -> pd.DataFrame:
    """For each money-losing channel: its yearly loss, and the yearly gain if its spend bought
    customers at the best channel's LTV:CAC instead (an estimate: it assumes the best channel
    keeps its cost per customer at a higher budget, which rarely holds in full)."""
    if prof.empty or not prof["loses_money"].any():
        return pd.DataFrame(columns=["channel", "spend_per_year", "loss_per_year", "best_channel",
                                     "gain_if_moved_per_year"])
    best = prof.dropna(subset=["ltv_cac"]).iloc[0]
    lose = prof[prof["loses_money"]]
    return pd.DataFrame({
        "channel": lose["channel"].to_numpy(),
        "spend_per_year": lose["spend_per_year"].to_numpy(),
        "loss_per_year": (lose["spend_per_year"] * (1 - lose["ltv_cac"])).to_numpy(),
        "best_channel": best["channel"],
        "gain_if_moved_per_year": (lose["spend_per_year"] * (best["ltv_cac"] - lose["ltv_cac"])).to_numpy(),
    })


# --------------------------------------------------------------------------- lead quality


QUICK_REJECTION = N_("SQLs lost within {days} days")


def quality_signals(ripe: pd.DataFrame, stages: list[tuple[str, str]], by: str = "channel",
                    quick_days: float = 7.0) -> pd.DataFrame:
    """Per group, each compared with the rest (Benjamini–Hochberg across groups):
    - stalled SQLs: mature SQLs that never became customers (open or lost);
    - quick rejections: SQLs closed as lost within `quick_days` of becoming SQL — sales sent
      them back at once, the mark of leads handed over too early (needs lost_at);
    - untouched leads: no date after creation at all, not even a closing date."""
    cols = [c for _, c in stages]
    reach = funnel.stage_reach(ripe, cols)
    sql_col, final = cols[-2], cols[-1]
    is_sql = reach[sql_col]
    stalled = is_sql & ~reach[final]
    later = [c for c in cols[1:]] + (["lost_at"] if "lost_at" in ripe else [])
    untouched = ripe[later].isna().all(axis=1)
    key = ripe[by].fillna("(none)")
    # Signal names stay English (findings compare them); `signal_label` shows them translated.
    parts = {N_("stalled SQLs (never won)"): (stalled, is_sql),
             N_("untouched leads"): (untouched, pd.Series(True, index=ripe.index))}
    if "lost_at" in ripe:
        sql_at = _reach_dates(ripe, stages, len(cols) - 2)
        quick = is_sql & ~reach[final] & ((ripe["lost_at"] - sql_at).dt.total_seconds() / 86400 <= quick_days)
        parts[QUICK_REJECTION.format(days=f"{quick_days:g}")] = (quick, is_sql)
    out = []
    for name, (hit, base) in parts.items():
        g = pd.DataFrame({"hit": hit & base, "base": base}).groupby(key.to_numpy()).sum()
        cmp = stats.compare_to_rest(g["hit"].astype("int64"), g["base"].astype("int64"))
        cmp = cmp.reset_index(names=by).rename(columns={"successes": "count", "n": "of"})
        cmp.insert(1, "signal", name)
        out.append(cmp)
    return pd.concat(out, ignore_index=True)


def signal_label(signal: str) -> str:
    """A `quality_signals` signal name in the report's language."""
    head, tail = QUICK_REJECTION.split("{days}")
    if signal.startswith(head) and signal.endswith(tail):
        return _(QUICK_REJECTION, days=signal[len(head):len(signal) - len(tail)])
    return _(signal)


def time_to_mql(leads: pd.DataFrame, stages: list[tuple[str, str]], as_of, maturity_days: int,
                by: str = "channel") -> pd.DataFrame:
    """Median days from lead to the second stage per channel (funnel's survival helpers,
    reused: leads not there yet are censored)."""
    d = funnel.time_to_convert(leads, stages[1][1], as_of, maturity_days, by=by)
    return funnel.median_days_to_convert(d, by=by)


# --------------------------------------------------------------------------- Simpson's guard


@dataclass(frozen=True)
class MixDecomposition:
    table: pd.DataFrame  # per group: share and rate in each half, rate change
    first: str  # labels of the two halves
    second: str
    blended_first: float
    blended_second: float
    mix_effect: float  # change due to the channel mix (rates held at their average)
    rate_effect: float  # change due to the channels' own rates (mix held at its average)
    paradox: bool  # blended change has the opposite sign of every channel's change


def mix_vs_rate(ripe: pd.DataFrame, final_col: str, by: str = "channel",
                split=None) -> MixDecomposition | None:
    """Blended lead → customer change between two halves of the (mature) period, split into
    a mix effect and a rate effect with average weights (the two add up exactly):
    mix = sum (w2 - w1) (r1 + r2) / 2, rate = sum (r2 - r1) (w1 + w2) / 2."""
    if len(ripe) < 2:
        return None
    t = ripe["created_at"]
    cut = pd.Timestamp(split) if split is not None else t.min() + (t.max() - t.min()) / 2
    half = np.where(t < cut, "first", "second")
    won = ripe[final_col].notna()
    g = pd.DataFrame({"g": ripe[by].fillna("(none)").to_numpy(), "half": half, "won": won.to_numpy()})
    c = g.groupby(["g", "half"])["won"].agg(["sum", "size"]).unstack("half", fill_value=0)
    if c.shape[1] < 2:
        return None
    n1, n2 = c[("size", "first")], c[("size", "second")]
    x1, x2 = c[("sum", "first")], c[("sum", "second")]
    both = (n1 > 0) & (n2 > 0)
    w1, w2 = n1 / n1.sum(), n2 / n2.sum()
    r1 = x1 / n1.where(n1 > 0)
    r2 = x2 / n2.where(n2 > 0)
    table = pd.DataFrame({by: c.index, "leads_first": n1.to_numpy(), "share_first": w1.to_numpy(),
                          "rate_first": r1.to_numpy(), "leads_second": n2.to_numpy(),
                          "share_second": w2.to_numpy(), "rate_second": r2.to_numpy(),
                          "rate_change": (r2 - r1).to_numpy()})
    b1, b2 = x1.sum() / n1.sum(), x2.sum() / n2.sum()
    # Groups present in one half only move the blend through the mix term alone.
    r1f, r2f = r1.fillna(r2), r2.fillna(r1)
    mix = float(((w2 - w1) * (r1f + r2f) / 2).sum())
    rate = float((((r2 - r1) * (w1 + w2) / 2)[both]).sum())
    delta = b2 - b1
    ch = (r2 - r1)[both]
    paradox = bool(len(ch) > 1 and delta != 0 and (np.sign(ch) == -np.sign(delta)).all())
    lab1 = _("created before {date}", date=fmt.date(cut))
    lab2 = _("created on or after {date}", date=fmt.date(cut))
    return MixDecomposition(table, lab1, lab2, float(b1), float(b2), mix, rate, paradox)


# --------------------------------------------------------------------------- findings


def findings(conv: pd.DataFrame | None = None, prof: pd.DataFrame | None = None,
             moves: pd.DataFrame | None = None, signals: pd.DataFrame | None = None,
             simpson: MixDecomposition | None = None, currency: str = "EUR",
             ltv_source: str = "") -> list[dict]:
    """The page's findings, as keyword arguments for `FindingsLog.record`."""
    out: list[dict] = []
    if prof is not None:
        prof = prof.dropna(subset=["ltv_cac"])
    if prof is not None and not prof.empty:
        for r in prof[prof["loses_money"]].itertuples():
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
            out.append(dict(
                key=f"money-losing-channel-{r.channel}",
                sentence=_("{channel} loses money: each customer costs {cac} to acquire and brings {ltv} in "
                           "12 months (LTV:CAC {ratio}), {sure} below break-even.",
                           channel=r.channel, cac=fmt.money(r.cac, currency), ltv=fmt.money(r.ltv, currency),
                           ratio=fmt.value_ci(r.ltv_cac, r.ltv_cac_low, r.ltv_cac_high, digits=2), sure=sure),
                action=action,
                metric=_("LTV:CAC"), value=float(r.ltv_cac), ci_low=float(r.ltv_cac_low),
                ci_high=float(r.ltv_cac_high), n=int(r.customers), unit="ratio",
                comparison=_("best channel {channel} at {ratio}", channel=prof.iloc[0].channel,
                             ratio=fmt.number(prof.iloc[0].ltv_cac, 2)),
                money_per_year=None if mv is None else float(mv.gain_if_moved_per_year),
                severity="high" if r.clearly_loses else "medium", anchor="profitability",
                extra={"loss_per_year": None if mv is None else float(mv.loss_per_year),
                       "cac": float(r.cac), "ltv": float(r.ltv), "ltv_source": ltv_source},
            ))
        best = prof.iloc[0]
        out.append(dict(
            key="best-channel",
            sentence=_("{channel} returns the most per euro: LTV:CAC {ratio} (CAC {cac}, 12-month value "
                       "{ltv}).", channel=best.channel, ratio=fmt.number(best.ltv_cac, 2),
                       cac=fmt.money(best.cac, currency), ltv=fmt.money(best.ltv, currency)),
            action=_("Grow {channel} first, watching whether its CAC rises with the budget.",
                     channel=best.channel),
            metric=_("LTV:CAC"), value=float(best.ltv_cac), ci_low=float(best.ltv_cac_low),
            ci_high=float(best.ltv_cac_high), n=int(best.customers), unit="ratio",
            severity="info", anchor="profitability", extra={"ltv_source": ltv_source},
        ))
    if conv is not None and not conv.empty:
        lc = conv[(conv["step"] == 0) & (conv["verdict"] == "lower")].sort_values("rate")
        if len(lc):
            r = lc.iloc[0]
            out.append(dict(
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
            ))
    if signals is not None and not signals.empty:
        s = signals[signals["signal"].str.startswith("stalled") & (signals["verdict"] == "higher")]
        if len(s):
            r = s.sort_values("rate", ascending=False).iloc[0]
            out.append(dict(
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
            ))
    if simpson is not None and simpson.paradox:
        out.append(dict(
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
        ))
    return out
