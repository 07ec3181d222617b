"""The built-in renderer: executed notebooks -> self-contained HTML pages (salesaudit.report.render)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from salesaudit.errors import PipelineError
from salesaudit.report.render import (
    Page,
    SiteInfo,
    external_references,
    quarto_available,
    render_page,
    render_site,
    render_with_quarto,
    slugify,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SITE = SiteInfo(
    client_name="Acme Retail",
    period="2025-01-01 – 2025-12-31",
    run_date="2026-11-23 18:40 UTC",
    sources=[("orders", 123456), ("leads", 3400)],
)
DATAFRAME_HTML = """<div><style scoped>.dataframe thead th { text-align: right; }</style>
<table border="1" class="dataframe">
  <thead><tr style="text-align: right;"><th></th><th>channel</th><th>leads</th><th>rate</th></tr></thead>
  <tbody>
    <tr><th>0</th><td>email</td><td>1,200</td><td>12.5%</td></tr>
    <tr><th>1</th><td>paid search</td><td>3400</td><td>-0.75</td></tr>
  </tbody>
</table></div>"""
SVG = (
    '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
    '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'width="10" height="10"><defs><clipPath id="p1"><rect width="5" height="5"/></clipPath></defs>'
    '<rect width="10" height="10" clip-path="url(#p1)"/><use xlink:href="#p1"/></svg>'
)


def _png_base64() -> str:
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.bar(["MQL", "SQL", "won"], [100, 40, 12])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _component_notebook(png: str) -> nbformat.NotebookNode:
    tagged = lambda *tags: {"tags": list(tags)}  # noqa: E731
    cells = [
        new_raw_cell("---\ntitle: Funnel & conversion\nsubtitle: Where leads are lost\n---"),
        new_code_cell("client = 'demo-default'", metadata=tagged("parameters")),
        new_code_cell("client = 'injected-value'", metadata=tagged("injected-parameters")),
        new_markdown_cell(
            "## Where the funnel leaks\n\nMost leads drop between MQL and SQL.\n\n"
            "### By channel\n\nText.\n\n#### Too deep for the TOC\n\n"
            "## Where the funnel leaks\n\nSecond section, same heading.\n\n"
            "## Explicit id {#my-anchor}\n\nSee [the summary](index.html#top-findings)."
        ),
        new_code_cell(
            "fig, ax = plt.subplots()\nax.bar(stages, counts)",
            outputs=[
                new_output(
                    "display_data",
                    data={"image/png": png, "text/plain": "<Figure size 200x150 with 1 Axes>"},
                    metadata={"image/png": {"width": 200, "alt": "Leads per stage"}},
                )
            ],
        ),
        new_code_cell(
            "conversion_table",
            outputs=[
                new_output(
                    "execute_result",
                    data={"text/html": DATAFRAME_HTML, "text/plain": "  channel  leads"},
                    execution_count=4,
                )
            ],
        ),
        new_code_cell(
            "print('rows loaded')\nwarnings.warn('noisy')",
            outputs=[
                new_output("stream", name="stdout", text="rows loaded: 42\n"),
                new_output("stream", name="stderr", text="UserWarning: STDERR-NOISE\n"),
            ],
        ),
        new_code_cell(
            "warn_loudly()",
            metadata=tagged("show-stderr"),
            outputs=[new_output("stream", name="stderr", text="WANTED-STDERR\n")],
        ),
        new_code_cell(
            "1 / 0",
            outputs=[
                new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=[
                        "\x1b[0;31m------------------------\x1b[0m",
                        "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero",
                    ],
                )
            ],
        ),
        new_code_cell(
            "show_findings_secret_code()",
            metadata=tagged("remove-input"),
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/markdown": "### Computed finding\n\nMoney at stake: **€120,000**\n\n"
                        '<div id="evidence-leak">evidence</div> <a id="finding-1"></a>',
                        "text/plain": "<IPython.core.display.Markdown object>",
                    },
                )
            ],
        ),
        new_code_cell(
            "removed_cell_code()",
            metadata=tagged("remove-cell"),
            outputs=[new_output("stream", name="stdout", text="REMOVED-CELL-OUTPUT\n")],
        ),
        new_code_cell(
            "kept_code_without_output()",
            metadata=tagged("remove-output"),
            outputs=[new_output("stream", name="stdout", text="REMOVED-OUTPUT\n")],
        ),
        new_code_cell(
            "#| label: fig-stages\n#| fig-cap: Leads by stage\n#| echo: false\nquarto_hidden_code()",
            outputs=[new_output("display_data", data={"image/png": png})],
        ),
        new_code_cell("#| include: false\nquarto_excluded()", outputs=[]),
        new_code_cell(
            "draw_svg()", outputs=[new_output("display_data", data={"image/svg+xml": SVG})]
        ),
        new_raw_cell(
            '<div class="callout" id="raw-html">RAW-HTML</div>',
            metadata={"raw_mimetype": "text/html"},
        ),
        new_raw_cell("RAW-LATEX-IGNORED", metadata={"raw_mimetype": "text/latex"}),
    ]
    meta = {"language_info": {"name": "python", "pygments_lexer": "ipython3"}}
    return new_notebook(cells=cells, metadata=meta)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[Page]:
    folder = tmp_path_factory.mktemp("notebooks")
    summary = new_notebook(
        cells=[new_markdown_cell("# Summary\n\n## Top findings\n\n1. The funnel leaks.")]
    )
    nbformat.write(summary, folder / "00_summary.ipynb")
    nbformat.write(_component_notebook(_png_base64()), folder / "01_funnel.ipynb")
    nbformat.write(
        new_notebook(cells=[new_markdown_cell("## Tickets\n\nNothing yet.")]),
        folder / "06_customer_service.ipynb",
    )
    return [
        Page("index", "Summary", folder / "00_summary.ipynb"),
        Page("funnel", "Funnel", folder / "01_funnel.ipynb"),
        Page("customer-service", "Customer service", folder / "06_customer_service.ipynb"),
    ]


@pytest.fixture(scope="module")
def funnel_html(pages) -> str:
    return render_page(pages[1], pages, SITE)


def _without_code_toggles(html: str) -> str:
    return re.sub(r'<details class="code">.*?</details>', "", html, flags=re.DOTALL)


def _toc(html: str) -> str:
    return re.search(r'<aside class="toc">.*?</aside>', html, flags=re.DOTALL).group(0)


# --- slugs, headings, table of contents -------------------------------------------------------


def test_slugify_is_stable_and_readable():
    assert slugify("Where the funnel leaks") == "where-the-funnel-leaks"
    assert slugify("Where the funnel leaks") == slugify("Where the funnel leaks")
    assert slugify("  LTV:CAC — by channel (2025)! ") == "ltv-cac-by-channel-2025"
    assert slugify("Größe & Qualität") == "grosse-qualitat"
    assert slugify("snake_case_name") == "snake-case-name"
    assert slugify("???") == "section"


def test_slugify_deduplicates_with_suffixes():
    seen: set[str] = set()
    assert [slugify("Results", seen) for _ in range(3)] == ["results", "results-2", "results-3"]
    assert slugify("Results 2", seen) == "results-2-2"  # a real "results-2" heading collides
    assert seen == {"results", "results-2", "results-3", "results-2-2"}


def test_headings_get_slug_ids_and_the_toc_links_them(funnel_html):
    assert '<h2 id="where-the-funnel-leaks">' in funnel_html
    assert '<h2 id="where-the-funnel-leaks-2">' in funnel_html
    assert '<h3 id="by-channel">' in funnel_html
    assert '<h2 id="my-anchor">Explicit id<' in funnel_html  # pandoc-style {#id}
    toc = _toc(funnel_html)
    for anchor in ("where-the-funnel-leaks", "where-the-funnel-leaks-2", "by-channel", "my-anchor"):
        assert f'href="#{anchor}"' in toc
    assert 'href="#computed-finding"' in toc  # headings in Markdown outputs count too
    assert '<h4 id="too-deep-for-the-toc">' in funnel_html
    assert "too-deep-for-the-toc" not in toc


def test_explicit_ids_in_outputs_survive(funnel_html):
    assert '<div id="evidence-leak">' in funnel_html
    assert '<a id="finding-1"></a>' in funnel_html
    assert '<div class="callout" id="raw-html">RAW-HTML</div>' in funnel_html
    assert 'id="fig-stages"' in funnel_html  # Quarto "#| label:"
    assert 'href="index.html#top-findings"' in funnel_html


# --- cells, tags, outputs ---------------------------------------------------------------------


def test_code_is_folded_in_details(funnel_html):
    assert funnel_html.count("<summary>Show code</summary>") == 7
    assert "highlight hl-ipython3" in funnel_html  # pygments
    assert ".highlight .k" in funnel_html  # and its style sheet
    outside = _without_code_toggles(funnel_html)
    for code in ("subplots", "conversion_table", "kept_code_without_output", "draw_svg"):
        assert code in funnel_html
        assert code not in outside


def test_parameter_cells_are_omitted(funnel_html):
    assert "demo-default" not in funnel_html
    assert "injected-value" not in funnel_html


def test_remove_tags_and_quarto_options(funnel_html):
    assert "removed_cell_code" not in funnel_html
    assert "REMOVED-CELL-OUTPUT" not in funnel_html
    assert "show_findings_secret_code" not in funnel_html  # remove-input
    assert "Money at stake" in funnel_html
    assert "REMOVED-OUTPUT" not in funnel_html  # remove-output
    assert "quarto_hidden_code" not in funnel_html  # "#| echo: false"
    assert "#|" not in funnel_html
    assert "quarto_excluded" not in funnel_html  # "#| include: false"
    assert "<figcaption>Leads by stage</figcaption>" in funnel_html


def test_stdout_shown_stderr_hidden_unless_tagged(funnel_html):
    assert '<pre class="stream stdout">rows loaded: 42</pre>' in funnel_html
    assert "STDERR-NOISE" not in funnel_html
    assert "WANTED-STDERR" in funnel_html


def test_images_are_inline_png_data_uris(funnel_html):
    images = re.findall(
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', funnel_html
    )
    assert len(images) == 2
    for b64, _ in images:
        assert base64.b64decode(b64).startswith(PNG_MAGIC)
    assert [alt for _, alt in images] == ["Leads per stage", "Leads by stage"]
    assert 'width="200"' in funnel_html
    assert "&lt;Figure size" not in funnel_html  # png wins over text/plain


def test_svg_is_inlined_without_xml_prolog(funnel_html):
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in funnel_html
    assert "<?xml" not in funnel_html and "<!DOCTYPE svg" not in funnel_html


def test_dataframe_tables_are_styled_and_numbers_marked(funnel_html):
    table = re.search(r'<div class="output-html table-scroll">.*?</table>', funnel_html, re.DOTALL)
    assert table is not None
    assert '<td class="num">1,200</td>' in table.group(0)
    assert '<td class="num">12.5%</td>' in table.group(0)
    assert '<td class="num">-0.75</td>' in table.group(0)
    assert "<td>email</td>" in table.group(0)
    assert "position: sticky" in funnel_html and "nth-child(even)" in funnel_html


def test_errors_are_shown_in_a_box_without_ansi_codes(funnel_html):
    box = re.search(r'<div class="error".*?</div>', funnel_html, re.DOTALL).group(0)
    assert "<strong>ZeroDivisionError</strong>: division by zero" in box
    assert "\x1b" not in funnel_html and "[0;31m" not in funnel_html


def test_front_matter_gives_the_title_and_raw_cells(funnel_html):
    assert "<title>Funnel &amp; conversion · Acme Retail</title>" in funnel_html
    assert '<h1 class="page-title">Funnel &amp; conversion</h1>' in funnel_html
    assert "Where leads are lost" in funnel_html
    assert "title: Funnel" not in funnel_html and "subtitle:" not in funnel_html
    assert "RAW-LATEX-IGNORED" not in funnel_html


# --- page frame: header, navigation, print ----------------------------------------------------


def test_header_shows_client_period_run_and_sources(funnel_html):
    header = re.search(r"<header.*?</header>", funnel_html, re.DOTALL).group(0)
    for text in ("Acme Retail", "2025-01-01 – 2025-12-31", "2026-11-23 18:40 UTC"):
        assert text in header
    assert re.search(r"orders</span>\s*<span class=\"rows\">123,456 rows", header)
    assert re.search(r"leads</span>\s*<span class=\"rows\">3,400 rows", header)


def test_row_counts_follow_the_report_language(pages):
    german = SiteInfo("Acme", "2025", "2026-11-23", [("orders", 123456)], language="de")
    html = render_page(pages[2], pages, german)
    assert '<html lang="de">' in html and "123.456 rows" in html


def test_nav_links_every_page_and_marks_the_current_one(pages, funnel_html):
    nav = re.search(r'<nav class="site-nav".*?</nav>', funnel_html, re.DOTALL).group(0)
    hrefs = re.findall(r'href="([^"]+)"', nav)
    assert hrefs == ["index.html", "funnel.html", "customer-service.html"]
    assert nav.count('aria-current="page"') == 1
    assert '<a href="funnel.html" class="current" aria-current="page">Funnel</a>' in nav
    index_html = render_page(pages[0], list(reversed(pages)), SITE)
    index_nav = re.search(r'<nav class="site-nav".*?</nav>', index_html, re.DOTALL).group(0)
    assert re.findall(r'href="([^"]+)"', index_nav)[0] == "index.html"  # summary first
    assert '<a href="index.html" class="current" aria-current="page">' in index_nav


def test_html_in_site_info_is_escaped(pages):
    site = SiteInfo('<script>alert("x")</script> & Co', "<b>2025</b>", "now", [("<t>", 1)])
    html = render_page(pages[2], pages, site)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert "&lt;b&gt;2025&lt;/b&gt;" in html and "&lt;t&gt;" in html


def test_print_stylesheet(funnel_html):
    css = funnel_html[funnel_html.index("<style>") : funnel_html.index("</style>")]
    assert "@media print" in css and "size: A4" in css
    print_rules = css[css.index("@media print") :]
    assert ".site-nav" in print_rules and "details.code" in print_rules
    assert "break-inside: avoid" in print_rules


# --- self-containment -------------------------------------------------------------------------


def test_rendered_pages_make_no_outside_requests(pages, funnel_html):
    assert external_references(funnel_html) == []
    lowered = funnel_html.lower()
    for banned in (
        "<script src",
        "<link href",
        "mathjax",
        "require.js",
        "@font-face",
        "http-equiv",
    ):
        assert banned not in lowered
    for page in pages:
        assert external_references(render_page(page, pages, SITE)) == []


@pytest.mark.parametrize(
    "snippet, url",
    [
        (
            '<script src="https://cdn.example.com/lib.js"></script>',
            "https://cdn.example.com/lib.js",
        ),
        ('<link rel="stylesheet" href="http://example.com/a.css">', "http://example.com/a.css"),
        (
            "<style>body { background: url(https://example.com/bg.png) }</style>",
            "https://example.com/bg.png",
        ),
        ("<div style=\"background: url('//example.com/x.png')\"></div>", "//example.com/x.png"),
        ('<style>@import "theme.css";</style>', "theme.css"),
        ('<img src="plot.png" alt="x">', "plot.png"),
        ('<img srcset="a.png 1x, data:image/png;base64,AA 2x">', "a.png"),
        ('<a href="https://example.com/methodology">source</a>', "https://example.com/methodology"),
        ('<a href="file:///etc/passwd">x</a>', "file:///etc/passwd"),
        ('<a href="../other/report.html">x</a>', "../other/report.html"),
        (
            "<script>require.config({paths: {plotly: 'https://cdn.plot.ly/plotly'}})</script>",
            "https://cdn.plot.ly/plotly",
        ),
    ],
)
def test_external_references_are_caught(snippet, url):
    assert external_references(f"<html><body>{snippet}</body></html>") == [url]


def test_local_references_are_allowed():
    html = (
        '<a href="#where-the-funnel-leaks">a</a><a href="funnel.html">b</a>'
        '<a href="funnel.html#x">c</a><a href="./index.html">d</a>'
        '<img src="data:image/png;base64,AAAA" alt="x"><link rel="icon" href="data:,">'
        '<a href="mailto:audit@example.com">mail</a><rect clip-path="url(#p1)"/>'
        '<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="#p1"/></svg>'
        "<pre>&lt;script src=&quot;https://cdn.example.com&quot;&gt;</pre>"
    )
    assert external_references(html) == []


# --- the site ---------------------------------------------------------------------------------


def test_render_site_writes_one_page_per_slug(pages, tmp_path):
    out = tmp_path / "site"
    written = render_site(list(reversed(pages)), SITE, out)
    assert [p.name for p in written] == ["index.html", "customer-service.html", "funnel.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert external_references(path.read_text(encoding="utf-8")) == []


def test_render_site_refuses_duplicate_slugs(pages, tmp_path):
    with pytest.raises(ValueError, match="unique"):
        render_site([pages[0], pages[0]], SITE, tmp_path)


# --- Quarto -----------------------------------------------------------------------------------


def test_quarto_project_file():
    config = yaml.safe_load((Path(__file__).parents[2] / "reports" / "_quarto.yml").read_text())
    assert config["project"] == {"type": "website", "output-dir": "_site"}
    assert config["execute"] == {"enabled": False}
    html = config["format"]["html"]
    assert html["embed-resources"] and html["code-fold"] and html["code-tools"] and html["toc"]
    hrefs = [item["href"] for item in config["website"]["navbar"]["left"]]
    assert hrefs[0] == "00_summary.ipynb" and hrefs[-2] == "06_customer_service.ipynb"
    assert hrefs[-1] == "methods.ipynb"  # the methods appendix the pipeline writes beside them
    assert hrefs[:-1] == sorted(hrefs[:-1]) and len(hrefs) == 8


def test_quarto_missing_or_failing_raises_pipeline_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert not quarto_available()
    with pytest.raises(PipelineError, match="not on PATH"):
        render_with_quarto(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "quarto"
    fake.write_text("#!/bin/sh\necho 'ERROR: no index file' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert quarto_available()
    with pytest.raises(PipelineError, match="no index file"):
        render_with_quarto(tmp_path)
