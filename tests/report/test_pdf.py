"""The whole audit as one PDF (salesaudit.report.pdf), on a two-page site made by the renderer."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook, new_raw_cell

from salesaudit.errors import PipelineError
from salesaudit.report import pdf
from salesaudit.report.render import Page, SiteInfo, render_site

SITE = SiteInfo("Acme & Sons", "2025-01-01 – 2025-12-31", "2026-11-23 18:40 UTC", [("orders", 12)])


@pytest.fixture
def site(tmp_path) -> Path:
    cells = {
        "index": ["# Summary", "The top finding: MQL to SQL leaks. [proof](funnel.html#leaks)"],
        "funnel": ["## Where it leaks {#leaks}", "MQL to SQL converts 23%."],
    }
    pages = []
    for slug, sources in cells.items():
        nb = new_notebook(cells=[new_markdown_cell(s) for s in sources])
        if slug == "funnel":
            nb.cells.insert(0, new_raw_cell("---\ntitle: Funnel\n---"))
        nbformat.write(nb, tmp_path / f"{slug}.ipynb")
        pages.append(Page(slug, slug.title() if slug != "index" else "Summary",
                          tmp_path / f"{slug}.ipynb"))
    render_site(pages, SITE, tmp_path / "site")
    return tmp_path / "site"


def test_combined_page_has_one_section_per_page_and_internal_links(site):
    combined = pdf.combined_html(site, ["index", "funnel.html"])
    assert combined.count('<section class="pdf-section"') == 2
    assert combined.index('id="page-index"') < combined.index('id="page-funnel"')
    assert combined.count('<header class="site-header">') == 1  # the header once
    assert 'href="#leaks"' in combined and "funnel.html" not in combined
    assert "<title>Sales audit · Acme &amp; Sons</title>" in combined
    assert "<script>" not in combined and 'class="site-nav"' not in combined


def test_no_chromium_is_a_clear_error(site, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert not pdf.pdf_available()
    with pytest.raises(PipelineError, match="(?s)no Chromium found.*apt-get install chromium"):
        pdf.print_pdf(site, ["index"], tmp_path / "audit.pdf")


@pytest.mark.skipif(not pdf.pdf_available(), reason="no Chromium on PATH")
def test_print_pdf_writes_an_a4_pdf_with_every_page(site, tmp_path):
    from pypdf import PdfReader

    out = pdf.print_pdf(site, ["index", "funnel"], tmp_path / "out" / "audit.pdf")
    reader = PdfReader(out)
    assert len(reader.pages) == 2  # the funnel starts on a new sheet
    assert [round(float(x)) for x in reader.pages[0].mediabox[2:]] == [595, 842]
    first, second = (page.extract_text() for page in reader.pages)
    assert "Acme & Sons" in first and "MQL to SQL leaks" in first
    assert second.lstrip().startswith("Funnel") and "converts 23%" in second
