"""Read a table's file into a raw frame: the first step of loading.

Finds the file (named in params or `<table>.<ext>` inside the client's data folder, never
outside it), refuses what is not a table of rows (an empty file, a line longer than
`MAX_LINE_BYTES`), reads CSV (any separator and encoding, every cell as text), Excel or
parquet, and joins onto it the files the params name (`tables.<table>.join`). Read failures
are raised at once as one clear `DataError`; a join that cannot be made comes back as a
`Problem`. Also the two helpers messages use to name a row of a file and show a value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from salesaudit.errors import DataError, IsolationError, Problem
from salesaudit.ingest import contract
from salesaudit.params import AuditParams, Join, TableSource

READERS = (".csv", ".csv.gz", ".txt", ".parquet", ".xlsx", ".xls")


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


def table(params: AuditParams, name: str,
          path: Path) -> tuple[pd.DataFrame, list[str], Problem | None]:
    """The table's file as a raw frame with the files the params join onto it, the file's
    column names (for messages about missing columns), and the problem of a join that
    cannot be made (None when all joined)."""
    src = params.source(name)
    t = contract.table(name)
    # Reshaped files are read whole: joins, event logs and derivations name other columns.
    wanted = None if src.reshapes else {src.columns.get(c, c) for c in t.names} | set(src.keep)
    raw, header = _read_raw(path, name, src, wanted)
    for i, j in enumerate(src.join):
        jpath = _named_file(params, name, j.file, f"tables.{name}.join[{i}].file")
        right, _ = _read_raw(jpath, name, j, None)
        raw, problem = join(raw, right, j.key, j.how, name, str(jpath))
        if problem:
            return raw, header, problem
    return raw, header, None


def require(df: pd.DataFrame, columns: list[str], table: str, file: str, what: str) -> Problem | None:
    """A problem naming the `columns` the params name that are not in the raw frame."""
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
        problem = require(df, [on], table, f, "join key")
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


# --------------------------------------------------------------------------- messages


def line_name(i: int, suffix: str) -> str:
    # CSV line numbers count the header as line 1; other formats show the row position.
    return f"line {i + 2}" if suffix in (".csv", ".gz", ".txt") else f"row {i + 1}"


def quoted(v) -> str:
    return repr(v) if isinstance(v, str) else str(v)
