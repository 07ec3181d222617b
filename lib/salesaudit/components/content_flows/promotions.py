"""Promotions: how many of the customers each promotion reached bought, and the customers
who respond to promotions again and again."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.components.content_flows.timeline import in_period
from salesaudit.i18n import N_
from salesaudit.methods import stats


def _promotion_touches(outcomes: pd.DataFrame, campaigns: pd.DataFrame) -> pd.DataFrame:
    """Sent, mature touches of campaigns linked to a promotion, with their promotion_id."""
    if "promotion_id" not in campaigns or "converted" not in outcomes:
        return pd.DataFrame(columns=["promotion_id", "customer_id", "converted"])
    camp = campaigns.loc[campaigns["promotion_id"].notna(), ["campaign_id", "promotion_id"]]
    pos = arrow.codes(outcomes["campaign_id"], pd.Index(camp["campaign_id"]))
    keep = (pos >= 0) & (~outcomes["control"] & outcomes["mature"]).to_numpy(dtype=bool)
    s = outcomes.loc[keep, ["customer_id", "converted"]]  # filter the 2 columns only
    s.insert(0, "promotion_id", camp["promotion_id"].iloc[pos[keep]].array)
    return s


def _tagged(orders: pd.DataFrame | None, start, end) -> pd.DataFrame:
    """(promotion_id, customer_id) pairs of known customers' tagged orders in the period."""
    if orders is None or "promotion_id" not in orders:
        return pd.DataFrame(columns=["promotion_id", "customer_id"])
    o = in_period(orders, "ordered_at", start, end)
    o = o[o["promotion_id"].notna() & o["customer_id"].notna()]
    return o[["promotion_id", "customer_id"]].drop_duplicates()


def promotion_conversion(outcomes: pd.DataFrame, campaigns: pd.DataFrame,
                         orders: pd.DataFrame | None, start, end,
                         promotions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per promotion: customers reached by its campaigns, how many bought within the window
    after a touch (rate, Wilson interval, each promotion against the rest with BH), and how
    many of the reached used it (an order carrying its promotion_id in the period).
    Ranked by conversion, best first."""
    pt = _promotion_touches(outcomes, campaigns)
    if pt.empty:
        return pd.DataFrame()
    # (promotion, customer) pairs as integer keys: promotion codes in id order x customers.
    promo, promos = pd.factorize(pt["promotion_id"], sort=True)
    cust, custs = pd.factorize(pt["customer_id"])
    n = max(len(custs), 1)
    key = promo.astype(np.int64) * n + cust
    pairs = arrow.distinct(key)[0]
    bought = np.isin(pairs, key[pt["converted"].to_numpy(dtype=bool)])
    tag = _tagged(orders, start, end)
    tp = arrow.codes(tag["promotion_id"], pd.Index(promos))
    tc = arrow.codes(tag["customer_id"], pd.Index(custs))
    redeemed = np.isin(pairs, tp[(tp >= 0) & (tc >= 0)] * n + tc[(tp >= 0) & (tc >= 0)])
    p_of = pairs // n
    g = pd.DataFrame({"reached": np.bincount(p_of, minlength=len(promos)),
                      "bought": np.bincount(p_of, weights=bought, minlength=len(promos)),
                      "redeemed": np.bincount(p_of, weights=redeemed, minlength=len(promos))},
                     index=pd.Index(promos, name="promotion_id")).astype("int64")
    r = stats.compare_to_rest(g["bought"], g["reached"])
    red = stats.proportions(g["redeemed"], g["reached"])
    out = pd.DataFrame({"reached": g["reached"], "bought": g["bought"], "rate": r["rate"],
                        "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                        "rest_rate": r["rest_rate"], "q_value": r["q_value"],
                        "verdict": r["verdict"], "redeemed": g["redeemed"],
                        "redeem_rate": red["rate"], "redeem_low": red["ci_low"],
                        "redeem_high": red["ci_high"]})
    out.index.name = "promotion_id"
    out = out.reset_index()
    if promotions is not None and "name" in promotions:
        out = out.merge(promotions[["promotion_id", "name"]], on="promotion_id", how="left")
    if "name" not in out:
        out["name"] = out["promotion_id"]
    out["name"] = out["name"].fillna(out["promotion_id"]).astype(str)
    out["label"] = out["promotion_id"].astype(str) + " " + out["name"]
    return out.sort_values(["rate", "promotion_id"], ascending=[False, True]).reset_index(drop=True)


# Group values are compared by code in English; tables show them translated.
RESPONDER_GROUPS = (N_("0 (reached, no response)"), "1", "2", "3+")


def promotion_responders(outcomes: pd.DataFrame | None, campaigns: pd.DataFrame | None,
                         orders: pd.DataFrame, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How many promotions each customer responded to, and what those customers are worth.

    A customer responded to a promotion when they bought within the window after one of its
    touches, or placed an order carrying its promotion_id in the period. The base is every
    customer reached by a promotion touch or with a tagged order. Returns the table per
    group (0, 1, 2, 3+ promotions, plus customers outside the base) with customers, share
    of the base (Wilson), period revenue, share of all period revenue, revenue per customer
    (bootstrap) — and the repeat responders (2+ promotions): customer_id, promotions.
    """
    pt = (_promotion_touches(outcomes, campaigns)
          if outcomes is not None and campaigns is not None else
          pd.DataFrame(columns=["promotion_id", "customer_id", "converted"]))
    tag = _tagged(orders, start, end)
    o = in_period(orders, "ordered_at", start, end)
    total = float(o["revenue"].sum())
    # Customers as integer codes: those with an order in the period first (their revenue by
    # bincount, not by grouping millions of id strings), then those only reached.
    oc, ids = pd.factorize(o["customer_id"])
    ids, n_buyers = pd.Index(ids), len(ids)  # codes below n_buyers ordered in the period
    revenue = o["revenue"].to_numpy(dtype=float, na_value=np.nan)
    pc = arrow.codes(pt["customer_id"], ids)
    extra = pd.Index(pd.unique(pt["customer_id"][(pc < 0) & pt["customer_id"].notna().to_numpy()]))
    pc = np.where(pc >= 0, pc, len(ids) + arrow.codes(pt["customer_id"], extra))
    pc[pt["customer_id"].isna().to_numpy()] = -1
    tc = arrow.codes(tag["customer_id"], ids)  # tagged orders are period orders: all found
    ids = ids.append(extra)
    rev = np.bincount(oc[oc >= 0], weights=np.nan_to_num(revenue[oc >= 0]), minlength=len(ids))
    # The base in order of first appearance (reached, then tagged), as before the codes.
    both = np.r_[pc, tc]
    base = pd.unique(both[both >= 0])
    promos = pd.Index(pd.concat([pt["promotion_id"].drop_duplicates(),
                                 tag["promotion_id"].drop_duplicates()]).dropna().unique())
    promo = np.r_[arrow.codes(pt["promotion_id"], promos), arrow.codes(tag["promotion_id"], promos)]
    # Distinct (customer, promotion) responses, counted per customer.
    ok = np.r_[pt["converted"].to_numpy(dtype=bool), np.ones(len(tag), dtype=bool)] & (
        both >= 0) & (promo >= 0)
    pairs = arrow.distinct(both[ok] * max(len(promos), 1) + promo[ok])[0]
    n_resp = np.bincount(pairs // max(len(promos), 1), minlength=len(ids))
    count = n_resp[base]
    group = np.select([count == 0, count == 1, count == 2], [0, 1, 2], 3)
    in_base = np.zeros(len(ids), dtype=bool)
    in_base[base] = True
    outside = np.flatnonzero(~in_base[:n_buyers])  # bought in the period, never reached
    outside = outside[np.argsort(ids[outside])]  # by id, as before the codes
    rows = []
    for i, grp in enumerate((*RESPONDER_GROUPS, N_("not reached by any promotion"))):
        codes = outside if i == len(RESPONDER_GROUPS) else base[group == i]
        per = rev[codes]
        est = stats.bootstrap_ci(per, seed=i)
        rows.append({"group": grp, "customers": len(codes), "revenue": float(per.sum()),
                     "revenue_per_customer": est.value, "rpc_low": est.ci_low,
                     "rpc_high": est.ci_high})
    out = pd.DataFrame(rows)
    listed = out["group"].isin(RESPONDER_GROUPS)
    p = stats.proportions(out["customers"].where(listed, 0), np.where(listed, len(base), 0))
    out["share_of_base"], out["sob_low"], out["sob_high"] = p["rate"], p["ci_low"], p["ci_high"]
    out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
    repeat = pd.DataFrame({"customer_id": ids[base[count >= 2]], "promotions": count[count >= 2]})
    return out, repeat.sort_values("customer_id").reset_index(drop=True)
