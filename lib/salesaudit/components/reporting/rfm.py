"""RFM: customers of the period scored 1–5 on recency, frequency and monetary value, and
grouped into the usual segments of the recency × frequency grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.components.reporting.metrics import as_of_date, in_period, per_customer, prepare
from salesaudit.i18n import N_, _
from salesaudit.methods import stats

# Segments on the recency (R) and frequency (F) scores 1–5, the usual RFM grid.
SEGMENT_RULES: list[tuple[str, tuple[int, int], tuple[int, int], str]] = [
    # name, R range, F range, what to do
    (N_("champions"), (5, 5), (4, 5), N_("reward them; ask for reviews and referrals")),
    (N_("loyal"), (3, 5), (4, 5), N_("upsell; invite to the loyalty programme")),
    (N_("potential loyalists"), (4, 5), (2, 3), N_("offer membership or a second-purchase incentive")),
    (N_("new customers"), (5, 5), (1, 1), N_("onboard well: the second order is the hard one")),
    (N_("promising"), (4, 4), (1, 1), N_("build the relationship with relevant content")),
    (N_("need attention"), (3, 3), (3, 3), N_("limited-time offers based on past purchases")),
    (N_("about to sleep"), (3, 3), (1, 2), N_("reactivate with popular products before they lapse")),
    (N_("can't lose them"), (1, 2), (5, 5), N_("win them back personally; ask what went wrong")),
    (N_("at risk"), (1, 2), (3, 4), N_("personal win-back offers now")),
    (N_("hibernating"), (1, 2), (1, 2), N_("low-cost reactivation or let go")),
]


def _score(values: pd.Series, higher_is_better: bool = True) -> np.ndarray:
    """Score 1–5 by quintile of rank; ties share the lower score (a customer with one order
    is never scored as frequent because many others also have one)."""
    v = values if higher_is_better else -values
    r = v.rank(method="min").to_numpy()
    # (rank − 1) / (n − 1) runs from 0 (worst) to 1 (best); cut into fifths.
    return np.minimum(5, 1 + np.floor(5 * (r - 1) / max(len(v) - 1, 1)).astype(int))


def rfm(orders: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per customer with an order in the period: recency (days since last order at the as-of
    date), frequency (orders), monetary (completed revenue), R/F/M scores and segment."""
    o = prepare(orders)
    as_of = as_of_date(o, end)
    pc = per_customer(in_period(o, start, end))
    out = pd.DataFrame({
        "recency_days": (as_of - pc["last"]).dt.total_seconds().to_numpy() / 86_400,
        "frequency": pc["orders"].to_numpy(), "monetary": pc["revenue"].to_numpy()},
        index=pc.index)
    out["R"] = _score(out["recency_days"], higher_is_better=False)
    out["F"] = _score(out["frequency"])
    out["M"] = _score(out["monetary"])
    conds, names = [], []
    for name, (r0, r1), (f0, f1), _action in SEGMENT_RULES:
        conds.append(out["R"].between(r0, r1) & out["F"].between(f0, f1))
        names.append(name)
    out["segment"] = np.select(conds, names, default=N_("other"))
    return out


def rfm_segments(r: pd.DataFrame) -> pd.DataFrame:
    """Size and revenue of each RFM segment, in the order of SEGMENT_RULES."""
    n, total = len(r), float(r["monetary"].sum())
    g = r.groupby("segment", sort=False).agg(
        customers=("frequency", "size"), revenue=("monetary", "sum"),
        recency_days=("recency_days", "median"), orders=("frequency", "mean"))
    order = [s[0] for s in SEGMENT_RULES] + ["other"]
    g = g.reindex([s for s in order if s in g.index])
    p = stats.proportions(g["customers"], pd.Series(n, index=g.index))
    actions = {s[0]: s[3] for s in SEGMENT_RULES}
    return pd.DataFrame({
        "segment": g.index, "customers": g["customers"].to_numpy(),
        "share": p["rate"].to_numpy(), "share_low": p["ci_low"].to_numpy(),
        "share_high": p["ci_high"].to_numpy(), "revenue": g["revenue"].to_numpy(),
        "revenue_share": g["revenue"].to_numpy() / total if total else np.nan,
        "median_recency_days": g["recency_days"].to_numpy(),
        "mean_orders": g["orders"].to_numpy(),
        "action": [_(actions[s]) if s in actions else "" for s in g.index],
    })
