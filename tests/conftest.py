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
