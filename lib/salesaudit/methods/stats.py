"""Statistics every audit component uses, so that all pages follow the same standards.

- Every rate comes with its n and a 95% Wilson interval (good coverage at small n and at
  rates near 0 or 1, unlike the Wald interval).
- Every mean comes with a t or percentile-bootstrap interval; medians with an exact
  order-statistic interval.
- Comparisons across many groups control the false discovery rate (Benjamini–Hochberg).
- Time-to-event data with censoring: `methods/survival.py`.
- Randomness is seeded, so a report is reproducible bit for bit.

Inputs are arrays, Series or DataFrames plus plain arguments; outputs are DataFrames, floats
or small frozen dataclasses. Empty groups (n == 0) give NaN estimates and NaN intervals,
never an exception or a numpy warning. Invalid inputs raise ValueError with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from salesaudit.methods.checks import NAN_ESTIMATE, check_alpha, first_bad, to_float, z_value

__all__ = [
    "ChiSquareResult",
    "Estimate",
    "TwoProportionResult",
    "benjamini_hochberg",
    "bootstrap_ci",
    "bootstrap_diff_ci",
    "chi_square_test",
    "compare_to_rest",
    "mean_ci",
    "median_ci",
    "proportions",
    "two_proportion_test",
    "wilson_interval",
]

# Upper bound on the elements of one bootstrap index matrix (rows x n). 2**22 int32 indices
# plus the gathered float64 values is about 50 MB, whatever the sample size.
_MAX_BOOT_ELEMENTS = 2**22

Statistic = str | Callable[[np.ndarray], np.ndarray]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Estimate:
    """A number with its confidence interval and the n it rests on."""

    value: float
    ci_low: float
    ci_high: float
    n: int


@dataclass(frozen=True)
class TwoProportionResult:
    """Two rates, their difference (rate1 - rate2) with its interval, and the z-test."""

    rate1: float
    rate2: float
    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test of independence with Cramér's V as effect size."""

    statistic: float
    dof: int
    p_value: float
    cramers_v: float


def _counts(successes: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validated (successes, n) as broadcast float arrays; NaN entries pass through."""
    x = to_float(successes, "successes")
    m = to_float(n, "n")
    try:
        x, m = np.broadcast_arrays(x, m)
    except ValueError:
        raise ValueError(
            f"successes and n have incompatible shapes {x.shape} and {m.shape}"
        ) from None
    if np.isinf(x).any() or np.isinf(m).any():
        raise ValueError("successes and n must be finite")
    if (bad := m < 0).any():
        raise ValueError(f"n must be >= 0: {first_bad(bad, m)}")
    if (bad := x < 0).any():
        raise ValueError(f"successes must be >= 0: {first_bad(bad, x)}")
    if (bad := x > m).any():
        raise ValueError(f"successes must not exceed n: {first_bad(bad, x, m)} as (successes, n)")
    return x, m


def _rate(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """x / n with NaN where n == 0, without a division warning."""
    pos = m > 0
    return np.where(pos, x / np.where(pos, m, 1.0), np.nan)


def _out(a: np.ndarray) -> np.ndarray | float:
    return float(a) if a.ndim == 0 else a


# --------------------------------------------------------------------------- proportions


def _wilson(x: np.ndarray, m: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    pos = m > 0
    ms = np.where(pos, m, 1.0)
    z2 = z * z
    center = (x + z2 / 2) / (ms + z2)
    # Half width z / (n + z^2) * sqrt(x (n - x) / n + z^2 / 4); the form avoids p(1-p)/n.
    half = z / (ms + z2) * np.sqrt(np.maximum(x * (ms - x) / ms, 0.0) + z2 / 4)
    low = np.where(x == 0, 0.0, np.clip(center - half, 0.0, 1.0))
    high = np.where(x == m, 1.0, np.clip(center + half, 0.0, 1.0))
    return np.where(pos, low, np.nan), np.where(pos, high, np.nan)


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Wilson score interval for successes / n, vectorized.

    Scalars in give floats out, arrays give arrays (broadcast). n == 0 gives NaN bounds.
    Wilson rather than Wald: near-nominal coverage at small n and at rates near 0 or 1.
    """
    z = z_value(alpha)
    x, m = _counts(successes, n)
    low, high = _wilson(x, m, z)
    return _out(low), _out(high)


def _align(successes: Any, n: Any) -> tuple[Any, Any, pd.Index | None]:
    """Align two Series on the first one's index; the index to keep (None for arrays)."""
    s_is, n_is = isinstance(successes, pd.Series), isinstance(n, pd.Series)
    if s_is and n_is and not successes.index.equals(n.index):
        if successes.index.is_unique and set(successes.index) == set(n.index):
            n = n.reindex(successes.index)
        else:
            raise ValueError("successes and n are Series with different indexes")
    index = successes.index if s_is else (n.index if n_is else None)
    return successes, n, index


def proportions(successes: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> pd.DataFrame:
    """Rates with Wilson intervals: columns successes, n, rate, ci_low, ci_high.

    The index of Series inputs is kept (n is aligned on successes' index). n == 0 gives a
    NaN rate and interval.
    """
    z = z_value(alpha)
    successes, n, index = _align(successes, n)
    x, m = _counts(successes, n)
    x, m = np.atleast_1d(x), np.atleast_1d(m)
    if x.ndim != 1:
        raise ValueError(f"proportions expects 1-D inputs, got shape {x.shape}")
    low, high = _wilson(x, m, z)

    def keep(v: Any, fallback: np.ndarray) -> Any:
        if isinstance(v, pd.Series):
            return v.to_numpy()
        v = np.asarray(v)
        return np.broadcast_to(v, fallback.shape).copy() if v.ndim <= 1 else fallback

    return pd.DataFrame(
        {"successes": keep(successes, x), "n": keep(n, m), "rate": _rate(x, m),
         "ci_low": low, "ci_high": high},
        index=index,
    )


def _two_prop(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, z_crit: float
) -> dict[str, np.ndarray]:
    """Vectorized pooled z-test and Newcombe hybrid score interval for p1 - p2."""
    p1, p2 = _rate(x1, n1), _rate(x2, n2)
    d = p1 - p2
    valid = (n1 > 0) & (n2 > 0)
    n1s, n2s = np.where(valid, n1, 1.0), np.where(valid, n2, 1.0)
    pooled = np.where(valid, x1 + x2, 0.0) / (n1s + n2s)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1s + 1 / n2s))
    # se == 0 only when both rates are 0 or both are 1: no difference at all, z = 0, p = 1.
    z = np.where(se > 0, d / np.where(se > 0, se, 1.0), 0.0)
    z = np.where(valid, z, np.nan)
    p = np.where(valid, 2 * sps.norm.sf(np.abs(z)), np.nan)
    l1, u1 = _wilson(x1, n1, z_crit)
    l2, u2 = _wilson(x2, n2, z_crit)
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return {"rate1": p1, "rate2": p2, "difference": d, "ci_low": low, "ci_high": high,
            "z": z, "p_value": p}


def two_proportion_test(
    x1: float, n1: float, x2: float, n2: float, alpha: float = 0.05
) -> TwoProportionResult:
    """Compare x1/n1 with x2/n2: two-sided pooled z-test, and an interval for the difference
    rate1 - rate2 by Newcombe's hybrid score method (method 10, built from the two Wilson
    intervals; unlike Wald it stays sensible for small n and extreme rates).

    Both rates 0 (or both 1) give z = 0 and p = 1; an empty group gives NaN throughout.
    """
    z_crit = z_value(alpha)
    a1, m1 = _counts(x1, n1)
    a2, m2 = _counts(x2, n2)
    if a1.ndim or a2.ndim:
        raise ValueError("two_proportion_test takes scalars; use compare_to_rest for groups")
    r = _two_prop(a1, m1, a2, m2, z_crit)
    return TwoProportionResult(**{k: float(v) for k, v in r.items()})


def chi_square_test(table: pd.DataFrame | ArrayLike) -> ChiSquareResult:
    """Pearson chi-square test of independence for a 2-D contingency table of counts.

    Never applies Yates' continuity correction, 2x2 tables included
    (scipy.stats.chi2_contingency with correction=False), so the statistic is the plain
    Pearson one and Cramér's V = sqrt(chi2 / (N (min(r, c) - 1))) is consistent with it.
    All-zero rows and columns are dropped first (empty categories carry no information);
    when fewer than two rows or columns remain the result is NaN with dof 0.
    """
    t = to_float(table.to_numpy() if isinstance(table, pd.DataFrame) else table, "table")
    if t.ndim != 2:
        raise ValueError(f"table must be 2-D, got {t.ndim}-D")
    if not np.isfinite(t).all():
        raise ValueError("table must not contain NaN or infinite counts")
    if (t < 0).any():
        raise ValueError("table counts must be >= 0")
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(t.shape) < 2:
        return ChiSquareResult(np.nan, 0, np.nan, np.nan)
    res = sps.chi2_contingency(t, correction=False)
    stat = float(res.statistic)
    v = float(np.sqrt(stat / (t.sum() * (min(t.shape) - 1))))
    return ChiSquareResult(stat, int(res.dof), float(res.pvalue), v)


def benjamini_hochberg(p_values: ArrayLike, alpha: float = 0.05) -> pd.DataFrame:
    """Benjamini–Hochberg q-values (statsmodels multipletests, 'fdr_bh').

    Columns p_value, q_value, significant (q <= alpha). NaN p-values are left out of the
    family: NaN q, not significant. The index of a Series input is kept.
    """
    alpha = check_alpha(alpha)
    index = p_values.index if isinstance(p_values, pd.Series) else None
    p = np.atleast_1d(to_float(p_values, "p_values"))
    if p.ndim != 1:
        raise ValueError(f"p_values must be 1-D, got shape {p.shape}")
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise ValueError("p_values must lie in [0, 1]")
    q = np.full(p.shape, np.nan)
    sig = np.zeros(p.shape, dtype=bool)
    if ok.any():
        reject, q_ok, _, _ = multipletests(p[ok], alpha=alpha, method="fdr_bh")
        q[ok], sig[ok] = q_ok, reject
    return pd.DataFrame({"p_value": p, "q_value": q, "significant": sig}, index=index)


def compare_to_rest(
    successes: pd.Series, n: pd.Series, alpha: float = 0.05
) -> pd.DataFrame:
    """Each group's rate against the pooled rate of all other groups.

    Per group (index): rate with Wilson interval, the rest's pooled rate, the difference,
    the two-proportion z-test p-value and its Benjamini–Hochberg q-value across groups.
    verdict is "higher"/"lower" when q <= alpha, else "not distinguishable" (also for
    empty groups and a single group, which has no rest).
    """
    z_crit = z_value(alpha)
    if not isinstance(successes, pd.Series):
        successes = pd.Series(successes)
    if not isinstance(n, pd.Series):
        n = pd.Series(n, index=successes.index)
    out = proportions(successes, n, alpha=alpha)
    x, m = _counts(out["successes"], out["n"])
    rest_x = np.nansum(x) - x
    rest_n = np.nansum(m) - m
    r = _two_prop(x, m, rest_x, rest_n, z_crit)
    out["rest_rate"] = r["rate2"]
    out["difference"] = r["difference"]
    bh = benjamini_hochberg(r["p_value"], alpha=alpha)
    out["p_value"] = r["p_value"]
    out["q_value"] = bh["q_value"].to_numpy()
    sig = bh["significant"].to_numpy()
    d = r["difference"]
    out["verdict"] = np.where(sig & (d > 0), "higher",
                              np.where(sig & (d < 0), "lower", "not distinguishable"))
    return out


# --------------------------------------------------------------------------- means, medians


def _values(values: ArrayLike, name: str = "values") -> np.ndarray:
    """1-D float array with NaNs dropped; infinities rejected."""
    v = to_float(values, name)
    if v.ndim != 1:
        v = np.atleast_1d(v)
        if v.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {v.shape}")
    v = v[~np.isnan(v)]
    if np.isinf(v).any():
        raise ValueError(f"{name} must not contain infinite values")
    return v


def mean_ci(values: ArrayLike, alpha: float = 0.05) -> Estimate:
    """Mean with a Student t interval (NaNs dropped). n == 0: all NaN; n == 1: NaN interval."""
    alpha = check_alpha(alpha)
    v = _values(values)
    k = v.size
    if k == 0:
        return Estimate(*NAN_ESTIMATE, 0)
    mean = float(v.mean())
    if k == 1:
        return Estimate(mean, np.nan, np.nan, 1)
    half = float(sps.t.ppf(1 - alpha / 2, k - 1) * v.std(ddof=1) / np.sqrt(k))
    return Estimate(mean, mean - half, mean + half, k)


_STATISTICS: dict[str, Callable[..., np.ndarray]] = {
    "mean": np.mean, "median": np.median, "sum": np.sum,
}


def _stat_fn(statistic: Statistic) -> Callable[[np.ndarray], np.ndarray]:
    """A function of a (rows, n) array returning one value per row."""
    if callable(statistic):
        return statistic
    try:
        f = _STATISTICS[statistic]
    except (KeyError, TypeError):
        raise ValueError(
            f"statistic must be one of {sorted(_STATISTICS)} or a callable, got {statistic!r}"
        ) from None
    return lambda a: f(a, axis=1)


def _chunk_rows(n_boot: int, n: int, max_elements: int | None = None) -> int:
    """Bootstrap replicates per chunk so one index matrix has at most `max_elements`
    entries (at least one row, however large n is)."""
    cap = _MAX_BOOT_ELEMENTS if max_elements is None else max_elements
    return int(max(1, min(n_boot, cap // max(n, 1))))


def _resample_indices(rng: np.random.Generator, n: int, rows: int) -> np.ndarray:
    """A (rows, n) matrix of indices drawn with replacement."""
    dtype = np.int32 if n < 2**31 else np.int64
    return rng.integers(0, n, size=(rows, n), dtype=dtype)


def _boot_replicates(
    v: np.ndarray, fn: Callable[[np.ndarray], np.ndarray], n_boot: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """n_boot bootstrap replicates of fn, computed in memory-bounded chunks."""
    rows = _chunk_rows(n_boot, v.size)
    out = np.empty(n_boot)
    for start in range(0, n_boot, rows):
        r = min(rows, n_boot - start)
        res = np.asarray(fn(v[_resample_indices(rng, v.size, r)]), dtype=float)
        if res.shape != (r,):
            raise ValueError(
                f"statistic must return one value per row: expected shape ({r},), got {res.shape}"
            )
        out[start:start + r] = res
    return out


def _check_n_boot(n_boot: int) -> int:
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot}")
    return int(n_boot)


def _percentiles(reps: np.ndarray, alpha: float) -> tuple[float, float]:
    lo, hi = np.quantile(reps, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


# Above this many resampling units the bootstrap's percentile interval of a mean or a ratio
# of sums equals the normal one to the digits shown, and costs n × replicates draws (two
# billion for a client with two million customers): the closed form is used instead.
LARGE_N = 20_000


def _ratio_parts(num: ArrayLike, den: ArrayLike) -> tuple[float, np.ndarray, int]:
    """sum(num) / sum(den), each unit's linearized contribution (delta method), and n."""
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"num and den must have the same length, got {a.size} and {b.size}")
    if a.size == 0 or b.sum() == 0:
        return np.nan, np.empty(0), int(a.size)
    r = float(a.sum() / b.sum())
    return r, (a - r * b) / b.mean(), int(a.size)


def ratio_ci(num: ArrayLike, den: ArrayLike, alpha: float = 0.05) -> Estimate:
    """sum(num) / sum(den) over units (customers, clusters) with a delta-method normal
    interval: Var ≈ Var(num − R·den) / (n · mean(den)²). What a cluster bootstrap gives
    for large n; used above LARGE_N units."""
    alpha = check_alpha(alpha)
    r, z, n = _ratio_parts(num, den)
    if n < 2 or not np.isfinite(r):
        return Estimate(r, np.nan, np.nan, n)
    half = z_value(alpha) * float(np.sqrt(z.var(ddof=1) / n))
    return Estimate(r, r - half, r + half, n)


def ratio_diff_ci(num_a: ArrayLike, den_a: ArrayLike, num_b: ArrayLike, den_b: ArrayLike,
                  alpha: float = 0.05, paired: bool = True) -> Estimate:
    """Ratio a − ratio b with a delta-method normal interval. `paired`: a and b are measured
    on the same units (arrays aligned), so their covariance counts; otherwise independent
    samples whose variances add. n is the number of units (both samples when unpaired)."""
    alpha = check_alpha(alpha)
    ra, za, na = _ratio_parts(num_a, den_a)
    rb, zb, nb = _ratio_parts(num_b, den_b)
    n = na if paired else na + nb
    if min(na, nb) < 2 or not (np.isfinite(ra) and np.isfinite(rb)):
        return Estimate(ra - rb, np.nan, np.nan, n)
    if paired:
        if na != nb:
            raise ValueError("paired ratios need arrays over the same units")
        var = float((za - zb).var(ddof=1) / na)
    else:
        var = float(za.var(ddof=1) / na + zb.var(ddof=1) / nb)
    half = z_value(alpha) * np.sqrt(var)
    return Estimate(ra - rb, ra - rb - half, ra - rb + half, n)


def bootstrap_ci(
    values: ArrayLike, statistic: Statistic = "mean", n_boot: int = 2000,
    alpha: float = 0.05, seed: int = 0,
) -> Estimate:
    """Statistic of `values` with a percentile bootstrap interval (NaNs dropped).

    statistic is "mean", "median", "sum" or a callable taking a (replicates, n) array and
    returning one value per row. Resampling is vectorized in chunks of bounded size, and
    deterministic for a given seed. n == 0 gives NaN throughout. Above LARGE_N values the
    mean and the sum get the t interval the bootstrap converges to (same for the difference
    of means in `bootstrap_diff_ci`); other statistics are always bootstrapped.
    """
    alpha, n_boot = check_alpha(alpha), _check_n_boot(n_boot)
    fn = _stat_fn(statistic)
    v = _values(values)
    if v.size == 0:
        return Estimate(*NAN_ESTIMATE, 0)
    if statistic in ("mean", "sum") and v.size > LARGE_N:
        m = mean_ci(v, alpha)
        k = v.size if statistic == "sum" else 1
        return Estimate(m.value * k, m.ci_low * k, m.ci_high * k, m.n)
    value = float(np.asarray(fn(v[np.newaxis, :]), dtype=float).reshape(-1)[0])
    reps = _boot_replicates(v, fn, n_boot, np.random.default_rng(seed))
    return Estimate(value, *_percentiles(reps, alpha), int(v.size))


def bootstrap_diff_ci(
    a: ArrayLike, b: ArrayLike, statistic: Statistic = "mean", n_boot: int = 2000,
    alpha: float = 0.05, seed: int = 0,
) -> Estimate:
    """statistic(a) - statistic(b) with a percentile bootstrap interval, resampling the two
    independent samples separately (NaNs dropped). n is len(a) + len(b); NaN when either
    sample is empty."""
    alpha, n_boot = check_alpha(alpha), _check_n_boot(n_boot)
    fn = _stat_fn(statistic)
    va, vb = _values(a, "a"), _values(b, "b")
    if va.size == 0 or vb.size == 0:
        return Estimate(*NAN_ESTIMATE, int(va.size + vb.size))
    if statistic == "mean" and va.size + vb.size > LARGE_N and min(va.size, vb.size) >= 2:
        return ratio_diff_ci(va, np.ones_like(va), vb, np.ones_like(vb), alpha, paired=False)

    def point(v: np.ndarray) -> float:
        return float(np.asarray(fn(v[np.newaxis, :]), dtype=float).reshape(-1)[0])

    rng = np.random.default_rng(seed)
    reps = _boot_replicates(va, fn, n_boot, rng) - _boot_replicates(vb, fn, n_boot, rng)
    return Estimate(point(va) - point(vb), *_percentiles(reps, alpha), int(va.size + vb.size))


def median_ci(values: ArrayLike, alpha: float = 0.05) -> Estimate:
    """Median with an exact distribution-free interval [X_(l), X_(n+1-l)] (NaNs dropped).

    The number of observations below the true median is Binomial(n, 1/2), so the interval
    covers it with probability 1 - 2 F(l - 1); l is the largest order with
    F(l - 1) <= alpha / 2 (coverage >= 1 - alpha). When no such l exists (n < 6 at 95%),
    the bounds are NaN.
    """
    alpha = check_alpha(alpha)
    v = np.sort(_values(values))
    k = v.size
    if k == 0:
        return Estimate(*NAN_ESTIMATE, 0)
    value = float(np.median(v))
    # Largest m >= 0 with F(m) <= alpha/2: ppf gives the smallest m with F(m) >= alpha/2.
    m = int(sps.binom.ppf(alpha / 2, k, 0.5))
    if sps.binom.cdf(m, k, 0.5) > alpha / 2:
        m -= 1
    if m < 0:
        return Estimate(value, np.nan, np.nan, k)
    low_order = m + 1  # 1-based order statistic l
    return Estimate(value, float(v[low_order - 1]), float(v[k - low_order]), k)
