"""Broken purchase rhythm: regular customers quiet for longer than their own rhythm (or
BG/NBD's P(alive) for those with too few purchases) makes likely, and the rule's back-test on
an earlier cut-off."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

from salesaudit import arrow
from salesaudit.components.reporting.metrics import customer_codes, known, prepare
from salesaudit.i18n import N_
from salesaudit.methods import clv, stats


def _purchase_days(orders: pd.DataFrame, as_of) -> pd.DataFrame:
    """Known customers' orders up to as_of, one row per customer and purchase day, sorted by
    customer and day; `_c` is the customer's code (`customer_codes`)."""
    o = known(prepare(orders))
    o = o[o["ordered_at"] <= pd.Timestamp(as_of)]
    codes, ids = customer_codes(o["customer_id"])
    d = pd.DataFrame({"_c": codes, "day": o["ordered_at"].dt.floor("D").to_numpy(),
                      "net": o["net"].to_numpy(), "orders": 1})
    d = d.groupby(["_c", "day"], sort=True, as_index=False).sum()
    d.insert(0, "customer_id", ids[d["_c"].to_numpy()])
    return d


def interval_shape(days: pd.DataFrame, min_intervals: int = 3) -> float:
    """Pooled gamma shape of inter-purchase intervals: 1 / mean squared coefficient of
    variation over customers with at least `min_intervals` intervals (each customer's own
    mean removes differences of rhythm between customers)."""
    gap = days.groupby("_c", sort=False)["day"].diff().dt.total_seconds() / 86_400
    g = pd.DataFrame({"c": days["_c"].to_numpy(), "gap": gap.to_numpy()}).dropna()
    s = g.groupby("c")["gap"].agg(["mean", "var", "size"])
    s = s[(s["size"] >= min_intervals) & (s["mean"] > 0)]
    if s.empty:
        return 1.0  # exponential: the least committal rhythm
    cv2 = float((s["var"] / s["mean"] ** 2).mean())
    return 1.0 / cv2 if cv2 > 0 else 50.0


def rhythm_scores(orders: pd.DataFrame, as_of, min_orders: int = 4, p_gap: float = 0.01,
                  p_alive_max: float = 0.2, shape: float | None = None) -> pd.DataFrame:
    """Per customer with at least two purchase days up to `as_of`: their rhythm and whether
    it is broken.

    - With `min_orders` purchase days or more (≥ 3 intervals), the customer's own rhythm:
      intervals are gamma with the customer's mean interval and a pooled shape; `p_quiet`
      is the chance that an active customer stays quiet as long as they have. Broken when
      p_quiet < `p_gap`.
    - With fewer (2 to min_orders − 1), BG/NBD P(alive) (lifetimes, days): broken when
      P(alive) < `p_alive_max`. One-order customers have no rhythm to break.
    revenue_per_year = completed revenue in the 365 days up to the last purchase.
    """
    as_of = pd.Timestamp(as_of)
    days = _purchase_days(orders, as_of)
    g = days.groupby("_c", sort=True)  # codes 0..n-1 in id order: rows are sorted by id
    s = pd.DataFrame({"purchase_days": g.size(), "orders": g["orders"].sum(),
                      "revenue": g["net"].sum(), "first": g["day"].min(), "last": g["day"].max()})
    c = days["_c"].to_numpy()
    s.index = pd.Index(days["customer_id"].iloc[arrow.run_starts(c)], name="customer_id")
    last_of_code = s["last"].to_numpy()  # by code, before customers with one day are dropped
    keep = (s["purchase_days"] >= 2).to_numpy()
    s = s[keep]
    s["mean_interval"] = ((s["last"] - s["first"]).dt.days / (s["purchase_days"] - 1)).astype(float)
    s["days_since_last"] = ((as_of.floor("D") - s["last"]).dt.days).astype(float)
    k = interval_shape(days) if shape is None else shape
    s["p_quiet"] = sps.gamma.sf(s["days_since_last"], a=k, scale=s["mean_interval"] / k)
    summ = clv.customer_summary(prepare(orders), as_of, freq="D", value_col=None)
    s["p_alive"] = np.nan
    if len(summ) and (summ["frequency"] > 0).any():
        from lifetimes.utils import ConvergenceError

        try:
            model = clv.fit_bgnbd(summ)
            s["p_alive"] = clv.p_alive(model, summ).reindex(s.index).to_numpy()
        except ConvergenceError:
            pass  # too little data for BG/NBD: those customers are not flagged
    own = (s["purchase_days"] >= min_orders).to_numpy()
    s["method"] = np.where(own, N_("own rhythm"), "BG/NBD")
    s["broken"] = np.where(own, s["p_quiet"] < p_gap, s["p_alive"] < p_alive_max)
    # What they used to bring a year: completed revenue in the 365 days up to their last
    # purchase (less for customers active for less than a year: no extrapolation).
    recent = days["day"].to_numpy() > last_of_code[c] - np.timedelta64(365, "D")
    per_year = np.bincount(c, weights=np.where(recent, days["net"].to_numpy(), 0.0),
                           minlength=len(last_of_code))
    s["revenue_per_year"] = per_year[keep]
    s["value_at_risk"] = np.where(s["broken"], s["revenue_per_year"], 0.0)
    s.attrs["shape"] = k
    return s


def rhythm_breakers(scores: pd.DataFrame) -> pd.DataFrame:
    """The customers with a broken rhythm, ranked by revenue per year at risk."""
    b = scores[scores["broken"]].sort_values(["value_at_risk", "days_since_last"],
                                              ascending=[False, False], kind="stable")
    return b.reset_index()[["customer_id", "method", "orders", "mean_interval",
                            "days_since_last", "p_quiet", "p_alive", "revenue_per_year"]]


def rhythm_backtest(orders: pd.DataFrame, as_of, horizon_days: int = 120, min_orders: int = 4,
                    p_gaps=(0.001, 0.01, 0.05, 0.1), p_alive_max: float = 0.2) -> pd.DataFrame:
    """Calibration of the rule: apply it at `as_of − horizon_days` with the data known then,
    and count how many flagged customers never ordered again by `as_of` (Wilson interval);
    the not-flagged rows give the base rate to compare with."""
    cut = pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days)
    o = prepare(orders)
    t = o["ordered_at"]
    back = o.loc[(t > cut) & (t <= pd.Timestamp(as_of)), "customer_id"].dropna().unique()
    rows = []
    base = rhythm_scores(o, cut, min_orders=min_orders, p_gap=p_gaps[0],
                         p_alive_max=p_alive_max)
    gone = ~arrow.isin(base.index, back)
    own = (base["method"] == "own rhythm").to_numpy()
    for p in p_gaps:
        flag = own & (base["p_quiet"] < p).to_numpy()
        rows.append(("own rhythm", N_("P(quiet this long) < {p}").format(p=f"{p:g}"), N_("flagged"),
                     int((flag & gone).sum()), int(flag.sum())))
        if p == 0.01 or (p == p_gaps[0] and 0.01 not in p_gaps):  # one base-rate row
            rows.append(("own rhythm", N_("P(quiet this long) ≥ {p}").format(p=f"{p:g}"), N_("not flagged"),
                         int((own & ~flag & gone).sum()), int((own & ~flag).sum())))
    bg = ~own
    flag = bg & (base["p_alive"] < p_alive_max).to_numpy()
    rows.append(("BG/NBD", N_("P(alive) < {p}").format(p=f"{p_alive_max:g}"), "flagged", int((flag & gone).sum()),
                 int(flag.sum())))
    rows.append(("BG/NBD", N_("P(alive) ≥ {p}").format(p=f"{p_alive_max:g}"), "not flagged",
                 int((bg & ~flag & gone).sum()), int((bg & ~flag).sum())))
    df = pd.DataFrame(rows, columns=["method", "rule", "group", "never_came_back", "n"])
    pr = stats.proportions(df["never_came_back"], df["n"])
    df["rate"], df["ci_low"], df["ci_high"] = pr["rate"], pr["ci_low"], pr["ci_high"]
    df.attrs["cutoff"] = cut
    return df


def recall_precision(flagged, truth) -> dict[str, float]:
    """Recall and precision of a set of flagged ids against the planted ones."""
    f, t = set(flagged), set(truth)
    hit = len(f & t)
    return {"flagged": len(f), "planted": len(t), "hits": hit,
            "recall": hit / len(t) if t else np.nan, "precision": hit / len(f) if f else np.nan}
