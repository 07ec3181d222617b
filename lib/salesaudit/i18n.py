"""The report's language: English source text, translations in gettext catalogs.

Text is written in English where it is used; what a reader sees goes through `_()`:

    from salesaudit.i18n import _
    ax.set_title(_("Revenue per month ({currency})", currency=cur))

Markdown cells and the notebooks' front-matter title/subtitle are translated whole by the
pipeline before execution (`translate_notebook`), so the executed run record, the HTML and a
Quarto render all read in the report's language. Catalogs are standard `.po` files, one per
source (`locales/it/04_reporting.po`, `locales/it/customers.po` …), editable with any PO
editor. After changing text:

    .venv/bin/python -m salesaudit.i18n update    # add new msgids (empty), drop unused ones
    .venv/bin/python -m salesaudit.i18n check     # every msgid translated, placeholders kept

An untranslated msgid falls back to English (never a crash); tests/test_i18n.py fails on it.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from salesaudit import paths

LANGUAGES = ("en", "it")
SOURCE_LANGUAGE = "en"
LOCALES = Path(__file__).parent / "report" / "locales"
# The front-matter lines a reader sees: `title: Text`, optionally quoted.
_FRONT = re.compile(r"""^(title|subtitle):\s*(["']?)(.+?)\2\s*$""", re.M)
_language = SOURCE_LANGUAGE
_catalog: dict[str, str] = {}


# ----------------------------------------------------------------------------- runtime


def catalog(language: str) -> dict[str, str]:
    """msgid → translation for `language`, merged over its .po files (empty for English)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    for po in sorted((LOCALES / language).glob("*.po")):
        with po.open("rb") as f:
            for msg in read_po(f):
                if msg.id and msg.string:
                    out[str(msg.id)] = str(msg.string)
    return out


def set_language(language: str) -> None:
    """Translate every `_()` from now on into `language` ("en" or "it")."""
    global _language, _catalog
    _catalog = {} if language == SOURCE_LANGUAGE else catalog(language)
    _language = language


def current_language() -> str:
    return _language


def _(text: str, /, **fields: object) -> str:
    """`text` in the report's language, with `{name}` placeholders filled from `fields`."""
    out = _catalog.get(text, text)
    return out.format(**fields) if fields else out


def label(value: object) -> object:
    """A value the library keeps in English because code compares it (a verdict, a band, a
    group) as the reader sees it; numbers and missing values pass through unchanged."""
    return _(value) if isinstance(value, str) and value else value


def N_(text: str, /) -> str:
    """Mark `text` for translation where it is defined (module level, before the language
    is known); translate it with `_(text)` where it is shown."""
    return text


def translate_markdown(source: str, table: dict[str, str]) -> str:
    return table.get(source.strip(), source)


def translate_front_matter(source: str, table: dict[str, str]) -> str:
    """Translate the title and subtitle lines of a `---` YAML front-matter cell."""
    def repl(m: re.Match) -> str:
        text = table.get(m.group(3))
        # JSON strings are YAML strings: a translated colon or quote cannot break the YAML.
        return f"{m.group(1)}: {json.dumps(text, ensure_ascii=False)}" if text else m.group(0)
    return _FRONT.sub(repl, source)


def translate_notebook(nb: nbformat.NotebookNode, language: str) -> nbformat.NotebookNode:
    """A copy of `nb` with its markdown cells and front matter in `language`."""
    if language == SOURCE_LANGUAGE:
        return nb
    table = catalog(language)
    out = nbformat.from_dict(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown":
            cell.source = translate_markdown(cell.source, table)
        elif cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            cell.source = translate_front_matter(cell.source, table)
    out.metadata["language"] = language
    return out


# ----------------------------------------------------------------------------- catalog upkeep


def _front_matter_values(source: str) -> Iterator[str]:
    for m in _FRONT.finditer(source):
        yield m.group(3)


def _calls(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """String literals passed as the first argument of `_()` or `N_()`."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def extract(path: Path) -> list[tuple[str, int]]:
    """(msgid, line or cell number) of every translatable text in a module or notebook."""
    if path.suffix == ".py":
        return sorted(_calls(ast.parse(path.read_text(encoding="utf-8"))), key=lambda m: m[1])
    nb = nbformat.read(path, as_version=4)
    out: list[tuple[str, int]] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and cell.source.strip():
            out.append((cell.source.strip(), i))
        elif cell.cell_type == "raw":
            out += [(v, i) for v in _front_matter_values(cell.source)]
        elif cell.cell_type == "code":
            code = "\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!")))
            out += [(m, i) for m, _line in sorted(_calls(ast.parse(code)), key=lambda m: m[1])]
    return out


def sources() -> list[Path]:
    """Everything whose text a reader sees: library modules and the audit's notebooks."""
    lib = sorted(p for p in Path(__file__).parent.rglob("*.py") if p.name != "i18n.py")
    return lib + sorted(paths.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def messages() -> dict[Path, list[tuple[str, int]]]:
    return {p: found for p in sources() if (found := extract(p))}


def catalog_name(source: Path) -> str:
    """A source's catalog: the notebook's stem, or the module's dotted path in the package
    (`components.reporting.metrics`), so that modules of the same name never share one."""
    if source.suffix != ".py":
        return source.stem
    rel = source.relative_to(Path(__file__).parent).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__") or "salesaudit"


def _po_path(language: str, source: Path) -> Path:
    return LOCALES / language / f"{catalog_name(source)}.po"


def _read(po: Path, language: str) -> Catalog:
    if not po.is_file():
        return Catalog(locale=language, project="salesaudit", fuzzy=False)
    with po.open("rb") as f:
        return read_po(f, locale=language)


def _write(po: Path, cat: Catalog) -> None:
    po.parent.mkdir(parents=True, exist_ok=True)
    with po.open("wb") as f:
        write_po(f, cat, width=0, omit_header=True, sort_output=False, include_lineno=False)


def update(language: str, only: list[str] | None = None) -> list[Path]:
    """Bring `language`'s catalogs in line with the sources: one .po per source, new msgids
    added empty (or with a translation found in another catalog), unused ones and the catalogs
    of moved or removed sources dropped. A msgid used by several sources lives in the first
    one's catalog. Returns the files written."""
    known = catalog(language)
    seen: set[str] = set()
    written = []
    for source, found in messages().items():
        po = _po_path(language, source)
        old = _read(po, language)
        new = Catalog(locale=language, project="salesaudit", fuzzy=False)
        for msgid, where in found:
            if msgid in seen:
                continue
            seen.add(msgid)
            prev = old.get(msgid)
            new.add(msgid, (prev.string if prev is not None and prev.string else known.get(msgid, "")),
                    locations=[(source.name, where)])
        if only and catalog_name(source) not in only:
            continue
        if len(new):
            _write(po, new)
            written.append(po)
        elif po.exists():
            po.unlink()
    if not only:  # catalogs of sources that were moved or removed
        for po in set((LOCALES / language).glob("*.po")) - set(written):
            po.unlink()
    return written


def _placeholders(text: str) -> set[str]:
    try:
        return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def problems(language: str) -> list[str]:
    """What keeps `language` from being complete: untranslated msgids, placeholders that
    differ from the English, translations nobody uses."""
    table = catalog(language)
    used: dict[str, str] = {}
    for source, found in messages().items():
        for msgid, where in found:
            used.setdefault(msgid, f"{source.name}:{where}")
    out = []
    for msgid, where in used.items():
        if msgid not in table:
            out.append(f"{where}: not translated into {language}: {msgid[:70]!r}")
        elif "{" in msgid and _placeholders(msgid) != _placeholders(table[msgid]):
            out.append(f"{where}: placeholders differ: {sorted(_placeholders(msgid))} vs "
                       f"{sorted(_placeholders(table[msgid]))} in {msgid[:50]!r}")
    for po in sorted((LOCALES / language).glob("*.po")):
        with po.open("rb") as f:
            for msg in read_po(f):
                if msg.id and msg.id not in used:
                    out.append(f"{po.name}: unused msgid (run update): {str(msg.id)[:70]!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m salesaudit.i18n", description="Report translations.")
    ap.add_argument("action", choices=["update", "check"])
    ap.add_argument("--language", default="it", choices=[x for x in LANGUAGES if x != SOURCE_LANGUAGE])
    ap.add_argument("--only", nargs="*", help="update only these sources' catalogs (file stems)")
    a = ap.parse_args(argv)
    if a.action == "update":
        for po in update(a.language, a.only):
            print(f"wrote {po.relative_to(paths.ROOT) if po.is_relative_to(paths.ROOT) else po}")
        return 0
    found = problems(a.language)
    print("\n".join(found) or f"{a.language}: every text is translated")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
