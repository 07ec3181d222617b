"""Turn raw client columns (strings, Excel cells) into the contract's types.

Each function returns the converted Series and a boolean mask of values that were present
but could not be converted, so the loader can name example rows in its message.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from salesaudit.ingest.contract import DTYPES

TRUE = {"true", "t", "yes", "y", "1", "si", "sì", "x", "vero", "ja", "oui"}
FALSE = {"false", "f", "no", "n", "0", "falso", "nein", "non"}
# An offset right after a time of day ("14:06:53-0500", "10:00Z"); dates alone never match.
_UTC_OFFSET = r"(:\d\d(?:\.\d+)?)(?:Z|[+-]\d\d:?\d\d)$"
# Currency signs and spaces clients leave in money columns ("€ 1.234,50").
_MONEY_NOISE = re.compile(r"[€$£\s\u00a0]|EUR|USD|GBP")


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.mask(s == "")


def to_id(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Excel and parquet may hold ids as floats (1234.0): keep them as "1234".
    if pd.api.types.is_float_dtype(s) and bool((s.dropna() % 1 == 0).all()):
        s = s.astype("Int64")
    out = _blank_to_na(s)
    return out, pd.Series(False, index=s.index)


def to_datetime(s: pd.Series, fmt: str | None) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.tz_convert(None) if getattr(s.dt, "tz", None) is not None else s
        return out.astype("datetime64[ns]"), pd.Series(False, index=s.index)
    raw = _blank_to_na(s)
    if fmt is None or "%z" not in fmt:
        # Shop hours are local: "2017-01-28 14:06:53-0500" is read as 14:06:53, offset dropped
        # (mixed summer/winter offsets would otherwise shift hour slots).
        raw = raw.str.replace(_UTC_OFFSET, r"\1", regex=True)
    out = pd.to_datetime(raw, format=fmt or "ISO8601", errors="coerce", utc=True)
    out = out.dt.tz_convert(None).astype("datetime64[ns]")
    return out, raw.notna() & out.isna()


def to_number(s: pd.Series, decimal: str = ".", thousands: str | None = None):
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return s.astype("float64"), pd.Series(False, index=s.index)
    raw = _blank_to_na(s)
    text = raw.str.replace(_MONEY_NOISE, "", regex=True)
    if thousands:
        text = text.str.replace(thousands, "", regex=False)
    if decimal != ".":
        text = text.str.replace(decimal, ".", regex=False)
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    return out, raw.notna() & out.isna()


def to_count(s: pd.Series, decimal: str = ".", thousands: str | None = None):
    num, bad = to_number(s, decimal, thousands)
    fractional = num.notna() & (num % 1 != 0)
    out = num.where(~fractional).round().astype("Int64")
    return out, bad | fractional


def to_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    raw = _blank_to_na(s).str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[raw.isin(TRUE).fillna(False).to_numpy(bool)] = True
    out[raw.isin(FALSE).fillna(False).to_numpy(bool)] = False
    return out, raw.notna() & out.isna()


def to_category(s: pd.Series, lower: bool) -> tuple[pd.Series, pd.Series]:
    out = _blank_to_na(s)
    if lower:
        out = out.str.lower()
    return out, pd.Series(False, index=s.index)


def coerce(
    s: pd.Series, kind: str, *, date_format: str | None, decimal: str, thousands: str | None,
    lower: bool = False,
) -> tuple[pd.Series, np.ndarray]:
    """Convert one column to its contract kind; returns (values, unparseable mask)."""
    if kind == "id":
        out, bad = to_id(s)
    elif kind == "datetime":
        out, bad = to_datetime(s, date_format)
    elif kind in ("money", "number"):
        out, bad = to_number(s, decimal, thousands)
    elif kind == "count":
        out, bad = to_count(s, decimal, thousands)
    elif kind == "bool":
        out, bad = to_bool(s)
    elif kind in ("category", "text"):
        out, bad = to_category(s, lower=lower and kind == "category")
    else:  # pragma: no cover - the contract only has the kinds above
        raise ValueError(f"unknown kind {kind}")
    return out.astype(DTYPES[kind]), bad.fillna(False).astype(bool).to_numpy(np.bool_)
