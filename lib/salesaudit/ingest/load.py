"""Read a client's files, map their columns, coerce types, validate, and cache.

`load(params)` is the only way notebooks get data. Hard problems (a broken contract rule)
are collected across all tables and raised together as one `DataError`; soft problems
(duplicated rows, future dates, outliers, rows outside the period) come back as the
`quality` table for the reporting notebook's data-quality section.

Validated tables are cached as parquet under build/<client>/tables, keyed by the params,
the files' sizes and modification times and the library version, so every notebook of a
run reads them once and fast.
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

import salesaudit
from salesaudit import arrow, fingerprint, paths
from salesaudit.errors import DataError, IsolationError, Problem
from salesaudit.i18n import N_
from salesaudit.ingest import contract, reshape
from salesaudit.ingest.coerce import coerce
from salesaudit.params import AuditParams, Join, TableSource

READERS = (".csv", ".csv.gz", ".txt", ".parquet", ".xlsx", ".xls")
QUALITY_COLUMNS = ["table", "column", "check", "rows", "share", "examples", "action"]
# The table cache must not survive a change to the loading rules themselves.
LOADER_CODE = fingerprint.library(["ingest/load.py", "ingest/coerce.py", "ingest/contract.py", "params.py",
                                  "ingest/reshape.py"])


class CachedTables(Mapping):
    """The tables of a cache folder, each read from its parquet file when first asked for:
    a notebook holds only the tables it uses (a large client's orders and touches are
    gigabytes in memory; six kernels each holding all of them would not fit)."""

    def __init__(self, folder: Path, rows: dict[str, int]):
        self.folder, self.rows = folder, rows
        self._loaded: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._loaded:
            self._loaded[name] = self.read(name)
        return self._loaded[name]

    def read(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The table from its parquet file, not kept; `columns`: only those it has."""
        if name not in self.rows:
            raise KeyError(name)
        if columns is not None and name in self._loaded:
            return _only(self._loaded[name], columns)
        path = self.folder / f"{name}.parquet"
        try:
            if columns is not None:
                import pyarrow.parquet as pq

                names = pq.read_schema(path).names
                columns = [c for c in columns if c in names]
            return pd.read_parquet(path, columns=columns)
        except FileNotFoundError as err:
            raise DataError([Problem(name, "the table cache changed while this notebook ran "
                                     "(another run of the same client rebuilt it)",
                                     file=str(self.folder), fix="run the notebook again")]) from err

    def __contains__(self, name) -> bool:  # Mapping's default would read the table
        return name in self.rows

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def passing(self) -> Mapping[str, pd.DataFrame | TableColumns]:
        """The same tables for one pass of checks over all of them (data quality): a table
        a notebook already holds as it is, any other as `TableColumns`, read a column at a
        time and not kept."""
        return _Passing(self)


def _only(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return df[[c for c in columns if c in df]]  # copy-on-write: shares the data


class TableColumns:
    """A cached table read a column (or a few) at a time, for checks that look at one column
    at a time: a large client's touches or orders whole are gigabytes. Supports what such
    checks use: `columns`, `len()`, `in`, `t[column]` (a Series) and `t[[columns]]`."""

    def __init__(self, cached: CachedTables, name: str):
        import pyarrow.parquet as pq

        self.cached, self.name = cached, name
        try:
            self.columns = pd.Index(pq.read_schema(cached.folder / f"{name}.parquet").names)
        except FileNotFoundError:
            cached.read(name)  # raises the clear "the cache changed" error
            raise

    def __len__(self) -> int:
        return self.cached.rows[self.name]

    def __contains__(self, column) -> bool:
        return column in self.columns

    def __getitem__(self, key: str | list[str]) -> pd.Series | pd.DataFrame:
        df = self.cached.read(self.name, [key] if isinstance(key, str) else list(key))
        return df[key]


class _Passing(Mapping):
    def __init__(self, cached: CachedTables):
        self.cached = cached

    def __getitem__(self, name: str) -> pd.DataFrame | TableColumns:
        if name not in self.cached:
            raise KeyError(name)
        loaded = self.cached._loaded.get(name)
        return TableColumns(self.cached, name) if loaded is None else loaded

    def __contains__(self, name) -> bool:
        return name in self.cached

    def __iter__(self):
        return iter(self.cached.rows)

    def __len__(self) -> int:
        return len(self.cached.rows)


@dataclass
class AuditData:
    """The validated tables of one client (missing tables are absent), and their quality.
    `tables` is a mapping; from the cache its tables are read on first use."""

    params: AuditParams
    tables: Mapping[str, pd.DataFrame]
    quality: pd.DataFrame
    sources: dict[str, str] = field(default_factory=dict)  # table -> file path
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows, without reading it

    def get(self, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame | None:
        """The table (None when the client has none). `columns`: only those of them it has
        — what a page uses; a large client's full orders or touches are gigabytes."""
        contract.table(name)  # a typo in a notebook fails loudly
        if columns is None or name not in self.tables:
            return self.tables.get(name)
        columns = list(dict.fromkeys(columns))  # each once, in order
        if isinstance(self.tables, CachedTables):
            return self.tables.read(name, columns)
        return _only(self.tables[name], columns)

    def has(self, name: str, *columns: str) -> bool:
        """Whether the client has the table and, in it, each of `columns` with a value."""
        df = self.get(name, columns=columns)  # only those columns are read
        return df is not None and all(c in df and df[c].notna().any() for c in columns)

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if n not in self.tables]

    def all_tables(self) -> Mapping[str, pd.DataFrame]:
        """Every table, for one pass over all of them, without holding them all in memory
        at once (from the cache each is read when reached and then let go)."""
        return self.tables.passing() if isinstance(self.tables, CachedTables) else self.tables

    def row_counts(self) -> list[tuple[str, int]]:
        return [(n, self.rows[n] if n in self.rows else len(self.tables[n])) for n in self.tables]


# --------------------------------------------------------------------------- files


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _named_file(params: AuditParams, name: str, file: str, key: str) -> Path:
    """A file named in params, which must exist inside the client's data folder."""
    folder = params.data_path
    path = folder / file
    if not _inside(path, folder):
        raise IsolationError(
            f"{name}: {key} points outside the client's data folder\n"
            f"  file:    {file} -> {path.resolve()}\n"
            f"  folder:  {folder}\n"
            f"  fix:     copy the file into {folder} and name it relative to that folder"
        )
    if not path.is_file():
        raise DataError([Problem(
            name, "the file named in params does not exist", file=str(path),
            fix=f"check {key}; files there: "
            + ", ".join(sorted(p.name for p in folder.iterdir())[:20]),
        )])
    return path


def find_file(params: AuditParams, name: str) -> Path | None:
    """The file of a table: named in params, else `<table>.<ext>` in the data folder."""
    folder = params.data_path
    src = params.source(name)
    if src.file:
        return _named_file(params, name, src.file, f"tables.{name}.file")
    found = [folder / f"{name}{ext}" for ext in READERS if (folder / f"{name}{ext}").is_file()]
    if len(found) > 1:
        raise DataError(
            [
                Problem(
                    name,
                    "more than one file for this table",
                    file=", ".join(p.name for p in found),
                    fix=f"keep one, or name the one to use in params: tables.{name}.file",
                )
            ]
        )
    if found and not _inside(found[0], folder):
        raise IsolationError(f"{name}: {found[0]} is a link to a file outside {folder}")
    return found[0] if found else None


MAX_LINE_BYTES = 10 * 2**20  # a CSV line longer than this is not a table row


def _longest_line(path: Path, chunk: int = 16 * 2**20) -> tuple[int, int]:
    """(length, line number) of the longest line, scanning in chunks so that a file with a
    gigabyte-long line is rejected without ever holding that line in memory."""
    longest, where, run, line = 0, 0, 0, 1
    with path.open("rb") as f:
        while block := f.read(chunk):
            nl = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
            if len(nl) == 0:
                run += len(block)
            else:
                lengths = np.diff(nl, prepend=-1) - 1
                lengths[0] += run
                i = int(lengths.argmax())
                if lengths[i] > longest:
                    longest, where = int(lengths[i]), line + i
                line += len(nl)
                run = len(block) - int(nl[-1]) - 1
            if run > longest:
                longest, where = run, line
            if longest > MAX_LINE_BYTES:
                break
    return longest, where


def _read_raw(
    path: Path, name: str, src: TableSource | Join, wanted: set[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """Read the wanted columns with every cell as text (CSV) or as stored (parquet, Excel).

    Also returns every column name of the file, for messages about missing columns."""
    if path.stat().st_size == 0:
        raise DataError([Problem(name, "the file is empty", file=str(path),
                                 fix="export the table again, with its header row")])
    suffix = "".join(path.suffixes[-2:]) if path.name.endswith(".csv.gz") else path.suffix
    keep = (lambda c: c.strip().lstrip("\ufeff") in wanted) if wanted else None
    if suffix in (".csv", ".txt"):
        longest, line = _longest_line(path)
        if longest > MAX_LINE_BYTES:
            raise DataError([Problem(
                name, f"line {line:,} is longer than {MAX_LINE_BYTES // 2**20} MB: this is not "
                "a table of rows (a binary file, or line breaks lost in the export)",
                file=str(path), fix="export the table again as CSV with one row per line")])
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            header = pq.read_schema(path).names
            df = pd.read_parquet(path, columns=[c for c in header if keep is None or keep(c)])
        elif suffix in (".xlsx", ".xls"):
            df = pd.read_excel(path, sheet_name=src.sheet or 0, dtype=object)
            header = [str(c) for c in df.columns]
            df = df[[c for c in df.columns if keep is None or keep(str(c))]]
        else:
            opts = dict(sep=src.csv.separator, encoding=src.csv.encoding, dtype=str,
                        keep_default_na=False, engine="c")
            if not src.csv.header:
                opts.update(header=None, names=src.csv.names)
            header = list(pd.read_csv(path, nrows=0, **opts).columns)
            df = pd.read_csv(path, usecols=keep, low_memory=False, **opts)
    except Exception as err:  # every reader fails differently; all become one clear message
        raise DataError([_read_problem(name, path, src, err)]) from None
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    return df, [str(c).strip().lstrip("\ufeff") for c in header]


def _read_problem(name: str, path: Path, src: TableSource | Join, err: Exception) -> Problem:
    key = f"tables.{name}"
    if isinstance(err, UnicodeDecodeError):
        return Problem(name, f"the file is not in the {src.csv.encoding} encoding ({err.reason})",
                       file=str(path), fix=f"set {key}.csv.encoding to the file's encoding, "
                       "e.g. latin-1 or cp1252")
    if isinstance(err, pd.errors.ParserError):
        return Problem(name, f"the file cannot be parsed as CSV: {err}".strip(), file=str(path),
                       fix=f"check {key}.csv.sep (now {src.csv.sep!r}) and the quoting")
    if isinstance(err, ValueError) and "worksheet" in str(err).lower():
        return Problem(name, f"Excel sheet not found: {err}", file=str(path),
                       fix=f"set {key}.sheet to one of the workbook's sheets")
    if isinstance(err, LookupError):
        return Problem(name, f"unknown encoding: {err}", file=str(path),
                       fix=f"set {key}.csv.encoding to utf-8, utf-8-sig, latin-1 or cp1252")
    return Problem(name, f"the file cannot be read ({type(err).__name__}: {err})",
                   file=str(path), fix="check that the file is a CSV, Excel or Parquet export "
                   "and that its extension matches its content")


def _line(i: int, suffix: str) -> str:
    # CSV line numbers count the header as line 1; other formats show the row position.
    return f"line {i + 2}" if suffix in (".csv", ".gz", ".txt") else f"row {i + 1}"


def _examples(raw: pd.DataFrame, mask, column: str, key: str | None, suffix: str) -> list[str]:
    idx = raw.index[mask][:5]
    out = []
    for i in idx:
        ident = f" ({key}={_fmt(raw.at[i, key])})" if key and key in raw and key != column else ""
        out.append(f"{_line(int(i), suffix)}: {column}={_fmt(raw.at[i, column])}{ident}")
    return out


# --------------------------------------------------------------------------- one table


def _coerce_table(
    raw: pd.DataFrame, header: list[str], name: str, src: TableSource, path: Path,
    problems: list[Problem],
) -> pd.DataFrame:
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


# pandera check name -> (what it means in words, how to fix it)
_CHECKS = {
    "greater_than_or_equal_to": ("below the minimum",
                                 "amounts and counts cannot be negative: correct or drop them"),
    "less_than_or_equal_to": ("above the maximum", "check the scale of these values"),
    "isin": ("not an allowed value", "use one of the allowed values"),
    "not_nullable": ("empty where a value is required", "fill the values or drop those rows"),
    "field_uniqueness": ("duplicate key", "keys must be unique: remove duplicates or fix the ids"),
    "multiple_fields_uniqueness": ("duplicate key",
                                   "keys must be unique: remove duplicates or fix the ids"),
}


def _fmt(v) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _schema_problems(df: pd.DataFrame, name: str, path: Path, problems: list[Problem]) -> None:
    t = contract.table(name)
    try:
        contract.schema(name, present=list(df.columns)).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        key = t.key[0] if t.key else None
        for (column, check), group in cases.groupby(["column", "check"], dropna=False, sort=False):
            check_name = str(check).split("(")[0]
            idx = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int).tolist()
            examples = []
            for i in idx[:5]:
                ident = f" ({key}={_fmt(df.at[i, key])})" if key in df and key != column else ""
                val = df.at[i, column] if column in df else group["failure_case"].iloc[0]
                examples.append(f"{_line(i, path.suffix)}: {column}={_fmt(val)}{ident}")
            col = contract.table(name).column(column) if column in t.names else None
            allowed = f" allowed: {', '.join(col.allowed)}" if col and col.allowed else ""
            n_rows = len(set(idx)) or len(group)
            words, fix = _CHECKS.get(check_name, (f"break the rule {check}", "correct these rows"))
            problems.append(Problem(
                name, f"{n_rows:,} row(s): {words} ({check})", file=str(path),
                column=None if pd.isna(column) else str(column),
                examples=examples or [str(v) for v in group["failure_case"].head(5)],
                fix=fix + allowed,
            ))


def _order_problems(
    df: pd.DataFrame, name: str, pairs: list[tuple[str, str]], path: Path,
    problems: list[Problem], quality: list[dict], drop: bool,
) -> pd.DataFrame:
    """Rows where a later stage precedes an earlier one: a hard problem, or, when the params
    say `drop_out_of_order`, dropped and listed in the data-quality table."""
    key = contract.table(name).key[0] if contract.table(name).key else None
    bad_any = np.zeros(len(df), dtype=bool)
    for later, earlier in pairs:
        if later not in df or earlier not in df:
            continue
        bad = (df[later] < df[earlier]).fillna(False).to_numpy(bool)
        if not bad.any():
            continue
        bad_any |= bad
        idx = df.index[bad][:5]
        examples = [f"{_line(int(i), path.suffix)}: {earlier}={df.at[i, earlier]}, "
                    f"{later}={df.at[i, later]}" + (f" ({key}={_fmt(df.at[i, key])})" if key else "")
                    for i in idx]
        if drop:
            quality.append(dict(table=name, column=later, check=f"{later} before {earlier}: "
                                "rows dropped", rows=int(bad.sum()), share=bad.mean(),
                                examples="; ".join(examples[:3]), action="correct at the source"))
            continue
        problems.append(Problem(
            name, f"{int(bad.sum()):,} row(s) have {later} before {earlier}",
            file=str(path), column=later, examples=examples,
            fix=f"a stage cannot happen before the one it follows: correct {later}, check the "
            f"date format (tables.{name}.date_format), or set tables.{name}.drop_out_of_order: "
            "true to drop such rows and list them in the data-quality section",
        ))
    return df[~bad_any] if drop else df


def _soft_quality(df: pd.DataFrame, name: str, params: AuditParams, dupes: int) -> list[dict]:
    rows: list[dict] = []
    n = max(len(df), 1)

    def add(column, check, count, examples, action):
        if count:
            rows.append(dict(table=name, column=column, check=check, rows=int(count),
                             share=count / n, examples="; ".join(map(str, examples[:3])),
                             action=action))

    add(None, N_("exact duplicate rows dropped"), dupes, [], N_("deduplicate the export at the source"))
    today = pd.Timestamp.now().normalize() + pd.Timedelta(days=1)
    start, end = pd.Timestamp(params.period.start), pd.Timestamp(params.period.end)
    t = contract.table(name)
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            fut = s > today
            add(c, N_("dates in the future"), fut.sum(), s[fut].head(3).tolist(),
                N_("check the clock or the date format of the export"))
            if c == t.columns[0].name or c in ("ordered_at", "created_at", "opened_at",
                                                "sent_at", "answered_at"):
                out = (s < start) | (s > end + pd.Timedelta(days=1))
                add(c, N_("rows outside the audit period (kept as history)"), out.sum(), [],
                    N_("none needed: analyses use the period from params"))
        if c in ("revenue", "amount", "value") and s.notna().sum() > 20:
            q1, q3 = s.quantile([0.25, 0.75])
            hi = q3 + 10 * (q3 - q1)
            out = s > hi
            add(c, N_("outliers above {limit} (Q3 + 10×IQR)").format(limit=f"{hi:,.2f}"), out.sum(),
                s[out].nlargest(3).round(2).tolist(), N_("check for test orders or unit errors"))
            zero = s == 0
            add(c, N_("zero amounts"), zero.sum(), [], N_("check whether these are free items or errors"))
    return rows


def _load_table(params: AuditParams, name: str, problems: list[Problem], quality: list[dict]):
    path = find_file(params, name)
    if path is None:
        return None
    src = params.source(name)
    t = contract.table(name)
    # Reshaped files are read whole: joins, event logs and derivations name other columns.
    wanted = None if src.reshapes else {src.columns.get(c, c) for c in t.names} | set(src.keep)
    raw, header = _read_raw(path, name, src, wanted)
    if src.reshapes:
        raw, reshape_problems = _reshape(params, name, src, raw, path)
        if reshape_problems:
            problems.extend(reshape_problems)
            return None
        header = list(raw.columns)
    if raw.empty and len(raw.columns):  # a header and no rows (no columns: wrong separator)
        quality.append(dict(table=name, column=None, check="file has a header but no rows",
                            rows=0, share=0.0, examples="", action="export the table again"))
        return None
    before = len(problems)
    df = _coerce_table(raw, header, name, src, path, problems)
    if len(problems) > before:
        return None
    dup_mask = df.duplicated(keep="first")
    dupes = int(dup_mask.sum())
    if dupes:
        df = df[~dup_mask.to_numpy()]
    _schema_problems(df, name, path, problems)
    pairs = list(t.ordered)
    if name == "leads":  # consecutive funnel stages from params must be in order too
        cols = [s.column for s in params.funnel.stages]
        pairs += [(b, a) for a, b in zip(cols, cols[1:], strict=False) if (b, a) not in pairs]
        for s in params.funnel.stages:
            if s.column not in df:
                problems.append(Problem(
                    name, f"funnel stage '{s.name}' needs column '{s.column}'", file=str(path),
                    column=s.column, fix=f"map it (tables.leads.columns.{s.column}) or, for a "
                    f"stage of your own, add it to tables.leads.keep; or change funnel.stages"))
    df = _order_problems(df, name, pairs, path, problems, quality, src.drop_out_of_order)
    quality.extend(_soft_quality(df, name, params, dupes))
    return df.reset_index(drop=True), path


def _reshape(params: AuditParams, name: str, src: TableSource, raw: pd.DataFrame, path: Path):
    """Join, reduce an event log or line items, and derive columns, as the params say, in
    that order."""
    problems: list[Problem] = []
    for i, j in enumerate(src.join):
        jpath = _named_file(params, name, j.file, f"tables.{name}.join[{i}].file")
        right, _ = _read_raw(jpath, name, j, None)
        raw, problem = reshape.join(raw, right, j.key, j.how, name, str(jpath))
        if problem:
            return raw, [problem]
    if src.events:
        raw, problem = reshape.events_to_cases(raw, src.events, src.date_format, name, str(path))
        if problem:
            return raw, [problem]
    if src.lines:
        raw, problem = reshape.lines_to_rows(raw, src.lines, src.csv, name, str(path))
        if problem:
            return raw, [problem]
    if src.derive:
        raw, problems = reshape.derive(raw, src.derive, name, str(path))
    return raw, problems


def _foreign_key_problems(tables: dict[str, pd.DataFrame], sources: dict[str, str],
                          problems: list[Problem]) -> None:
    for name, df in tables.items():
        for column, parent, parent_col in contract.table(name).foreign_keys:
            if column not in df or parent not in tables:
                continue
            known = tables[parent][parent_col]
            orphan = df[column].notna().to_numpy(bool) & ~arrow.isin(df[column], known)
            if orphan.any():
                values = df.loc[orphan, column].drop_duplicates().head(5).tolist()
                problems.append(Problem(
                    name, f"{int(orphan.sum()):,} row(s) refer to a {parent_col} that is not "
                    f"in {parent}", file=sources.get(name), column=column,
                    examples=[f"{column}={_fmt(v)}" for v in values],
                    fix=f"export {parent} complete (all ids used in {name}), or check that ids "
                    "are written the same way in both files (leading zeros, prefixes)",
                ))


# --------------------------------------------------------------------------- cache


def _cache_key(params: AuditParams) -> str:
    # Size and modification time, not content: checking the cache must stay instant.
    files = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in input_files(params)]
    blob = json.dumps(
        [params.model_dump(mode="json", include={"tables", "funnel", "period", "data_dir"}),
         files, salesaudit.__version__, LOADER_CODE], sort_keys=True, default=str)
    return fingerprint.of(blob)


def _read_cache(folder: Path, params: AuditParams) -> AuditData:
    meta = json.loads((folder / "meta.json").read_text())
    quality = pd.read_parquet(folder / "quality.parquet")
    return AuditData(params, CachedTables(folder, meta["rows"]), quality, meta["sources"],
                     meta["rows"])


def _key_columns(name: str) -> list[str]:
    """The columns of a table the foreign-key checks read (its own and its children's)."""
    own = [c for c, _parent, _col in contract.table(name).foreign_keys]
    parent_of = [col for t in contract.TABLES for _c, parent, col in contract.table(t).foreign_keys
                 if parent == name]
    return list(dict.fromkeys(own + parent_of))


def _publish_cache(tmp: Path, folder: Path, quality: pd.DataFrame, key: str,
                   rows: dict[str, int], sources: dict[str, str]) -> None:
    """Complete the cache written table by table into `tmp` and swap it in for `folder`."""
    quality.to_parquet(tmp / "quality.parquet", index=False)
    (tmp / "meta.json").write_text(json.dumps({"key": key, "rows": rows, "sources": sources}))
    # Swap in atomically: concurrent notebooks either see the old cache or the new one.
    old = folder.with_name(folder.name + f".old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load(params: AuditParams, use_cache: bool = True) -> AuditData:
    """Every table of the client, validated; raises `DataError` listing all hard problems."""
    folder = params.data_path
    if not folder.is_dir():
        raise DataError([Problem(
            "data", "the client's data folder does not exist", file=str(folder),
            fix=f"create it and copy the exports there, or set data_dir in the params "
            f"(for the demo: salesaudit demo --out {folder})",
        )])
    cache = paths.table_cache_dir(params.client)
    key = _cache_key(params)
    if use_cache and (cache / "meta.json").is_file():
        try:
            if json.loads((cache / "meta.json").read_text()).get("key") == key:
                return _read_cache(cache, params)
        except (OSError, ValueError, KeyError):
            pass  # a damaged or older cache is rebuilt below
    problems: list[Problem] = []
    quality: list[dict] = []
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    rows: dict[str, int] = {}
    tmp = None
    if use_cache:  # each table goes to disk once validated; only its key columns stay
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tables-", dir=cache.parent))
    try:
        for name in contract.TABLES:
            loaded = _load_table(params, name, problems, quality)
            if loaded is None:
                continue
            df, path = loaded
            sources[name], rows[name] = str(path), len(df)
            if tmp is None:
                tables[name] = df
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
                tables[name] = df[[c for c in _key_columns(name) if c in df]].copy()
            del df, loaded
        _foreign_key_problems(tables, sources, problems)
        if problems:
            raise DataError(problems)
        q = pd.DataFrame(quality, columns=QUALITY_COLUMNS)
        q["column"] = q["column"].astype("string")
        if tmp is None:
            return AuditData(params, tables, q, sources)
        del tables
        _publish_cache(tmp, cache, q, key, rows, sources)
        tmp = None
        return _read_cache(cache, params)  # read lazily: the caller holds only what it uses
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def input_files(params: AuditParams) -> list[Path]:
    """Every file the params make the loader read: each table's file and its joined files."""
    out = []
    for name in contract.TABLES:
        path = find_file(params, name)
        if path is not None:
            out.append(path)
            out += [params.data_path / j.file for j in params.source(name).join]
    return list(dict.fromkeys(out))


def file_hashes(params: AuditParams) -> dict[str, str]:
    """sha256 of every input file, for the run manifest and the run cache."""
    return {p.name: fingerprint.file_sha256(p) for p in input_files(params)}
