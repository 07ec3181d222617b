"""Light reshaping of a client's raw file, driven by params only (no client code): the
second step of loading, after the file is read (and joined, `read.join`). Reducing an event
log to one row per case, line items to one row per key, deriving a contract column from
others. Each function works on raw frames (text cells) and reports problems as `Problem`s
naming the file and the fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.errors import Problem
from salesaudit.ingest.coerce import to_datetime, to_number
from salesaudit.ingest.read import require
from salesaudit.params import CsvOptions, Derivation, EventLog, Lines, TableSource

EVENT_COLUMNS = ("first_event", "second_event", "last_event", "events")


def table(raw: pd.DataFrame, src: TableSource, name: str,
          file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Reduce an event log or line items, and derive columns, as the params say, in that
    order."""
    if src.events:
        raw, problem = events_to_cases(raw, src.events, src.date_format, name, file)
        if problem:
            return raw, [problem]
    if src.lines:
        raw, problem = lines_to_rows(raw, src.lines, src.csv, name, file)
        if problem:
            return raw, [problem]
    if src.derive:
        return derive(raw, src.derive, name, file)
    return raw, []


def events_to_cases(df: pd.DataFrame, log: EventLog, date_format: str | None, table: str,
                    file: str) -> tuple[pd.DataFrame, Problem | None]:
    """One row per case: first, second and last event times, and the number of events."""
    problem = require(df, [log.key, log.time], table, file, "event log")
    if problem:
        return df, problem
    times, bad = to_datetime(df[log.time], date_format)
    if bad.any():
        ex = df.loc[np.asarray(bad), log.time].head(5).tolist()
        return df, Problem(table, f"{int(np.asarray(bad).sum()):,} event time(s) cannot be read",
                           file=file, column=log.time, examples=[repr(v) for v in ex],
                           fix=f"set tables.{table}.date_format")
    ev = pd.DataFrame({"key": df[log.key].to_numpy(), "t": times.to_numpy()})
    ev = ev.dropna().sort_values(["key", "t"], kind="stable")
    rank = ev.groupby("key", sort=False).cumcount()
    g = ev.groupby("key", sort=True)["t"]
    cases = pd.DataFrame({
        "first_event": g.min(),
        "second_event": ev[rank == 1].set_index("key")["t"],
        "last_event": g.max(),
        "events": g.size(),
    })
    cases.index.name = log.key
    return cases.reset_index(), None


def lines_to_rows(df: pd.DataFrame, spec: Lines, csv: CsvOptions, table: str,
                  file: str) -> tuple[pd.DataFrame, Problem | None]:
    """One row per `spec.key`: the `sum` columns added up, the `first` columns from the first
    line of each group in file order (e.g. receipt lines -> orders)."""
    problem = require(df, [spec.key, *spec.sum, *spec.first], table, file, "line items")
    if problem:
        return df, problem
    parts = {}
    for col in spec.sum:
        values, bad = to_number(df[col], csv.decimal, csv.thousands)
        if bad.any():
            ex = df.loc[bad.to_numpy(bool), col].head(5).tolist()
            return df, Problem(table, f"{int(bad.sum()):,} line value(s) cannot be read as numbers",
                               file=file, column=col, examples=[repr(v) for v in ex],
                               fix=f"set tables.{table}.csv.decimal / csv.thousands")
        parts[col] = values
    frame = pd.DataFrame({spec.key: df[spec.key].to_numpy(), **{c: v.to_numpy() for c, v in parts.items()}})
    g = frame.groupby(spec.key, sort=False)
    out = g[spec.sum].sum(min_count=1) if spec.sum else g.size().to_frame("lines")
    if spec.first:
        first = df[[spec.key, *spec.first]].drop_duplicates(spec.key, keep="first").set_index(spec.key)
        out = out.join(first)
    out.index.name = spec.key
    return out.reset_index(), None


def derive(df: pd.DataFrame, rules: dict[str, Derivation], table: str,
           file: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Add each derived column (named after its contract column) to the raw frame."""
    problems: list[Problem] = []
    out = df.copy()
    for column, rule in rules.items():
        if rule.row_number:
            out[column] = pd.Series(np.arange(1, len(df) + 1), index=df.index).astype("string")
            continue
        if rule.constant is not None:
            out[column] = pd.Series(rule.constant, index=df.index, dtype="string")
            continue
        needed = [rule.value] + ([rule.when.column] if rule.when else [])
        problem = require(df, needed, table, file, f"derive {column}")
        if problem:
            problems.append(problem)
            continue
        values = df[rule.value]
        if rule.when:
            text = df[rule.when.column].astype("string").str.strip()
            values = values.where(text.isin(rule.when.values).fillna(False).to_numpy(bool))
        if rule.default is not None:
            blank = values.isna() | (values.astype("string").str.strip() == "")
            values = values.astype("object").where(~blank.to_numpy(bool), rule.default)
        out[column] = values
    return out, problems
