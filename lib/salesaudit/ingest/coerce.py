"""Turn raw client columns (strings, Excel cells) into the contract's types: the third step
of loading, after the file is read and reshaped.

Each column function returns the converted Series and a boolean mask of values that were
present but could not be converted; `table` maps the client's columns to the contract's,
converts each, and names example rows of unreadable values in its problems.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from salesaudit.errors import Problem
from salesaudit.ingest import contract
from salesaudit.ingest.contract import DTYPES
from salesaudit.ingest.read import line_name, quoted
from salesaudit.params import TableSource

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


# --------------------------------------------------------------------------- one table


def table(
    raw: pd.DataFrame, header: list[str], name: str, src: TableSource, path: Path,
    problems: list[Problem],
) -> pd.DataFrame:
    """The contract columns of a raw frame (named as the params map them) and the `keep`
    columns, each converted to its kind; an empty frame when required columns are missing.
    Problems (missing or unreadable columns) are added to `problems`."""
    t = contract.table(name)
    mapping = {canon: src.columns.get(canon, canon) for canon in t.names}
    present = {canon: client for canon, client in mapping.items() if client in raw.columns}
    suffix = path.suffix
    missing = [c for c in t.required if c not in present]
    seps = [c for c in (";", "\t", "|", ",") if len(header) == 1 and c in header[0]]
    if missing and seps:  # one wide column: the separator is wrong, not the names
        problems.append(Problem(
            name, "the file has a single column: the separator is wrong", file=str(path),
            examples=[f"header: {header[0][:120]}"],
            fix=f"the file looks separated by {seps[0]!r}: set tables.{name}.csv.sep: {seps[0]!r}",
        ))
        return pd.DataFrame()
    for canon in missing:
        client = mapping[canon]
        close = difflib.get_close_matches(client, header, n=1, cutoff=0.6)
        guess = f"'{close[0]}'" if close else "<your column>"
        fix = f"map it in params: tables.{name}.columns.{canon}: {guess}"
        problems.append(Problem(
            name, f"required column '{client}' is missing", file=str(path), column=canon,
            examples=[f"columns found: {', '.join(header[:15])}"
                      + (f" … ({len(header)} in all)" if len(header) > 15 else "")],
            fix=fix,
        ))
    if missing:
        return pd.DataFrame()
    key = t.key[0] if len(t.key) == 1 else None
    key_client = present.get(key) if key else None
    out = {}
    for canon, client in present.items():
        col = t.column(canon)
        values, bad = coerce(
            raw[client], col.kind, date_format=src.date_format, decimal=src.csv.decimal,
            thousands=src.csv.thousands, lower=col.allowed is not None,
        )
        if bad.any():
            problems.append(_unparseable(name, canon, client, col.kind, src, path, raw, bad,
                                         key_client, suffix))
        out[canon] = values
    for extra in src.keep:
        if extra not in raw.columns:
            problems.append(Problem(name, f"column '{extra}' listed in keep is not in the file",
                                    file=str(path), column=extra,
                                    fix=f"remove it from tables.{name}.keep or fix its name"))
            continue
        values, bad = coerce(raw[extra], t.extra_kind, date_format=src.date_format,
                             decimal=src.csv.decimal, thousands=src.csv.thousands)
        if bad.any():
            problems.append(_unparseable(name, extra, extra, t.extra_kind, src, path, raw, bad,
                                         key_client, suffix))
        out[extra] = values
    return pd.DataFrame(out, index=raw.index)


def _unparseable(name, canon, client, kind, src, path, raw, bad, key_client, suffix) -> Problem:
    fixes = {
        "datetime": f"set tables.{name}.date_format (e.g. '%d/%m/%Y'); now "
        f"{src.date_format or 'ISO 8601'}",
        "money": f"set tables.{name}.csv.decimal / csv.thousands (e.g. decimal: ',', "
        "thousands: '.')",
        "number": f"set tables.{name}.csv.decimal / csv.thousands",
        "count": "counts must be whole numbers",
        "bool": "use true/false, yes/no, sì/no or 1/0",
    }
    return Problem(
        name, f"{int(bad.sum()):,} value(s) cannot be read as {kind}", file=str(path),
        column=canon if canon == client else f"{canon} (file column '{client}')",
        examples=_examples(raw, bad, client, key_client, suffix), fix=fixes.get(kind, ""),
    )


def _examples(raw: pd.DataFrame, mask, column: str, key: str | None, suffix: str) -> list[str]:
    idx = raw.index[mask][:5]
    out = []
    for i in idx:
        ident = f" ({key}={quoted(raw.at[i, key])})" if key and key in raw and key != column else ""
        out.append(f"{line_name(int(i), suffix)}: {column}={quoted(raw.at[i, column])}{ident}")
    return out
