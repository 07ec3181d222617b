"""Customer-lifetime modelling: the one home for BG/NBD, Gamma-Gamma and CLV.

`customer_summary` builds the per-customer sufficient statistics the `lifetimes` fitters
need (frequency, recency, T, monetary_value) with exactly the definitions of
`lifetimes.utils.summary_data_from_transaction_data`, but vectorized with numpy so it runs
on tens of millions of orders:

- Time is cut into periods of `freq` ("D" = calendar days, "W" = calendar weeks Monday to
  Sunday, as pandas' `to_period("W")`); several orders in one period count as one purchase
  whose value is their sum. Orders after `observation_end`'s period are ignored.
- frequency = number of periods with a purchase minus one (repeat purchases);
  recency = last purchase period − first purchase period; T = observation_end's period −
  first purchase period; both divided by `freq_multiplier` (use freq="D",
  freq_multiplier=7 for weeks measured to the day, as in Fader, Hardie & Lee 2005).
- monetary_value = mean value of the repeat purchases (the first is excluded), 0 for
  customers without a repeat purchase.

Orders without a customer id or a date are ignored (they cannot be attributed).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesaudit import arrow
from salesaudit.i18n import _

_NS_PER_DAY = 86_400 * 10**9
_DAYS = {"D": 1, "W": 7}
# lifetimes' customer_lifetime_value wants the model's time unit as one of these codes.
_LIFETIMES_UNIT = {1: "D", 7: "W"}


def _periods(dates: pd.Series, freq: str) -> np.ndarray:
    """Integer period number of each timestamp: days since 1970-01-01, or Monday-based weeks."""
    if freq not in _DAYS:
        raise ValueError(f"freq must be 'D' or 'W', got {freq!r}")
    ns = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]").astype("int64")
    days = ns // _NS_PER_DAY  # floor division: correct before 1970 too
    # 1970-01-01 was a Thursday: shifting by 3 days puts week boundaries on Mondays.
    return days if freq == "D" else (days + 3) // 7


def _period_of(ts, freq: str) -> int:
    return int(_periods(pd.Series([pd.Timestamp(ts)]), freq)[0])


def _summary(
    customers: pd.Series,
    periods: np.ndarray,
    values: np.ndarray | None,
    end_period: int,
    freq_multiplier: float,
    customer_col: str,
) -> pd.DataFrame:
    """Core of customer_summary on already-filtered rows (periods <= end_period)."""
    codes, uniques = arrow.sorted_codes(customers)  # sorted ids, as lifetimes' groupby
    n_cust = len(uniques)
    if n_cust == 0:
        cols = ["frequency", "recency", "T"] + (["monetary_value"] if values is not None else [])
        return pd.DataFrame(columns=cols, index=pd.Index(uniques, name=customer_col), dtype=float)
    pmin = periods.min()
    span = int(periods.max() - pmin) + 1
    key = codes.astype("int64") * span + (periods - pmin)
    # One row per (customer, period) with a purchase, sorted by customer then period
    # (a sort is faster than hashing for 10M keys).
    order = np.argsort(key)
    skey = key[order]
    starts = arrow.run_starts(skey)
    ukey = skey[starts]
    cust = ukey // span
    per = ukey % span + pmin
    count = np.bincount(cust, minlength=n_cust)
    first_idx = np.concatenate(([0], np.cumsum(count)[:-1]))
    last_idx = first_idx + count - 1
    out = pd.DataFrame(
        {
            "frequency": (count - 1).astype(float),
            "recency": (per[last_idx] - per[first_idx]) / freq_multiplier,
            "T": (end_period - per[first_idx]) / freq_multiplier,
        },
        index=pd.Index(uniques, name=customer_col),
    )
    if values is not None:
        period_value = np.add.reduceat(np.nan_to_num(values)[order], starts)
        repeat = np.ones(len(ukey), dtype=bool)
        repeat[first_idx] = False
        repeat_sum = np.bincount(cust[repeat], weights=period_value[repeat], minlength=n_cust)
        with np.errstate(invalid="ignore", divide="ignore"):
            mv = np.where(count > 1, repeat_sum / np.maximum(count - 1, 1), 0.0)
        out["monetary_value"] = mv
    return out.astype(float)


def customer_summary(
    orders: pd.DataFrame,
    observation_end,
    freq: str = "D",
    calibration_end=None,
    freq_multiplier: float = 1,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    value_col: str | None = "revenue",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary_value (see the module docstring).

    Without `calibration_end`: identical to `lifetimes.utils.summary_data_from_transaction_data`
    (index = customer id, sorted). With `calibration_end`: identical to
    `lifetimes.utils.calibration_and_holdout_data` — the calibration statistics (suffix `_cal`,
    orders up to `calibration_end`) of customers seen by then, and their holdout
    `frequency_holdout` (periods with a purchase after `calibration_end` up to
    `observation_end`), `monetary_value_holdout` (mean order value there) and
    `duration_holdout` (holdout length in units).
    """
    if value_col is not None and value_col not in orders.columns:
        value_col = None
    cust = orders[customer_col]
    dates = pd.to_datetime(orders[date_col])
    ok = cust.notna().to_numpy() & dates.notna().to_numpy()
    cust, dates = cust[ok], dates[ok]
    values = orders[value_col][ok].to_numpy(dtype=float, na_value=np.nan) if value_col else None

    if calibration_end is None:
        end = _period_of(observation_end, freq)
        per = _periods(dates, freq)
        m = per <= end
        return _summary(cust[m], per[m], None if values is None else values[m], end,
                        freq_multiplier, customer_col)

    cal_ts, obs_ts = pd.Timestamp(calibration_end), pd.Timestamp(observation_end)
    cal_end, obs_end = _period_of(cal_ts, freq), _period_of(obs_ts, freq)
    per = _periods(dates, freq)
    in_cal = (dates <= cal_ts).to_numpy()  # lifetimes cuts calibration on raw timestamps
    cal = _summary(cust[in_cal], per[in_cal], None if values is None else values[in_cal],
                   cal_end, freq_multiplier, customer_col)
    cal.columns = [c + "_cal" for c in cal.columns]

    in_hold = ((dates > cal_ts) & (dates <= obs_ts)).to_numpy()
    if not in_hold.any():
        raise ValueError(_("no orders between calibration_end and observation_end"))
    h_cust, h_ids = arrow.sorted_codes(cust[in_hold])  # integer codes: no id strings hashed
    h = pd.DataFrame({"c": h_cust, "p": per[in_hold]})
    freq_h = h.drop_duplicates().groupby("c", sort=True).size()
    freq_h.index = h_ids[freq_h.index.to_numpy()]
    out = cal.copy()
    out["frequency_holdout"] = freq_h.reindex(out.index).fillna(0).to_numpy(dtype=float)
    if values is not None:
        mv_h = pd.Series(values[in_hold]).groupby(h_cust, sort=True).mean()
        mv_h.index = h_ids[mv_h.index.to_numpy()]
        out["monetary_value_holdout"] = mv_h.reindex(out.index).fillna(0).to_numpy(dtype=float)
    out["duration_holdout"] = (obs_end - cal_end) / freq_multiplier
    return out


def _fmr(summary: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """frequency, recency, T of a summary (calibration columns when present)."""
    sfx = "_cal" if "frequency_cal" in summary.columns else ""
    return summary["frequency" + sfx], summary["recency" + sfx], summary["T" + sfx]


def collapse(*columns, weights=None) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of `columns` and their total weight (1 per row by default).

    BG/NBD depends on a customer only through (frequency, recency, T), and Gamma-Gamma
    through (frequency, monetary value): fitting the distinct rows weighted by how many
    customers have them is the same likelihood, and much faster (two million customers
    observed in days have a few hundred thousand distinct rows). A bootstrap replicate is
    the same fit with each customer's weight = how often the resample drew them."""
    keys = pd.DataFrame({i: np.asarray(c, dtype=float) for i, c in enumerate(columns)})
    codes = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()  # hashing, no tuples
    first = np.unique(codes, return_index=True)[1]  # row of each distinct key, by code
    w = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=float)
    total = np.bincount(codes, weights=w, minlength=len(first))
    keep = total > 0
    return [keys[i].to_numpy()[first[keep]] for i in keys.columns], total[keep]


def fit_bgnbd(summary: pd.DataFrame, penalizer: float = 0.0, weights=None, initial=None,
              tolerances=(1e-7, 1e-5, 1e-4, 1e-3)):
    """Fit a BG/NBD model (lifetimes.BetaGeoFitter); returns the fitted model.

    `model.params_` holds r, alpha, a, b; `model.summary` their standard errors and intervals.
    `weights` (one per customer, e.g. bootstrap counts) and `initial` (log parameters, a warm
    start) are passed on; the fit runs on the distinct rows (see `collapse`).
    """
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    (f, r, t), w = collapse(*_fmr(summary), weights=weights)
    # When almost nobody drops out, the drop-out parameter a runs towards 0, where the optimizer
    # stops on precision loss although the likelihood is already flat: first accept that
    # optimum with looser tolerances (no bias), and only then add a small penalty. What was
    # used is in `model.penalizer_coef` and `model.tol_`.
    attempts = [(penalizer, tol) for tol in tolerances]
    attempts += [(p, 1e-7) for p in (0.001, 0.01, 0.1) if p > penalizer]
    for pen, tol in attempts:
        model = BetaGeoFitter(penalizer_coef=pen)
        try:
            # lifetimes prints the optimizer's state when it fails: keep it off the report.
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")  # lifetimes' noise under new pandas
                model.fit(f.astype(int), r, t, weights=w, verbose=False, tol=tol,
                          initial_params=initial)
            model.tol_ = tol
            return model
        except ConvergenceError:
            continue
    raise ConvergenceError(_("BG/NBD did not converge even with a penalizer of 0.1"))


def bgnbd_params(model) -> dict[str, float]:
    return {k: float(v) for k, v in model.params_.items()}


def p_alive(model, summary: pd.DataFrame) -> pd.Series:
    """P(customer still active) at the end of the observation, per customer (BG/NBD)."""
    f, r, t = _fmr(summary)
    p = model.conditional_probability_alive(f.to_numpy(), r.to_numpy(), t.to_numpy())
    return pd.Series(np.asarray(p, dtype=float), index=summary.index, name="p_alive")


def expected_purchases(model, summary: pd.DataFrame, t: float) -> pd.Series:
    """Expected number of purchases in the next `t` time units, per customer (BG/NBD)."""
    f, r, tt = _fmr(summary)
    e = model.conditional_expected_number_of_purchases_up_to_time(
        t, f.to_numpy(), r.to_numpy(), tt.to_numpy())
    return pd.Series(np.asarray(e, dtype=float), index=summary.index, name="expected_purchases")


def fit_gamma_gamma(summary: pd.DataFrame, penalizer: float = 0.0, weights=None,
                    initial=None, tol: float = 1e-7):
    """Fit the Gamma-Gamma spend model on customers with a repeat purchase of positive value.

    Returns the fitted lifetimes.GammaGammaFitter (params_: p, q, v). The model assumes spend
    is independent of purchase frequency: check `frequency_spend_correlation` first.
    `weights` (one per customer) and `initial` are as in `fit_bgnbd`.
    """
    from lifetimes import GammaGammaFitter

    sfx = "_cal" if "frequency_cal" in summary.columns else ""
    f, m = summary["frequency" + sfx], summary["monetary_value" + sfx]
    ok = ((f > 0) & (m > 0)).to_numpy()
    (fu, mu), w = collapse(f[ok], m[ok], weights=None if weights is None else np.asarray(weights)[ok])
    model = GammaGammaFitter(penalizer_coef=penalizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(fu.astype(int), mu, weights=w, tol=tol, initial_params=initial)
    return model


def frequency_spend_correlation(summary: pd.DataFrame) -> float:
    """Pearson correlation of frequency and monetary value among repeat customers."""
    rep = summary[summary["frequency"] > 0]
    if len(rep) < 3:
        return float("nan")
    return float(np.corrcoef(rep["frequency"], rep["monetary_value"])[0, 1])


def predicted_clv(
    bgf,
    ggf,
    summary: pd.DataFrame,
    months: int = 12,
    discount_rate: float = 0.01,
    unit_days: int = 1,
) -> pd.Series:
    """Discounted expected revenue per customer over the next `months` (BG/NBD × Gamma-Gamma).

    `discount_rate` is per month (0.01 ≈ 12.7% a year); `unit_days` is the time unit the
    summary was built in (1 for freq="D", 7 for weeks).
    """
    if unit_days not in _LIFETIMES_UNIT:
        raise ValueError("unit_days must be 1 (days) or 7 (weeks)")
    f, r, t = _fmr(summary)
    sfx = "_cal" if "frequency_cal" in summary.columns else ""
    m = summary["monetary_value" + sfx]
    clv = ggf.customer_lifetime_value(
        bgf, f, r, t, m, time=months, discount_rate=discount_rate,
        freq=_LIFETIMES_UNIT[unit_days])
    return pd.Series(np.asarray(clv, dtype=float), index=summary.index, name="clv")


@dataclass(frozen=True)
class HoldoutCheck:
    by_frequency: pd.DataFrame  # group, n, actual_mean, predicted_mean, actual, predicted
    per_customer: pd.DataFrame  # calibration summary + frequency_holdout + predicted
    params: dict[str, float]
    actual_total: float
    predicted_total: float
    penalizer: float = 0.0  # the penalty the fit needed (see fit_bgnbd)


def holdout_check(
    orders: pd.DataFrame,
    calibration_end,
    observation_end,
    freq: str = "D",
    freq_multiplier: float = 7,
    max_group: int = 7,
    penalizer: float = 0.0,
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
) -> HoldoutCheck:
    """Fit BG/NBD up to `calibration_end`, predict each customer's repeat purchases in the
    holdout up to `observation_end`, and compare with what they did, by number of repeat
    purchases in calibration (0, 1, …, `max_group`+). Customers first seen in the holdout
    are not part of the check (the model has not seen them)."""
    s = customer_summary(orders, observation_end, freq=freq, calibration_end=calibration_end,
                         freq_multiplier=freq_multiplier, customer_col=customer_col,
                         date_col=date_col, value_col=None)
    model = fit_bgnbd(s, penalizer=penalizer)
    duration = float(s["duration_holdout"].iloc[0]) if len(s) else 0.0
    s["predicted_holdout"] = expected_purchases(model, s, duration).to_numpy()
    grp = np.minimum(s["frequency_cal"].to_numpy(), max_group).astype(int)
    labels = pd.Series(grp.astype(str), index=s.index)
    labels[grp == max_group] = f"{max_group}+"
    s["group"] = labels
    g = s.groupby(grp, sort=True)
    table = pd.DataFrame({
        "group": g["group"].first().to_numpy(),
        "n": g.size().to_numpy(),
        "actual": g["frequency_holdout"].sum().to_numpy(),
        "predicted": g["predicted_holdout"].sum().to_numpy(),
    })
    table["actual_mean"] = table["actual"] / table["n"]
    table["predicted_mean"] = table["predicted"] / table["n"]
    return HoldoutCheck(
        by_frequency=table,
        per_customer=s,
        params=bgnbd_params(model),
        actual_total=float(s["frequency_holdout"].sum()),
        predicted_total=float(s["predicted_holdout"].sum()),
        penalizer=float(model.penalizer_coef),
    )


def half_period(start, end) -> pd.Timestamp:
    """Last day of the first half of an audited period: the calibration end of a holdout check
    (CDNOW, 1997-01-01 to 1998-06-30: 1997-09-30, the published 39 + 39 weeks)."""
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    days = (end - start).days + 1
    return start + pd.Timedelta(days=(days + 1) // 2 - 1)
