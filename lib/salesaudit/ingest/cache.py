"""The table cache: the last step of loading, and how notebooks read its tables.

Validated tables are cached as parquet under build/<client>/tables, keyed by the params,
the files' sizes and modification times, the library version and the loader's own code, so
every notebook of a run reads them once and fast. `AuditData` is what `load` returns; from
the cache its tables are read on first use (`CachedTables`), or a column at a time for one
pass over all of them (`TableColumns`). `file_hashes` fingerprints the inputs for the run
manifest.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import salesaudit
from salesaudit import fingerprint
from salesaudit.errors import DataError, Problem
from salesaudit.ingest import contract
from salesaudit.ingest.read import find_file
from salesaudit.params import AuditParams

# The table cache must not survive a change to the loading rules themselves: every module of
# ingest/ (one per step of the loader) and the params they follow.
LOADER_CODE = fingerprint.library(
    [f"ingest/{p.name}" for p in sorted(Path(__file__).parent.glob("*.py"))] + ["params.py"])


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


# --------------------------------------------------------------------------- the cache folder


def key_of(params: AuditParams) -> str:
    """What the cache is keyed on: the params that shape the tables, the input files, the
    library version and the loader's code."""
    # Size and modification time, not content: checking the cache must stay instant.
    files = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in input_files(params)]
    blob = json.dumps(
        [params.model_dump(mode="json", include={"tables", "funnel", "period", "data_dir"}),
         files, salesaudit.__version__, LOADER_CODE], sort_keys=True, default=str)
    return fingerprint.of(blob)


def current(folder: Path, key: str, params: AuditParams) -> AuditData | None:
    """The cached tables in `folder` when they were made with `key`, else None."""
    if not (folder / "meta.json").is_file():
        return None
    try:
        if json.loads((folder / "meta.json").read_text()).get("key") == key:
            return read_tables(folder, params)
    except (OSError, ValueError, KeyError):
        pass  # a damaged or older cache is rebuilt
    return None


def read_tables(folder: Path, params: AuditParams) -> AuditData:
    """The cache in `folder`, each table read from its parquet file when first used."""
    meta = json.loads((folder / "meta.json").read_text())
    quality = pd.read_parquet(folder / "quality.parquet")
    return AuditData(params, CachedTables(folder, meta["rows"]), quality, meta["sources"],
                     meta["rows"])


def new_folder(folder: Path) -> Path:
    """A temporary folder beside `folder` to write a new cache into, table by table."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".tables-", dir=folder.parent))


def write(tmp: Path, name: str, df: pd.DataFrame, keep: Sequence[str]) -> pd.DataFrame:
    """Write a validated table into the new cache; returns only its `keep` columns (the
    ones checks across tables still need), so the whole table need not stay in memory."""
    df.to_parquet(tmp / f"{name}.parquet", index=False)
    return df[[c for c in keep if c in df]].copy()


def publish(tmp: Path, folder: Path, quality: pd.DataFrame, key: str,
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


# --------------------------------------------------------------------------- inputs


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
