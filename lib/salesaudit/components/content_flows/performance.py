"""Campaign and flow performance: per campaign or flow, its open, click and conversion rates
and revenue per touch, and which rates fall credibly below its peers'.

Campaigns are compared with their peers: the other campaigns of the same kind (flows with
flows, newsletters with newsletters), or automated vs manual when kind is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from salesaudit import arrow
from salesaudit.methods import stats

# A campaign under-performs when its rate is credibly below (1 - MARGIN) x its peers' rate.
MARGIN = 0.25
METRICS = {"open": ("opened", "sent"), "click": ("clicked", "sent"),
           "conversion": ("converted", "mature")}


def _peer_group(campaigns: pd.DataFrame) -> pd.Series:
    if "kind" in campaigns and campaigns["kind"].notna().any():
        auto = (campaigns["automated"].fillna(False) if "automated" in campaigns
                else pd.Series(False, index=campaigns.index))
        kind = campaigns["kind"].astype("string").fillna("other")
        return kind.mask(auto.to_numpy(dtype=bool), "flow").astype(str)
    if "automated" in campaigns:
        return pd.Series(np.where(campaigns["automated"].fillna(False), "flow", "campaign"),
                         index=campaigns.index)
    return pd.Series("campaign", index=campaigns.index)


def campaign_metrics(outcomes: pd.DataFrame, campaigns: pd.DataFrame | None,
                     attributed: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per campaign or flow: sent, recipients, open / click / click-to-open /
    conversion rates with Wilson intervals, revenue per touch in the window with its
    interval, and (given attributed orders) last-touch attributed orders and revenue."""
    # Integer campaign codes over all rows (control rows get −1): the touches can be tens of
    # millions of rows, and filtering or grouping them by id strings copies and hashes them.
    sent = ~outcomes["control"].to_numpy(dtype=bool)
    camp, ids = pd.factorize(outcomes["campaign_id"], sort=True)
    camp = np.where(sent, camp, -1)

    def per_campaign(mask: np.ndarray | None = None, weights=None) -> np.ndarray:
        ok = camp >= 0 if mask is None else (camp >= 0) & mask
        w = None if weights is None else np.asarray(weights, dtype=float)[ok]
        return np.bincount(camp[ok], weights=w, minlength=len(ids))

    n_sent = per_campaign()
    has = n_sent > 0  # campaigns with only holdout rows are not listed
    cust, _ = pd.factorize(outcomes["customer_id"])
    n_cust = int(cust.max()) + 1 if len(cust) else 1
    pair = (camp >= 0) & (cust >= 0)
    pairs = arrow.distinct(camp[pair].astype(np.int64) * n_cust + cust[pair])[0]  # (campaign, customer)
    opened = outcomes["opened"].to_numpy(dtype=bool)
    clicked = outcomes["clicked"].to_numpy(dtype=bool)
    out = pd.DataFrame({
        "sent": n_sent, "recipients": np.bincount(pairs // n_cust, minlength=len(ids)),
        "opened": per_campaign(opened), "clicked": per_campaign(clicked),
        "clicked_opened": per_campaign(opened & clicked),
    }, index=pd.Index(ids, name="campaign_id")).astype("int64")[has]
    if "converted" in outcomes:
        mature = outcomes["mature"].to_numpy(dtype=bool)
        out["mature"] = per_campaign(mature).astype("int64")[has]
        out["converted"] = per_campaign(
            mature & outcomes["converted"].to_numpy(dtype=bool)).astype("int64")[has]
        # Revenue per touch of each campaign's mature touches, in row order within a campaign.
        cm = np.where(mature, camp, -1)
        rows = np.argsort(cm, kind="stable")
        bounds = np.r_[0, np.cumsum(np.bincount(cm[cm >= 0], minlength=len(ids)))]
        rows = rows[len(cm) - bounds[-1]:]  # drop the −1 rows, sorted first
        revenue = outcomes["window_revenue"].to_numpy(dtype=float, na_value=np.nan)
        est = {}
        for i, c in enumerate(np.flatnonzero(np.diff(bounds) > 0)):
            est[ids[c]] = stats.bootstrap_ci(revenue[rows[bounds[c]:bounds[c + 1]]], seed=i)
        out["revenue_per_touch"] = [est[c].value if c in est else np.nan for c in out.index]
        out["rpt_low"] = [est[c].ci_low if c in est else np.nan for c in out.index]
        out["rpt_high"] = [est[c].ci_high if c in est else np.nan for c in out.index]
    for name, (x, n) in {**METRICS, "click_to_open": ("clicked_opened", "opened")}.items():
        if x not in out:
            continue
        p = stats.proportions(out[x], out[n])
        out[f"{name}_rate"], out[f"{name}_low"], out[f"{name}_high"] = (
            p["rate"], p["ci_low"], p["ci_high"])
    if attributed is not None:
        a = arrow.codes(attributed["campaign_id"], out.index)
        ok = (a >= 0) & attributed["by_touch"].to_numpy(dtype=bool)
        out["attributed_orders"] = np.bincount(a[ok], minlength=len(out))
        out["attributed_revenue"] = np.bincount(a[ok], minlength=len(out), weights=np.nan_to_num(
            attributed["revenue"].to_numpy(dtype=float, na_value=np.nan)[ok]))
    out.index.name = "campaign_id"
    out = out.reset_index()
    if campaigns is not None:
        info = campaigns.set_index("campaign_id")
        info = info.assign(peer_group=_peer_group(info).to_numpy())
        keep = [c for c in ["name", "kind", "channel", "automated", "promotion_id", "cost",
                            "peer_group"] if c in info]
        out = out.join(info[keep], on="campaign_id")
    if "peer_group" not in out:
        out["peer_group"] = "campaign"
    out["peer_group"] = out["peer_group"].fillna("unknown campaign")
    if "name" not in out:
        out["name"] = out["campaign_id"]
    out["name"] = out["name"].fillna(out["campaign_id"]).astype(str)
    return out


def _margin_test(x: np.ndarray, n: np.ndarray, xr: np.ndarray, nr: np.ndarray,
                 margin: float) -> np.ndarray:
    """One-sided p-value of H1: rate < (1 - margin) x rest rate. z-test on adjusted rates
    ((x + 1) / (n + 2), Agresti–Caffo style) so that 0 of 10 does not look certain."""
    p = (x + 1) / (n + 2)
    pr = (xr + 1) / (nr + 2)
    k = 1 - margin
    se = np.sqrt(p * (1 - p) / (n + 2) + k * k * pr * (1 - pr) / (nr + 2))
    z = (p - k * pr) / se
    return np.where((n > 0) & (nr > 0), sps.norm.cdf(z), np.nan)


def underperformers(metrics: pd.DataFrame, alpha: float = 0.05,
                    margin: float = MARGIN) -> pd.DataFrame:
    """Each campaign's open, click and conversion rate against its peers (the rest of its
    peer group, pooled). Per metric: the rest's rate, the two-sided test p-value, the
    one-sided margin test p-value (rate below (1 - margin) x the rest) and verdict:
    "under-performing" (margin test significant), "lower" / "higher" (significant, but not
    by the margin), or "not distinguishable". Benjamini–Hochberg runs over every test of
    the table at once (all campaigns x metrics). `flagged` lists the under-performing
    metrics. A campaign alone in its peer group gets "no peers"; one with n = 0, "no data".
    """
    out = metrics[["campaign_id", "name", "peer_group"]].copy()
    present = [m for m, (x, n) in METRICS.items() if x in metrics and n in metrics]
    if metrics.empty:
        present = []
    pieces = []
    for m in present:
        x_col, n_col = METRICS[m]
        x = metrics[x_col].to_numpy(dtype=float)
        n = metrics[n_col].to_numpy(dtype=float)
        grp = metrics["peer_group"].to_numpy()
        gx = pd.Series(x).groupby(grp).transform("sum").to_numpy()
        gn = pd.Series(n).groupby(grp).transform("sum").to_numpy()
        xr, nr = gx - x, gn - n
        # Each campaign against the rest of its peer group (two-sided); BH is redone below.
        groups = [np.asarray(i) for i in pd.Series(np.arange(len(x))).groupby(grp).groups.values()]
        rest = pd.concat([stats.compare_to_rest(pd.Series(x[i], index=i), pd.Series(n[i], index=i))
                          for i in groups]).sort_index()
        out[f"{m}_rest_rate"] = rest["rest_rate"].to_numpy()
        pieces.append(pd.DataFrame({
            "metric": m, "row": np.arange(len(out)), "n": n, "nr": nr,
            "diff": rest["difference"].to_numpy(), "p": rest["p_value"].to_numpy(),
            "p_margin": _margin_test(x, n, xr, nr, margin)}))
    if not pieces:
        out["flagged"] = ""
        return out
    allp = pd.concat(pieces, ignore_index=True)
    allp["q"] = stats.benjamini_hochberg(allp["p"].to_numpy(), alpha)["q_value"].to_numpy()
    allp["q_margin"] = stats.benjamini_hochberg(allp["p_margin"].to_numpy(), alpha)[
        "q_value"].to_numpy()
    sig, under = allp["q"] <= alpha, allp["q_margin"] <= alpha
    allp["verdict"] = np.select(
        [allp["n"] == 0, allp["nr"] == 0, under, sig & (allp["diff"] < 0),
         sig & (allp["diff"] > 0)],
        ["no data", "no peers", "under-performing", "lower", "higher"], "not distinguishable")
    for m in present:
        d = allp[allp["metric"] == m].set_index("row").reindex(np.arange(len(out)))
        out[f"{m}_p"] = d["p"].to_numpy()
        out[f"{m}_q"] = d["q"].to_numpy()
        out[f"{m}_q_margin"] = d["q_margin"].to_numpy()
        out[f"{m}_verdict"] = d["verdict"].to_numpy()
    flags = np.array([[v == "under-performing" for v in out[f"{m}_verdict"]] for m in present])
    out["flagged"] = [", ".join(m for m, f in zip(present, col, strict=True) if f)
                      for col in flags.T]
    return out
