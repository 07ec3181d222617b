"""The report's language: complete catalogs, translation mechanics, and an Italian report."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import nbformat
import pytest
import yaml

from report_fixture import cli, make_project
from salesaudit import i18n, paths
from salesaudit.report import findings


@pytest.fixture
def italian():
    i18n.set_language("it")
    yield
    i18n.set_language("en")


def test_every_text_a_reader_sees_is_translated_into_italian():
    # `python -m salesaudit.i18n update` adds new texts to the catalogs; fill them in.
    assert i18n.problems("it") == []


def test_translation_fills_placeholders_and_falls_back_to_english(italian):
    assert i18n._("### From the {component} page", component="funnel") == "### Dalla pagina funnel"
    assert i18n._("a text nobody translated {x}", x=1) == "a text nobody translated 1"
    i18n.set_language("en")
    assert i18n._("### From the {component} page", component="funnel") == "### From the funnel page"


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        i18n.catalog("fr")


def test_labels_defined_before_the_language_is_known_are_translated_where_shown(italian):
    # contract's table descriptions are marked with N_() at import time.
    assert i18n.N_("One row per customer.") == "One row per customer."
    assert i18n._("One row per customer.") == "Una riga per cliente."
    assert findings.component_label("team_effectiveness") == "efficacia del team"


def test_notebook_translation_keeps_code_and_valid_front_matter():
    nb = nbformat.read(paths.NOTEBOOKS / "01_funnel.ipynb", as_version=4)
    it = i18n.translate_notebook(nb, "it")
    assert [c.cell_type for c in it.cells] == [c.cell_type for c in nb.cells]
    for a, b in zip(nb.cells, it.cells, strict=True):
        if a.cell_type == "code":
            assert a.source == b.source
        elif a.cell_type == "markdown":
            assert a.source != b.source, a.source[:60]
    front = yaml.safe_load(it.cells[0].source.strip().strip("-"))
    assert front["title"] != "Funnel" or front["title"] == i18n.catalog("it")["Funnel"]
    assert i18n.translate_notebook(nb, "en") is nb


def test_front_matter_stays_yaml_when_a_translation_has_a_colon():
    src = "---\ntitle: Funnel\nsubtitle: 'Where: here'\noutput-file: x.html\n---"
    out = i18n.translate_front_matter(src, {"Funnel": "Funnel: dove", "Where: here": 'Qui "sì"'})
    assert yaml.safe_load(out.strip("-")) == {"title": "Funnel: dove", "subtitle": 'Qui "sì"',
                                               "output-file": "x.html"}


def test_italian_methods_page_has_the_same_structure():
    en = (i18n.LOCALES.parent / "templates" / "methods.md").read_text(encoding="utf-8")
    it = (i18n.LOCALES.parent / "templates" / "methods.it.md").read_text(encoding="utf-8")

    def shape(text):
        return [ln.split()[0] for ln in text.splitlines() if ln.startswith("#")], text.count("`")

    assert shape(it) == shape(en)
    assert it != en


# --------------------------------------------------------------------------- an Italian report


class _Text(HTMLParser):
    """Headings, table headers and the page's language."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.found: dict[str, list[str]] = {"h1": [], "h2": [], "h3": [], "th": [], "a.nav": []}
        self.lang = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag in ("h1", "h2", "h3", "th"):
            self.stack.append(tag)
            self._buf = []

    def handle_endtag(self, tag):
        if self.stack and tag == self.stack[-1]:
            self.found[self.stack.pop()].append("".join(self._buf).strip())

    def handle_data(self, data):
        if self.stack:
            self._buf.append(data)


@pytest.fixture(scope="module")
def italian_report(tmp_path_factory, small_demo):
    root = tmp_path_factory.mktemp("italian-project")
    params = make_project(root, small_demo, client="italiano", name="Bottega Rossi",
                          language="it", locale="it_IT")
    res = cli(root, "run", str(params.relative_to(root)), "--jobs", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    return root / "reports" / "italiano"


def _english_texts() -> set[str]:
    """English msgids whose Italian differs: none of them may show in the Italian report."""
    table = i18n.catalog("it")
    out = set()
    for msgid, it in table.items():
        for text in (msgid, *re.findall(r"^#+\s*(.+)$", msgid, re.M)):
            if "{" not in text and len(text) > 3 and text != it and text not in table.values():
                out.add(text.strip())
    return out


@pytest.mark.slow
def test_the_italian_report_has_no_english_heading_or_table_header(italian_report):
    english = _english_texts()
    pages = sorted(italian_report.glob("*.html"))
    assert {p.stem for p in pages} >= {"index", "funnel", "reporting", "methods"}
    for page in pages:
        parser = _Text()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.lang == "it", page.name
        shown = [html.unescape(t) for k in ("h1", "h2", "h3", "th") for t in parser.found[k]]
        leftovers = sorted({t for t in shown if t in english})
        assert not leftovers, f"{page.name}: English left: {leftovers}"
    index = (italian_report / "index.html").read_text(encoding="utf-8")
    for word in ("Sintesi", "Metodi", "Audit delle vendite", "Risultati, ordinati per valore in gioco",
                 "Mostra tutto il codice", "Fonti dei dati"):
        assert word in index


@pytest.mark.slow
def test_italian_findings_are_written_in_italian_with_italian_numbers(italian_report):
    recorded = findings.read_all(italian_report / "findings")
    assert len(recorded) >= 10
    english_words = re.compile(r"\b(the|and|of|with|than|customers|per year)\b")
    for f in recorded:
        for text in (f.sentence, f.action):
            assert not english_words.search(text), f"{f.component}/{f.key}: {text}"
    index = (italian_report / "index.html").read_text(encoding="utf-8")
    # it_IT money: "1.234 €"; a rate with its interval: "12,3% (10,1%–14,6%, n = 1.234)".
    assert re.search(r"\d{1,3}(\.\d{3})+\s€", index)
    assert re.search(r"\d+,\d%\s\(\d+,\d%–\d+,\d%", index)
    manifest = json.loads((italian_report / "manifest.json").read_text())
    assert manifest["params"]["language"] == "it"


def test_stored_english_values_are_labelled_where_shown(italian):
    assert i18n.label("not distinguishable") == i18n.catalog("it")["not distinguishable"]
    assert i18n.label(3.5) == 3.5 and i18n.label(None) is None and i18n.label("") == ""
