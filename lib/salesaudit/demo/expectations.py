"""Exact expectations of the generating process, from the parameters only (closed form or
deterministic numerical integration): what truth.json states.
"""

from __future__ import annotations

import numpy as np
from scipy import signal, special, stats

from salesaudit.demo.base import CHANNELS, ONLINE_HOURS, Cal
from salesaudit.demo.customers import ACTIVE_SHARE_EXISTING, MEMBER_SHARE, PRE_MIX
from salesaudit.demo.leads import (
    FUNNEL,
    MAX_DAYS_TO_CONVERT,
    MEDIAN_DAYS_TO_WON,
    SIGMA_DAYS_TO_WON,
)
from salesaudit.demo.orders import (
    BASKET_MEDIAN,
    BASKET_SIGMA,
    BREAK_PROB,
    BREAK_WINDOW,
    COST_SHARE,
    INTERVAL_CLIP,
    INTERVAL_MEAN,
    INTERVAL_SHAPE,
    LOYALTY_DELTA,
    STATUS,
    plan_probabilities,
)


def _mu_cdf(x, ch: str):
    """P(mu <= x) for the clipped gamma of the purchase interval (atoms at the clips)."""
    lo, hi = INTERVAL_CLIP
    x = np.asarray(x, float)
    f = stats.gamma.cdf(x, INTERVAL_SHAPE, scale=INTERVAL_MEAN[ch] / INTERVAL_SHAPE)
    return np.where(x < lo, 0.0, np.where(x >= hi, 1.0, f))


def _int_journey_cdf(a, b, ch: str):
    """Integral over [a, b] of P(journey <= x), journey = min(lognormal, cap); closed form."""
    m, s, cap = MEDIAN_DAYS_TO_WON[ch], SIGMA_DAYS_TO_WON[ch], MAX_DAYS_TO_CONVERT

    def h(x):  # integral_0^x Phi((ln y - ln m) / s) dy, for 0 <= x <= cap
        x = np.asarray(x, float)
        out = np.zeros_like(x)
        pos = x > 0
        z = (np.log(x[pos]) - np.log(m)) / s
        out[pos] = x[pos] * special.ndtr(z) - m * np.exp(s * s / 2) * special.ndtr(z - s)
        return out

    a, b = np.asarray(a, float), np.asarray(b, float)
    return (h(np.clip(b, 0, cap)) - h(np.clip(a, 0, cap))
            + np.maximum(b, cap) - np.maximum(a, cap))


def _anchored_orders(w: np.ndarray, ch: str, pp: dict) -> np.ndarray:
    """Expected orders of a customer whose lattice starts w days before the end, by plan.

    Row T = ticket plan (0 none, ticket on order 1, 2, 3). Lattice count L = ceil(w / mu)
    (first order included), P(L >= k) = P(mu < w / (k - 1)); repeaters get max(L, 2);
    a ticket on order j = 2, 3 without repurchase stops the customer after order j.
    """
    w = np.asarray(w, float)
    kmax = int(np.ceil(w.max() / INTERVAL_CLIP[0])) + 2
    ge = [np.ones_like(w)] + [_mu_cdf(w / (k - 1), ch) for k in range(2, kmax + 1)]
    ge = np.array(ge)  # ge[k-1] = P(L >= k)
    e_rep = ge.sum(axis=0) + (1 - ge[1])  # E[max(L, 2)]
    pbar, q0 = pp["pbar"], pp["q0"]
    rows = [q0 + (1 - q0) * e_rep, (1 - pbar[1]) + pbar[1] * e_rep]
    for j in (2, 3):
        tail = ge[j:].sum(axis=0)  # E[(max(L,2) - j)^+] = sum_{k > j} P(L >= k)
        rows.append(e_rep - (1 - pbar[j]) * tail)
    return np.array(rows)


def _inv_mu_mean(ch: str) -> float:
    """E[1 / mu] for the clipped gamma, in closed form."""
    lo, hi = INTERVAL_CLIP
    a, th = INTERVAL_SHAPE, INTERVAL_MEAN[ch] / INTERVAL_SHAPE
    inner = (stats.gamma.cdf(hi, a - 1, scale=th) - stats.gamma.cdf(lo, a - 1, scale=th))
    inner /= th * (a - 1)
    return float(inner + _mu_cdf(lo, ch) / lo + (1 - _mu_cdf(hi - 1e-12, ch)) / hi)


def _breaker_loss(cal: Cal, ch: str) -> float:
    """E[1{>= 4 lattice orders before b} x lattice orders from b on] for an existing repeater.

    With u = phase / mu ~ U(0, 1), x = D / mu and y = b / mu the expectation over u is
    e (floor x - floor y) + min(e, frac x) - min(e, frac y), e = clip(y - 3, 0, 1); it is
    then summed over the break dates and integrated over mu on a fine grid.
    """
    lo, hi = INTERVAL_CLIP
    edges = np.linspace(lo, hi, 14_001)
    mids = (edges[1:] + edges[:-1]) / 2
    wts = np.diff(stats.gamma.cdf(edges, INTERVAL_SHAPE, scale=INTERVAL_MEAN[ch] / INTERVAL_SHAPE))
    mu = np.r_[lo, mids, hi]
    wt = np.r_[_mu_cdf(lo, ch), wts, 1 - _mu_cdf(hi - 1e-12, ch)]
    b = np.arange(cal.offset(BREAK_WINDOW[0]), cal.offset(BREAK_WINDOW[1]) + 1, dtype=float)
    x = cal.days / mu[:, None]
    y = b[None, :] / mu[:, None]
    e = np.clip(y - 3, 0, 1)
    fx, fy = x - np.floor(x), y - np.floor(y)
    val = e * (np.floor(x) - np.floor(y)) + np.minimum(e, fx) - np.minimum(e, fy)
    return float(wt @ val.mean(axis=1))


def expectations(cal: Cal, n: int, lam: dict) -> dict:
    """Expected new customers, orders per customer, 12-month value; from parameters only."""
    D = cal.days
    pp = plan_probabilities()
    pi, q0 = pp["pi"], pp["q0"]
    d = np.arange(D)
    h = 0.01  # grid step (days) for the won-time distribution of new customers
    v_edges = np.arange(0, MAX_DAYS_TO_CONVERT + 1 + h / 2, h)
    m_grid = (np.arange(int(round(D / h))) + 0.5) * h  # w grid, aligned with D - d - v
    out = {"new_customers": {}, "leads": {}, "p_win": {}, "orders_new": {}, "k12": {},
           "orders_pre_per_active": {}, "margin12": {}, "new_check": {}}
    hours = np.asarray(ONLINE_HOURS, float)
    comeback_w = hours[np.floor(((D - m_grid) % 1) * 24).astype(int)]
    comeback_w /= comeback_w.sum()  # density of w = D - comeback time on the grid
    base_mean = BASKET_MEDIAN * np.exp(BASKET_SIGMA ** 2 / 2)
    p_completed = dict(STATUS)["completed"]
    for ch in CHANNELS:
        p1, p2, p3 = FUNNEL[ch]
        pw = p1 * p2 * p3
        # created = d + u (u uniform in the day); won at created + journey, before D
        inside = _int_journey_cdf(D - d - 1, D - d, ch)
        out["leads"][ch] = float(lam[ch].sum())
        out["p_win"][ch] = pw
        out["new_customers"][ch] = float(pw * (lam[ch] @ inside))
        # V = u + journey has CDF F_V(v) = integral_{v-1}^{v} F_journey; w = (D - d) - V
        pmf = np.diff(_int_journey_cdf(v_edges - 1, v_edges, ch))
        lam_grid = np.zeros(int(round(D / h)) + 1)
        lam_grid[np.round((D - d) / h).astype(int)] = lam[ch]
        # mass[m] = sum_i lam[m + 1 + i] pmf[i]: new customers with w = (m + 0.5) h
        mass = signal.fftconvolve(lam_grid, pmf[::-1])[len(pmf): len(pmf) + len(m_grid)]
        parts = _anchored_orders(m_grid, ch, pp)
        out["orders_new"][ch] = float(pw * (mass @ (pi @ parts)))
        out["new_check"][ch] = float(pw * mass.sum())
        # Existing customers: stationary lattice (E[L] = D / mu) minus the breakers' loss;
        # ticketed ones come back at a uniform day with the online time-of-day profile.
        lattice = D * _inv_mu_mean(ch)
        pre = (pi[0] * (q0 + (1 - q0) * lattice)
               - pi[0] * (1 - q0) * BREAK_PROB * _breaker_loss(cal, ch))
        pre += pi[1:] @ (parts[1:] @ comeback_w)
        out["orders_pre_per_active"][ch] = float(pre)
        k12 = float(pi @ _anchored_orders(np.array([365.0]), ch, pp)[:, 0])
        out["k12"][ch] = k12
        per_order = (base_mean + MEMBER_SHARE * LOYALTY_DELTA) * (1 - COST_SHARE[ch]) * p_completed
        out["margin12"][ch] = k12 * per_order
    n_new = sum(out["new_customers"].values())
    active_pre = ACTIVE_SHARE_EXISTING * (n - n_new)
    orders_pre = active_pre * sum(PRE_MIX[c] * out["orders_pre_per_active"][c] for c in CHANNELS)
    orders_new = sum(out["orders_new"].values())
    out["orders_per_customer"] = (orders_pre + orders_new) / (active_pre + n_new)
    out["known_orders"] = orders_pre + orders_new
    out["active"] = active_pre + n_new
    out["base_mean"] = float(base_mean)
    out["plan"] = pp
    return out
