"""Data quality of every loaded table: the checks (nulls, duplicate keys, impossible dates,
orphan keys, outliers, zero amounts) and a score per table with the problem to fix first."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from salesaudit import arrow, fmt
from salesaudit.i18n import N_, _

# How much each kind of problem weighs in a table's score (share of rows affected × weight).
# Nulls in optional columns, history outside the period and anonymous orders are normal:
# they are listed but weigh nothing.
QUALITY_WEIGHTS = {
    N_("duplicate keys"): 1.0, N_("exact duplicate rows"): 1.0, N_("nulls in a required column"): 1.0,
    N_("orphan keys"): 1.0, N_("dates in the future"): 1.0, N_("dates before 1990"): 1.0,
    N_("outliers"): 0.5, N_("zero amounts"): 0.2, N_("nulls"): 0.0, N_("dates outside the period"): 0.0,
}
QUALITY_ACTIONS = {
    "duplicate keys": N_("make the key unique in the export (one row per id)"),
    "exact duplicate rows": N_("deduplicate the export at the source"),
    "nulls in a required column": N_("fill the column at the source"),
    "orphan keys": N_("export the missing parent rows or fix the ids"),
    "dates in the future": N_("check the clock or the date format of the export"),
    "dates before 1990": N_("check placeholder dates such as 1900-01-01"),
    "outliers": N_("check for test orders or unit errors"),
    "zero amounts": N_("check whether these are free items or errors"),
    "nulls": N_("none needed if the value is genuinely unknown"),
    "dates outside the period": N_("none needed: kept as history"),
}
_MAIN_DATE = {"orders": "ordered_at", "leads": "created_at", "tickets": "opened_at",
              "campaigns": "sent_at", "touches": "sent_at", "surveys": "answered_at",
              "traffic": "date", "store_traffic": "hour_start", "spend": "period_start"}


def data_quality(tables: Mapping[str, pd.DataFrame], period_start, period_end,
                 today=None) -> pd.DataFrame:
    """Per-table checks on the loaded tables: nulls per column, duplicate keys, dates in the
    future / before 1990 / outside the period, orphan keys, outliers (above Q3 + 10×IQR, money
    columns with at least 100 values) and zero amounts. One row per (table, column, check) with rows affected and their share.

    Each table is used a column (or a key) at a time — `df[col]`, `df[[cols]]`, `df.columns`,
    `len(df)` — so `tables` may hold `cache.TableColumns` that read columns on demand."""
    from salesaudit.ingest import contract

    today = (pd.Timestamp.now().normalize() if today is None else pd.Timestamp(today))
    start, end = pd.Timestamp(period_start), pd.Timestamp(period_end) + pd.Timedelta(days=1)
    rows: list[dict] = []

    def row(table, column, check, mask_or_count, examples=()) -> dict:
        count = int(np.sum(mask_or_count)) if not np.isscalar(mask_or_count) else int(mask_or_count)
        return dict(table=table, column=column, check=check, rows=count,
                    share=count / max(len(tables[table]), 1),
                    examples="; ".join(map(str, list(examples)[:3])))

    for name in tables:
        df = tables[name]
        t = contract.table(name) if name in contract.TABLES else None
        required = set(t.required) if t else set()
        nullable = {c.name for c in t.columns if c.nullable} if t else set(df.columns)
        # Listed per table: nulls, duplicate keys, value checks, orphan keys.
        nulls_rows, key_rows, value_rows, orphan_rows = [], [], [], []
        if t and t.key and all(k in df for k in t.key) and not (
                len(t.key) == 1 and arrow.all_distinct(df[t.key[0]])):  # the usual case, fast
            keys = df[list(t.key)]
            dup = keys.duplicated(keep="first").to_numpy()
            if dup.any():
                key_rows.append(row(name, ",".join(t.key), "duplicate keys", dup,
                                    keys.loc[dup].head(3).astype(str).agg("/".join, axis=1)))
            del keys
        for col in df.columns:
            s = df[col]  # one column at a time: read from disk when df reads on demand
            nulls = s.isna().to_numpy()
            if nulls.any():
                hard = col in required and col not in nullable
                nulls_rows.append(row(name, col, "nulls in a required column" if hard else "nulls",
                                      nulls))
            if pd.api.types.is_datetime64_any_dtype(s):
                fut = (s > today + pd.Timedelta(days=1)).to_numpy()
                if fut.any():
                    value_rows.append(row(name, col, "dates in the future", fut,
                                          s[fut].head(3).dt.date))
                old = (s < pd.Timestamp("1990-01-01")).to_numpy()
                if old.any():
                    value_rows.append(row(name, col, "dates before 1990", old,
                                          s[old].head(3).dt.date))
                if col == _MAIN_DATE.get(name):
                    out = ((s < start) | (s >= end)).to_numpy()
                    if out.any():
                        value_rows.append(row(name, col, "dates outside the period", out))
            elif (t and col in t.names and t.column(col).kind == "money"
                  and s.notna().sum() >= 100):  # quartiles of fewer values are too noisy
                v = s.to_numpy(dtype=float, na_value=np.nan)
                q1, q3 = np.nanquantile(v, [0.25, 0.75])
                hi = q3 + 10 * (q3 - q1)
                out = v > hi
                if out.any():
                    value_rows.append(row(name, col, "outliers", out,
                                          np.sort(v[out])[::-1][:3].round(2)))
                zero = v == 0
                if zero.any():
                    value_rows.append(row(name, col, "zero amounts", zero))
        if t:
            for col, parent, pcol in t.foreign_keys:
                if col in df and parent in tables and pcol in tables[parent]:
                    v = df[col]
                    orphan = v.notna().to_numpy() & ~arrow.isin(v, tables[parent][pcol])
                    if orphan.any():
                        orphan_rows.append(row(name, col, "orphan keys", orphan, v[orphan].head(3)))
        rows += nulls_rows + key_rows + value_rows + orphan_rows
    out = pd.DataFrame(rows, columns=["table", "column", "check", "rows", "share", "examples"])
    out["weight"] = out["check"].map(QUALITY_WEIGHTS).astype(float)
    out["action"] = out["check"].map({k: _(v) for k, v in QUALITY_ACTIONS.items()})
    return out


def quality_scores(checks: pd.DataFrame, rows: Mapping[str, int],
                   loader: pd.DataFrame | None = None) -> pd.DataFrame:
    """A score per table from 100 (no weighted problem) down to 0: 100 × Π(1 − weight ×
    share) over its problems, and the problem to fix first (largest weight × share).
    The loader's duplicate-row counts (rows it dropped) are added as "exact duplicate rows".
    `rows`: each loaded table's number of rows (`AuditData.rows`), in the order to list them."""
    c = checks.copy()
    if loader is not None and len(loader):
        dup = loader[loader["check"].str.contains("duplicate", case=False, na=False)]
        if len(dup):
            c = pd.concat([c, pd.DataFrame({
                "table": dup["table"].to_numpy(), "column": None,
                "check": "exact duplicate rows", "rows": dup["rows"].to_numpy(),
                "share": dup["share"].to_numpy(dtype=float), "examples": "",
                "weight": QUALITY_WEIGHTS["exact duplicate rows"],
                "action": _(QUALITY_ACTIONS["exact duplicate rows"])})], ignore_index=True)
    c["impact"] = c["weight"] * c["share"].clip(0, 1)
    out = []
    for name, n_rows in rows.items():
        p = c[c["table"] == name]
        score = 100 * float(np.prod(1 - p["impact"].to_numpy())) if len(p) else 100.0
        worst = p.sort_values("impact", ascending=False, kind="stable").head(1)
        fix = (worst.iloc[0] if len(worst) and worst.iloc[0]["impact"] > 0 else None)
        out.append(dict(
            table=name, rows=int(n_rows), score=round(score, 1),
            problems=int((p["impact"] > 0).sum()),
            fix_first="" if fix is None else
            _("{check} ({rows} rows, {share})", check=_(fix["check"]), rows=fmt.count(fix["rows"]),
              share=fmt.pct(fix["share"])) if pd.isna(fix["column"]) else
            _("{check} in {column} ({rows} rows, {share})", check=_(fix["check"]),
              column=str(fix["column"]), rows=fmt.count(fix["rows"]), share=fmt.pct(fix["share"])),
            action="" if fix is None else fix["action"]))
    return pd.DataFrame(out).sort_values(["score", "table"], kind="stable").reset_index(drop=True)
