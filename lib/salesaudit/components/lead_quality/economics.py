"""Channel economics: spend, CPL, cost per MQL and CAC per channel and month; LTV:CAC,
payback, contribution per channel and the money of moving spend from losing channels.

Rules used throughout (stated in the notebook too):
- Spend rule: every count is taken in the month its event happened — leads by creation
  month, MQLs by the month they reached MQL, customers by the month they were won. A
  channel's CPL, cost per MQL and CAC over the period are total spend / total count (ratio of
  sums). Spend in a month without leads still counts (it bought nothing). A channel with
  leads but no spend rows at all has no CPL (spend unknown, not zero); a month without a
  spend row in a channel that has spend rows counts as zero spend and is flagged.
- Intervals on cost per MQL and CAC come from the Wilson interval of the underlying ratio of
  counts (MQLs / leads, customers / leads): CAC = CPL / (customers / leads). CPL itself is
  an accounting figure (spend / leads), shown without interval.
- The value per customer for LTV:CAC comes from `metrics` (predicted or observed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.components.funnel import metrics as funnel
from salesaudit.components.lead_quality.metrics import PredictedLTV
from salesaudit.i18n import _
from salesaudit.methods import stats

# --------------------------------------------------------------------------- spend


def monthly_counts(leads: pd.DataFrame, stages: list[tuple[str, str]], start, end) -> pd.DataFrame:
    """Leads, MQLs and customers per channel and month, each counted in the month its event
    happened (creation, reaching the second stage, reaching the last stage), in the period."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    events = {"leads": leads["created_at"], "mqls": funnel.reach_dates(leads, stages, 1),
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
