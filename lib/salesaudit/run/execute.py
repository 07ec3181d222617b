"""Executing one notebook in a worker process: papermill with a quiet kernel, its peak
memory sampled, its narrative in the report's language. A failure is returned as text, never
raised: the runner decides what a failed notebook means for the run.
"""

from __future__ import annotations

import os
import re
import threading
import time
import traceback
from pathlib import Path

import nbformat

from salesaudit import i18n
from salesaudit.run.schedule import Notebook

KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]  # silence kernel start-up noise


def quiet_kernels() -> None:
    """Environment the kernels inherit: no debugger, platform-dirs or deprecation noise."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    os.environ["PYTHONWARNINGS"] = "ignore::DeprecationWarning"


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


def execute_notebook(src: str, out: str, parameters: dict, cwd: str) -> tuple[float, str, float]:
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


def source_in(nb: Notebook, language: str, run_dir: Path) -> Path:
    """The notebook to execute: the source itself, or its copy with the narrative in the
    report's language (kept in the run folder with the rest of the run record)."""
    if language == i18n.SOURCE_LANGUAGE:
        return nb.path
    out = run_dir / "source" / nb.path.name
    out.parent.mkdir(exist_ok=True)
    nbformat.write(i18n.translate_notebook(nbformat.read(nb.path, as_version=4), language), out)
    return out
