"""Notebooks are thin, stripped and parameterized the same way (nbval executes them)."""

import json

import nbformat
import papermill
import pytest

from salesaudit import paths
from salesaudit.run import schedule

NOTEBOOKS = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def test_there_is_a_summary_and_at_least_the_funnel():
    slugs = [nb.slug for nb in schedule.discover()]
    assert slugs[0] == "summary" and "funnel" in slugs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c.get("outputs") or c.get("execution_count") is not None]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; run `make strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_then_validation_through_the_library(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    assert set(papermill.inspect_notebook(str(path))) == schedule.NOTEBOOK_PARAMETERS
    params_cell = nb.cells[tagged[0]].source
    assert "#" in params_cell and '"params/demo.yaml"' in params_cell  # commented defaults
    following = next(c for c in nb.cells[tagged[0] + 1:] if c.cell_type == "code")
    assert "start(" in following.source and "params_path=params_path" in following.source
    assert nb.cells[0].cell_type == "raw" and "title:" in nb.cells[0].source  # Quarto front matter


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_stay_thin(path):
    """Logic lives in the library: no notebook defines functions or classes."""
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            assert "\ndef " not in "\n" + c.source and "\nclass " not in "\n" + c.source, path.name
            assert "read_csv" not in c.source and "read_parquet" not in c.source, path.name


@pytest.mark.slow
def test_funnel_says_what_to_provide_when_leads_are_missing(tmp_path, small_demo):
    from conftest import run_without_tables

    text = run_without_tables("01_funnel.ipynb", small_demo, tmp_path, "leads", "traffic")
    assert "Not available." in text and "**leads**" in text and "`lead_id`" in text
    assert "Visitor → lead conversion needs" in text
