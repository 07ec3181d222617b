"""Where a notebook spends its time and memory, cell by cell, without a kernel.

    .venv/bin/python benchmarks/profile_cells.py build/bench/params/bench-2m.yaml 04_reporting [...]

Each code cell runs in one namespace (the parameters cell is replaced by the given params
file); prints seconds, RSS after the cell, its growth and the highest RSS during the cell
(sampled every 20 ms: a cell's transient peak is what decides whether kernels fit together),
slowest cells last. Charts use the
Agg backend and `display` prints nothing, so times are the computation's plus the plotting's.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import matplotlib
import nbformat
import psutil

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]


def profile(params: str, notebook: str, top: int) -> None:
    import IPython.display as ipd
    import matplotlib.pyplot as plt

    ipd.display = lambda *a, **k: None  # the notebooks import display from here
    nb = nbformat.read(ROOT / "notebooks" / f"{notebook.removesuffix('.ipynb')}.ipynb", 4)
    ns: dict = {"__name__": "__profile__"}
    proc = psutil.Process()
    high = [0]

    def sample() -> None:  # the highest RSS since the last reset
        while True:
            high[0] = max(high[0], proc.memory_info().rss)
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    rows = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        src = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            src = f"params_path = {params!r}\nrun_dir = ''\n"
        before = high[0] = proc.memory_info().rss
        t0 = time.perf_counter()
        exec(compile(src, f"{notebook}[{i}]", "exec"), ns)
        plt.close("all")
        dt = time.perf_counter() - t0
        after = proc.memory_info().rss
        peak = max(high[0], after)
        first = next((ln for ln in src.splitlines() if ln.strip() and not ln.startswith("#")), "")
        rows.append((dt, i, peak, after - before, first[:70]))
        print(f"cell {i:3d} {dt:8.2f} s  rss {after / 2**20:8.0f} MB (+{(after - before) / 2**20:6.0f}, "
              f"peak {peak / 2**20:6.0f})  {first[:60]}", flush=True)
    print(f"\n{notebook}: total {sum(r[0] for r in rows):.1f} s, peak RSS "
          f"{max(r[2] for r in rows) / 2**20:.0f} MB; slowest:")
    for dt, i, _rss, _growth, first in sorted(rows)[-top:]:
        print(f"  cell {i:3d} {dt:8.2f} s  {first}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("params")
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--top", type=int, default=5)
    a = ap.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "lib"))
    for nb in a.notebooks:
        profile(str(Path(a.params).resolve()), nb, a.top)


if __name__ == "__main__":
    main()
