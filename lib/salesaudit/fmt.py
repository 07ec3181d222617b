"""How numbers look in the report: rates with intervals, money, counts, days.

One home for formatting so every page writes "24.1% (23.0%–25.2%, n = 1,234)" alike. Digits,
separators and currency signs follow the report's locale (Babel): `set_locale("it_IT")`
gives "24,1% (23,0%–25,2%, n = 1.234)" and "1.234 €". `notebook.start` sets it from params.
"""

from __future__ import annotations

import math

from babel import Locale, UnknownLocaleError, dates, numbers

DEFAULT_LOCALES = {"en": "en_US", "it": "it_IT"}
_locale = Locale.parse("en_US")


def set_locale(name: str) -> None:
    """Format every number from now on for `name` (e.g. "it_IT", "en_GB")."""
    global _locale
    _locale = parse_locale(name)


def parse_locale(name: str) -> Locale:
    try:
        return Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as err:
        raise ValueError(f"unknown locale {name!r} (e.g. it_IT, en_US, en_GB)") from err


def current_locale() -> str:
    return str(_locale)


def _digits(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 1) -> str:
    if _missing(x):
        return "–"
    return numbers.format_percent(x, _digits(digits) + "%", locale=_locale)


def count(n) -> str:
    return "–" if _missing(n) else numbers.format_decimal(int(n), "#,##0", locale=_locale)


def money(x, currency: str = "EUR", digits: int = 0) -> str:
    if _missing(x):
        return "–"
    # The locale's own currency pattern (sign before or after), with our number of decimals.
    pattern = _locale.currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace("#,##0.00", _digits(digits))
    return numbers.format_currency(x, currency, format=pattern, locale=_locale,
                                   currency_digits=False)


def number(x, digits: int = 1) -> str:
    return "–" if _missing(x) else numbers.format_decimal(x, _digits(digits), locale=_locale)


_percent = pct  # `signed`'s `pct` argument hides the function


def signed(x, digits: int = 1, pct: bool = False) -> str:
    """A difference with its sign: '+6.1', '-0.4', '+12.0%' (`pct`: x is a share)."""
    if _missing(x):
        return "–"
    body = _percent(x, digits) if pct else number(x, digits)
    if body.startswith(("-", "−", numbers.get_minus_sign_symbol(_locale))):
        return body
    return numbers.get_plus_sign_symbol(_locale) + body


def sig(x, digits: int | None = 2) -> str:
    """'0.032', '3.9E-10': `digits` significant digits (p- and q-values); `None` writes it
    as Python's 'g' format would (6 digits, scientific when very small or large)."""
    if _missing(x):
        return "–"
    digits = digits or 6
    # Python rounds and picks plain or scientific notation as 'g' does; Babel writes it.
    text = format(float(x), f".{digits}g")
    if "e" in text:
        pattern = "0" + ("." + "#" * (digits - 1) if digits > 1 else "") + "E0"
        return numbers.format_scientific(float(text), pattern, locale=_locale)
    value = float(text)
    # Babel writes a significant-digits 0 as '0.0' ('g': '0') and cannot round infinity.
    pattern = "0" if value == 0 or math.isinf(value) else "@" + "#" * (digits - 1)
    return numbers.format_decimal(value, pattern, locale=_locale)


def decimal_mark() -> str:
    """The locale's decimal mark, for tables pandas formats itself
    (`Styler.format(precision=2, decimal=fmt.decimal_mark())`)."""
    return numbers.get_decimal_symbol(_locale)


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
    return f"p < {number(0.001, 3)}" if p < 0.001 else f"p = {sig(p)}"


def date(d) -> str:
    """A date in the locale's medium format: 'Jan 31, 2025', '31 gen 2025'."""
    return "–" if d is None else dates.format_date(d, "medium", locale=_locale)


def period(start, end) -> str:
    """'Jan 1, 2025 – Dec 31, 2025' / '1 gen 2025 – 31 dic 2025'."""
    return f"{date(start)} – {date(end)}"


def timestamp_utc(t) -> str:
    """A UTC time of day after its date: 'Nov 23, 2026 22:10 UTC'."""
    return f"{date(t)} {t:%H:%M} UTC"
