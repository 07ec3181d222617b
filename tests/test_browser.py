"""The published audit in a real browser, offline, and its PDF.

Debian's headless Chromium (driven by Playwright) opens every page of a freshly published demo
report with the network blocked: nothing may leave the file, nothing may fail, every image must
decode, every #fragment link must land on an element, the code toggles must work. A full-page
screenshot of each page is kept in build/test-artifacts/browser/ for a person to look at.
"""

from __future__ import annotations

import html
import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest

from report_fixture import CLIENT_NAME, published_report  # noqa: F401  (a fixture)
from salesaudit.report import findings, pdf

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

CHROMIUM = pdf.find_chromium()
if CHROMIUM is None:  # .ci/run installs it; a failed install is reported there
    pytest.skip("no Chromium on PATH (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402  (after the skip)
from pypdf import PdfReader  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "build" / "test-artifacts" / "browser"

_IMAGES_JS = """async () => {
  const bad = [];
  for (const img of document.images) {
    const name = img.alt || img.src.slice(0, 60);
    try { await img.decode(); } catch (e) { bad.push(name); continue; }
    if (!(img.complete && img.naturalWidth > 0)) bad.push(name);
  }
  return {count: document.images.length, bad: bad};
}"""


@dataclass
class Visit:
    """What opening one page showed."""

    problems: list[str] = field(default_factory=list)  # requests, console and page errors
    images: int = 0
    bad_images: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)  # resolved hrefs
    toggle: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def offline_page(browser, problems: list[str]):
    """A new page whose every request but file: and data: is aborted and recorded."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            problems.append(f"request leaving the machine: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda req: problems.append(f"failed: {req.url} ({req.failure})"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return page


def _try_code_toggles(page) -> dict:
    """Click the first "Show code", then "Show all code"; what became visible."""
    details = page.locator("details.code")
    if details.count() == 0:
        return {}
    first, code = details.first, details.first.locator(".highlight")
    hidden_before = not code.is_visible()
    first.locator("summary").click()
    out = {"hidden_before": hidden_before, "visible_after_click": code.is_visible(),
           "open_after_click": first.evaluate("d => d.open")}
    page.locator("#sa-toggle-code").click()
    out["closed_after_show_all"] = page.locator("details.code:not([open])").count()
    out["button_after_show_all"] = page.locator("#sa-toggle-code").inner_text()
    return out


@pytest.fixture(scope="module")
def visits(published_report, browser) -> dict[str, Visit]:  # noqa: F811
    """Every page of the report, opened once: {file name: Visit}."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    out = {}
    for path in sorted(published_report.glob("*.html")):
        visit = Visit()
        page = offline_page(browser, visit.problems)
        page.goto(path.as_uri(), wait_until="load")
        images = page.evaluate(_IMAGES_JS)
        visit.images, visit.bad_images = images["count"], images["bad"]
        visit.ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]'), e => e.id)"))
        visit.links = page.evaluate("Array.from(document.querySelectorAll('a[href]'), a => a.href)")
        page.screenshot(path=ARTIFACTS / f"{path.stem}.png", full_page=True)
        visit.toggle = _try_code_toggles(page)
        page.context.close()
        out[path.name] = visit
    return out


def test_every_page_opens_offline_without_a_failed_request_or_console_error(visits):
    assert {"index.html", "funnel.html"} <= set(visits)
    problems = {name: v.problems for name, v in visits.items() if v.problems}
    assert problems == {}


def test_every_image_is_decoded(visits):
    assert {name: v.bad_images for name, v in visits.items() if v.bad_images} == {}
    assert visits["funnel.html"].images > 0  # the funnel page has charts


def test_every_fragment_link_lands_on_an_element_and_every_page_link_exists(visits):
    broken, checked = [], 0
    for name, visit in visits.items():
        for link in visit.links:
            if not link.startswith("file:"):
                continue  # data: downloads, mailto:
            target, fragment = urldefrag(link)
            target_name = unquote(target.rsplit("/", 1)[-1])
            if target_name not in visits:
                broken.append(f"{name}: {link} (no such page)")
            elif fragment:
                checked += 1
                if unquote(fragment) not in visits[target_name].ids:
                    broken.append(f"{name}: {link} (no element with that id)")
    assert broken == []
    index_to_funnel = [u for u in visits["index.html"].links if "funnel.html#" in u]
    assert index_to_funnel and checked > len(index_to_funnel)  # findings + tables of contents


def test_a_summary_finding_link_scrolls_to_its_evidence(published_report, browser):  # noqa: F811
    problems: list[str] = []
    page = offline_page(browser, problems)
    page.goto((published_report / "index.html").as_uri(), wait_until="load")
    link = page.locator('main a[href^="funnel.html#"]').first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(lambda url: url.endswith("/" + href))
    anchor = href.split("#", 1)[1]
    box = page.evaluate(f"""() => {{
        const el = document.getElementById({anchor!r});
        return el && {{top: el.getBoundingClientRect().top, height: window.innerHeight}};
    }}""")
    page.context.close()
    assert box is not None, f"funnel.html has no element #{anchor}"
    assert 0 <= box["top"] < box["height"] / 2, box  # in view, near the top
    assert problems == []


def test_show_code_toggles_reveal_the_code(visits):
    with_code = {name: v.toggle for name, v in visits.items() if v.toggle}
    assert "funnel.html" in with_code
    for name, toggle in with_code.items():
        assert toggle == {"hidden_before": True, "visible_after_click": True,
                          "open_after_click": True, "closed_after_show_all": 0,
                          "button_after_show_all": "Hide all code"}, name


def test_a_full_page_screenshot_of_every_page_is_kept(visits):
    for name in visits:
        shot = ARTIFACTS / name.replace(".html", ".png")
        assert shot.is_file() and shot.stat().st_size > 10_000, shot


# The PDF -----------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Text as compared: ligatures and no-break spaces undone, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@pytest.fixture(scope="module")
def pdf_pages(published_report) -> list[str]:  # noqa: F811
    reader = PdfReader(published_report / "audit.pdf")
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    return [_plain(page.extract_text()) for page in reader.pages]


def _nav(index_html: str) -> list[tuple[str, str]]:
    """(file name, title) of every page, in the order of the site's navigation."""
    nav = re.search(r'<nav class="site-nav".*?</nav>', index_html, re.DOTALL).group(0)
    return [(href, html.unescape(title))
            for href, title in re.findall(r'<a href="([^"#]+)"[^>]*>(.*?)</a>', nav)]


def test_the_pdf_has_one_section_per_page_in_order(published_report, pdf_pages):  # noqa: F811
    nav = _nav((published_report / "index.html").read_text(encoding="utf-8"))
    assert {href for href, _ in nav} == {p.name for p in published_report.glob("*.html")}
    assert nav[0][0] == "index.html"
    first_title = nav[0][1]
    assert first_title in pdf_pages[0] and CLIENT_NAME in pdf_pages[0]  # header, unescaped
    starts = []
    for _, title in nav[1:]:  # every other page starts on a new sheet, under its title
        sheet = next((i for i, text in enumerate(pdf_pages) if text.startswith(title)), None)
        assert sheet is not None, f"no PDF page starts with {title!r}"
        starts.append(sheet)
    assert starts == sorted(starts) and starts[0] > 0


def test_the_pdf_holds_the_top_finding_and_no_screen_only_parts(published_report, pdf_pages):  # noqa: F811
    top = findings.ranked(findings.read_all(published_report / "findings")).iloc[0]
    text = " ".join(pdf_pages)
    assert _plain(top.sentence)[:40] in text
    for screen_only in ("Show code", "Show all code", "On this page"):
        assert screen_only not in text
