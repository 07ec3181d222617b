"""Customer service: response and resolution times, reopen rate, ticket volume and backlog,
satisfaction (CSAT, NPS), the link between service and repurchase, agents compared fairly.

Rules used throughout (stated in the notebook too):
- Times are survival questions: a ticket not yet answered (or resolved) on the as-of date is
  censored at its age, never dropped. Medians and 90th percentiles come from Kaplan–Meier.
- Business-hours durations count only the hours inside opening hours on opening weekdays
  (no public holidays).
- CSAT is the share of 4–5 on a 1–5 scale; NPS is the share of 9–10 minus the share of 0–6
  on a 0–10 scale, with the adjusted-Wald interval (Rocks 2016).
- Service and repurchase are observed together, not assigned: the effect is an association
  after controlling for prior purchases, not a proven cause.
- Agents are compared with `compare.fair_comparison` (case mix, shrinkage, BH), as reps are.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from salesaudit.i18n import N_
from salesaudit.methods import compare, stats, survival

# The orders columns this module reads (a notebook reads only these: a large client's orders
# with every column are gigabytes).
ORDER_COLUMNS = ("customer_id", "ordered_at", "revenue")
WEEKDAYS = (0, 1, 2, 3, 4)  # Monday .. Friday
REPURCHASE_WINDOW_DAYS = 180
_EPOCH = np.datetime64("1970-01-05T00:00:00", "s")  # a Monday


# ------------------------------------------------------------------ business hours


def _business_clock(t: np.ndarray, open_hour: float, close_hour: float,
                    weekdays: tuple[int, ...]) -> np.ndarray:
    """Business hours elapsed from a fixed Monday to each instant t (datetime64[s])."""
    secs = (t - _EPOCH).astype("int64").astype(float)
    days = np.floor(secs / 86400)
    hour = (secs - days * 86400) / 3600
    week, dow = np.divmod(days, 7)
    is_open = np.isin(np.arange(7), weekdays).astype(float)
    per_day = close_hour - open_hour
    before = np.concatenate([[0.0], np.cumsum(is_open)[:-1]]) * per_day  # full days earlier in the week
    dow = dow.astype(np.int64)
    today = np.clip(hour - open_hour, 0, per_day) * is_open[dow]
    return week * is_open.sum() * per_day + before[dow] + today


def business_hours_between(start, end, open_hour: float = 9, close_hour: float = 18,
                           weekdays: tuple[int, ...] = WEEKDAYS) -> np.ndarray:
    """Hours between start and end that fall inside opening hours on opening weekdays
    (0 = Monday). Vectorized; NaN where either end is missing; 0 when end <= start.
    Public holidays are not known and count as working days."""
    if not 0 <= open_hour < close_hour <= 24:
        raise ValueError("need 0 <= open_hour < close_hour <= 24")
    s = pd.to_datetime(pd.Series(start)).to_numpy(dtype="datetime64[s]")
    e = pd.to_datetime(pd.Series(end)).to_numpy(dtype="datetime64[s]")
    missing = np.isnat(s) | np.isnat(e)
    s, e = np.where(missing, _EPOCH, s), np.where(missing, _EPOCH, e)
    wd = tuple(int(d) for d in weekdays)
    out = _business_clock(e, open_hour, close_hour, wd) - _business_clock(s, open_hour, close_hour, wd)
    return np.where(missing, np.nan, np.clip(out, 0, None))


# ------------------------------------------------------------------ times


def durations(tickets: pd.DataFrame, as_of: pd.Timestamp,
              hours: tuple[float, float, tuple[int, ...]] | None = None) -> pd.DataFrame:
    """Per ticket: hours to first response and to resolution from opening, with an event
    flag; unanswered / unresolved tickets (or answered after as_of) are censored at as_of.
    With `hours` = (open_hour, close_hour, weekdays), business-hours durations instead."""
    out = tickets[[c for c in ("ticket_id", "channel", "category", "agent_id") if c in tickets]].copy()
    for name, col in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
        if col not in tickets:
            continue
        done = tickets[col].where(tickets[col] <= as_of)
        stop = done.fillna(as_of)
        if hours is None:
            h = (stop - tickets["opened_at"]).dt.total_seconds().to_numpy() / 3600
        else:
            h = business_hours_between(tickets["opened_at"], stop, *hours)
        out[f"{name}_hours"] = np.clip(h, 0, None)
        out[f"{name}_event"] = done.notna().to_numpy()
    return out


def time_summary(dur: pd.DataFrame, kind: str, by: str | None = None,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier median and 90th percentile (hours) with intervals, per group of `by`.
    `kind` is "first_response" or "resolution"."""
    t, e = f"{kind}_hours", f"{kind}_event"
    keys = dur[by].astype("string").fillna("(none)") if by else pd.Series("all", index=dur.index)
    rows = []
    for g, d in dur.groupby(keys.to_numpy(), sort=True):
        med = survival.km_quantile(d[t].to_numpy(), d[e].to_numpy(), 0.5, alpha=alpha)
        p90 = survival.km_quantile(d[t].to_numpy(), d[e].to_numpy(), 0.9, alpha=alpha)
        rows.append({by or "group": g, "tickets": len(d), "done": int(d[e].sum()),
                     "median": med.value, "median_low": med.ci_low, "median_high": med.ci_high,
                     "p90": p90.value, "p90_low": p90.ci_low, "p90_high": p90.ci_high})
    return pd.DataFrame(rows)


def time_curves(dur: pd.DataFrame, kind: str, by: str) -> pd.DataFrame:
    """Kaplan–Meier curve per group (survival = share still waiting), time in hours."""
    parts = []
    for g, d in dur.groupby(dur[by].astype("string").fillna("(none)").to_numpy(), sort=True):
        km = survival.kaplan_meier(d[f"{kind}_hours"].to_numpy(), d[f"{kind}_event"].to_numpy())
        parts.append(km.assign(**{by: g}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ------------------------------------------------------------------ volume


def reopen_rates(tickets: pd.DataFrame, by: str = "channel") -> pd.DataFrame:
    """Share of resolved tickets reopened per group, each against the rest (BH)."""
    t = tickets[tickets["resolved_at"].notna()] if "resolved_at" in tickets else tickets
    g = t.groupby(t[by].astype("string").fillna("(none)"), sort=True)["reopened"]
    out = stats.compare_to_rest(g.sum().astype("int64"), g.size().astype("int64"))
    out.index.name = by
    return out.reset_index().rename(columns={"successes": "reopened"})


def tickets_per_100_orders(tickets: pd.DataFrame, orders: pd.DataFrame, start, end) -> pd.DataFrame:
    """Tickets opened per 100 orders placed, per month, Wilson interval on tickets/orders."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    tk = tickets[(tickets["opened_at"] >= lo) & (tickets["opened_at"] < hi)]
    od = orders[(orders["ordered_at"] >= lo) & (orders["ordered_at"] < hi)]
    n_t = tk.groupby(tk["opened_at"].dt.to_period("M")).size()
    n_o = od.groupby(od["ordered_at"].dt.to_period("M")).size()
    idx = n_o.index.union(n_t.index)
    n_t, n_o = n_t.reindex(idx, fill_value=0), n_o.reindex(idx, fill_value=0)
    p = stats.proportions(n_t.clip(upper=n_o).astype("int64"), n_o.astype("int64"))
    p[["rate", "ci_low", "ci_high"]] *= 100
    p = p.rename(columns={"successes": "tickets", "n": "orders", "rate": "per_100"})
    p.index = p.index.to_timestamp()
    return p.reset_index(names="month")


def backlog(tickets: pd.DataFrame, start, end, freq: str = "W-SUN") -> pd.DataFrame:
    """Open tickets (opened, not yet resolved) at the end of each week of the period."""
    weeks = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq) + pd.Timedelta(days=1)
    opened = np.sort(tickets["opened_at"].to_numpy())
    res = np.sort(tickets["resolved_at"].dropna().to_numpy()) if "resolved_at" in tickets \
        else np.array([], dtype="datetime64[ns]")
    w = weeks.to_numpy()
    n_open = np.searchsorted(opened, w, side="left") - np.searchsorted(res, w, side="left")
    return pd.DataFrame({"week": weeks - pd.Timedelta(days=1), "open_tickets": n_open})


# ------------------------------------------------------------------ satisfaction


@dataclass(frozen=True)
class NPS:
    value: float  # promoters - detractors, as a share in [-1, 1]
    ci_low: float
    ci_high: float
    n: int
    promoters: float
    detractors: float


def nps_interval(promoters, detractors, n, alpha: float = 0.05) -> pd.DataFrame:
    """NPS (share promoters - share detractors) with the adjusted-Wald interval of Rocks
    (2016): add 3/4 promoter and 3/4 detractor to n + 3, then the variance of a difference
    of two multinomial shares, (p + d - (p - d)²) / n', clipped to [-1, 1]. Vectorized."""
    pr, de, m = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (promoters, detractors, n))
    z = sps.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(m > 0, (pr - de) / np.where(m > 0, m, 1), np.nan)
    m2 = m + 3
    p2, d2 = (pr + 0.75) / m2, (de + 0.75) / m2
    centre = p2 - d2
    half = z * np.sqrt((p2 + d2 - centre**2) / m2)
    empty = m <= 0
    return pd.DataFrame({
        "nps": value, "ci_low": np.where(empty, np.nan, np.clip(centre - half, -1, 1)),
        "ci_high": np.where(empty, np.nan, np.clip(centre + half, -1, 1)), "n": m.astype(int),
        "promoters": np.where(empty, np.nan, pr / np.where(empty, 1, m)),
        "detractors": np.where(empty, np.nan, de / np.where(empty, 1, m)),
    })


def nps(scores, alpha: float = 0.05) -> NPS:
    s = pd.Series(scores, dtype=float).dropna()
    r = nps_interval((s >= 9).sum(), (s <= 6).sum(), len(s), alpha).iloc[0]
    return NPS(float(r.nps), float(r.ci_low), float(r.ci_high), int(r.n),
               float(r.promoters), float(r.detractors))


def nps_by(surveys: pd.DataFrame, by) -> pd.DataFrame:
    """NPS per group of the 0–10 answers, with the adjusted-Wald interval."""
    s = surveys["score"]
    g = pd.DataFrame({"pro": s >= 9, "det": s <= 6}).groupby(by, sort=True)
    c = g.sum()
    out = nps_interval(c["pro"], c["det"], g.size())
    out.index = c.index
    return out


def csat_by(scores: pd.Series, by, asked: pd.Series | None = None) -> pd.DataFrame:
    """CSAT (share of 4–5) per group with Wilson interval; with `asked` (bool per row: the
    customer could have answered), the response rate with its Wilson interval too."""
    answered = scores.notna()
    top = (scores >= 4) & answered
    g_keys = by if not isinstance(by, pd.Series) else by.to_numpy()
    out = stats.proportions(top.groupby(g_keys, sort=True).sum().astype("int64"),
                            answered.groupby(g_keys, sort=True).sum().astype("int64"))
    out = out.rename(columns={"successes": "top2", "n": "responses"})
    out.index.name = getattr(by, "name", None) or "group"
    if asked is not None:
        rr = stats.proportions(answered[asked].groupby(np.asarray(g_keys)[asked.to_numpy()], sort=True)
                               .sum().astype("int64"),
                               asked[asked].groupby(np.asarray(g_keys)[asked.to_numpy()], sort=True)
                               .size().astype("int64"))
        out["asked"] = rr["n"]
        out["response_rate"], out["rr_low"], out["rr_high"] = rr["rate"], rr["ci_low"], rr["ci_high"]
    return out


def score_distribution(scores: pd.Series, values: range) -> pd.DataFrame:
    """Count and share of each score on the scale (zeros shown), with Wilson intervals."""
    s = scores.dropna().round().astype(int)
    counts = s.value_counts().reindex(list(values), fill_value=0)
    out = stats.proportions(counts.astype("int64"), pd.Series(len(s), index=counts.index))
    out.index.name = "score"
    return out.reset_index().rename(columns={"successes": "count", "rate": "share"})


# ------------------------------------------------------------------ repurchase


def repurchase_frame(tickets: pd.DataFrame, orders: pd.DataFrame, as_of: pd.Timestamp,
                     window_days: int = REPURCHASE_WINDOW_DAYS) -> pd.DataFrame:
    """Tickets with a customer, opened at least `window_days` before as_of (so the window is
    fully observed): prior orders (placed up to the opening), whether the customer ordered
    again in (opened, opened + window], and the revenue of those orders."""
    win = pd.Timedelta(days=window_days)
    t = tickets[tickets["customer_id"].notna() & (tickets["opened_at"] <= as_of - win)]
    cols = ["ticket_id", "customer_id", "opened_at"] + [c for c in ("csat", "resolved_at", "channel",
                                                                      "category", "agent_id") if c in t]
    t = t[cols].copy()
    o = orders.loc[orders["customer_id"].notna(), ["customer_id", "ordered_at", "revenue"]]
    m = t[["ticket_id", "customer_id", "opened_at"]].merge(o, on="customer_id", how="inner")
    after = (m["ordered_at"] > m["opened_at"]) & (m["ordered_at"] <= m["opened_at"] + win)
    prior = (m["ordered_at"] <= m["opened_at"]).groupby(m["ticket_id"]).sum()
    again = after.groupby(m["ticket_id"]).any()
    rev = m["revenue"].where(after, 0.0).groupby(m["ticket_id"]).sum()
    t["prior_orders"] = t["ticket_id"].map(prior).fillna(0).astype("int64").to_numpy()
    t["repurchased"] = t["ticket_id"].map(again).fillna(False).astype(bool).to_numpy()
    t["revenue_after"] = t["ticket_id"].map(rev).fillna(0.0).to_numpy()
    if "resolved_at" in t:
        t["resolution_hours"] = (t["resolved_at"] - t["opened_at"]).dt.total_seconds() / 3600
    return t.reset_index(drop=True)


@dataclass(frozen=True)
class LogitEffect:
    term: str
    coef: float  # log-odds per unit of the term
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    intercept: float
    prior_coef: float


def _logit(y: np.ndarray, X: pd.DataFrame, term: str) -> LogitEffect | None:
    import statsmodels.api as sm

    if len(y) < 30 or y.min() == y.max():
        return None
    X = X.assign(const=1.0)[["const", *X.columns]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(y.astype(float), X.astype(float), family=sm.families.Binomial()).fit()
    except Exception:
        return None
    if not fit.converged:
        return None
    lo, hi = fit.conf_int().loc[term]
    return LogitEffect(term, float(fit.params[term]), float(lo), float(hi),
                       float(fit.pvalues[term]), len(y), float(fit.params["const"]),
                       float(fit.params.get("prior_orders", np.nan)))


def csat_effect(rf: pd.DataFrame) -> LogitEffect | None:
    """logit P(repurchase) = a + b × CSAT (1–5) + c × prior orders, on rated tickets."""
    d = rf.dropna(subset=["csat"]) if "csat" in rf else rf.iloc[:0]
    return _logit(d["repurchased"].to_numpy(), d[["csat", "prior_orders"]], "csat")


def resolution_effect(rf: pd.DataFrame) -> LogitEffect | None:
    """logit P(repurchase) = a + b × log2(resolution hours) + c × prior orders, on resolved
    tickets: b is the change in log-odds when resolution takes twice as long."""
    if "resolution_hours" not in rf:
        return None
    d = rf[rf["resolution_hours"] > 0].dropna(subset=["resolution_hours"])
    X = pd.DataFrame({"log2_resolution_hours": np.log2(d["resolution_hours"]),
                      "prior_orders": d["prior_orders"]})
    return _logit(d["repurchased"].to_numpy(), X, "log2_resolution_hours")


CSAT_BANDS = {1: "1–2", 2: "1–2", 3: "3", 4: "4–5", 5: "4–5"}


def repurchase_by_band(rf: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repurchase rate (Wilson) by CSAT band and by resolution-time band."""
    d = rf.dropna(subset=["csat"]) if "csat" in rf else rf.iloc[:0]
    band = d["csat"].round().map(CSAT_BANDS)
    by_csat = stats.proportions(d["repurchased"].groupby(band).sum().astype("int64"),
                                d["repurchased"].groupby(band).size().astype("int64"))
    by_csat.index.name = "csat"
    by_res = pd.DataFrame()
    if "resolution_hours" in rf:
        r = rf.dropna(subset=["resolution_hours"])
        cut = pd.cut(r["resolution_hours"], [0, 24, 72, 168, np.inf], right=False,
                     labels=[N_("< 1 day"), N_("1–3 days"), N_("3–7 days"), N_("> 7 days")])
        by_res = stats.proportions(r["repurchased"].groupby(cut, observed=True).sum().astype("int64"),
                                   r["repurchased"].groupby(cut, observed=True).size().astype("int64"))
        by_res.index.name = "resolution"
    return by_csat.reset_index(), by_res.reset_index()


def csat_money(rf: pd.DataFrame, eff: LogitEffect | None, tickets_per_year: float,
               target: float = 4.0) -> dict | None:
    """Extra repurchasing customers and revenue per year if tickets rated below `target`
    had been rated `target` (model above, prior orders as observed), valued at the mean
    180-day revenue of customers who did repurchase. Unrated tickets are assumed to be like
    rated ones (stated)."""
    if eff is None:
        return None
    d = rf.dropna(subset=["csat"])
    if d.empty or not d["repurchased"].any():
        return None
    lin = eff.intercept + eff.prior_coef * d["prior_orders"]
    now = 1 / (1 + np.exp(-(lin + eff.coef * d["csat"])))
    then = 1 / (1 + np.exp(-(lin + eff.coef * np.maximum(d["csat"], target))))
    extra_per_ticket = float((then - now).mean())
    value = stats.bootstrap_ci(d.loc[d["repurchased"], "revenue_after"].to_numpy())
    extra = extra_per_ticket * tickets_per_year
    return {"extra_customers_per_year": extra, "value_per_customer": value.value,
            "value_low": value.ci_low, "value_high": value.ci_high,
            "money_per_year": extra * value.value, "share_below_target": float((d["csat"] < target).mean())}


# ------------------------------------------------------------------ agents


def agent_comparison(tickets: pd.DataFrame, covariates=("channel", "category", "month")) -> dict:
    """Agents compared fairly on CSAT 4–5 (rated tickets) and on reopen rate (resolved
    tickets), adjusted for channel, category and month, shrunk, BH — the reps' method."""
    if "agent_id" not in tickets:
        return {}
    t = tickets[tickets["agent_id"].notna()].assign(month=tickets["opened_at"].dt.strftime("%Y-%m"))
    cov = [c for c in covariates if c in t]
    out = {}
    if "csat" in t and t["csat"].notna().any():
        rated = t[t["csat"].notna()].assign(top2=lambda x: x["csat"] >= 4)
        out["csat"] = compare.fair_comparison(rated, "agent_id", "top2", cov)
    if "reopened" in t and "resolved_at" in t:
        done = t[t["resolved_at"].notna()].assign(reopen=lambda x: x["reopened"].astype(bool))
        out["reopened"] = compare.fair_comparison(done, "agent_id", "reopen", cov,
                                                  higher_is_better=False)
    return out


# ------------------------------------------------------------------ everything


@dataclass
class ServiceResult:
    as_of: pd.Timestamp
    n_tickets: int
    dur: pd.DataFrame
    dur_business: pd.DataFrame | None  # None: no opening hours in params
    hours: tuple | None
    times: dict  # (kind, by, "calendar"|"business") -> summary frame
    curves: dict  # kind -> curves by channel
    reopen: pd.DataFrame | None
    reopen_overall: stats.Estimate | None
    per_100: pd.DataFrame | None
    backlog: pd.DataFrame
    csat_tickets: dict  # by -> frame (with response rates)
    csat_surveys: pd.DataFrame | None  # per month
    nps_surveys: pd.DataFrame | None  # per month
    nps_overall: NPS | None
    csat_survey_overall: stats.Estimate | None
    distributions: dict
    repurchase: pd.DataFrame | None
    csat_effect: LogitEffect | None
    resolution_effect: LogitEffect | None
    by_csat: pd.DataFrame | None
    by_resolution: pd.DataFrame | None
    money: dict | None
    agents: dict
    tickets_per_year: float


def as_of_date(tickets: pd.DataFrame, period_end) -> pd.Timestamp:
    end = pd.Timestamp(period_end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    ts = tickets.select_dtypes("datetime").max().max()
    return min(end, ts) if pd.notna(ts) else end


def analyze(tickets: pd.DataFrame, start, end, surveys: pd.DataFrame | None = None,
            orders: pd.DataFrame | None = None,
            hours: tuple[float, float, tuple[int, ...]] | None = None) -> ServiceResult:
    """Everything the service page shows, computed once (tickets opened in the period).

    `hours` = (open_hour, close_hour, weekdays) adds business-hours times; None leaves them out
    (the params give no opening hours)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)
    all_tickets = tickets
    tickets = tickets[(tickets["opened_at"] >= lo) & (tickets["opened_at"] < hi)]
    as_of = as_of_date(tickets, end)
    dur = durations(tickets, as_of)
    dur_b = durations(tickets, as_of, hours) if hours else None
    times, curves = {}, {}
    for kind in ("first_response", "resolution"):
        if f"{kind}_hours" not in dur:
            continue
        curves[kind] = time_curves(dur, kind, "channel") if "channel" in dur else pd.DataFrame()
        for by in (None, "channel", "category", "agent_id"):
            if by is None or by in dur:
                times[(kind, by, "calendar")] = time_summary(dur, kind, by)
                if dur_b is not None:
                    times[(kind, by, "business")] = time_summary(dur_b, kind, by)
    reopen = reopen_rates(tickets) if {"reopened", "channel"} <= set(tickets) else None
    reopen_overall = None
    if "reopened" in tickets:
        r = tickets[tickets["resolved_at"].notna()] if "resolved_at" in tickets else tickets
        lo_, hi_ = stats.wilson_interval(int(r["reopened"].sum()), len(r))
        reopen_overall = stats.Estimate(float(r["reopened"].mean()) if len(r) else np.nan,
                                        float(lo_), float(hi_), len(r))
    csat_t, dists = {}, {}
    if "csat" in tickets:
        asked = tickets["resolved_at"].notna() if "resolved_at" in tickets \
            else pd.Series(True, index=tickets.index)
        month = tickets["opened_at"].dt.to_period("M").dt.to_timestamp()
        csat_t["month"] = csat_by(tickets["csat"], month.rename("month"), asked).reset_index()
        for by in ("channel", "agent_id"):
            if by in tickets:
                csat_t[by] = csat_by(tickets["csat"], tickets[by].astype("string").fillna("(none)")
                                     .rename(by), asked).reset_index()
        dists[N_("ticket CSAT (1–5)")] = score_distribution(tickets["csat"], range(1, 6))
    csat_s = nps_s = nps_all = csat_all = None
    if surveys is not None:
        s = surveys[(surveys["answered_at"] >= lo) & (surveys["answered_at"] < hi)]
        month = s["answered_at"].dt.to_period("M").dt.to_timestamp().rename("month")
        cs, ns = s[s["scale"] == "csat"], s[s["scale"] == "nps"]
        if len(cs):
            csat_s = csat_by(cs["score"], month[cs.index]).reset_index()
            x = int((cs["score"] >= 4).sum())
            l_, h_ = stats.wilson_interval(x, len(cs))
            csat_all = stats.Estimate(x / len(cs), float(l_), float(h_), len(cs))
            dists[N_("survey CSAT (1–5)")] = score_distribution(cs["score"], range(1, 6))
        if len(ns):
            nps_s = nps_by(ns, month[ns.index]).reset_index()
            nps_all = nps(ns["score"])
            dists[N_("survey NPS (0–10)")] = score_distribution(ns["score"], range(0, 11))
    rf = eff = reff = by_c = by_r = money = None
    days = (hi - lo).days
    per_year = len(tickets) * 365 / days
    per_100 = None
    if orders is not None:
        per_100 = tickets_per_100_orders(tickets, orders, start, end)
        if "customer_id" in tickets:
            rf = repurchase_frame(all_tickets[all_tickets["opened_at"] < hi], orders, as_of)
            rf = rf[rf["opened_at"] >= lo - pd.Timedelta(days=365)]  # the last year of complete windows
            eff, reff = csat_effect(rf), resolution_effect(rf)
            by_c, by_r = repurchase_by_band(rf)
            money = csat_money(rf, eff, per_year)
    return ServiceResult(
        as_of=as_of, n_tickets=len(tickets), dur=dur, dur_business=dur_b, hours=hours,
        times=times, curves=curves, reopen=reopen, reopen_overall=reopen_overall,
        per_100=per_100, backlog=backlog(tickets, start, end), csat_tickets=csat_t,
        csat_surveys=csat_s, nps_surveys=nps_s, nps_overall=nps_all, csat_survey_overall=csat_all,
        distributions=dists, repurchase=rf, csat_effect=eff, resolution_effect=reff,
        by_csat=by_c, by_resolution=by_r, money=money, agents=agent_comparison(tickets),
        tickets_per_year=per_year,
    )

