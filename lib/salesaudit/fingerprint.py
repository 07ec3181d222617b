"""Content fingerprints: what a cache or a run record is keyed on.

One home for hashing, used by the table cache (ingest/cache.py) and the run cache (pipeline.py): a
result is reused only when the files, the params and the code that made it are unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

LIBRARY = Path(__file__).parent


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MB chunks (input files can be gigabytes)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library(names: Iterable[str] | None = None) -> str:
    """A hash of the library's own source: the named modules, or every file of the package
    (modules, templates) when `names` is None."""
    files = ([LIBRARY / n for n in names] if names is not None else
             sorted(p for p in LIBRARY.rglob("*") if p.is_file() and "__pycache__" not in p.parts))
    h = hashlib.sha256()
    for f in files:
        h.update(f.relative_to(LIBRARY).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def of(*parts: object) -> str:
    """A short hash of several strings or bytes, in order."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]
