"""The audit's components: one folder each, named like its notebook (`NN_<slug>.ipynb`).

Each folder's `__init__` declares what the component needs and how it is called:

    COMPONENT = Component("funnel", N_("funnel"), needs=("leads",), uses=("traffic", ...))

and holds its code in `metrics.py` (tables in, tables out), `findings.py` (one function per
finding rule) and, where a page needs them, `tables.py` (what the notebook displays). Adding a
folder adds a component: the runner's scheduling, the "not available" sections, `salesaudit
validate`, the findings' labels and the summary's "what we could not assess" all read
`discover()`; no list to edit (a test checks notebooks and folders match one to one).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

from salesaudit import paths


@dataclass(frozen=True)
class Component:
    slug: str  # folder and notebook name: components/<slug>/, notebooks/NN_<slug>.ipynb
    label: str  # the reader's name for it, marked with N_() and shown through _()
    needs: tuple[str, ...]  # tables without which it cannot speak
    uses: tuple[str, ...] = ()  # tables that make it richer


@cache
def discover() -> dict[str, Component]:
    """slug -> declaration of every component folder, in the order of their notebooks."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: _notebook_order(m.name)):
        if info.ispkg:
            module = importlib.import_module(f"{__name__}.{info.name}")
            component = module.COMPONENT
            if component.slug != info.name:
                raise RuntimeError(f"components/{info.name}/ declares slug {component.slug!r}")
            found[component.slug] = component
    return found


def _notebook_order(slug: str) -> tuple[str, str]:
    # The page order is the notebooks' number (01_funnel …); a folder without one goes last.
    numbered = sorted(paths.NOTEBOOKS.glob(f"[0-9][0-9]_{slug}.ipynb"))
    return (numbered[0].name if numbered else "99", slug)


def get(slug: str) -> Component:
    return discover()[slug]
