"""End to end: the CLI on a small demo client in a throwaway project folder.

Runs `salesaudit` in a subprocess with SALESAUDIT_ROOT pointing at a temporary copy of the
project's notebooks, so nothing touches the real build/ or reports/ folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from report_fixture import CLIENT, cli, make_project
from salesaudit.report import render

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


@pytest.fixture(scope="module")
def project(tmp_path_factory, small_demo):
    root = tmp_path_factory.mktemp("project")
    make_project(root, small_demo)
    # Real exports carry personal data: add names, e-mails and phones the report must never show.
    customers = pd.read_csv(root / "data" / CLIENT / "customers.csv", dtype=str)
    n = np.arange(len(customers))
    customers["name"] = [f"Giulia Bianchi-{i:05d}" for i in n]
    customers["email"] = [f"giulia.{i:05d}@example.it" for i in n]
    customers["phone"] = [f"+39 347 {i:07d}" for i in n]
    customers.to_csv(root / "data" / CLIENT / "customers.csv", index=False)
    return root


@pytest.fixture(scope="module")
def published(project):
    res = cli(project, "run", "params/small.yaml", "--jobs", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    return project / "reports" / "small", res


def test_run_publishes_a_self_contained_site_with_summary_and_funnel(published):
    report, res = published
    assert "ok   01_funnel.ipynb" in res.stdout and "published" in res.stdout
    pages = sorted(p.name for p in report.glob("*.html"))
    assert {"index.html", "funnel.html", "methods.html"} <= set(pages)
    assert 'href="methods.html"' in (report / "index.html").read_text()  # in the navigation
    assert "Benjamini–Hochberg" in (report / "methods.html").read_text()
    for page in report.glob("*.html"):
        html = page.read_text()
        assert render.external_references(html) == [], page.name
        assert "Small &amp; Co &lt;test&gt;" in html  # header, escaped
        assert '<div class="error">' not in html, page.name  # no failed cell in a report
    funnel_html = (report / "funnel.html").read_text()
    assert 'id="leaking-stage"' in funnel_html and "data:image/png;base64," in funnel_html


def test_no_personal_data_in_any_page(published, project):
    report, _ = published
    customers = pd.read_csv(project / "data" / "small" / "customers.csv", dtype=str)
    personal = set(customers["name"]) | set(customers["email"]) | set(customers["phone"])
    for page in [*report.glob("*.html"), *report.glob("notebooks/*.ipynb")]:
        text = page.read_text()
        leaked = [v for v in personal if v in text]
        assert not leaked, f"{page.name} shows personal data: {leaked[:3]}"


def test_summary_links_each_finding_to_an_existing_anchor(published):
    report, _ = published
    findings = json.loads((report / "findings" / "funnel.json").read_text())["findings"]
    assert {"leaking-stage", "time-to-convert"} <= {f["key"] for f in findings}
    index = (report / "index.html").read_text()
    for f in findings:
        assert f'href="funnel.html#{f["anchor"]}"' in index
        assert f'id="{f["anchor"]}"' in (report / "funnel.html").read_text()


def test_manifest_records_params_inputs_versions_and_timings(published, project):
    report, _ = published
    m = json.loads((report / "manifest.json").read_text())
    assert m["client"] == "small" and m["params"]["period"]["start"] == "2025-01-01"
    assert set(m["inputs_sha256"]) >= {"orders.csv", "leads.csv"}
    assert all(len(h) == 64 for h in m["inputs_sha256"].values())
    assert {"pandas", "papermill", "salesaudit"} <= set(m["versions"])
    assert m["notebooks"]["funnel"]["ok"] and m["notebooks"]["funnel"]["seconds"] > 0
    assert (report / "notebooks" / "01_funnel.ipynb").is_file()
    assert (report / "notebooks" / "_quarto.yml").is_file()


def test_validate_prints_a_per_table_summary(project):
    res = cli(project, "validate", "params/small.yaml")
    assert res.returncode == 0, res.stderr
    assert "orders" in res.stdout and "rows" in res.stdout and "valid" in res.stdout
    assert "2025-01-01" in res.stdout
    assert "found: order_id, customer_id, ordered_at, revenue, cost" in res.stdout


def test_bad_data_stops_before_running_with_a_message_and_exit_2(project, tmp_path):
    bad = project / "data" / "broken"
    shutil.copytree(project / "data" / "small", bad)
    orders = (bad / "orders.csv").read_text().splitlines()
    head, first = orders[0].split(","), orders[1].split(",")
    first[head.index("revenue")] = "-5"
    (bad / "orders.csv").write_text("\n".join([orders[0], ",".join(first), *orders[2:]]) + "\n")
    params = yaml.safe_load((project / "params" / "small.yaml").read_text())
    params.update(client="broken", data_dir="data/broken")
    (project / "params" / "broken.yaml").write_text(yaml.safe_dump(params))
    res = cli(project, "run", "params/broken.yaml")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    assert "orders: 1 row(s): below the minimum" in res.stderr and "line 2: revenue=-5.0" in res.stderr
    assert not (project / "reports" / "broken").exists()


def test_unknown_params_key_exit_2(project):
    (project / "params" / "typo.yaml").write_text(
        (project / "params" / "small.yaml").read_text() + "attribution_windw: 3\n")
    res = cli(project, "validate", "params/typo.yaml")
    assert res.returncode == 2 and "attribution_windw: unknown key" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_failed_run_keeps_the_last_good_report_and_the_failed_notebook(published, project):
    report, _ = published
    before = json.loads((report / "manifest.json").read_text())["run_id"]
    nb_path = project / "notebooks" / "01_funnel.ipynb"
    original = nb_path.read_text()
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(4, nbformat.v4.new_code_cell("raise RuntimeError('planted failure')"))
    nbformat.write(nb, nb_path)
    try:
        res = cli(project, "run", "params/small.yaml", "--only", "funnel")
    finally:
        nb_path.write_text(original)
    assert res.returncode == 1
    assert "RuntimeError: planted failure" in res.stderr
    assert "executed copy kept" in res.stderr
    kept = [line.strip() for line in res.stderr.splitlines() if line.strip().endswith("01_funnel.ipynb")]
    assert kept and Path(kept[0]).is_file()
    assert json.loads((report / "manifest.json").read_text())["run_id"] == before
    assert (report / "index.html").is_file()


def test_only_reruns_one_component_and_keeps_the_rest(published, project):
    report, _ = published
    res = cli(project, "run", "params/small.yaml", "--only", "funnel", "--force")
    assert res.returncode == 0, res.stderr
    m = json.loads((report / "manifest.json").read_text())
    assert m["partial_run"] and set(m["notebooks"]) == {"funnel", "summary"}
    assert not m["notebooks"]["funnel"]["reused"]
    assert set(m["keys"]) >= {"funnel", "summary", "reporting"}  # the others' keys are kept
    assert (report / "index.html").is_file() and (report / "funnel.html").is_file()


def test_unknown_component_in_only(project):
    res = cli(project, "run", "params/small.yaml", "--only", "funel")
    assert res.returncode == 2 and "unknown component(s) ['funel']" in res.stderr


def test_unchanged_rerun_reuses_everything_and_a_change_reruns_only_what_depends_on_it(
        published, project):
    report, _ = published
    before = json.loads((report / "manifest.json").read_text())
    res = cli(project, "run", "params/small.yaml")
    assert res.returncode == 0, res.stderr
    assert "nothing changed" in res.stdout and "same 01_funnel.ipynb" in res.stdout
    assert json.loads((report / "manifest.json").read_text())["run_id"] == before["run_id"]
    # Edit one notebook: it and the summary run again, the other components are reused.
    nb_path = project / "notebooks" / "05_team_effectiveness.ipynb"
    original = nb_path.read_text()
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note added by the test."))
    nbformat.write(nb, nb_path)
    try:
        res = cli(project, "run", "params/small.yaml")
    finally:
        nb_path.write_text(original)
    assert res.returncode == 0, res.stderr
    m = json.loads((report / "manifest.json").read_text())
    assert not m["notebooks"]["team_effectiveness"]["reused"] and not m["notebooks"]["summary"]["reused"]
    assert m["notebooks"]["funnel"]["reused"] and m["notebooks"]["reporting"]["reused"]
    assert (report / "team_effectiveness.html").is_file() and (report / "funnel.html").is_file()
    assert "A note added by the test." in (report / "team_effectiveness.html").read_text()


def test_longest_first_by_the_last_run_and_by_table_size_without_one():
    from types import SimpleNamespace

    from salesaudit.run.schedule import longest_first

    nbs = [SimpleNamespace(slug=s) for s in ("funnel", "content_flows", "reporting", "lead_quality")]
    rows = {"orders": 10_000_000, "touches": 18_000_000, "campaigns": 40, "leads": 3_000_000,
            "customers": 2_000_000}

    def slugs(order):
        return [nb.slug for nb in order]

    # A first run: by the rows of the tables each needs (ties: of those it uses).
    assert slugs(longest_first(nbs, {}, rows)) == ["content_flows", "reporting", "lead_quality",
                                                   "funnel"]
    history = {"funnel": {"seconds": 20}, "content_flows": {"seconds": 50},
               "reporting": {"seconds": 100}}
    # With history, by seconds; a notebook without any still comes first.
    assert slugs(longest_first(nbs, history, rows)) == ["lead_quality", "reporting",
                                                        "content_flows", "funnel"]


def test_notebooks_start_while_their_memory_fits_the_budget():
    from salesaudit.run.schedule import admissible

    need = {"reporting": 6000, "flows": 5000, "funnel": 1000, "team": 1500}.get
    pending = ["reporting", "flows", "funnel", "team"]
    # 6 GB + 5 GB would exceed 8 GB: the small one goes beside the large one instead.
    assert admissible(pending, [], 2, 8000, need) == ["reporting", "funnel"]
    assert admissible(["flows", "team"], ["reporting"], 2, 8000, need) == ["team"]
    # Alone, a notebook always runs, even above the budget; no budget limit: in order.
    assert admissible(["flows"], [], 2, 1000, need) == ["flows"]
    assert admissible(pending, [], 2, float("inf"), need) == ["reporting", "flows"]
    assert admissible(pending, ["x"], 1, float("inf"), need) == []
