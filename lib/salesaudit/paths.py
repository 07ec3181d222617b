"""Every path the project uses, built on the project root — never on the working directory.

papermill, Quarto, nbval and JupyterLab each start kernels in a different folder; resolving
against the root found from this file keeps them all pointing at the same places.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    # SALESAUDIT_ROOT lets tests and benchmarks run a whole project in a temporary folder.
    override = os.environ.get("SALESAUDIT_ROOT")
    if override:
        return Path(override).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "notebooks").is_dir():
            return parent
    # Installed non-editable: fall back to the current folder as the project.
    return Path.cwd().resolve()


ROOT = _find_root()
NOTEBOOKS = ROOT / "notebooks"
PARAMS = ROOT / "params"
DATA = ROOT / "data"
REPORTS = ROOT / "reports"
BUILD = ROOT / "build"  # run records and caches, git-ignored


def resolve(path: str | os.PathLike, base: Path = ROOT) -> Path:
    """An absolute path: relative paths are taken from `base` (the project root by default)."""
    p = Path(path).expanduser()
    return (p if p.is_absolute() else base / p).resolve()


def client_build_dir(client: str) -> Path:
    return BUILD / client


def table_cache_dir(client: str) -> Path:
    return client_build_dir(client) / "tables"
