"""The whole published audit as one PDF, printed by headless Chromium.

    print_pdf(reports/acme, ["index", "funnel", …], reports/acme/audit.pdf)

The pages' <main> contents are joined into one temporary print page (the site header once,
then each page on a new sheet under its title), with the site's CSS inlined; its print rules
hide navigation, tables of contents and code toggles and set A4. Links between pages become
links inside the PDF. Chromium's print-to-pdf does the rest; nothing leaves the machine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from salesaudit.errors import PipelineError

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--no-pdf-header-footer",
]
_EXTRA_CSS = """
.pdf-section + .pdf-section { break-before: page; }
.site-header { margin-bottom: 12px; }
@media print {  /* wide DataFrames must fit the sheet's width */
  table { font-size: 7pt; }
  th, td { padding: 2px 4px; }
}
"""


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable on PATH, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def pdf_available() -> bool:
    return find_chromium() is not None


def _between(text: str, start: str, end: str, name: str) -> str:
    """The text from the first `start` (regex) to the last `end`, both excluded."""
    m = re.search(start, text)
    stop = text.rfind(end)
    if not m or stop < m.end():
        raise PipelineError(f"{name}: no {end.strip('</>')} element; is it a salesaudit page?")
    return text[m.end():stop]


def _section(slug: str, page_html: str, name: str) -> str:
    main = _between(page_html, r'<main id="sa-content">', "</main>", name)
    title = re.search(r'aria-current="page">(.*?)</a>', page_html)
    if "<h1" not in main and title:  # every section opens with its title
        main = f'<h1 class="page-title">{title.group(1)}</h1>{main}'
    return f'<section class="pdf-section" id="page-{slug}">{main}</section>'


def _internal_links(body: str, slugs: list[str]) -> str:
    """`funnel.html#x` -> `#x` and `funnel.html` -> `#page-funnel`, for pages in the PDF."""
    pages = "|".join(map(re.escape, slugs))
    pattern = rf'href="({pages})\.html(#[^"]*)?"'
    return re.sub(pattern, lambda m: f'href="{m.group(2) or "#page-" + m.group(1)}"', body)


def combined_html(site_dir: Path, pages: list[str]) -> str:
    """One print page holding every page of the site, in the order given."""
    slugs = [p.removesuffix(".html") for p in pages]
    texts = {s: (Path(site_dir) / f"{s}.html").read_text(encoding="utf-8") for s in slugs}
    first = texts[slugs[0]]
    head = _between(first, r"<head>", "</head>", f"{slugs[0]}.html")
    head = re.sub(r"<title>.*? · ", "<title>Sales audit · ", head, count=1)  # "… · client"
    header = re.search(r'<header class="site-header">.*?</header>', first, re.DOTALL)
    body = "\n".join(_section(s, texts[s], f"{s}.html") for s in slugs)
    return (
        f'<!DOCTYPE html>\n<html lang="{_lang(first)}">\n<head>{head}'
        f"<style>{_EXTRA_CSS}</style>\n</head>\n<body>\n"
        f"{header.group(0) if header else ''}\n"
        f'<div class="wrap layout no-toc"><main>{_internal_links(body, slugs)}</main></div>\n'
        "</body>\n</html>\n"
    )


def _lang(page_html: str) -> str:
    m = re.search(r'<html lang="([^"]*)"', page_html)
    return m.group(1) if m else "en"


def print_pdf(site_dir: Path, pages: list[str], out: Path, timeout: float = 300) -> Path:
    """Print the pages of the site in `site_dir` (slugs or file names) into one PDF at `out`."""
    if not pages:
        raise PipelineError("print_pdf: no pages to print")
    browser = find_chromium()
    if browser is None:
        raise PipelineError(
            "no Chromium found for the PDF (looked for " + ", ".join(BROWSERS) + " on PATH).\n"
            "  fix: apt-get install chromium"
        )
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="salesaudit-pdf-") as tmp:
        page = Path(tmp) / "audit.html"
        page.write_text(combined_html(Path(site_dir), pages), encoding="utf-8")
        cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}",
               f"--print-to-pdf={out}", page.as_uri()]
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                    check=False)
        except subprocess.TimeoutExpired as err:
            raise PipelineError(f"{browser} did not print the PDF within {timeout:.0f} s") from err
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise PipelineError(
            f"{browser} could not print {out.name} (exit {result.returncode}):\n"
            + "\n".join(result.stderr.strip().splitlines()[-10:])
        )
    return out
