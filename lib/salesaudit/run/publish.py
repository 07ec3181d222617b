"""Publishing a run: render the executed notebooks into a staging folder (pages, methods,
PDF, manifest) and swap it in for the published report, so that a reader always finds a
complete report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from salesaudit import fmt, i18n, paths
from salesaudit.errors import PipelineError
from salesaudit.i18n import _
from salesaudit.report import pdf, render
from salesaudit.run.schedule import discover, versions

if TYPE_CHECKING:
    from salesaudit.run.pipeline import Plan, RunResult


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True,
                             text=True, timeout=5, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _swap_in(staging: Path, target: Path) -> None:
    """Replace `target` by `staging` with two renames; the old report is removed last."""
    old = target.with_name(f".old-{target.name}-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def published_manifest(report_dir: Path) -> dict:
    """The published report's manifest: its run keys and each notebook's seconds and peak
    memory ({} when there is no report yet)."""
    try:
        return json.loads((report_dir / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}


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


def publish(plan: Plan, result: RunResult, staging: Path) -> None:
    """Render the run into `staging` and swap it in for the published report."""
    _stage(staging, plan, result)
    written = _render_pages(staging, plan)
    if pdf.pdf_available():  # the whole audit as one PDF, printed by headless Chromium
        pdf.print_pdf(staging, [page.stem for page in written], staging / "audit.pdf")
    else:  # a partial run must not keep a PDF of the previous run's pages
        (staging / "audit.pdf").unlink(missing_ok=True)
    if render.quarto_available():
        render.render_with_quarto(staging / "notebooks")
    (staging / "manifest.json").write_text(json.dumps(_manifest(plan, result), indent=2))
    _swap_in(staging, plan.report_dir)


def _stage(staging: Path, plan: Plan, result: RunResult) -> None:
    """The executed notebooks, findings and Quarto project of the report to be; a partial run
    starts from the published report so that the pages it did not redo are kept."""
    if staging.exists():
        shutil.rmtree(staging)
    if plan.only and plan.report_dir.is_dir():
        shutil.copytree(plan.report_dir, staging)
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


def _render_pages(staging: Path, plan: Plan) -> list[Path]:
    """One self-contained HTML page per published notebook (not only this run's), in
    notebook order, plus the methods page."""
    params = plan.params
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
        run_date=fmt.timestamp_utc(plan.started),
        sources=plan.data.row_counts(),
        language=params.language,
    )
    written = render.render_site(pages, site, staging)
    for page in written:
        refs = render.external_references(page.read_text(encoding="utf-8"))
        if refs:
            raise PipelineError(f"{page.name} is not self-contained (refers to {refs[:3]}); "
                                "the report was not published")
    return written


def _manifest(plan: Plan, result: RunResult) -> dict:
    """What the report was made from: params, input hashes, versions, commit, and per
    notebook its time, peak memory and run key (for reuse and scheduling next time)."""
    published = plan.manifest.get("keys", {})
    return {
        "client": plan.params.client,
        "run_id": result.run_dir.name,
        "started": plan.started.isoformat(),
        "finished": dt.datetime.now(dt.UTC).isoformat(),
        "params_file": str(plan.params_file),
        "params": plan.params.model_dump(mode="json"),
        "inputs_sha256": plan.inputs,
        "rows": dict(plan.data.row_counts()),
        "versions": versions(),
        "git_commit": _git_commit(),
        "notebooks": {r.slug: {"seconds": round(r.seconds, 2), "ok": r.ok, "reused": r.reused,
                               "peak_mb": r.peak_mb} for r in result.results},
        # Keys of the notebooks this report holds: this run's, and a partial run's others.
        "keys": {**(published if plan.only else {}),
                 **{r.slug: result.keys[r.slug] for r in result.results}},
        "partial_run": bool(plan.only),
    }
