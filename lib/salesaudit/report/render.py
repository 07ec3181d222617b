"""Executed notebooks -> a static, self-contained HTML report site (no Quarto needed).

Every page opens offline: images are data: URIs, CSS and the little JS are inline, and nothing
points outside the file except links to sibling pages. `external_references` checks that, and
the pipeline refuses to publish a page for which it finds anything.

Cell tags follow the Quarto / Jupyter Book conventions (`remove-cell`, `remove-input`,
`remove-output`), plus `show-stderr`; papermill's `parameters` and `injected-parameters` cells
are left out. Quarto cell options (`#| echo: false`, `#| include: false`, `#| output: false`,
`#| label:`, `#| fig-cap:`, `#| fig-alt:`) are honoured too, so both renderers agree.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import textwrap
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import nbformat
import yaml
from babel import UnknownLocaleError
from babel.numbers import format_decimal
from nbconvert.filters import strip_ansi
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from pygments.formatters import HtmlFormatter

from salesaudit.errors import PipelineError
from salesaudit.i18n import _

TEMPLATES = Path(__file__).parent / "templates"  # page template, styles, methods pages


@dataclass(frozen=True)
class Page:
    slug: str  # output file name without .html, e.g. "index", "funnel"
    title: str  # nav label
    notebook: Path  # executed .ipynb


@dataclass(frozen=True)
class SiteInfo:
    client_name: str
    period: str  # e.g. "2025-01-01 – 2025-12-31"
    run_date: str  # e.g. "2026-11-23 18:40 UTC"
    sources: list[tuple[str, int]]  # (table, rows)
    language: str = "en"


def slugify(text: str, seen: set[str] | None = None) -> str:
    """A stable anchor id: accents dropped, lower case, runs of other characters become "-".

    With `seen` (ids already used on the page) a repeat gets "-2", "-3", … and is recorded.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    slug = re.sub(r"[\W_]+", "-", plain).strip("-") or "section"
    if seen is None:
        return slug
    unique, n = slug, 1
    while unique in seen:
        n += 1
        unique = f"{slug}-{n}"
    seen.add(unique)
    return unique


@dataclass
class _PageState:
    """What rendering one page collects: used ids, the table of contents, front matter."""

    ids: set[str] = field(default_factory=set)
    toc: list[tuple[int, str, str]] = field(default_factory=list)  # (level, id, text)
    front_matter: dict | None = None
    has_code: bool = False


class _Renderer(IPythonRenderer):
    """nbconvert's markdown renderer, with slug ids on headings that feed the page's TOC."""

    def __init__(self, state: _PageState, attachments: dict | None = None):
        super().__init__(escape=False, exclude_anchor_links=True, attachments=attachments)
        self.state = state

    def heading(self, text: str, level: int, **attrs) -> str:
        explicit = re.search(r"\s*\{#([\w-]+)\}\s*$", text)  # pandoc/Quarto "## Title {#id}"
        if explicit:
            text = text[: explicit.start()]
            anchor = explicit.group(1)
            self.state.ids.add(anchor)
        plain = html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
        if not explicit:
            anchor = slugify(plain, self.state.ids)
        if level <= 3:
            self.state.toc.append((level, anchor, plain))
        link = f'<a class="anchor" href="#{anchor}" aria-label="Link to this section">#</a>'
        return f'<h{level} id="{anchor}">{text}{link}</h{level}>\n'


def _markdown(source: str, state: _PageState, attachments: dict | None = None) -> str:
    return _mark_numbers(MarkdownWithMath(renderer=_Renderer(state, attachments)).render(source))


def _cell_options(source: str) -> tuple[dict, str]:
    """Quarto's leading `#| key: value` lines, parsed, and the source without them."""
    lines = source.splitlines()
    n = next((i for i, line in enumerate(lines) if not line.startswith("#|")), len(lines))
    if n == 0:
        return {}, source
    try:
        options = yaml.safe_load(textwrap.dedent("\n".join(line[2:] for line in lines[:n])))
    except yaml.YAMLError:
        options = None
    return (options if isinstance(options, dict) else {}), "\n".join(lines[n:]).strip("\n")


_FRONT_MATTER = re.compile(r"\A\s*---[ \t]*\n(.*?)\n---\s*\Z", re.DOTALL)
_NUMBER = re.compile(  # 1,234.5 | -12% | €1.2k | 3e-05 | and the gaps of numeric columns
    r"[-+−]?[$€£¥]?\s?[-+−]?\d[\d,.'\u00a0\u202f ]*(e[-+]?\d+)?\s?(%|pp|[kmb]|€)?"
    r"|nan|<NA>|NaT|inf|-inf|\.\.\.|…|—|–",
    re.I,
)
_CELL_TD = re.compile(r"<td(\s[^>]*)?>([^<]*)</td>")
_MIME_ORDER = (
    "image/png",
    "image/jpeg",
    "image/svg+xml",
    "text/html",
    "text/markdown",
    "text/plain",
)


def _mark_numbers(table_html: str) -> str:
    """Add class "num" to table cells holding a number, so CSS can right-align them."""

    def mark(m: re.Match) -> str:
        attrs, text = m.group(1) or "", m.group(2)
        if not _NUMBER.fullmatch(html.unescape(text).strip()):
            return m.group(0)
        if 'class="' in attrs:
            attrs = attrs.replace('class="', 'class="num ', 1)
        else:
            attrs += ' class="num"'
        return f"<td{attrs}>{text}</td>"

    return _CELL_TD.sub(mark, table_html)


def _image(mime: str, data: str, meta: dict, options: dict) -> str:
    mime_meta = meta.get(mime) if isinstance(meta.get(mime), dict) else {}
    caption = options.get("fig-cap")
    alt = mime_meta.get("alt") or meta.get("alt") or options.get("fig-alt") or caption or "chart"
    width = f' width="{int(mime_meta["width"])}"' if "width" in mime_meta else ""
    if mime == "image/svg+xml":
        img = re.sub(r"<\?xml.*?\?>|<!DOCTYPE[^>]*>", "", data, flags=re.DOTALL)
        img = f'<div class="svg" role="img" aria-label="{html.escape(str(alt))}">{img}</div>'
    else:
        b64 = "".join(data.split())
        img = f'<img src="data:{mime};base64,{b64}" alt="{html.escape(str(alt))}"{width}>'
    figcaption = f"<figcaption>{html.escape(str(caption))}</figcaption>" if caption else ""
    return f"<figure>{img}{figcaption}</figure>"


def _output(out: dict, options: dict, state: _PageState) -> str:
    if out["output_type"] == "stream":
        return f'<pre class="stream {out["name"]}">{html.escape(strip_ansi(out["text"]).rstrip())}</pre>'
    if out["output_type"] == "error":
        traceback = strip_ansi("\n".join(out.get("traceback", [])))
        head = f"<strong>{html.escape(out['ename'])}</strong>: {html.escape(strip_ansi(out['evalue']))}"
        return f'<div class="error"><p>{head}</p><pre>{html.escape(traceback)}</pre></div>'
    data = out.get("data", {})
    mime = next((m for m in _MIME_ORDER if m in data), None)
    if mime is None:
        return ""
    value = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
    if mime.startswith("image/"):
        return _image(mime, value, out.get("metadata", {}), options)
    if mime == "text/html":
        if "<table" not in value:
            return f'<div class="output-html">{value}</div>'
        return f'<div class="output-html table-scroll">{_mark_numbers(value)}</div>'
    if mime == "text/markdown":
        return f'<div class="output-markdown">{_markdown(value, state)}</div>'
    return f'<pre class="text">{html.escape(strip_ansi(value))}</pre>'


def _visible_outputs(outputs: list, show_stderr: bool) -> list:
    """Outputs to show: stderr dropped unless asked for; adjacent same-name streams joined."""
    shown: list = []
    for out in outputs:
        stream = out["output_type"] == "stream"
        if stream and out["name"] == "stderr" and not show_stderr:
            continue
        prev = shown[-1] if shown else {}
        if stream and prev.get("output_type") == "stream" and prev["name"] == out["name"]:
            shown[-1] = {**prev, "text": prev["text"] + out["text"]}
        else:
            shown.append(out)
    return shown


def _code_cell(cell, state: _PageState, highlight: Highlight2HTML) -> str:
    tags = set(cell.metadata.get("tags", []))
    options, source = _cell_options(cell.source)
    if options.get("include") is False:
        return ""
    parts = []
    if source.strip() and "remove-input" not in tags and options.get("echo", True) is not False:
        state.has_code = True
        parts.append(
            f'<details class="code"><summary>{_("Show code")}</summary>{highlight(source)}</details>'
        )
    if "remove-output" not in tags and options.get("output", True) is not False:
        for out in _visible_outputs(cell.get("outputs", []), "show-stderr" in tags):
            parts.append(_output(out, options, state))
    if not any(parts):
        return ""
    label = options.get("label")
    anchor = f' id="{html.escape(str(label))}"' if label else ""
    if label:
        state.ids.add(str(label))
    return f'<section class="cell code-cell"{anchor}>{"".join(parts)}</section>'


def _front_matter(source: str) -> dict | None:
    """The YAML mapping of a `---`-fenced raw cell, or None if the cell is not front matter."""
    match = _FRONT_MATTER.match(source)
    try:
        loaded = yaml.safe_load(match.group(1)) if match else None
    except yaml.YAMLError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _render_cells(nb, state: _PageState) -> str:
    lexer = nb.metadata.get("language_info", {}).get("pygments_lexer") or "ipython3"
    highlight = Highlight2HTML(pygments_lexer=lexer)
    html_parts = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & {"remove-cell", "parameters", "injected-parameters"}:
            continue
        if cell.cell_type == "markdown":
            body = _markdown(cell.source, state, cell.get("attachments"))
            html_parts.append(f'<div class="cell markdown">{body}</div>')
        elif cell.cell_type == "code":
            html_parts.append(_code_cell(cell, state, highlight))
        elif cell.cell_type == "raw":
            if state.front_matter is None and (front := _front_matter(cell.source)) is not None:
                state.front_matter = front
                continue
            fmt = cell.metadata.get("raw_mimetype") or cell.metadata.get("format") or ""
            if fmt.lower() in ("text/html", "html"):
                html_parts.append(cell.source)
    return "\n".join(part for part in html_parts if part)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("salesaudit.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _format_rows(rows: int, language: str) -> str:
    try:
        return format_decimal(rows, locale=language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return f"{rows:,}"


def _ordered(pages: list[Page]) -> list[Page]:
    return sorted(pages, key=lambda p: p.slug != "index")  # stable: index first, rest as given


def render_page(page: Page, pages: list[Page], site: SiteInfo) -> str:
    """One complete, self-contained HTML document for `page`, with the site's navigation."""
    nb = nbformat.read(page.notebook, as_version=4)
    state = _PageState()
    body = _render_cells(nb, state)
    front = state.front_matter or {}
    title = str(front.get("title") or page.title)
    starts_with_h1 = bool(state.toc) and state.toc[0][0] == 1 and "title" not in front
    return _ENV.get_template("page.html.j2").render(
        lang=site.language,
        doc_title=title,
        page_title=None if starts_with_h1 else title,
        subtitle=front.get("subtitle"),
        client=site.client_name,
        period=site.period,
        run_date=site.run_date,
        sources=[(name, _format_rows(rows, site.language)) for name, rows in site.sources],
        nav=[
            {"href": f"{p.slug}.html", "title": p.title, "current": p.slug == page.slug}
            for p in _ordered(pages)
        ],
        toc=state.toc,
        has_code=state.has_code,
        body=body,
        pygments_css=HtmlFormatter(style="default").get_style_defs(".highlight"),
        label=_labels(),
    )


def _labels() -> dict[str, str]:
    """The page furniture's words, in the report's language (i18n.set_language)."""
    return {
        "kicker": _("Sales audit"), "period": _("Period"), "run": _("Run"),
        "sources": _("Data sources"), "rows": _("rows"), "pages": _("Report pages"),
        "on_page": _("On this page"), "show_all": _("Show all code"),
        "hide_all": _("Hide all code"), "generated": _("generated"),
    }


def render_site(pages: list[Page], site: SiteInfo, out_dir: Path) -> list[Path]:
    """Write `<slug>.html` for every page into `out_dir`; returns the paths, index first."""
    slugs = [p.slug for p in pages]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"page slugs must be unique, got {slugs}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in _ordered(pages):
        path = out_dir / f"{page.slug}.html"
        path.write_text(render_page(page, pages, site), encoding="utf-8")
        written.append(path)
    return written


_URL_ATTRS = frozenset(
    "src href xlink:href srcset poster action formaction data background".split()
)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I)
_SCRIPT_URL = re.compile(r"""["'`]((?:https?:)?//[^"'`\s]+)""", re.I)
_SIBLING_PAGE = re.compile(r"(\./)?[\w.-]+\.html(#\S*)?")


def _leaves_file(url: str) -> bool:
    url = url.strip()
    if not url or url.startswith("#") or _SIBLING_PAGE.fullmatch(url):
        return False
    return not url.lower().startswith(("data:", "mailto:", "tel:"))


class _ReferenceFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self._in = tag if tag in ("style", "script") else None
        for name, value in attrs:
            if not value:
                continue
            if name == "srcset":  # "a.png 1x, b.png 2x"
                self.found += [c.split()[0] for c in re.split(r",\s+", value) if c.strip()]
            elif name in _URL_ATTRS:
                self.found.append(value)
            self._css(value)  # style="…url()…", and SVG fill="url(#…)" / clip-path

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self._css(data)
        elif self._in == "script":  # e.g. require.config({paths: {plotly: "https://cdn…"}})
            self.found += [u for u in _SCRIPT_URL.findall(data) if "//www.w3.org/" not in u]

    def _css(self, text: str) -> None:
        self.found += [m.group(2) or m.group(4) or "" for m in _CSS_URL.finditer(text)]


def external_references(html_text: str) -> list[str]:
    """Every URL in the page that would make a request outside the file (in document order).

    Allowed: "#anchors", data:/mailto:/tel: URIs and links to sibling pages ("funnel.html#x").
    Anything else (http(s), "//host", relative file paths, file:) is reported.
    """
    finder = _ReferenceFinder()
    finder.feed(html_text)
    finder.close()
    return list(dict.fromkeys(u for u in finder.found if _leaves_file(u)))


def quarto_available() -> bool:
    return shutil.which("quarto") is not None


def render_with_quarto(project_dir: Path) -> None:
    """`quarto render <project_dir>`; a failure raises PipelineError carrying quarto's stderr."""
    if not quarto_available():
        raise PipelineError("quarto is not on PATH: install Quarto or use the built-in renderer.")
    result = subprocess.run(
        ["quarto", "render", str(project_dir)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise PipelineError(
            f"quarto render {project_dir} failed (exit {result.returncode}):\n"
            f"{result.stderr.strip() or result.stdout.strip()}"
        )
