"""Loyalty card: average ticket, revenue and margin with and without the card, members' share,
and the before/after estimate of what joining adds (members against matched non-members)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.components.reporting.metrics import (
    N_BOOT,
    _cluster_sums,
    _clusters,
    _ratio_ci,
    _ratio_diff_ci,
    as_of_date,
    customer_codes,
    in_period,
    known,
    prepare,
)
from salesaudit.i18n import N_
from salesaudit.methods import stats


@dataclass(frozen=True)
class Loyalty:
    tickets: pd.DataFrame  # card / no card: orders, mean ticket and interval
    ticket_diff: stats.Estimate  # card − non-card mean ticket
    card_revenue_share: stats.Estimate  # share of completed revenue on card orders
    member_share: stats.Estimate  # share of the period's customers who are members
    member_revenue_share: stats.Estimate  # share of completed revenue from members (all orders)
    margins: pd.DataFrame | None  # card / no card margin rate (when cost is given)
    margin_diff: stats.Estimate | None
    did: stats.Estimate | None  # incremental revenue per member per window (diff-in-diff)
    did_table: pd.DataFrame | None  # before/after means of members and matched non-members
    window_days: int
    members_in_did: int


def card_flags(orders: pd.DataFrame, customers: pd.DataFrame | None) -> pd.Series | None:
    """Card flag per order: orders.loyalty_card, else derived from loyalty_member_since."""
    if "loyalty_card" in orders and orders["loyalty_card"].notna().any():
        return orders["loyalty_card"].astype("boolean").fillna(False).astype(bool)
    if customers is not None and "loyalty_member_since" in customers:
        since = customers.set_index("customer_id")["loyalty_member_since"]
        s = arrow.lookup(since, orders["customer_id"])
        return pd.Series((orders["ordered_at"].to_numpy() >= s), index=orders.index)
    return None


def _did(o: pd.DataFrame, customers: pd.DataFrame, as_of, window: int,
         seed: int) -> tuple[stats.Estimate | None, pd.DataFrame | None, int]:
    """Members' completed revenue in the `window` days after joining minus the `window` days
    before, against non-members given the same pseudo join dates (drawn from the members'),
    matched on orders in the before window (0, 1, 2, 3+). Eligible customers had their first
    order at least `window` days before the (pseudo) join date and joined at least `window`
    days before as_of, so both windows are fully observed."""
    k = known(o)
    codes, ids = customer_codes(k["customer_id"])
    t = k["ordered_at"].to_numpy()
    first = pd.Series(pd.Series(t).groupby(codes, sort=True).min().to_numpy(), index=ids)
    since = pd.Series(arrow.lookup(customers.set_index("customer_id")["loyalty_member_since"],
                                   pd.Series(ids)), index=ids)
    w = pd.Timedelta(days=window)
    lo, hi = first + w, pd.Timestamp(as_of) - w
    member = since.notna().to_numpy()
    join = since.to_numpy(dtype="datetime64[ns]")
    elig_m = member & (join >= lo.to_numpy()) & (join <= np.datetime64(hi))
    if elig_m.sum() < 10:
        return None, None, int(elig_m.sum())
    rng = np.random.default_rng(seed)
    pseudo = rng.choice(join[elig_m], size=len(first))
    join = np.where(member, join, pseudo)
    elig_c = ~member & (join >= lo.to_numpy()) & (join <= np.datetime64(hi))
    keep = elig_m | elig_c
    # Each order's customer code picks its (pseudo) join date; sums per code by bincount.
    j = join[codes]
    before = (t >= j - w.to_timedelta64()) & (t < j)
    after = (t >= j) & (t < j + w.to_timedelta64())
    net, kept = k["net"].to_numpy(), k["kept"].to_numpy()

    def per_code(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=len(ids))[keep]

    cust = pd.DataFrame({"join": join[keep], "member": member[keep],
                         "rb": per_code(net * before), "ra": per_code(net * after),
                         "nb": per_code(before.astype(float)).astype(int),
                         "ka": per_code((after & kept).astype(float)).astype(int)},
                        index=ids[keep])
    cust["stratum"] = np.minimum(cust["nb"].to_numpy(dtype=int), 3)
    cust["delta"] = cust["ra"] - cust["rb"]
    # Weight non-members so each stratum counts as often as among members (exact matching).
    nm = cust.groupby(["stratum", "member"]).size().unstack(fill_value=0)
    nm = nm.reindex(columns=[False, True], fill_value=0)
    ok = nm[(nm[False] > 0) & (nm[True] > 0)].index
    cust = cust[cust["stratum"].isin(ok)]
    wt = (nm[True] / nm[False]).reindex(cust["stratum"]).to_numpy()
    cust["weight"] = np.where(cust["member"], 1.0, wt)
    m = cust["member"].to_numpy()
    d = cust["delta"].to_numpy()
    wv = cust["weight"].to_numpy()
    # Bootstrap resampling members and non-members separately; the statistic maps resampled
    # positions back to rows so one weighted mean serves both groups.
    def wmean(a: np.ndarray) -> np.ndarray:
        i = a.astype(np.int64)
        return (d[i] * wv[i]).sum(axis=1) / wv[i].sum(axis=1)

    if len(m) > stats.LARGE_N:  # the delta-method interval the bootstrap converges to
        est = stats.ratio_diff_ci(d[m] * wv[m], wv[m], d[~m] * wv[~m], wv[~m], paired=False)
    else:
        est = stats.bootstrap_diff_ci(np.flatnonzero(m).astype(float),
                                      np.flatnonzero(~m).astype(float), statistic=wmean,
                                      n_boot=N_BOOT, seed=seed)
    est = stats.Estimate(est.value, est.ci_low, est.ci_high, int(m.sum()))
    table = pd.DataFrame({
        "group": [N_("members"), N_("matched non-members")],
        "customers": [int(m.sum()), int((~m).sum())],
        "revenue_before": [np.average(cust["rb"][m], weights=wv[m]),
                           np.average(cust["rb"][~m], weights=wv[~m])],
        "revenue_after": [np.average(cust["ra"][m], weights=wv[m]),
                          np.average(cust["ra"][~m], weights=wv[~m])],
    })
    table["change"] = table["revenue_after"] - table["revenue_before"]
    table["completed_orders_after"] = [np.average(cust["ka"][m], weights=wv[m]),
                                       np.average(cust["ka"][~m], weights=wv[~m])]
    return est, table, int(m.sum())


def loyalty(orders: pd.DataFrame, start, end, customers: pd.DataFrame | None = None,
            window_days: int = 90, seed: int = 0) -> Loyalty | None:
    """Loyalty-card KPIs; None when neither orders.loyalty_card nor
    customers.loyalty_member_since is given."""
    o = prepare(orders)
    card = card_flags(o, customers)
    if card is None:
        return None
    o = o.assign(card=card.to_numpy(dtype=bool))  # a new frame: the caller's stays as it is
    po = in_period(o, start, end)
    kept = po[po["kept"]]
    cl, ids = _clusters(kept)
    # Per cluster (customer or anonymous order) sums, for cluster-bootstrap ratios.
    on, net = kept["card"].to_numpy(), kept["net"].to_numpy()
    per = _cluster_sums(cl, net_c=net * on, n_c=on, net_n=net * ~on, n_n=~on, net=net)
    rows = []
    for label, num, den in [(N_("card"), "net_c", "n_c"), (N_("no card"), "net_n", "n_n")]:
        e = _ratio_ci(per[num], per[den], seed=seed)
        rows.append({"orders": int(per[den].sum()), "group": label, "mean_ticket": e.value,
                     "ci_low": e.ci_low, "ci_high": e.ci_high})
    tickets = pd.DataFrame(rows)[["group", "orders", "mean_ticket", "ci_low", "ci_high"]]
    diff = _ratio_diff_ci(per["net_c"], per["n_c"], per["net_n"], per["n_n"], seed=seed)
    share = _ratio_ci(per["net_c"], per["net"], seed=seed)

    members = None
    if customers is not None and "loyalty_member_since" in customers:
        active = known(po)["customer_id"].unique()
        since = customers.set_index("customer_id")["loyalty_member_since"]
        is_m = pd.notna(arrow.lookup(since, pd.Series(active)))  # reindex hashes 10^6 strings
        member_ids = active[is_m]
        p = stats.proportions([int(is_m.sum())], [len(active)]).iloc[0]
        members = stats.Estimate(p["rate"], p["ci_low"], p["ci_high"], len(active))
    else:  # no join dates: a member is a customer who used the card in the period
        kp = known(po)
        codes, card_ids = customer_codes(kp["customer_id"])
        cust_card = pd.Series(kp["card"].to_numpy()).groupby(codes).any()
        member_ids = card_ids[cust_card.to_numpy(dtype=bool)]
        p = stats.proportions([int(cust_card.sum())], [len(cust_card)]).iloc[0]
        members = stats.Estimate(p["rate"], p["ci_low"], p["ci_high"], len(cust_card))
    pos = per.index.to_numpy()  # cluster codes: customers first, then anonymous orders
    from_members = np.zeros(len(per), dtype=bool)
    from_members[pos < len(ids)] = arrow.isin(ids[pos[pos < len(ids)]], member_ids)
    member_revenue = _ratio_ci(per["net"] * from_members, per["net"], seed=seed)

    margins = margin_diff = None
    if "cost" in kept and kept["cost"].notna().any():
        mk = kept[kept["cost"].notna()]
        on, rev = mk["card"].to_numpy(), mk["net"].to_numpy()
        mar = rev - mk["cost"].to_numpy(dtype=float)
        pm = _cluster_sums(_clusters(mk)[0], rev_c=rev * on, mar_c=mar * on, rev_n=rev * ~on,
                           mar_n=mar * ~on)
        rows = []
        for label, s in [("card", "_c"), ("no card", "_n")]:
            e = _ratio_ci(pm["mar" + s], pm["rev" + s], seed=seed)
            rows.append({"group": label, "margin_rate": e.value, "ci_low": e.ci_low,
                         "ci_high": e.ci_high, "revenue": float(pm["rev" + s].sum())})
        margins = pd.DataFrame(rows)
        margin_diff = _ratio_diff_ci(pm["mar_c"], pm["rev_c"], pm["mar_n"], pm["rev_n"], seed=seed)

    did = table = None
    n_did = 0
    if customers is not None and "loyalty_member_since" in customers:
        did, table, n_did = _did(o, customers, as_of_date(o, end), window_days, seed)
    return Loyalty(tickets=tickets, ticket_diff=diff, card_revenue_share=share,
                   member_share=members, member_revenue_share=member_revenue, margins=margins,
                   margin_diff=margin_diff, did=did, did_table=table, window_days=window_days,
                   members_in_did=n_did)
