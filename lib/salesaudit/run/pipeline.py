"""Run the audit for one client: validate, execute notebooks with papermill, render, publish.

    run("params/acme.yaml")  ->  reports/acme/index.html (+ one page per component)

A run is a folder build/<client>/runs/<run id>/ holding the executed notebooks (immutable
run records, kept when they fail), the findings sidecars and a log. Publishing renders into a
staging folder and swaps it in with renames, so a failed run never touches the last good
report.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from salesaudit import components, fingerprint, fmt, i18n, paths
from salesaudit.errors import PipelineError, SalesAuditError, UsageError
from salesaudit.i18n import _
from salesaudit.ingest.load import file_hashes, load
from salesaudit.params import load_params
from salesaudit.report import pdf, render

NOTEBOOK_PARAMETERS = {"params_path", "run_dir"}
# Fresh worker processes (not forks of the runner): they share no memory with it, see the
# environment as it is now, and a notebook's kernel starts from a clean process.
_WORKERS = multiprocessing.get_context("spawn")
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # silence kernel start-up noise
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


@dataclass
class NotebookResult:
    slug: str
    seconds: float
    ok: bool
    output: str
    error: str = ""
    reused: bool = False  # unchanged inputs, params and code: the previous execution is kept
    peak_mb: float = 0.0  # the kernel's peak memory


@dataclass
class RunResult:
    client: str
    run_dir: Path
    report_dir: Path | None
    results: list[NotebookResult] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # notebook -> what its result depends on
    up_to_date: bool = False  # nothing changed since the published report: nothing was redone

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


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


def quiet_kernels() -> None:
    """Environment the kernels inherit: no debugger, platform-dirs or deprecation noise."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    os.environ["PYTHONWARNINGS"] = "ignore::DeprecationWarning"


def _build_table_cache(params_file: str) -> None:
    """Validate and cache the client's tables (in a worker process)."""
    load(load_params(params_file))


class _KernelMemory(threading.Thread):
    """Peak RSS (MB) of this worker's child processes — the notebook's kernel — sampled."""

    def __init__(self, every: float = 0.25):
        super().__init__(daemon=True)
        self.every, self.peak, self._stop_event = every, 0.0, threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop_event.wait(self.every):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total / 2**20)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return round(self.peak, 1)


def _execute(src: str, out: str, parameters: dict, cwd: str) -> tuple[float, str, float]:
    """Run one notebook (in a worker process). Returns (seconds, error summary or '', peak
    memory of its kernel in MB)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    t0 = time.perf_counter()
    memory = _KernelMemory()
    memory.start()
    try:
        papermill.execute_notebook(
            src, out, parameters=parameters, kernel_name="python3", progress_bar=False,
            log_output=False, cwd=cwd, extra_arguments=KERNEL_ARGS,
        )
        error = ""
    except PapermillExecutionError as err:
        tb = "\n".join(err.traceback) if err.traceback else ""
        tb = re.sub(r"\x1b\[[0-9;]*m", "", tb)
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}\n{tb}"
    except Exception as err:  # kernel died, timeout, unreadable notebook …
        error = "".join(traceback.format_exception_only(err)).strip()
    return time.perf_counter() - t0, error, memory.stop()


def _source_in(nb: Notebook, language: str, run_dir: Path) -> Path:
    """The notebook to execute: the source itself, or its copy with the narrative in the
    report's language (kept in the run folder with the rest of the run record)."""
    if language == i18n.SOURCE_LANGUAGE:
        return nb.path
    out = run_dir / "source" / nb.path.name
    out.parent.mkdir(exist_ok=True)
    nbformat.write(i18n.translate_notebook(nbformat.read(nb.path, as_version=4), language), out)
    return out


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True,
                             text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old report is removed last."""
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def run(
    params_path: str | Path,
    only: list[str] | None = None,
    jobs: int | None = None,
    reports_root: Path | None = None,
    on_event: Callable[[str], None] = lambda msg: None,
    force: bool = False,
    max_memory_gb: float | None = None,
) -> RunResult:
    """Validate, execute, render and publish one client's audit.

    A notebook whose inputs, params, own source and library code are unchanged since the
    published report is not executed again: its executed copy and findings are reused (like
    Quarto's freeze). With nothing changed at all, nothing is redone. `force` runs everything.
    Notebooks run `jobs` at a time, the longest of the last run first, and a notebook waits
    while the peaks (last run) of those running and its own would exceed the memory budget
    (`max_memory_gb`, default 70% of the available memory)."""
    started = dt.datetime.now(dt.UTC)
    params_file = paths.resolve(params_path)
    params = load_params(params_file)
    on_event(f"params ok: {params.client} ({params.period})")
    # Validate (raises DataError before any notebook starts) and fill the table cache in a
    # worker: a large client's tables never enter this process, whose memory every run pays.
    with ProcessPoolExecutor(max_workers=1, mp_context=_WORKERS) as pool:
        pool.submit(_build_table_cache, str(params_file)).result()
    data = load(params)  # from the cache: row counts only, no table is read
    on_event("data ok: " + ", ".join(f"{n} {r:,}" for n, r in data.row_counts()))

    notebooks = discover()
    components = [nb for nb in notebooks if nb.slug != SUMMARY]
    summary = [nb for nb in notebooks if nb.slug == SUMMARY]
    if only:
        unknown = sorted(set(only) - {nb.slug for nb in components})
        if unknown:
            raise UsageError(f"--only: unknown component(s) {unknown}; known: "
                                f"{', '.join(nb.slug for nb in components)}")
        components = [nb for nb in components if nb.slug in only]
    for nb in components + summary:
        check_parameters(nb)

    run_id = started.strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}"
    run_dir = paths.client_build_dir(params.client) / "runs" / run_id
    (run_dir / "executed").mkdir(parents=True)
    (run_dir / "findings").mkdir()
    report_dir = (reports_root or paths.REPORTS) / params.client
    if only and (report_dir / "findings").is_dir():
        # A partial run keeps the other components' findings of the published report.
        for f in (report_dir / "findings").glob("*.json"):
            shutil.copy2(f, run_dir / "findings" / f.name)
    result = RunResult(params.client, run_dir, None)
    parameters = {"params_path": str(params_file), "run_dir": str(run_dir)}
    inputs = file_hashes(params)
    result.keys = run_keys(notebooks, params_file, inputs)
    manifest = _published_manifest(report_dir)
    published = manifest.get("keys", {})
    previous = {} if force else published  # what may be reused

    def reuse(nb: Notebook) -> bool:
        """Keep the published execution of an unchanged notebook."""
        executed = report_dir / "notebooks" / nb.path.name
        sidecar = report_dir / "findings" / f"{nb.slug}.json"
        if previous.get(nb.slug) != result.keys[nb.slug] or not executed.is_file():
            return False
        out = run_dir / "executed" / nb.path.name
        shutil.copy2(executed, out)
        if sidecar.is_file():
            shutil.copy2(sidecar, run_dir / "findings" / sidecar.name)
        result.results.append(NotebookResult(nb.slug, 0.0, True, str(out), reused=True))
        on_event(f"same {nb.path.name} (unchanged: previous execution kept)")
        return True

    history = manifest.get("notebooks", {})  # slug -> seconds and peak_mb of the last run
    budget = memory_budget_mb(max_memory_gb)

    def need(nb: Notebook) -> float:
        return float(history.get(nb.slug, {}).get("peak_mb") or 0.0)

    def execute(batch: list[Notebook]) -> None:
        batch = [nb for nb in batch if not reuse(nb)]
        if not batch:
            return
        workers = max(1, min(jobs or os.cpu_count() or 1, len(batch)))
        pending = longest_first(batch, history, dict(data.row_counts()))
        running: dict = {}
        with ProcessPoolExecutor(max_workers=workers, mp_context=_WORKERS) as pool:
            while pending or running:
                for nb in admissible(pending, list(running.values()), workers, budget, need):
                    pending.remove(nb)
                    running[pool.submit(_execute, str(_source_in(nb, params.language, run_dir)),
                                        str(run_dir / "executed" / nb.path.name),
                                        parameters, str(paths.NOTEBOOKS))] = nb
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    nb = running.pop(fut)
                    seconds, error, peak_mb = fut.result()
                    out = str(run_dir / "executed" / nb.path.name)
                    result.results.append(NotebookResult(nb.slug, seconds, not error, out, error,
                                                         peak_mb=peak_mb))
                    on_event(f"{'ok  ' if not error else 'FAIL'} {nb.path.name} "
                             f"({seconds:.1f} s, {peak_mb / 1024:.1f} GB)")

    quiet_kernels()
    execute(components)
    if result.ok:
        execute(summary)
    (run_dir / "run.json").write_text(json.dumps(
        [asdict(r) for r in result.results], indent=2))
    if not result.ok:
        raise PipelineError(_failure_summary(result))
    if all(r.reused for r in result.results):
        result.up_to_date, result.report_dir = True, report_dir
        on_event(f"nothing changed: {report_dir / 'index.html'} is up to date")
        return result

    staging = report_dir.with_name(f".staging-{params.client}-{run_id}")
    try:
        _publish(staging, report_dir, result, params, data, params_file, started, only,
                 inputs, published)
    except SalesAuditError:
        raise
    except Exception as err:
        raise PipelineError(f"rendering failed, the previous report is untouched: {err}\n"
                            f"  partial output kept in {staging}") from err
    result.report_dir = report_dir
    on_event(f"published {report_dir / 'index.html'}")
    return result


def run_keys(notebooks: list[Notebook], params_file: Path, inputs: dict[str, str]) -> dict[str, str]:
    """What each notebook's result depends on: input files, params, library code, package
    versions and the notebook itself; the summary also on every component's key."""
    base = fingerprint.of(json.dumps(inputs, sort_keys=True), params_file.read_bytes(),
                          fingerprint.library(), json.dumps(_versions(), sort_keys=True))
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


def _published_manifest(report_dir: Path) -> dict:
    """The published report's manifest: its run keys and each notebook's seconds and peak
    memory ({} when there is no report yet)."""
    try:
        return json.loads((report_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


def _failure_summary(result: RunResult) -> str:
    lines = ["the run failed; the previous report is untouched."]
    for r in result.results:
        if not r.ok:
            head, *trace = r.error.splitlines() or [""]
            # The failing cell and error first, then the end of the traceback (library frames).
            frames = [ln for ln in trace if ln.startswith(("File ", "Cell In"))]
            ours = [ln for ln in frames if ln.startswith("Cell In") or "/salesaudit/" in ln]
            frames = ours + [ln for ln in frames[-2:] if ln not in ours]
            lines += [f"\n{Path(r.output).name} failed — executed copy kept for inspection:",
                      f"  {r.output}", f"  {head}", *("  " + ln for ln in frames[-10:])]
    return "\n".join(lines)


def _methods_page(out: Path, language: str) -> render.Page:
    """The methods appendix (definitions, intervals, tests), the same for every client,
    written as a notebook beside the executed ones so that both renderers include it.
    Translated whole: `methods.md` is the English, `methods.<language>.md` the others."""
    templates = render.TEMPLATES
    name = "methods.md" if language == i18n.SOURCE_LANGUAGE else f"methods.{language}.md"
    text = (templates / name).read_text(encoding="utf-8")
    _before, front, body = text.split("---", 2)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell(f"---{front}---"),
                                         nbformat.v4.new_markdown_cell(body.strip())])
    nbformat.write(nb, out)
    return render.Page("methods", _("Methods"), out)


def _publish(staging: Path, report_dir: Path, result: RunResult, params, data, params_file,
             started: dt.datetime, only, inputs: dict[str, str], published: dict[str, str]) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    if only and report_dir.is_dir():
        shutil.copytree(report_dir, staging)  # keep the pages this run did not redo
    staging.mkdir(parents=True, exist_ok=True)
    (staging / "notebooks").mkdir(exist_ok=True)
    (staging / "findings").mkdir(exist_ok=True)
    for r in result.results:
        shutil.copy2(r.output, staging / "notebooks" / Path(r.output).name)
    for f in (result.run_dir / "findings").glob("*.json"):
        shutil.copy2(f, staging / "findings" / f.name)
    quarto_yml = paths.REPORTS / "_quarto.yml"
    if quarto_yml.is_file():
        shutil.copy2(quarto_yml, staging / "notebooks" / "_quarto.yml")

    # Pages in notebook order; all published notebooks, not only this run's.
    i18n.set_language(params.language)
    by_name = {nb.path.name: nb for nb in discover()}
    pages = [
        render.Page(by_name[p.name].page, _(by_name[p.name].title), p)
        for p in sorted((staging / "notebooks").glob("*.ipynb")) if p.name in by_name
    ]
    pages.sort(key=lambda pg: (pg.slug != "index", pg.notebook.name))
    pages.append(_methods_page(staging / "notebooks" / "methods.ipynb", params.language))
    fmt.set_locale(params.number_locale)
    site = render.SiteInfo(
        client_name=params.name,
        period=fmt.period(params.period.start, params.period.end),
        run_date=fmt.timestamp_utc(started),
        sources=data.row_counts(),
        language=params.language,
    )
    written = render.render_site(pages, site, staging)
    for page in written:
        refs = render.external_references(page.read_text(encoding="utf-8"))
        if refs:
            raise PipelineError(f"{page.name} is not self-contained (refers to {refs[:3]}); "
                                "the report was not published")
    if pdf.pdf_available():  # the whole audit as one PDF, printed by headless Chromium
        pdf.print_pdf(staging, [page.stem for page in written], staging / "audit.pdf")
    else:  # a partial run must not keep a PDF of the previous run's pages
        (staging / "audit.pdf").unlink(missing_ok=True)
    if render.quarto_available():
        render.render_with_quarto(staging / "notebooks")

    manifest = {
        "client": params.client,
        "run_id": result.run_dir.name,
        "started": started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "params_file": str(params_file),
        "params": params.model_dump(mode="json"),
        "inputs_sha256": inputs,
        "rows": dict(data.row_counts()),
        "versions": _versions(),
        "git_commit": _git_commit(),
        "notebooks": {r.slug: {"seconds": round(r.seconds, 2), "ok": r.ok, "reused": r.reused,
                               "peak_mb": r.peak_mb} for r in result.results},
        # Keys of the notebooks this report holds: this run's, and a partial run's others.
        "keys": {**(published if only else {}),
                 **{r.slug: result.keys[r.slug] for r in result.results}},
        "partial_run": bool(only),
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
    _swap_in(staging, report_dir)
