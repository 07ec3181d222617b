"""Run the audit for one client, in four phases: validate, schedule, execute, publish.

    run("params/acme.yaml")  ->  reports/acme/index.html (+ one page per component)

A run is a folder build/<client>/runs/<run id>/ holding the executed notebooks (immutable
run records, kept when they fail), the findings sidecars and a log. Publishing renders into a
staging folder and swaps it in with renames, so a failed run never touches the last good
report. The phases live beside this module: schedule.py (what runs, in which order, what is
reused), execute.py (one notebook in a worker), publish.py (render and swap in).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from salesaudit import paths
from salesaudit.errors import PipelineError, SalesAuditError, UsageError
from salesaudit.ingest.cache import AuditData, file_hashes
from salesaudit.ingest.load import load
from salesaudit.params import AuditParams, load_params
from salesaudit.run import execute as ex
from salesaudit.run import publish as pub
from salesaudit.run import schedule as sch
from salesaudit.run.schedule import SUMMARY, Notebook

# Fresh worker processes (not forks of the runner): they share no memory with it, see the
# environment as it is now, and a notebook's kernel starts from a clean process.
_WORKERS = multiprocessing.get_context("spawn")


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


@dataclass
class Plan:
    """What the schedule phase decided: the notebooks to run, where, and what to reuse."""

    params_file: Path
    params: AuditParams
    data: AuditData
    components: list[Notebook]
    summary: list[Notebook]
    notebooks: list[Notebook]  # every notebook of the audit, for the run keys
    run_dir: Path
    report_dir: Path
    started: dt.datetime
    inputs: dict[str, str]  # input file -> sha256
    manifest: dict  # the published report's manifest ({} when none)
    force: bool
    only: list[str] | None


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
    params_file, params, data = validate(params_path, on_event)
    plan = schedule(params_file, params, data, only, reports_root, started, force)
    result = RunResult(params.client, plan.run_dir, None)
    result.keys = sch.run_keys(plan.notebooks, params_file, plan.inputs)
    execute(plan, result, jobs, max_memory_gb, on_event)
    if all(r.reused for r in result.results):
        result.up_to_date, result.report_dir = True, plan.report_dir
        on_event(f"nothing changed: {plan.report_dir / 'index.html'} is up to date")
        return result
    publish(plan, result)
    on_event(f"published {plan.report_dir / 'index.html'}")
    return result


def _build_table_cache(params_file: str) -> None:
    """Validate and cache the client's tables (in a worker process)."""
    load(load_params(params_file))


def validate(params_path: str | Path, on_event: Callable[[str], None]) -> tuple[Path, AuditParams, AuditData]:
    """Phase 1: the params and every table, before any notebook starts (raises ParamsError or
    DataError with the fix). Tables are validated and cached in a worker: a large client's
    tables never enter this process, whose memory every run pays."""
    params_file = paths.resolve(params_path)
    params = load_params(params_file)
    on_event(f"params ok: {params.client} ({params.period})")
    with ProcessPoolExecutor(max_workers=1, mp_context=_WORKERS) as pool:
        pool.submit(_build_table_cache, str(params_file)).result()
    data = load(params)  # from the cache: row counts only, no table is read
    on_event("data ok: " + ", ".join(f"{n} {r:,}" for n, r in data.row_counts()))
    return params_file, params, data


def schedule(params_file: Path, params: AuditParams, data: AuditData, only: list[str] | None,
             reports_root: Path | None, started: dt.datetime, force: bool) -> Plan:
    """Phase 2: which notebooks run (`only` checked against the components), the run's
    folder, and what the published report offers for reuse."""
    notebooks = sch.discover()
    components = [nb for nb in notebooks if nb.slug != SUMMARY]
    summary = [nb for nb in notebooks if nb.slug == SUMMARY]
    if only:
        unknown = sorted(set(only) - {nb.slug for nb in components})
        if unknown:
            raise UsageError(f"--only: unknown component(s) {unknown}; known: "
                                f"{', '.join(nb.slug for nb in components)}")
        components = [nb for nb in components if nb.slug in only]
    for nb in components + summary:
        sch.check_parameters(nb)

    run_id = started.strftime("%Y%m%dT%H%M%SZ") + f"-{os.getpid()}"
    run_dir = paths.client_build_dir(params.client) / "runs" / run_id
    (run_dir / "executed").mkdir(parents=True)
    (run_dir / "findings").mkdir()
    report_dir = (reports_root or paths.REPORTS) / params.client
    if only and (report_dir / "findings").is_dir():
        # A partial run keeps the other components' findings of the published report.
        for f in (report_dir / "findings").glob("*.json"):
            shutil.copy2(f, run_dir / "findings" / f.name)
    return Plan(params_file, params, data, components, summary, notebooks, run_dir, report_dir,
                started, file_hashes(params), pub.published_manifest(report_dir), force, only)


def _reuse(plan: Plan, result: RunResult, nb: Notebook, on_event: Callable[[str], None]) -> bool:
    """Keep the published execution of an unchanged notebook."""
    previous = {} if plan.force else plan.manifest.get("keys", {})
    executed = plan.report_dir / "notebooks" / nb.path.name
    sidecar = plan.report_dir / "findings" / f"{nb.slug}.json"
    if previous.get(nb.slug) != result.keys[nb.slug] or not executed.is_file():
        return False
    out = plan.run_dir / "executed" / nb.path.name
    shutil.copy2(executed, out)
    if sidecar.is_file():
        shutil.copy2(sidecar, plan.run_dir / "findings" / sidecar.name)
    result.results.append(NotebookResult(nb.slug, 0.0, True, str(out), reused=True))
    on_event(f"same {nb.path.name} (unchanged: previous execution kept)")
    return True


def _execute_batch(plan: Plan, result: RunResult, batch: list[Notebook], jobs: int | None,
                   budget: float, on_event: Callable[[str], None]) -> None:
    """Run the notebooks of `batch` that cannot be reused, within the workers and memory
    budget, the longest first."""
    batch = [nb for nb in batch if not _reuse(plan, result, nb, on_event)]
    if not batch:
        return
    history = plan.manifest.get("notebooks", {})  # slug -> seconds and peak_mb of the last run

    def need(nb: Notebook) -> float:
        return float(history.get(nb.slug, {}).get("peak_mb") or 0.0)

    parameters = {"params_path": str(plan.params_file), "run_dir": str(plan.run_dir)}
    workers = max(1, min(jobs or os.cpu_count() or 1, len(batch)))
    pending = sch.longest_first(batch, history, dict(plan.data.row_counts()))
    running: dict = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=_WORKERS) as pool:
        while pending or running:
            for nb in sch.admissible(pending, list(running.values()), workers, budget, need):
                pending.remove(nb)
                source = ex.source_in(nb, plan.params.language, plan.run_dir)
                running[pool.submit(ex.execute_notebook, str(source),
                                    str(plan.run_dir / "executed" / nb.path.name),
                                    parameters, str(paths.NOTEBOOKS))] = nb
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                nb = running.pop(fut)
                seconds, error, peak_mb = fut.result()
                out = str(plan.run_dir / "executed" / nb.path.name)
                result.results.append(NotebookResult(nb.slug, seconds, not error, out, error,
                                                     peak_mb=peak_mb))
                on_event(f"{'ok  ' if not error else 'FAIL'} {nb.path.name} "
                         f"({seconds:.1f} s, {peak_mb / 1024:.1f} GB)")


def execute(plan: Plan, result: RunResult, jobs: int | None, max_memory_gb: float | None,
            on_event: Callable[[str], None]) -> None:
    """Phase 3: the components, then the summary that reads their findings. The run record
    (run.json) is written whatever happens; a failed notebook fails the run."""
    ex.quiet_kernels()
    budget = sch.memory_budget_mb(max_memory_gb)
    _execute_batch(plan, result, plan.components, jobs, budget, on_event)
    if result.ok:
        _execute_batch(plan, result, plan.summary, jobs, budget, on_event)
    (plan.run_dir / "run.json").write_text(json.dumps(
        [asdict(r) for r in result.results], indent=2))
    if not result.ok:
        raise PipelineError(_failure_summary(result))


def publish(plan: Plan, result: RunResult) -> None:
    """Phase 4: render into a staging folder and swap it in for the published report."""
    staging = plan.report_dir.with_name(f".staging-{plan.params.client}-{plan.run_dir.name}")
    try:
        pub.publish(plan, result, staging)
    except SalesAuditError:
        raise
    except Exception as err:
        raise PipelineError(f"rendering failed, the previous report is untouched: {err}\n"
                            f"  partial output kept in {staging}") from err
    result.report_dir = plan.report_dir


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
