"""Shared fixtures. Tests never depend on the user's home or on a previous run's state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Kernels and matplotlib write state under these; keep them out of the user's home.
_HOME = Path(tempfile.mkdtemp(prefix="salesaudit-test-home-"))
for var, sub in [("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
                 ("JUPYTER_CONFIG_DIR", "jupyter"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                 ("JUPYTER_DATA_DIR", "jupyter-data")]:
    os.environ.setdefault(var, str(_HOME / sub))
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


@pytest.fixture(scope="session")
def small_demo():
    """A small but complete demo client (all planted effects), generated once per session."""
    from salesaudit import demo

    return demo.generate(customers=2_000, seed=7)


@pytest.fixture(scope="session")
def default_demo():
    """The default-size demo client (what `make report` audits), generated once per session."""
    from salesaudit import demo

    return demo.generate()


def write_params(folder: Path, client: str = "t", **extra) -> Path:
    """A minimal params file for a client whose data lives in `folder`."""
    import yaml

    raw = {"client": client, "name": "Test client", "data_dir": str(folder),
           "period": {"start": "2025-01-01", "end": "2025-12-31"}, **extra}
    path = folder.parent / f"{client}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def run_notebook(notebook: str, data_dir: Path, tmp_path: Path, client: str = "nbtest"):
    """Execute notebooks/<notebook> with papermill on the client data in `data_dir` (params for
    the demo period). Returns the executed notebook (nbformat) for assertions on its outputs."""
    return run_notebook_with_params(notebook, write_params(Path(data_dir), client=client), tmp_path)


def run_notebook_with_params(notebook: str, params: Path, tmp_path: Path):
    """Execute notebooks/<notebook> with papermill on a params file.

    The kernel runs with SALESAUDIT_ROOT at `tmp_path`, so its caches and findings stay in the
    test's folder."""
    import nbformat
    import papermill

    from salesaudit import paths
    from salesaudit.run.execute import KERNEL_ARGS

    out = tmp_path / f"executed-{notebook}"
    old = os.environ.get("SALESAUDIT_ROOT")
    os.environ["SALESAUDIT_ROOT"] = str(tmp_path)
    try:
        papermill.execute_notebook(
            str(paths.NOTEBOOKS / notebook), str(out),
            parameters={"params_path": str(params), "run_dir": str(tmp_path / "run")},
            kernel_name="python3", progress_bar=False, cwd=str(paths.NOTEBOOKS),
            extra_arguments=KERNEL_ARGS,
        )
    finally:
        if old is None:
            os.environ.pop("SALESAUDIT_ROOT", None)
        else:
            os.environ["SALESAUDIT_ROOT"] = old
    return nbformat.read(out, as_version=4)


def outputs_text(nb) -> str:
    """Every text/markdown/html/plain output of an executed notebook, joined."""
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            parts += [data.get(k, "") for k in ("text/markdown", "text/html", "text/plain")]
            parts.append(o.get("text", ""))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def run_without_tables(notebook: str, demo_client, tmp_path: Path, *missing: str) -> str:
    """Execute a notebook on a demo client with the `missing` tables removed; returns the
    text of its outputs (to check its "not available" sections)."""
    from salesaudit import demo

    data = tmp_path / "data" / "partial"
    kept = {name: df for name, df in demo_client.tables.items() if name not in missing}
    demo.write(demo.Demo(kept, demo_client.truth), data)
    return outputs_text(run_notebook(notebook, data, tmp_path))


def cdnow_params(tmp_path, **changes):
    """params/cdnow.yaml pointed at a fresh copy of CDNOW_sample.txt in tmp_path (what
    `make cdnow` copies), so the test needs nothing from data/."""
    import shutil
    from importlib import resources

    import yaml

    data = tmp_path / "cdnow"
    data.mkdir()
    shutil.copy(resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt", data)
    raw = yaml.safe_load((Path(__file__).parents[1] / "params" / "cdnow.yaml").read_text())
    raw.update(data_dir=str(data), **changes)
    path = tmp_path / "cdnow.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
