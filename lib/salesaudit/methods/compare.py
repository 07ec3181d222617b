"""Fair comparison of people (sales reps, service agents): rates adjusted for what each one
was given, shrunk toward the team, tested with Benjamini–Hochberg, drawn in a funnel plot.

Rules (stated in the notebooks too):
- Adjustment is indirect standardisation: a logistic model of the outcome on the mix
  (channel, value band, month, …) without the person gives each case its expected
  probability; a person's adjusted rate is observed / expected × team rate.
- Shrinkage is empirical Bayes with a beta-binomial prior fitted across people (weighted
  method of moments, or marginal maximum likelihood): small samples are pulled toward the
  team, so a person with a handful of lucky cases is never ranked first on a raw rate.
- A person is flagged only when the test of observed against expected is significant after
  Benjamini–Hochberg across people; everyone else is "not distinguishable".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special
from scipy import stats as sps

from salesaudit.i18n import N_
from salesaudit.methods import stats

# Prior strength (pseudo-cases) used when the groups show no spread beyond binomial noise
# (full pooling); it is further capped at the total number of cases (see below).
MAX_STRENGTH = 1e5


@dataclass(frozen=True)
class BetaPrior:
    alpha: float
    beta: float
    method: str

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """Weight of the prior in pseudo-cases: a group with this many cases is pulled half-way."""
        return self.alpha + self.beta


def _xn(successes, n) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    if x.shape != m.shape:
        raise ValueError("successes and n must have the same length")
    if ((x < 0) | (x > m)).any():
        raise ValueError("successes must lie in [0, n]")
    keep = m > 0
    return x[keep], m[keep]


def _moments(x: np.ndarray, m: np.ndarray) -> tuple[float, float]:
    """Pooled mean and between-group variance tau² (DerSimonian–Laird form for proportions):
    E[Σ n_i (p_i - p̄)²] = (k - 1) p̄(1 - p̄) + tau² (N - Σ n_i² / N)."""
    big_n = m.sum()
    mean = x.sum() / big_n
    q = (m * (x / m - mean) ** 2).sum()
    denom = big_n - (m**2).sum() / big_n
    tau2 = (q - (len(m) - 1) * mean * (1 - mean)) / denom if denom > 0 else 0.0
    return float(mean), float(max(tau2, 0.0))


def beta_binomial_prior(successes, n, method: str = "mm") -> BetaPrior:
    """The beta prior of group rates, fitted across groups (groups with n = 0 ignored).

    method "mm": mean = pooled rate, strength = mean(1 - mean) / tau² - 1 (moments above);
    "ml": marginal maximum likelihood of the beta-binomial, started from the moments.
    The strength is capped at the total number of cases N: when the groups show no spread
    beyond binomial noise (tau² = 0, full pooling) the prior then carries the certainty of
    the pooled data and no more, instead of a point mass at the pooled rate.
    Successes may be non-integer (adjusted counts).
    """
    x, m = _xn(successes, n)
    if len(m) == 0:
        return BetaPrior(np.nan, np.nan, method)
    mean, tau2 = _moments(x, m)
    cap = min(MAX_STRENGTH, float(m.sum()))
    if mean in (0.0, 1.0):
        return BetaPrior(mean * cap, (1 - mean) * cap, method)
    strength = cap if tau2 <= 0 else min(mean * (1 - mean) / tau2 - 1, cap)
    strength = max(strength, 1e-3)
    if method == "mm":
        return BetaPrior(mean * strength, (1 - mean) * strength, method)
    if method != "ml":
        raise ValueError("method must be 'mm' or 'ml'")

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float((special.betaln(x + a, m - x + b) - special.betaln(a, b)).sum())

    start = np.log([mean * min(strength, 1e4), (1 - mean) * min(strength, 1e4)])
    res = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-6, "fatol": 1e-9, "maxiter": 4000})
    a, b = np.exp(res.x)
    if a + b > cap:
        a, b = mean * cap, (1 - mean) * cap
    return BetaPrior(float(a), float(b), method)


def shrink(successes: pd.Series, n: pd.Series, prior: BetaPrior | None = None,
           method: str = "mm", level: float = 0.95) -> pd.DataFrame:
    """Posterior mean and equal-tailed credible interval of each group's rate.

    Posterior Beta(alpha + x, beta + n - x). Columns successes, n, rate (raw), shrunk,
    cr_low, cr_high; the index of `successes` is kept. A group with n = 0 gets the prior.
    """
    x = pd.Series(successes, dtype=float)
    m = pd.Series(np.asarray(n, dtype=float), index=x.index)
    prior = prior or beta_binomial_prior(x, m, method=method)
    a, b = prior.alpha + x.to_numpy(), prior.beta + (m - x).to_numpy()
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(m > 0, x / m.where(m > 0), np.nan)
    return pd.DataFrame({
        "successes": x.to_numpy(), "n": m.to_numpy(), "rate": rate,
        "shrunk": a / (a + b),
        "cr_low": sps.beta.ppf(tail, a, b), "cr_high": sps.beta.ppf(1 - tail, a, b),
    }, index=x.index)


def funnel_limits(p0: float, n, level: float = 0.95, method: str = "exact") -> pd.DataFrame:
    """Control limits of a rate around the team rate p0 for samples of size n.

    "exact": binomial quantiles interpolated as in Spiegelhalter (2005, Stat Med 24:1185),
    so the limits are smooth in n: for tail probability q, r = F⁻¹(q; n, p0) (smallest r
    with F(r) >= q), a = (F(r) - q) / (F(r) - F(r - 1)), limit = (r - a) / n, clipped to
    [0, 1]; "normal": p0 ± z sqrt(p0 (1 - p0) / n), clipped to [0, 1].
    Usual levels 0.95 and 0.998.
    """
    m = np.asarray(n, dtype=float)
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "exact":
            low, high = (_interpolated_quantile(q, m, p0) / m for q in (tail, 1 - tail))
            low, high = np.clip(low, 0, 1), np.clip(high, 0, 1)
        elif method == "normal":
            half = sps.norm.ppf(1 - tail) * np.sqrt(p0 * (1 - p0) / m)
            low, high = np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)
        else:
            raise ValueError("method must be 'exact' or 'normal'")
    return pd.DataFrame({"n": m, "low": low, "high": high})


def _interpolated_quantile(q: float, m: np.ndarray, p0: float) -> np.ndarray:
    r = sps.binom.ppf(q, m, p0)
    f_r, f_prev = sps.binom.cdf(r, m, p0), sps.binom.cdf(r - 1, m, p0)
    step = f_r - f_prev
    a = np.where(step > 0, (f_r - q) / np.where(step > 0, step, 1.0), 0.0)
    return r - a


def funnel_band(p0: float, n_max: float, levels=(0.95, 0.998), method: str = "exact",
                points: int = 200) -> pd.DataFrame:
    """Funnel-plot limits on a grid of n from 1 to n_max (long format, column `level`)."""
    grid = np.unique(np.geomspace(1, max(n_max, 2), points).round())
    return pd.concat([funnel_limits(p0, grid, lv, method).assign(level=lv) for lv in levels],
                     ignore_index=True)


def expected_probability(df: pd.DataFrame, outcome: str, covariates: list[str]) -> pd.Series:
    """Each case's probability of the outcome from a logistic model on the case mix only
    (categorical covariates; the person is deliberately left out). Covariates with one
    level are dropped; with none left, or a model that does not converge, every case gets
    the overall rate (no adjustment)."""
    import statsmodels.api as sm

    y = df[outcome].astype(float).to_numpy()
    if len(df) == 0:
        return pd.Series(dtype=float, index=df.index)
    cols = [c for c in covariates if c in df and df[c].nunique(dropna=False) > 1]
    flat = pd.Series(y.mean(), index=df.index)
    if not cols:
        return flat
    cat = df[cols].astype("string").fillna("(none)").astype(object)
    X = pd.get_dummies(cat, drop_first=True, dtype=float)
    X = X.loc[:, X.sum() > 0]
    X.insert(0, "const", 1.0)
    try:
        with warnings.catch_warnings():  # tiny or separated data: checked just below
            warnings.simplefilter("ignore")
            fit = sm.GLM(y, X.to_numpy(), family=sm.families.Binomial()).fit()
    except Exception:  # perfect separation or singular design: say "not adjusted"
        return flat
    if not fit.converged or not np.isfinite(fit.params).all():
        return flat
    return pd.Series(np.asarray(fit.fittedvalues, dtype=float), index=df.index)


def fair_comparison(df: pd.DataFrame, group: str, outcome: str, covariates: list[str],
                    alpha: float = 0.05, method: str = "mm",
                    higher_is_better: bool = True) -> pd.DataFrame:
    """Per group: raw rate (Wilson), mix-adjusted rate, test against the team (BH), the
    adjusted rate shrunk toward the team (empirical Bayes), funnel-limit checks and a rank.

    `df` has one row per case with a boolean `outcome`. Columns: n, successes, rate, ci_low,
    ci_high, expected, adjusted, adj_low, adj_high, z, p_value, q_value, verdict, shrunk,
    cr_low, cr_high, outside_95, outside_998, team_rate, rank (1 = best shrunk adjusted
    rate: the highest, or the lowest when `higher_is_better` is False; ties share a rank).
    """
    d = df.dropna(subset=[group])
    y = d[outcome].astype(bool)
    p = expected_probability(d.assign(**{outcome: y}), outcome, covariates)
    keys = d[group].to_numpy()
    g = pd.DataFrame({"y": y.to_numpy(dtype=float), "p": p.to_numpy(),
                      "v": (p * (1 - p)).to_numpy()}).groupby(keys, sort=True)
    agg = g.agg(successes=("y", "sum"), n=("y", "size"), expected=("p", "sum"), var=("v", "sum"))
    team = float(y.mean()) if len(y) else np.nan
    out = stats.proportions(agg["successes"].astype("int64"), agg["n"].astype("int64"))
    # Indirect standardisation: the raw interval rescaled by the same factor as the rate.
    factor = team / (agg["expected"] / agg["n"])
    out["expected"] = agg["expected"]
    out["adjusted"] = (out["rate"] * factor).clip(0, 1)
    out["adj_low"] = (out["ci_low"] * factor).clip(0, 1)
    out["adj_high"] = (out["ci_high"] * factor).clip(0, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (agg["successes"] - agg["expected"]) / np.sqrt(agg["var"])
    out["z"] = z
    pv = pd.Series(2 * sps.norm.sf(np.abs(z.to_numpy())), index=z.index)
    bh = stats.benjamini_hochberg(pv.where(np.isfinite(pv)), alpha=alpha)
    out["p_value"], out["q_value"] = bh["p_value"], bh["q_value"]
    # Verdicts stay English (code compares them); shown with `_(verdict)`.
    out["verdict"] = np.where(bh["significant"] & (z > 0), N_("higher"),
                              np.where(bh["significant"] & (z < 0), N_("lower"), N_("not distinguishable")))
    # Shrink the adjusted rate: adjusted successes out of n, beta-binomial across groups.
    sh = shrink(out["adjusted"] * out["n"], out["n"], method=method)
    out[["shrunk", "cr_low", "cr_high"]] = sh[["shrunk", "cr_low", "cr_high"]]
    for lv, name in [(0.95, "outside_95"), (0.998, "outside_998")]:
        lim = funnel_limits(team, out["n"].to_numpy(), lv)
        a = out["adjusted"].to_numpy()
        out[name] = (a < lim["low"].to_numpy()) | (a > lim["high"].to_numpy())
    out["rank"] = out["shrunk"].rank(ascending=not higher_is_better, method="min").astype("int64")
    out["team_rate"] = team
    out.index.name = group
    return out.reset_index().sort_values(["rank", group]).reset_index(drop=True)
