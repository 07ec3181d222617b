"""How numbers look in the report: rates with intervals, money, counts, days.

One home for formatting so every page writes "24.1% (95% CI 23.0–25.2%, n = 1,234)" alike.
"""

from __future__ import annotations

import math

CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 1) -> str:
    return "–" if _missing(x) else f"{100 * x:.{digits}f}%"


def count(n) -> str:
    return "–" if _missing(n) else f"{int(n):,}"


def money(x, currency: str = "EUR", digits: int = 0) -> str:
    if _missing(x):
        return "–"
    sign = CURRENCY_SIGNS.get(currency)
    body = f"{abs(x):,.{digits}f}"
    neg = "-" if x < 0 else ""
    return f"{neg}{sign}{body}" if sign else f"{neg}{body} {currency}"


def number(x, digits: int = 1) -> str:
    return "–" if _missing(x) else f"{x:,.{digits}f}"


def interval(lo, hi, fmt=pct) -> str:
    return "" if _missing(lo) or _missing(hi) else f"{fmt(lo)}–{fmt(hi)}"


def rate_ci(rate, lo, hi, n=None, digits: int = 1) -> str:
    """'24.1% (23.0–25.2%, n = 1,234)': a rate is never shown without its interval and n."""
    body = pct(rate, digits)
    ci = "" if _missing(lo) else f"{pct(lo, digits)}–{pct(hi, digits)}"
    tail = ", ".join(p for p in [ci, "" if n is None else f"n = {count(n)}"] if p)
    return f"{body} ({tail})" if tail else body


def value_ci(value, lo, hi, unit: str = "", n=None, digits: int = 1) -> str:
    tail = [] if _missing(lo) else [f"{number(lo, digits)}–{number(hi, digits)}"]
    if n is not None:
        tail.append(f"n = {count(n)}")
    body = f"{number(value, digits)}{(' ' + unit) if unit else ''}"
    return f"{body} ({', '.join(tail)})" if tail else body


def pvalue(p) -> str:
    """'p = 0.032', 'p < 0.001': never 'p = 0'."""
    if _missing(p):
        return "p = –"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"
