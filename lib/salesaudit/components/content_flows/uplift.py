"""Uplift against a randomized holdout: what a campaign caused, treated minus control."""

from __future__ import annotations

import pandas as pd

from salesaudit.methods import stats


def holdout_uplift(outcomes: pd.DataFrame, campaigns: pd.DataFrame | None = None,
                   alpha: float = 0.05) -> pd.DataFrame:
    """Per campaign with a randomized holdout (mature touches of both groups): conversion in
    the window for treatment and control, their difference (Newcombe interval, z-test),
    revenue and orders per customer in the window and their differences (bootstrap), and
    the incremental orders and revenue over the treated (difference x treated)."""
    if "group" not in outcomes or "converted" not in outcomes:
        return pd.DataFrame()
    m = outcomes[outcomes["mature"] & outcomes["group"].isin(["treatment", "control"])]
    rows = []
    for cid, d in m.groupby("campaign_id", sort=True):
        t, c = d[d["group"] == "treatment"], d[d["group"] == "control"]
        if t.empty or c.empty:
            continue
        test = stats.two_proportion_test(int(t["converted"].sum()), len(t),
                                         int(c["converted"].sum()), len(c), alpha=alpha)
        rev = stats.bootstrap_diff_ci(t["window_revenue"], c["window_revenue"])
        ords = stats.bootstrap_diff_ci(t["window_orders"], c["window_orders"], seed=1)
        nt = len(t)
        rows.append({
            "campaign_id": cid, "treated": nt, "control": len(c),
            "treatment_rate": test.rate1, "control_rate": test.rate2,
            "uplift": test.difference, "uplift_low": test.ci_low, "uplift_high": test.ci_high,
            "p_value": test.p_value,
            "treatment_revenue_per_customer": float(t["window_revenue"].mean()),
            "control_revenue_per_customer": float(c["window_revenue"].mean()),
            "revenue_diff": rev.value, "revenue_diff_low": rev.ci_low,
            "revenue_diff_high": rev.ci_high,
            "incremental_orders": ords.value * nt, "incr_orders_low": ords.ci_low * nt,
            "incr_orders_high": ords.ci_high * nt,
            "incremental_revenue": rev.value * nt, "incr_revenue_low": rev.ci_low * nt,
            "incr_revenue_high": rev.ci_high * nt,
        })
    out = pd.DataFrame(rows)
    if not out.empty and campaigns is not None:
        keep = [c for c in ["name", "promotion_id", "sent_at"] if c in campaigns]
        out = out.merge(campaigns[["campaign_id", *keep]], on="campaign_id", how="left")
    return out
