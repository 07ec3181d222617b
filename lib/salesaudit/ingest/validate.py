"""Check a coerced table against the contract: the fourth step of loading, after coercion
and before the cache.

Hard problems (a broken per-column rule of the pandera schema, a duplicate key, a funnel
stage column missing, a later stage before an earlier one, a row referring to an id its
parent table lacks) are added to the caller's list of `Problem`s; soft ones (duplicated
rows, future dates, outliers, rows outside the period, a file with a header and no rows,
rows dropped as out of order) become rows of the `quality` table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from salesaudit import arrow
from salesaudit.errors import Problem
from salesaudit.i18n import N_
from salesaudit.ingest import contract
from salesaudit.ingest.read import line_name, quoted
from salesaudit.params import AuditParams

QUALITY_COLUMNS = ["table", "column", "check", "rows", "share", "examples", "action"]


def header_only(raw: pd.DataFrame, name: str) -> dict | None:
    """The quality row of a file with a header and no rows (nothing to load), else None."""
    if raw.empty and len(raw.columns):  # a header and no rows (no columns: wrong separator)
        return dict(table=name, column=None, check="file has a header but no rows",
                    rows=0, share=0.0, examples="", action="export the table again")
    return None


def table(df: pd.DataFrame, name: str, params: AuditParams, path: Path,
          problems: list[Problem], quality: list[dict]) -> pd.DataFrame:
    """The coerced table with exact duplicate rows dropped, checked by the contract's schema,
    the funnel's stage columns and the order of stages (rows out of order dropped when the
    params say so); hard problems go to `problems`, soft ones to `quality`."""
    dup_mask = df.duplicated(keep="first")
    dupes = int(dup_mask.sum())
    if dupes:
        df = df[~dup_mask.to_numpy()]
    _schema_problems(df, name, path, problems)
    pairs = _stage_pairs(df, name, params, path, problems)
    df = _order_problems(df, name, pairs, path, problems, quality,
                         params.source(name).drop_out_of_order)
    quality.extend(_soft_quality(df, name, params, dupes))
    return df.reset_index(drop=True)


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
                ident = f" ({key}={quoted(df.at[i, key])})" if key in df and key != column else ""
                val = df.at[i, column] if column in df else group["failure_case"].iloc[0]
                examples.append(f"{line_name(i, path.suffix)}: {column}={quoted(val)}{ident}")
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


def _stage_pairs(df: pd.DataFrame, name: str, params: AuditParams, path: Path,
                 problems: list[Problem]) -> list[tuple[str, str]]:
    """The (later, earlier) columns that must be in order: the contract's, and for leads the
    consecutive funnel stages of the params, each of whose columns must be there."""
    pairs = list(contract.table(name).ordered)
    if name == "leads":  # consecutive funnel stages from params must be in order too
        cols = [s.column for s in params.funnel.stages]
        pairs += [(b, a) for a, b in zip(cols, cols[1:], strict=False) if (b, a) not in pairs]
        for s in params.funnel.stages:
            if s.column not in df:
                problems.append(Problem(
                    name, f"funnel stage '{s.name}' needs column '{s.column}'", file=str(path),
                    column=s.column, fix=f"map it (tables.leads.columns.{s.column}) or, for a "
                    f"stage of your own, add it to tables.leads.keep; or change funnel.stages"))
    return pairs


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
        examples = [f"{line_name(int(i), path.suffix)}: {earlier}={df.at[i, earlier]}, "
                    f"{later}={df.at[i, later]}" + (f" ({key}={quoted(df.at[i, key])})" if key else "")
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


# --------------------------------------------------------------------------- across tables


def foreign_key_problems(tables: dict[str, pd.DataFrame], sources: dict[str, str],
                         problems: list[Problem]) -> None:
    """Rows referring to an id their parent table lacks (both tables loaded): hard problems."""
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
                    examples=[f"{column}={quoted(v)}" for v in values],
                    fix=f"export {parent} complete (all ids used in {name}), or check that ids "
                    "are written the same way in both files (leading zeros, prefixes)",
                ))


def key_columns(name: str) -> list[str]:
    """The columns of a table the foreign-key checks read (its own and its children's)."""
    own = [c for c, _parent, _col in contract.table(name).foreign_keys]
    parent_of = [col for t in contract.TABLES for _c, parent, col in contract.table(t).foreign_keys
                 if parent == name]
    return list(dict.fromkeys(own + parent_of))


def quality_table(quality: list[dict]) -> pd.DataFrame:
    """The soft problems of every table as the data-quality table."""
    q = pd.DataFrame(quality, columns=QUALITY_COLUMNS)
    q["column"] = q["column"].astype("string")
    return q
