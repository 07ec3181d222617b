"""The `salesaudit` command: demo, validate, run.

User errors (bad params, bad data, a failed notebook) print their message and exit with the
error's code (2 for bad input, 1 for a failed run) — never a Python traceback.
"""

from __future__ import annotations

import sys
import time
from functools import wraps
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from salesaudit import components, paths
from salesaudit.errors import SalesAuditError
from salesaudit.ingest import contract

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Sales audit: validate a client's data and publish the audit report.")


def _friendly(fn):
    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SalesAuditError as err:
            typer.secho(f"error: {err}", fg="red", err=True)
            raise typer.Exit(err.exit_code) from None

    return wrapper


@app.command()
@_friendly
def demo(
    customers: Annotated[int, typer.Option(help="number of customers")] = 20_000,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("data/demo"),
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet")] = "csv",
) -> None:
    """Write the demo client (all twelve tables and truth.json with the planted effects)."""
    from salesaudit import demo as demo_mod

    t0 = time.perf_counter()
    target = paths.resolve(out, base=Path.cwd())
    d = demo_mod.generate(customers=customers, seed=seed)
    demo_mod.write(d, target, fmt=fmt)
    rows = ", ".join(f"{n} {len(df):,}" for n, df in d.tables.items())
    typer.echo(f"demo client written to {target} in {time.perf_counter() - t0:.1f} s: {rows}")


def _date_range(df: pd.DataFrame) -> str:
    dates = [c for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
    if not dates:
        return ""
    s = df[dates[0]].dropna()
    return f"{s.min():%Y-%m-%d} … {s.max():%Y-%m-%d} ({dates[0]})" if len(s) else ""


def _column_report(params, name: str, df: pd.DataFrame) -> list[str]:
    """Which contract columns were found, which came from a mapping, which are missing and
    what each missing one disables."""
    src = params.source(name)
    spec = contract.table(name)
    found = [c for c in spec.names if c in df.columns]
    mapped = [f"{c} ← {src.columns[c]}" for c in found if c in src.columns]
    mapped += [f"{c} ← derived" for c in found if c in src.derive]
    missing = [c for c in spec.names if c not in df.columns]
    lines = [f"found: {', '.join(found)}"]
    if mapped:
        lines.append(f"mapped: {', '.join(mapped)}")
    if missing:
        lines.append("missing: " + "; ".join(
            f"{c} (disables {contract.ENABLES[(name, c)]})" if (name, c) in contract.ENABLES else c
            for c in missing))
    return lines


@app.command()
@_friendly
def validate(params_file: Annotated[Path, typer.Argument(help="params/<client>.yaml")]) -> None:
    """Check params and every table; print a per-table summary without running notebooks."""
    from salesaudit.ingest.load import load
    from salesaudit.params import load_params

    params = load_params(paths.resolve(params_file, base=Path.cwd()))
    data = load(params, use_cache=False)
    typer.echo(f"{params.name} ({params.client}), period {params.period}, data {params.data_path}")
    width = max(len(n) for n in contract.TABLES)
    for name in contract.TABLES:
        df = data.tables.get(name)
        q = data.quality[data.quality["table"] == name]
        if df is None:
            why = "; ".join(q["check"]) if len(q) else ""
            typer.echo(f"  {name:<{width}}  missing{f' ({why})' if why else ''}")
            continue
        notes = "; ".join(f"{r.check}: {r.rows:,}" for r in q.itertuples()) or "no problems"
        typer.echo(f"  {name:<{width}}  {len(df):>10,} rows  {_date_range(df):<40}  {notes}")
        for line in _column_report(params, name, df):
            typer.echo(f"  {'':<{width}}  {line}")
    for comp in components.discover().values():
        missing = data.missing(*comp.needs)
        if missing:
            typer.echo(f"  → {comp.slug}: not available (needs {', '.join(missing)})")
    typer.secho("valid", fg="green")


@app.command()
@_friendly
def run(
    params_file: Annotated[Path, typer.Argument(help="params/<client>.yaml")],
    only: Annotated[list[str] | None, typer.Option(help="run only this component")] = None,
    jobs: Annotated[int | None, typer.Option(help="notebooks in parallel (default: cores)")] = None,
    force: Annotated[bool, typer.Option(help="run every notebook even if nothing changed")] = False,
    max_memory: Annotated[float | None, typer.Option(
        help="GB the notebooks running at once may use together, judged by each one's peak "
             "in the last run (default: 70% of the memory available)")] = None,
) -> None:
    """Validate, run every notebook, render and publish reports/<client>/."""
    from salesaudit.run import pipeline

    t0 = time.perf_counter()
    result = pipeline.run(paths.resolve(params_file, base=Path.cwd()), only=only, jobs=jobs,
                          on_event=lambda m: typer.echo(m), force=force, max_memory_gb=max_memory)
    typer.secho(f"done in {time.perf_counter() - t0:.1f} s: {result.report_dir / 'index.html'}",
                fg="green")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="salesaudit")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
