"""A published report of the small demo client, made by the CLI in a throwaway project folder.

The same pattern as tests/test_pipeline.py: the project's notebooks are copied into a temporary
root, the CLI runs in a subprocess with SALESAUDIT_ROOT pointing there, so nothing touches the
real build/ or reports/ folders. Use it from a test module with

    from report_fixture import published_report  # noqa: F401  (a pytest fixture)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from salesaudit import demo, paths

CLIENT = "small"
CLIENT_NAME = "Small & Co <test>"


def cli(root: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """`salesaudit <args>` in a subprocess, with the project root at `root`."""
    env = {**os.environ, "SALESAUDIT_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "salesaudit.run.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)


def make_project(root: Path, client_data, client: str = CLIENT, name: str = CLIENT_NAME,
                 **overrides) -> Path:
    """A project folder at `root`: the notebooks, `client_data` written out, and its params
    (the demo's, with `overrides` on top, e.g. language="it")."""
    shutil.copytree(paths.NOTEBOOKS, root / "notebooks")
    (root / "reports").mkdir()
    shutil.copy2(paths.REPORTS / "_quarto.yml", root / "reports" / "_quarto.yml")
    (root / "pyproject.toml").write_text("")
    demo.write(client_data, root / "data" / client)
    params = yaml.safe_load((paths.PARAMS / "demo.yaml").read_text())
    params.update(client=client, name=name, data_dir=f"data/{client}", **overrides)
    (root / "params").mkdir()
    (root / "params" / f"{client}.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return root / "params" / f"{client}.yaml"


@pytest.fixture(scope="module")
def published_report(tmp_path_factory, small_demo) -> Path:
    """reports/small/ of a full run on conftest's `small_demo` (2,000 customers, seed 7)."""
    root = tmp_path_factory.mktemp("report-project")
    params = make_project(root, small_demo)
    res = cli(root, "run", str(params.relative_to(root)), "--jobs", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    return root / "reports" / CLIENT
