"""Time to an event with censoring: Kaplan–Meier curves, their quantiles, the log-rank test
(statsmodels' SurvfuncRight and survdiff). A lead or ticket still open is censored — never
dropped and never counted as a failure. Same input rules as `stats`: arrays in, DataFrames
or small dataclasses out, ValueError with the reason on invalid input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from salesaudit.methods.checks import NAN_ESTIMATE, check_alpha, first_bad, to_float, z_value
from salesaudit.methods.stats import Estimate

__all__ = ["LogrankResult", "cumulative_incidence_at", "kaplan_meier", "km_quantile", "logrank_test"]


@dataclass(frozen=True)
class LogrankResult:
    """Log-rank test that survival curves are equal across groups."""

    statistic: float
    dof: int
    p_value: float


def _survival_inputs(durations: ArrayLike, events: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    t = np.atleast_1d(to_float(durations, "durations"))
    e = np.atleast_1d(to_float(events, "events"))
    if t.ndim != 1 or e.ndim != 1:
        raise ValueError("durations and events must be 1-D")
    if t.shape != e.shape:
        raise ValueError(f"durations ({t.size}) and events ({e.size}) differ in length")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("durations and events must not contain NaN; drop or censor them first")
    if np.isinf(t).any():
        raise ValueError("durations must be finite")
    if (t < 0).any():
        raise ValueError(f"durations must be >= 0: {first_bad(t < 0, t)}")
    if not np.isin(e, (0.0, 1.0)).all():
        raise ValueError("events must be boolean or 0/1 (1 = event observed, 0 = censored)")
    return t, e


def _km_table(t: np.ndarray, e: np.ndarray, z: float) -> pd.DataFrame:
    """KM at each event time with the pointwise log(-log) interval (no time-0 row)."""
    sf = SurvfuncRight(t, e)
    s = np.asarray(sf.surv_prob, dtype=float)
    se = np.asarray(sf.surv_prob_se, dtype=float)
    # Var of log(-log S) by the delta method: se(S)^2 / (S log S)^2. Bounds
    # S^exp(+-z * theta). Undefined at S = 0 (and S = 1): NaN there, as in R's survfit.
    inner = (s > 0) & (s < 1) & np.isfinite(se)
    ss = np.where(inner, s, 0.5)
    theta = np.where(inner, se, 0.0) / (ss * np.abs(np.log(ss)))
    low = np.where(inner, ss ** np.exp(z * theta), np.nan)
    high = np.where(inner, ss ** np.exp(-z * theta), np.nan)
    return pd.DataFrame({
        "time": np.asarray(sf.surv_times, dtype=float),
        "survival": s,
        "ci_low": np.clip(low, 0.0, 1.0),
        "ci_high": np.clip(high, 0.0, 1.0),
        "at_risk": np.asarray(sf.n_risk, dtype=np.int64),
        "events": np.asarray(sf.n_events, dtype=np.int64),
    })


def kaplan_meier(durations: ArrayLike, events: ArrayLike, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier survival curve (statsmodels SurvfuncRight) with pointwise intervals.

    Columns time, survival, ci_low, ci_high, at_risk, events: a time-0 row (survival 1,
    everyone at risk), one row per event time, and a last row at the longest follow-up
    when it is later than the last event (so the curve extends over censored tails).
    Intervals use the log(-log) transform of Greenwood's standard error, clipped to [0, 1]
    (NaN where survival is 0). events: 1/True = event observed, 0/False = censored.
    Events at time 0 give a second time-0 row (the drop at 0). No subjects: empty frame.
    """
    z = z_value(alpha)
    t, e = _survival_inputs(durations, events)
    cols = ["time", "survival", "ci_low", "ci_high", "at_risk", "events"]
    if t.size == 0:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("at_risk", "events")
                                          else "float64") for c in cols})
    start = pd.DataFrame({"time": [0.0], "survival": [1.0], "ci_low": [1.0], "ci_high": [1.0],
                          "at_risk": [t.size], "events": [0]})
    parts = [start]
    last = start
    if e.any():
        km = _km_table(t, e, z)
        parts.append(km)
        last = km.iloc[[-1]]
    t_max = float(t.max())
    if t_max > float(last["time"].iloc[0]):
        tail = last.assign(time=t_max, at_risk=int((t >= t_max).sum()), events=0)
        parts.append(tail)
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"time": float, "survival": float, "ci_low": float, "ci_high": float,
                       "at_risk": "int64", "events": "int64"})


def km_quantile(
    durations: ArrayLike, events: ArrayLike, q: float = 0.5, alpha: float = 0.05
) -> Estimate:
    """Time by which a share q has had the event (q = 0.5: median survival time), with the
    interval of SurvfuncRight.quantile_ci (inverted log(-log) tests; bounds are event times,
    the upper one inf when never excluded). NaN when the curve never drops below 1 - q.
    The quantile is the first event time with S < 1 - q (strict, SAS convention), so a curve
    sitting exactly at 1 - q gives the next event time, not a midpoint.
    """
    alpha = check_alpha(alpha)
    if not 0 < q < 1:
        raise ValueError(f"q must be strictly between 0 and 1, got {q}")
    t, e = _survival_inputs(durations, events)
    if t.size == 0 or not e.any():
        return Estimate(*NAN_ESTIMATE, int(t.size))
    sf = SurvfuncRight(t, e)
    value = float(sf.quantile(q))
    if np.isnan(value):
        return Estimate(np.nan, np.nan, np.nan, int(t.size))
    with np.errstate(divide="ignore", invalid="ignore"):  # S = 0 or 1 rows give inf/NaN tests
        low, high = sf.quantile_ci(q, alpha=alpha, method="cloglog")
    return Estimate(value, float(low), float(high), int(t.size))


def logrank_test(durations: ArrayLike, events: ArrayLike, groups: ArrayLike) -> LogrankResult:
    """Log-rank test (statsmodels survdiff) that all groups share one survival curve.

    dof = number of groups - 1. A single group, no events at all, or a degenerate variance
    (e.g. a group never at risk at any event time) gives NaN statistic and p-value.
    """
    t, e = _survival_inputs(durations, events)
    g = np.asarray(groups.to_numpy() if isinstance(groups, pd.Series) else groups)
    if g.ndim != 1 or g.size != t.size:
        raise ValueError(f"groups must be 1-D with one label per duration ({t.size})")
    if pd.isna(g).any():
        raise ValueError("groups must not contain missing labels")
    codes, labels = pd.factorize(g, sort=True)
    dof = max(len(labels) - 1, 0)
    if dof == 0 or not e.any():
        return LogrankResult(np.nan, dof, np.nan)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            stat, p = survdiff(t, e, codes)
    except np.linalg.LinAlgError:
        return LogrankResult(np.nan, dof, np.nan)
    return LogrankResult(float(stat), dof, float(p))


def cumulative_incidence_at(
    durations: ArrayLike, events: ArrayLike, horizon: float, alpha: float = 0.05
) -> Estimate:
    """Share with the event by `horizon` (1 - KM survival there), with the survival interval
    flipped. n is the number of subjects. NaN beyond the longest follow-up (unless everyone
    has had the event), where KM says nothing; NaN interval where survival is 0.
    """
    z = z_value(alpha)
    horizon = float(horizon)
    if np.isnan(horizon):
        raise ValueError("horizon must be a number")
    t, e = _survival_inputs(durations, events)
    k = int(t.size)
    if k == 0:
        return Estimate(*NAN_ESTIMATE, 0)
    if not e.any():
        s, lo, hi = 1.0, 1.0, 1.0
    else:
        km = _km_table(t, e, z)
        i = int(np.searchsorted(km["time"].to_numpy(), horizon, side="right")) - 1
        if i < 0:
            s, lo, hi = 1.0, 1.0, 1.0
        else:
            row = km.iloc[i]
            s, lo, hi = float(row["survival"]), float(row["ci_low"]), float(row["ci_high"])
    if horizon > t.max() and s > 0:
        return Estimate(*NAN_ESTIMATE, k)
    return Estimate(1.0 - s, 1.0 - hi, 1.0 - lo, k)
