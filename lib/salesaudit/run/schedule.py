"""What a run executes, in which order and what it reuses: the audit's notebooks
(`NN_<component>.ipynb`), the key each result depends on, the start order and the memory
budget that decides which notebooks may run side by side.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from salesaudit import components, fingerprint, paths
from salesaudit.errors import PipelineError

NOTEBOOK_PARAMETERS = {"params_path", "run_dir"}
SUMMARY = "summary"
PACKAGES = ["salesaudit", "pandas", "numpy", "scipy", "statsmodels", "seaborn", "matplotlib",
            "papermill", "nbconvert", "pandera", "pydantic", "duckdb", "pyarrow", "lifetimes"]


@dataclass(frozen=True)
class Notebook:
    path: Path
    slug: str  # component name, e.g. "funnel"; "summary" for 00_summary
    title: str

    @property
    def page(self) -> str:
        return "index" if self.slug == SUMMARY else self.slug


def _title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells[:1]:
        if cell.cell_type == "raw":
            m = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", cell.source, re.M)
            if m:
                return m.group(1)
    return path.stem.split("_", 1)[1].replace("_", " ").title()


def discover(folder: Path = paths.NOTEBOOKS) -> list[Notebook]:
    """The audit's notebooks, `NN_<component>.ipynb`, in order; the summary (00) first."""
    found = []
    for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        slug = p.stem.split("_", 1)[1]
        found.append(Notebook(p, slug, _title(p)))
    return found


def check_parameters(nb: Notebook) -> None:
    """Refuse a notebook whose `parameters` cell does not declare what the runner injects
    (papermill would only warn and run with the defaults — the demo client)."""
    import papermill

    declared = set(papermill.inspect_notebook(str(nb.path)))
    if declared != NOTEBOOK_PARAMETERS:
        raise PipelineError(
            f"{nb.path.name}: its parameters cell declares {sorted(declared)}; the runner injects "
            f"exactly {sorted(NOTEBOOK_PARAMETERS)}.\n"
            "  fix: one cell tagged 'parameters' with params_path and run_dir, nothing else"
        )


def run_keys(notebooks: list[Notebook], params_file: Path, inputs: dict[str, str]) -> dict[str, str]:
    """What each notebook's result depends on: input files, params, library code, package
    versions and the notebook itself; the summary also on every component's key."""
    base = fingerprint.of(json.dumps(inputs, sort_keys=True), params_file.read_bytes(),
                          fingerprint.library(), json.dumps(versions(), sort_keys=True))
    keys = {nb.slug: fingerprint.of(base, nb.path.read_bytes())
            for nb in notebooks if nb.slug != SUMMARY}
    for nb in notebooks:
        if nb.slug == SUMMARY:
            keys[nb.slug] = fingerprint.of(base, nb.path.read_bytes(), json.dumps(keys, sort_keys=True))
    return keys


def longest_first(batch: list[Notebook], history: dict, rows: dict[str, int]) -> list[Notebook]:
    """The order to start notebooks in so that the run ends sooner: the longest first, by
    each one's time in the last run (`history`, from manifest.json). Notebooks without one
    (a new client's first run, a new notebook) come first, largest first by the rows of the
    tables their component needs, then of those it uses (`rows`): orders and touches are
    what takes time."""
    def size(nb: Notebook) -> tuple[int, int]:
        comp = components.discover().get(nb.slug)
        if comp is None:
            return (0, 0)
        return tuple(sum(rows.get(t, 0) for t in tables) for tables in (comp.needs, comp.uses))

    new = sorted((nb for nb in batch if "seconds" not in history.get(nb.slug, {})),
                 key=size, reverse=True)
    known = sorted((nb for nb in batch if nb not in new),
                   key=lambda nb: -history[nb.slug]["seconds"])
    return new + known


def admissible(pending: list, running: list, workers: int, budget_mb: float, need) -> list:
    """Which of `pending` (in order) to start now beside `running`: at most `workers` in all,
    skipping any whose memory `need` would take the total over `budget_mb` — except that one
    notebook always runs, however large."""
    start: list = []
    for nb in pending:
        if len(running) + len(start) >= workers:
            break
        busy = running + start
        if busy and sum(map(need, busy)) + need(nb) > budget_mb:
            continue
        start.append(nb)
    return start


def memory_budget_mb(max_memory_gb: float | None = None) -> float:
    """How much memory the notebooks running at once may use together: `max_memory_gb`, or
    70% of the memory available now (the rest for the runner, the OS and the user)."""
    import psutil

    if max_memory_gb is not None:
        return max_memory_gb * 1024
    return 0.7 * psutil.virtual_memory().available / 2**20


def versions() -> dict[str, str]:
    """Python and the versions of the packages a result depends on."""
    out = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out
