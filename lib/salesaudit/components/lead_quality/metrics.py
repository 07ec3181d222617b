"""Lead quality and channel economics — value per acquired customer: which customers each
channel acquired, their observed value after acquisition, and their predicted 12-month value
(BG/NBD + Gamma-Gamma) with its holdout check. Every reader of `orders` in this component is
here, so ORDER_COLUMNS lists what the page reads.

The rest of the component: `conversion` (conversion per channel, the conversion model,
Simpson's guard), `economics` (CPL, CAC, LTV:CAC, payback, profitability), `quality`
(lead-quality signals), `findings` (the page's findings).

Rule (stated in the notebook too):
- Value per acquired customer counts completed orders only (when `orders.status` exists) from
  the acquisition day on; margin = revenue - cost when `orders.cost` exists.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit.methods import clv, stats

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
