"""What the reporting page displays: the component's English values in the report's language
(`label`) and the data-quality tables as the reader sees them.

Values the other modules write stay English in the data (code compares and groups on them);
these put them in the report's language where they are shown."""

from __future__ import annotations

import re

import pandas as pd

from salesaudit import fmt
from salesaudit.i18n import N_, _

# Loader texts written outside its quality checks (ingest/validate.py), shown in the same table.
LOADER_TEXTS = (N_("file has a header but no rows"), N_("export the table again"),
                N_("correct at the source"))


_LABELS = [
    (re.compile(r"repeat within (\d+) days"),
     lambda m: _("repeat within {days} days", days=m[1])),
    (re.compile(r"P\(quiet this long\) < (\S+)"),
     lambda m: _("P(quiet this long) < {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(quiet this long\) ≥ (\S+)"),
     lambda m: _("P(quiet this long) ≥ {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(alive\) < (\S+)"),
     lambda m: _("P(alive) < {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"P\(alive\) ≥ (\S+)"),
     lambda m: _("P(alive) ≥ {p}", p=fmt.sig(float(m[1]), None))),
    (re.compile(r"outliers above (\S+) \(Q3 \+ 10×IQR\)"),
     lambda m: _("outliers above {limit} (Q3 + 10×IQR)",
                 limit=fmt.number(float(m[1].replace(",", "")), 2))),
    (re.compile(r"(\S+) before (\S+): rows dropped"),
     lambda m: _("{later} before {earlier}: rows dropped", later=m[1], earlier=m[2])),
]


def label(value):
    """A value this component or the loader writes in English (group, segment, method, metric,
    rule, data-quality check …) as the reader sees it. Only for those columns: client data
    is never passed through here."""
    if not isinstance(value, str):
        return value
    for pattern, text in _LABELS:
        if m := pattern.fullmatch(value):
            return text(m)
    return _(value)


def quality_view(df: pd.DataFrame, share_digits: int = 2) -> pd.DataFrame:
    """A data-quality table (the loader's, `data_quality`'s or `quality_scores`') as the
    reader sees it: texts and headers in the report's language, numbers for the locale."""
    out = df.copy()
    for c in ("check", "action"):
        if c in out:
            out[c] = [label(v) for v in out[c]]
    formats = {"rows": fmt.count, "problems": fmt.count, "weight": lambda v: fmt.sig(v, None),
               "share": lambda v: fmt.pct(v, share_digits), "score": lambda v: fmt.number(v, 1)}
    for c, f in formats.items():
        if c in out:
            out[c] = [f(v) for v in out[c]]
    return out.rename(columns={
        "table": _("table"), "column": _("column"), "check": _("check"), "rows": _("rows"),
        "share": _("share"), "examples": _("examples"), "weight": _("weight"),
        "action": _("action"), "score": _("score"), "problems": _("problems"),
        "fix_first": _("fix first")})
