"""Benchmark the audit on scaled demo clients; see benchmarks/README.md.

    .venv/bin/python benchmarks/run.py                      # 20k, 200k and 2M customers
    .venv/bin/python benchmarks/run.py --sizes 20000 --skip-baseline
    make bench BENCH_ARGS="--sizes 20000 200000"

For each size: generate the demo client (parquet: the generator writes it much faster than
CSV, and the loader reads it without parsing), write its params file, time validate+load
(cold, no table cache) and a cached load, run `salesaudit run <params> --force` in a
subprocess — from no table cache, as a new client's first run, unless --warm — while sampling the RSS of its whole process tree every 0.2 s, read the per-notebook
seconds from reports/<client>/manifest.json, then re-run unchanged (run cache). For sizes up
to --baseline-max, also run the same notebooks one after another with the plain `papermill`
and `jupyter nbconvert --to html` commands. Finally compare clv.customer_summary with
lifetimes.utils.summary_data_from_transaction_data on the orders of the largest size.

Writes <out>/results.json and <out>/results.md (and prints the Markdown). Every step has a
timeout; a step that times out or fails is recorded as such and the benchmark goes on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SAMPLE_S = 0.2


# ----------------------------------------------------------------------------- helpers


def label(n: int) -> str:
    return f"{n // 1_000_000}m" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def env() -> dict[str, str]:
    """The project's own environment: no SALESAUDIT_ROOT (the real project), unbuffered
    output (events are timestamped as they are printed), homes under build/home as in make."""
    e = dict(os.environ)
    e.pop("SALESAUDIT_ROOT", None)
    e["PYTHONUNBUFFERED"] = "1"
    home = ROOT / "build" / "home"
    for var, sub in [("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
                     ("JUPYTER_CONFIG_DIR", "jupyter"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                     ("JUPYTER_RUNTIME_DIR", "jupyter-runtime")]:
        (home / sub).mkdir(parents=True, exist_ok=True)
        e.setdefault(var, str(home / sub))
    e.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    e.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return e


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def kill_tree(proc: psutil.Process) -> None:
    try:
        procs = proc.children(recursive=True) + [proc]
    except psutil.Error:
        procs = [proc]
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass


MAX_RSS = 16 * 2**30  # set by --max-rss-gb: a run above this is stopped, not the machine


def measure(cmd: list[str], timeout: float, log: Path, cwd: Path = ROOT) -> dict:
    """Run `cmd`; wall seconds, peak RSS of its process tree, each output line's time."""
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    popen = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, bufsize=1)
    proc = psutil.Process(popen.pid)
    lines: list[tuple[float, str]] = []

    def reader():
        for line in popen.stdout:
            lines.append((time.perf_counter() - t0, line.rstrip("\n")))

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    peak, timed_out, too_big = 0, False, False
    while popen.poll() is None:
        peak = max(peak, tree_rss(proc))
        if time.perf_counter() - t0 > timeout:
            timed_out = True
            kill_tree(proc)
            break
        if peak > MAX_RSS:
            too_big = True
            kill_tree(proc)
            break
        time.sleep(SAMPLE_S)
    popen.wait()
    th.join(timeout=5)
    wall = time.perf_counter() - t0
    log.write_text("\n".join(f"{t:8.2f}  {s}" for t, s in lines) + "\n")
    status = "ok"
    if timed_out:
        status = f"timed out after {timeout:.0f} s"
    elif too_big:
        status = f"stopped: process tree above {MAX_RSS / 2**30:.0f} GB RSS after {wall:.0f} s"
    elif popen.returncode != 0:
        tail = [s for _, s in lines if s.strip()][-3:]
        status = f"failed (exit {popen.returncode}): " + " | ".join(tail)[:300]
    return {"status": status, "seconds": round(wall, 2), "peak_rss_mb": round(peak / 2**20),
            "lines": lines, "log": str(log.relative_to(ROOT))}


def first(lines, prefix: str) -> float | None:
    return next((t for t, s in lines if s.startswith(prefix)), None)


def last(lines, prefixes: tuple[str, ...]) -> float | None:
    ts = [t for t, s in lines if s.startswith(prefixes)]
    return ts[-1] if ts else None


def machine() -> dict:
    mem = psutil.virtual_memory()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "memory_gb": round(mem.total / 2**30, 1),
        "memory_available_gb": round(mem.available / 2**30, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=5).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ----------------------------------------------------------------------------- steps


def generate(n: int, data: Path, seed: int, fmt: str, timeout: float, out: Path) -> dict:
    marker = data / "bench.json"
    want = {"customers": n, "seed": seed, "format": fmt}
    if marker.is_file():
        old = json.loads(marker.read_text())
        if {k: old.get(k) for k in want} == want:
            return {**old, "reused": True}
    if data.exists():
        shutil.rmtree(data)
    r = measure([str(BIN / "salesaudit"), "demo", "--customers", str(n), "--seed", str(seed),
                 "--out", str(data), "--format", fmt], timeout, out / "logs" / f"demo-{label(n)}.log")
    info = {**want, "status": r["status"], "seconds": r["seconds"], "peak_rss_mb": r["peak_rss_mb"],
            "bytes": sum(p.stat().st_size for p in data.glob("*") if p.is_file()) if data.exists() else 0}
    if r["status"] == "ok":
        marker.write_text(json.dumps(info))
    return {**info, "reused": False}


def write_params(n: int, data: Path, fmt: str, out: Path) -> tuple[str, Path]:
    client = f"bench-{label(n)}"
    p = yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())
    p["client"] = client
    p["name"] = f"Benchmark client ({n:,} customers)"
    p["data_dir"] = str(data)
    if fmt == "parquet":
        p.setdefault("tables", {}).setdefault("orders", {})["file"] = "orders.parquet"
        p["tables"]["orders"].pop("csv", None)
    path = out / "params" / f"{client}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(p, sort_keys=False))
    return client, path


LOAD_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
from salesaudit.params import load_params
from salesaudit.ingest.load import load
t1 = time.perf_counter()
params = load_params(sys.argv[1])
data = load(params, use_cache=sys.argv[2] == "cached")
t2 = time.perf_counter()
print("RESULT " + json.dumps({"import_s": round(t1 - t0, 2), "load_s": round(t2 - t1, 2),
                              "rows": dict(data.row_counts())}))
"""


def timed_load(params: Path, mode: str, timeout: float, log: Path) -> dict:
    """In a fresh interpreter: `load(params)` cold (no table cache, = validate) or cached."""
    r = measure([sys.executable, "-c", LOAD_SCRIPT, str(params), mode], timeout, log)
    res = next((json.loads(s[7:]) for _, s in r["lines"] if s.startswith("RESULT ")), {})
    return {"status": r["status"], "wall_s": r["seconds"], "peak_rss_mb": r["peak_rss_mb"], **res}


def kernel_start(out: Path, reps: int = 3) -> dict:
    """papermill on an empty notebook and on one that only imports what the notebooks import,
    with the pipeline's kernel arguments; median of `reps`."""
    import nbformat
    import papermill

    from salesaudit.run import execute

    os.environ.update(env())
    os.environ["PYTHONWARNINGS"] = "ignore::DeprecationWarning"  # as the pipeline's kernels
    kernel_args = execute.KERNEL_ARGS
    folder = out / "kernel"
    folder.mkdir(parents=True, exist_ok=True)
    imports = ("import matplotlib.pyplot as plt\nimport pandas as pd\n"
               "from salesaudit.run.notebook import start\n"
               "from salesaudit import components, fmt\n"
               "from salesaudit.methods import clv, compare, stats, survival\n"
               "from salesaudit.report import plots\n"
               "for c in components.discover(): __import__(f'salesaudit.components.{c}.findings')")
    result = {}
    for name, src in [("empty", ""), ("imports", imports)]:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            papermill.execute_notebook(str(path), str(folder / f"{name}.out.ipynb"),
                                       kernel_name="python3", progress_bar=False,
                                       log_output=False, cwd=str(ROOT / "notebooks"),
                                       extra_arguments=kernel_args)
            times.append(time.perf_counter() - t0)
        result[f"{name}_s"] = round(sorted(times)[len(times) // 2], 2)
    return result


def audit_run(params: Path, client: str, jobs: int | None, force: bool, timeout: float,
              out: Path, tag: str, max_memory: float | None = None) -> dict:
    cmd = [str(BIN / "salesaudit"), "run", str(params)] + (["--force"] if force else [])
    if jobs:
        cmd += ["--jobs", str(jobs)]
    if max_memory:
        cmd += ["--max-memory", str(max_memory)]
    r = measure(cmd, timeout, out / "logs" / f"run-{client}-{tag}.log")
    lines = r.pop("lines")
    res = {**r}
    t_params = first(lines, "params ok")
    t_data = first(lines, "data ok")
    t_last_nb = last(lines, ("ok  ", "FAIL", "same "))
    t_pub = first(lines, "published") or first(lines, "nothing changed")
    if None not in (t_params, t_data):
        res["phases"] = {
            "startup_s": round(t_params, 2),                 # interpreter, imports, params
            "load_s": round(t_data - t_params, 2),           # validate + load (table cache)
        }
        if t_last_nb is not None:
            res["phases"]["execute_s"] = round(t_last_nb - t_data, 2)  # all notebooks, wall
            if t_pub is not None:
                res["phases"]["render_publish_s"] = round(t_pub - t_last_nb, 2)
                res["phases"]["exit_s"] = round(r["seconds"] - t_pub, 2)
    done_nbs = {}
    for _, line in lines:
        mm = re.match(r"(?:ok  |FAIL) \d\d_(\w+)\.ipynb \(([\d.]+) s[,)]", line)
        if mm:
            done_nbs[mm.group(1)] = float(mm.group(2))
    if done_nbs:
        res["notebooks"] = done_nbs  # replaced by the manifest's figures when published
    res["up_to_date"] = any(s.startswith("nothing changed") for _, s in lines)
    manifest = ROOT / "reports" / client / "manifest.json"
    if r["status"] == "ok" and manifest.is_file():
        m = json.loads(manifest.read_text())
        if force or not res["up_to_date"]:
            res["notebooks"] = {k: v["seconds"] for k, v in m["notebooks"].items()}
            res["kernel_peak_mb"] = {k: v.get("peak_mb") for k, v in m["notebooks"].items()}
        res["rows"] = m.get("rows")
    return res


def baseline(params: Path, client: str, timeout: float, out: Path) -> dict:
    """The same notebooks one after another with the plain papermill and nbconvert commands."""
    from salesaudit.run import schedule

    nbs = schedule.discover()
    nbs = [nb for nb in nbs if nb.slug != schedule.SUMMARY] + \
          [nb for nb in nbs if nb.slug == schedule.SUMMARY]  # the summary reads the findings
    run_dir = out / "baseline" / client
    if run_dir.exists():
        shutil.rmtree(run_dir)
    (run_dir / "executed").mkdir(parents=True)
    (run_dir / "findings").mkdir()
    (run_dir / "html").mkdir()
    t0 = time.perf_counter()
    res = {"notebooks": {}, "render": {}, "peak_rss_mb": 0, "status": "ok"}
    for nb in nbs:
        executed = run_dir / "executed" / nb.path.name
        left = timeout - (time.perf_counter() - t0)
        r = measure([str(BIN / "papermill"), str(nb.path), str(executed),
                     "-p", "params_path", str(params), "-p", "run_dir", str(run_dir),
                     "-k", "python3", "--cwd", str(ROOT / "notebooks")],
                    left, out / "logs" / f"baseline-{client}-{nb.slug}.log")
        r.pop("lines")
        res["notebooks"][nb.slug] = r["seconds"]
        res["peak_rss_mb"] = max(res["peak_rss_mb"], r["peak_rss_mb"])
        if r["status"] != "ok":
            res["status"] = f"{nb.path.name}: {r['status']}"
            break
        left = timeout - (time.perf_counter() - t0)
        r = measure([str(BIN / "jupyter"), "nbconvert", "--to", "html", str(executed),
                     "--output-dir", str(run_dir / "html")],
                    left, out / "logs" / f"baseline-{client}-{nb.slug}-html.log")
        r.pop("lines")
        res["render"][nb.slug] = r["seconds"]
        if r["status"] != "ok":
            res["status"] = f"nbconvert {nb.path.name}: {r['status']}"
            break
    res["seconds"] = round(time.perf_counter() - t0, 2)
    res["execute_s"] = round(sum(res["notebooks"].values()), 2)
    res["render_s"] = round(sum(res["render"].values()), 2)
    return res


CLV_SCRIPT = """
import json, sys, time
import numpy as np, pandas as pd
from salesaudit.methods import clv
from lifetimes.utils import summary_data_from_transaction_data
path, end, which = sys.argv[1], sys.argv[2], sys.argv[3]
orders = pd.read_parquet(path, columns=["customer_id", "ordered_at", "revenue"])
out = {"transactions": len(orders), "customers": int(orders["customer_id"].nunique())}
t = time.perf_counter()
ours = clv.customer_summary(orders, end)
out["ours_s"] = round(time.perf_counter() - t, 2)
if which == "both":
    t = time.perf_counter()
    theirs = summary_data_from_transaction_data(orders, "customer_id", "ordered_at",
                                                monetary_value_col="revenue",
                                                observation_period_end=end)
    out["lifetimes_s"] = round(time.perf_counter() - t, 2)
    rng = np.random.default_rng(0)
    ids = rng.choice(theirs.index.to_numpy(), size=min(10_000, len(theirs)), replace=False)
    cols = ["frequency", "recency", "T", "monetary_value"]
    a = ours.loc[ids, cols].astype(float)
    b = theirs.loc[ids, cols].astype(float)
    out["same_customers"] = bool(set(ours.index) == set(theirs.index))
    out["sample"] = len(ids)
    out["sample_equal"] = bool(np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-9,
                                           equal_nan=True))
print("RESULT " + json.dumps(out))
"""


def clv_compare(data: Path, end: str, timeout: float, out: Path, tag: str) -> dict:
    orders = data / "orders.parquet"
    if not orders.is_file():
        return {"status": "failed: no orders.parquet (run with --format parquet)"}
    r = measure([sys.executable, "-c", CLV_SCRIPT, str(orders), end, "both"], timeout,
                out / "logs" / f"clv-{tag}.log")
    res = next((json.loads(s[7:]) for _, s in r["lines"] if s.startswith("RESULT ")), {})
    if r["status"].startswith("timed out") and "ours_s" not in res:
        # lifetimes did not finish in time: time ours alone
        r2 = measure([sys.executable, "-c", CLV_SCRIPT, str(orders), end, "ours"], timeout,
                     out / "logs" / f"clv-{tag}-ours.log")
        res = next((json.loads(s[7:]) for _, s in r2["lines"] if s.startswith("RESULT ")), {})
    return {"status": r["status"], "wall_s": r["seconds"], "peak_rss_mb": r["peak_rss_mb"],
            "size": tag, **res}


# ----------------------------------------------------------------------------- report


def fmt_s(v) -> str:
    if v is None:
        return "–"
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"


def markdown(res: dict) -> str:
    m = res["machine"]
    e = (res.get("earlier_runs") or {}).get("machine")
    out = [f"## salesaudit benchmark — {m['date']}", "",
           f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GB RAM "
           f"({m['memory_available_gb']} GB available at start, load average {m['load_average_1m']}), "
           f"Python {m['python']}, {m['platform']}, commit {m.get('git_commit')}. Data format: {res['args']['format']}; "
           f"jobs: {res['args']['jobs'] or 'default (cores)'}."
           + (f" Sizes not run in this invocation are from {e['date']} (commit {e.get('git_commit') or 'not recorded'}, "
              f"load average {e['load_average_1m']})." if e else ""), ""]
    k = res.get("kernel", {})
    if k:
        out += [f"Kernel start (papermill, empty notebook): {fmt_s(k.get('empty_s'))} s; "
                f"with the notebooks' imports: {fmt_s(k.get('imports_s'))} s.", ""]
    sizes = res["sizes"]
    slugs = []
    for s in sizes:
        for slug in (s.get("run") or {}).get("notebooks", {}) or {}:
            if slug not in slugs:
                slugs.append(slug)
    head = ["", *[f"{s['customers']:,} customers" + (f" (--jobs {s['jobs']})" if s.get("jobs") else "")
                  for s in sizes]]
    rows = [
        ("orders", lambda s: f"{(s.get('rows') or {}).get('orders', 0):,}"),
        ("generate demo (s)", lambda s: fmt_s(s["generate"].get("seconds"))
         + (" (reused)" if s["generate"].get("reused") else "")),
        ("validate + load, cold (s)", lambda s: fmt_s(s.get("load_cold", {}).get("load_s"))),
        ("load from table cache (s)", lambda s: fmt_s(s.get("load_cached", {}).get("load_s"))),
        ("**full run --force: status**", lambda s: s.get("run", {}).get("status", "–")
         + ("" if s.get("warm") is None else " (table cache warm)" if s["warm"]
            else " (no table cache: validation included)")),
        ("**full run --force: wall (s)**", lambda s: fmt_s(s.get("run", {}).get("seconds"))),
        ("**peak RSS, process tree (MB)**", lambda s: f"{s.get('run', {}).get('peak_rss_mb', 0):,}"),
        ("· largest kernel peak (MB)", lambda s: (lambda k: f"{max(k.values()):,.0f} ({max(k, key=k.get)})"
                                                  if k else "–")(
            {n: v for n, v in (s.get("run", {}).get("kernel_peak_mb") or {}).items() if v})),
        ("· memory budget (--max-memory, GB)", lambda s: str(s.get("max_memory") or "default")),
        ("· start-up + params (s)", lambda s: fmt_s(s.get("run", {}).get("phases", {}).get("startup_s"))),
        ("· validate + load (s)", lambda s: fmt_s(s.get("run", {}).get("phases", {}).get("load_s"))),
        ("· execute notebooks, wall (s)", lambda s: fmt_s(s.get("run", {}).get("phases", {}).get("execute_s"))),
        ("· render + publish (s)", lambda s: fmt_s(s.get("run", {}).get("phases", {}).get("render_publish_s"))),
    ]
    for slug in slugs:
        rows.append((f"notebook {slug} (s)",
                     lambda s, slug=slug: fmt_s((s.get("run", {}).get("notebooks") or {}).get(slug))))
    rows += [
        ("sum of notebook times (s)", lambda s: fmt_s(sum((s.get("run", {}).get("notebooks") or {}).values()) or None)),
        ("re-run unchanged (s)", lambda s: fmt_s(s.get("rerun", {}).get("seconds"))
         + (" (up to date)" if s.get("rerun", {}).get("up_to_date") else "")),
        ("baseline papermill + nbconvert (s)", lambda s: fmt_s(s.get("baseline", {}).get("seconds"))
         if s.get("baseline", {}).get("status", "ok") == "ok" else s.get("baseline", {}).get("status", "–")),
        ("· baseline execute / nbconvert (s)", lambda s: f"{fmt_s(s['baseline']['execute_s'])} / {fmt_s(s['baseline']['render_s'])}"
         if "baseline" in s else "–"),
        ("baseline ÷ ours", lambda s: f"{s['ratio']:.2f}×" if s.get("ratio") else "–"),
    ]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    for name, fn in rows:
        vals = []
        for s in sizes:
            try:
                vals.append(str(fn(s)))
            except Exception:  # noqa: BLE001 - a missing figure is shown as –
                vals.append("–")
        out.append(f"| {name} | " + " | ".join(vals) + " |")
    for c in [*res.get("clv_earlier", []), res.get("clv")]:
        if not c:
            continue
        out += ["", f"Customer summary on {c.get('transactions', 0):,} transactions "
                f"({c.get('customers', 0):,} customers, size {c.get('size')}): "
                f"clv.customer_summary {fmt_s(c.get('ours_s'))} s, "
                f"lifetimes.utils.summary_data_from_transaction_data {fmt_s(c.get('lifetimes_s'))} s"
                + (f" → {c['lifetimes_s'] / c['ours_s']:.1f}× faster" if c.get("lifetimes_s") and c.get("ours_s") else "")
                + (f"; equal on a sample of {c['sample']:,} customers: {c['sample_equal']}, "
                   f"same customers: {c['same_customers']}" if "sample" in c else "")
                + f" (status: {c['status']}, peak RSS {c.get('peak_rss_mb', 0):,} MB)."]
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 2_000_000],
                    help="customers per demo client (about 5 orders each)")
    ap.add_argument("--out", type=Path, default=Path("build/bench"))
    ap.add_argument("--jobs", type=int, default=None, help="notebooks in parallel (default: cores)")
    ap.add_argument("--max-memory", type=float, default=None,
                    help="GB passed to salesaudit run --max-memory (default: its own)")
    ap.add_argument("--skip-baseline", action="store_true",
                    help="do not run the plain papermill + nbconvert baseline")
    ap.add_argument("--baseline-max", type=int, default=200_000,
                    help="run the baseline only for sizes up to this many customers")
    ap.add_argument("--skip-clv", action="store_true", help="no customer summary comparison")
    ap.add_argument("--skip-rerun", action="store_true", help="no unchanged re-run")
    ap.add_argument("--warm", action="store_true",
                    help="keep the table cache for the full run (default: remove it first, so "
                    "the run includes the validation of a new client's first run)")
    ap.add_argument("--skip-validate", action="store_true",
                    help="no separate cold validate+load (with --append: keep the earlier figure)")
    ap.add_argument("--timeout", type=float, default=1200, help="seconds per size and step")
    ap.add_argument("--max-rss-gb", type=float, default=16,
                    help="stop a step whose process tree uses more memory than this")
    ap.add_argument("--clv-timeout", type=float, default=900,
                    help="seconds for the customer summary comparison")
    ap.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--append", action="store_true",
                    help="keep the other sizes of an earlier results.json in --out")
    args = ap.parse_args(argv)
    global MAX_RSS
    MAX_RSS = int(args.max_rss_gb * 2**30)

    out = (args.out if args.out.is_absolute() else ROOT / args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    res = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
           "machine": machine(), "sizes": []}
    earlier = []
    if args.append and (out / "results.json").is_file():
        old = json.loads((out / "results.json").read_text())
        earlier = [s for s in old.get("sizes", []) if s["customers"] not in args.sizes]
        previous = {s["customers"]: s for s in old.get("sizes", []) if s["customers"] in args.sizes}
        res["earlier_runs"] = {"machine": old.get("machine"), "kernel": old.get("kernel")}
        if old.get("clv") and args.skip_clv:
            res["clv"] = old["clv"]
            res["clv_earlier"] = old.get("clv_earlier", [])
        elif old.get("clv"):
            res["clv_earlier"] = [*old.get("clv_earlier", []), old["clv"]]
        res["sizes"] = earlier

    def save():
        (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
        (out / "results.md").write_text(markdown(res))

    print("kernel start …", flush=True)
    try:
        res["kernel"] = kernel_start(out)
    except Exception as err:  # noqa: BLE001
        res["kernel"] = {"status": f"failed: {err}"}
    print(f"  {res['kernel']}", flush=True)

    done = []
    if not args.append:
        previous = {}
    for n in args.sizes:
        data = out / "data" / f"bench-{label(n)}"
        s = {"customers": n}
        res["sizes"].append(s)
        res["sizes"].sort(key=lambda x: x["customers"])
        print(f"\n== {n:,} customers", flush=True)
        s["generate"] = generate(n, data, args.seed, args.format, args.timeout, out)
        print(f"  generate: {s['generate']}", flush=True)
        if s["generate"].get("status") != "ok":
            save()
            continue
        client, params = write_params(n, data, args.format, out)
        s["client"], s["params"] = client, str(params)
        s["jobs"] = args.jobs
        if args.skip_validate:
            if "load_cold" in previous.get(n, {}):
                s["load_cold"] = previous[n]["load_cold"]
        else:
            s["load_cold"] = timed_load(params, "cold", args.timeout,
                                        out / "logs" / f"load-{client}-cold.log")
        s["rows"] = s.get("load_cold", {}).get("rows")
        print(f"  validate+load (cold): {s['load_cold']}", flush=True)
        s["max_memory"] = args.max_memory
        s["warm"] = args.warm
        if not args.warm:  # the full run validates and caches the tables, as a first run does
            from salesaudit import paths

            shutil.rmtree(paths.table_cache_dir(client), ignore_errors=True)
        s["run"] = audit_run(params, client, args.jobs, True, args.timeout, out, "force",
                             args.max_memory)
        print(f"  run --force: {s['run']}", flush=True)
        save()
        if s["run"]["status"] != "ok":
            continue
        done.append((n, data, params))
        s["load_cached"] = timed_load(params, "cached", args.timeout, out / "logs" / f"load-{client}-cached.log")
        print(f"  load (cached): {s['load_cached']}", flush=True)
        if not args.skip_rerun:
            s["rerun"] = audit_run(params, client, args.jobs, False, args.timeout, out, "rerun")
            print(f"  re-run: {s['rerun']}", flush=True)
        if not args.skip_baseline and n <= args.baseline_max:
            s["baseline"] = baseline(params, client, args.timeout, out)
            print(f"  baseline: {s['baseline']}", flush=True)
            if s["baseline"]["status"] == "ok":
                s["ratio"] = round(s["baseline"]["seconds"] / s["run"]["seconds"], 2)
        save()

    if not args.skip_clv:
        cand = [(n, out / "data" / f"bench-{label(n)}") for n in args.sizes
                if (out / "data" / f"bench-{label(n)}" / "bench.json").is_file()]
        if cand:
            n, data = max(cand)
            end = str(yaml.safe_load((ROOT / "params" / "demo.yaml").read_text())["period"]["end"])
            print(f"\ncustomer summary vs lifetimes on {label(n)} …", flush=True)
            res["clv"] = clv_compare(data, end, args.clv_timeout, out, label(n))
            print(f"  {res['clv']}", flush=True)
    res["machine"]["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    save()
    print("\n" + markdown(res))
    print(f"written {out / 'results.md'} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
