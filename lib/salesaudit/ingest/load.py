"""Read a client's files, map their columns, coerce types, validate, and cache.

`load(params)` is the only way notebooks get data. Each table passes once through the steps
of ingest/, in order: `read` (the file, and the files joined onto it), `reshape` (event logs,
line items, derived columns, as the params say), `coerce` (the contract's columns and types),
`validate` (the contract's rules) and `cache` (parquet under build/<client>/tables, so every
notebook of a run reads the tables once and fast). Hard problems (a broken contract rule)
are collected across all tables and raised together as one `DataError`; soft problems
(duplicated rows, future dates, outliers, rows outside the period) come back as the
`quality` table for the reporting notebook's data-quality section.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from salesaudit import paths
from salesaudit.errors import DataError, Problem
from salesaudit.ingest import cache, coerce, contract, read, reshape, validate
from salesaudit.ingest.cache import AuditData
from salesaudit.params import AuditParams


def load(params: AuditParams, use_cache: bool = True) -> AuditData:
    """Every table of the client, validated; raises `DataError` listing all hard problems."""
    folder = params.data_path
    if not folder.is_dir():
        raise DataError([Problem(
            "data", "the client's data folder does not exist", file=str(folder),
            fix=f"create it and copy the exports there, or set data_dir in the params "
            f"(for the demo: salesaudit demo --out {folder})",
        )])
    cache_dir = paths.table_cache_dir(params.client)
    key = cache.key_of(params)
    if use_cache and (cached := cache.current(cache_dir, key, params)) is not None:
        return cached
    problems: list[Problem] = []
    quality: list[dict] = []
    tables: dict[str, pd.DataFrame] = {}
    sources: dict[str, str] = {}
    rows: dict[str, int] = {}
    # Each table goes to disk once validated; only its key columns stay.
    tmp = cache.new_folder(cache_dir) if use_cache else None
    try:
        for name in contract.TABLES:
            loaded = _load_table(params, name, problems, quality)
            if loaded is None:
                continue
            df, path = loaded
            sources[name], rows[name] = str(path), len(df)
            tables[name] = df if tmp is None else cache.write(tmp, name, df,
                                                              validate.key_columns(name))
            del df, loaded
        validate.foreign_key_problems(tables, sources, problems)
        if problems:
            raise DataError(problems)
        q = validate.quality_table(quality)
        if tmp is None:
            return AuditData(params, tables, q, sources)
        del tables
        cache.publish(tmp, cache_dir, q, key, rows, sources)
        tmp = None
        return cache.read_tables(cache_dir, params)  # read lazily: the caller holds only what it uses
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _load_table(params: AuditParams, name: str, problems: list[Problem],
                quality: list[dict]) -> tuple[pd.DataFrame, Path] | None:
    """One table through read, reshape, coerce and validate; None when the client has no
    file for it, when it has a hard problem (added to `problems`) or no rows (in `quality`)."""
    path = read.find_file(params, name)
    if path is None:
        return None
    src = params.source(name)
    raw, header, problem = read.table(params, name, path)
    if problem:
        problems.append(problem)
        return None
    if src.reshapes:
        raw, reshape_problems = reshape.table(raw, src, name, str(path))
        if reshape_problems:
            problems.extend(reshape_problems)
            return None
        header = list(raw.columns)
    if (empty := validate.header_only(raw, name)) is not None:
        quality.append(empty)
        return None
    before = len(problems)
    df = coerce.table(raw, header, name, src, path, problems)
    if len(problems) > before:
        return None
    return validate.table(df, name, params, path, problems, quality), path
