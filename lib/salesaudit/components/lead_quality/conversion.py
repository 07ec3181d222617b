"""Lead conversion per channel: stage-to-stage rates, each channel compared with the rest; the
conversion model (odds ratios with the other lead attributes); Simpson's guard (the blended
change split into channel mix and channels' own rates).

Rules used throughout (stated in the notebook too):
- Stage reach and maturity follow `funnel`: a lead reached a stage when that stage's date or
  a later one is set; conversion rates count mature leads only.
- Channels are self-selected sources, not randomized treatments: differences between them
  describe the leads each channel brings, not what a lead would do in another channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from salesaudit import fmt
from salesaudit.components.funnel import metrics as funnel
from salesaudit.i18n import _
from salesaudit.methods import stats

OTHER = "(other)"


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
