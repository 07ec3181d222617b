"""Light reshaping of a client's raw file, driven by params only (no client code):
joining a second file, reducing an event log to one row per case, deriving a contract column
from others. Each function works on raw frames (text cells) and reports problems as
`Problem`s naming the file and the fix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.errors import Problem
from salesaudit.ingest.coerce import to_datetime, to_number
from salesaudit.params import CsvOptions, Derivation, EventLog, Lines

EVENT_COLUMNS = ("first_event", "second_event", "last_event", "events")


def _require(df: pd.DataFrame, columns: list[str], table: str, file: str, what: str) -> Problem | None:
    missing = [c for c in columns if c not in df.columns]
    if not missing:
        return None
    return Problem(table, f"{what}: column(s) {missing} not in the file", file=file,
                   examples=[f"columns found: {', '.join(map(str, df.columns[:15]))}"],
                   fix="correct the column names in the params file")


def join(left: pd.DataFrame, right: pd.DataFrame, on: str, how: str, table: str,
         right_file: str) -> tuple[pd.DataFrame, Problem | None]:
    """Join `right` onto `left` by `on`; the right key must be unique (else rows multiply)."""
    for df, f in ((left, "the table's file"), (right, right_file)):
        problem = _require(df, [on], table, f, "join key")
        if problem:
            return left, problem
    dup = right[on].duplicated(keep=False) & right[on].ne("")
    if dup.any():
        ex = right.loc[dup, on].drop_duplicates().head(5).tolist()
        return left, Problem(table, f"the join key '{on}' repeats in {right_file}: each "
                             "row would be counted several times", file=right_file, column=on,
                             examples=[f"{on}={v!r}" for v in ex],
                             fix="deduplicate that file, or join on a key that is unique in it")
    overlap = (set(left.columns) & set(right.columns)) - {on}
    right = right.rename(columns={c: f"{c}_joined" for c in overlap})
    out = left.merge(right, on=on, how=how, validate="many_to_one")
    return out, None


def events_to_cases(df: pd.DataFrame, log: EventLog, date_format: str | None, table: str,
                    file: str) -> tuple[pd.DataFrame, Problem | None]:
    """One row per case: first, second and last event times, and the number of events."""
    problem = _require(df, [log.key, log.time], table, file, "event log")
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
    problem = _require(df, [spec.key, *spec.sum, *spec.first], table, file, "line items")
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
        problem = _require(df, needed, table, file, f"derive {column}")
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
