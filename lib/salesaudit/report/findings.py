"""Findings: one sentence a client can act on, with its number, interval and money at stake.

Each notebook records its findings through a `FindingsLog`, which rewrites one JSON sidecar
per component in the run folder after every record (so a re-run replaces, never appends).
The summary notebook reads them all with `read_all`; nothing parses notebook outputs.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from salesaudit import components
from salesaudit.i18n import _

Severity = Literal["high", "medium", "low", "info"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


@dataclass(frozen=True)
class Finding:
    component: str  # e.g. "funnel"
    key: str  # stable within the component, e.g. "leaking-stage"
    sentence: str  # what we found, one sentence, with the number
    action: str  # what to do about it, one sentence
    metric: str  # e.g. "MQL → SQL conversion"
    value: float
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    unit: Literal["rate", "money", "days", "hours", "count", "ratio"] = "rate"
    comparison: str = ""  # what the value is compared with, in words
    money_per_year: float | None = None  # money at stake per year, currency of the params
    severity: Severity = "medium"
    anchor: str = ""  # id of the chart or table proving it, on the component's page
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ci_low is not None and self.ci_high is not None and self.ci_low > self.ci_high:
            raise ValueError(f"{self.key}: interval is reversed ({self.ci_low} > {self.ci_high})")
        if self.severity not in SEVERITY_ORDER:
            raise ValueError(f"{self.key}: severity must be one of {list(SEVERITY_ORDER)}")


def _clean(v):
    # JSON has no NaN: store missing numbers as null.
    return None if isinstance(v, float) and not math.isfinite(v) else v


class FindingsLog:
    """Collects one component's findings and keeps its sidecar file up to date."""

    def __init__(self, component: str, folder: Path):
        self.component = component
        self.path = Path(folder) / f"{component}.json"
        self.items: list[Finding] = []
        self._write()  # a re-run starts from an empty sidecar

    def record(self, **fields) -> Finding:
        finding = Finding(component=self.component, **fields)
        if any(f.key == finding.key for f in self.items):
            raise ValueError(f"finding key {finding.key!r} recorded twice in {self.component}")
        self.items.append(finding)
        self._write()
        return finding

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{k: _clean(v) for k, v in asdict(f).items()} for f in self.items]
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"component": self.component, "findings": rows}, indent=2))
        tmp.replace(self.path)

    def frame(self) -> pd.DataFrame:
        return to_frame(self.items)


def read_all(folder: Path) -> list[Finding]:
    """Every finding in a run's findings folder, in component order."""
    out: list[Finding] = []
    for path in sorted(Path(folder).glob("*.json")):
        payload = json.loads(path.read_text())
        out += [Finding(**row) for row in payload["findings"]]
    return out


def to_frame(findings: list[Finding]) -> pd.DataFrame:
    cols = [f.name for f in Finding.__dataclass_fields__.values()]
    return pd.DataFrame([asdict(f) for f in findings], columns=cols)


def ranked(findings: list[Finding]) -> pd.DataFrame:
    """Findings ordered by money at stake per year (largest first), then severity."""
    df = to_frame(findings)
    if df.empty:
        return df
    df["_sev"] = df["severity"].map(SEVERITY_ORDER)
    df["_money"] = df["money_per_year"].fillna(-1.0)
    return (
        df.sort_values(["_money", "_sev", "component", "key"], ascending=[False, True, True, True])
        .drop(columns=["_sev", "_money"])
        .reset_index(drop=True)
    )


def component_label(component: str) -> str:
    """A component's name as the reader sees it, in the report's language."""
    if component == "summary":
        return _("summary")
    known = components.discover().get(component)
    return _(known.label) if known else component.replace("_", " ")


def severity_label(severity: str) -> str:
    return {"high": _("high"), "medium": _("medium"), "low": _("low"),
            "info": _("info")}.get(severity, severity)


def table(findings: list[Finding], currency: str = "EUR", link: bool = False) -> pd.DataFrame:
    """Findings as a readable table, ranked; with `link`, each row links to its evidence.
    Column headers and labels follow the report's language; the sentences were written in
    it when they were recorded."""
    from salesaudit import fmt  # local: fmt is presentation, findings is data

    df = ranked(findings)
    columns = [_("finding"), _("value (95% CI, n)"), _("money / year"), _("severity")]
    if df.empty:
        return pd.DataFrame(columns=columns)

    def value(r) -> str:
        if r.unit == "rate":
            return fmt.rate_ci(r.value, r.ci_low, r.ci_high, None if pd.isna(r.n) else r.n)
        if r.unit == "money":
            return fmt.money(r.value, currency)
        unit = {"days": _("days"), "hours": _("h"), "count": "", "ratio": "×"}.get(r.unit, "")
        digits = {"count": 0, "ratio": 2}.get(r.unit, 1)
        return fmt.value_ci(r.value, r.ci_low, r.ci_high, unit,
                            None if pd.isna(r.n) else int(r.n), digits=digits)

    def sentence(r) -> str:
        # Sentences carry client data (channel, campaign names): escape before adding markup.
        text = f"{html.escape(r.sentence)} <em>{html.escape(r.action)}</em>"
        if link and r.anchor:
            text += f' <a href="{r.component}.html#{r.anchor}">{_("evidence")} →</a>'
        return text

    out = pd.DataFrame({
        "component": [component_label(c) for c in df["component"]],
        columns[0]: [sentence(r) for r in df.itertuples()],
        columns[1]: [value(r) for r in df.itertuples()],
        columns[2]: [fmt.money(m, currency) for m in df["money_per_year"]],
        columns[3]: [severity_label(s) for s in df["severity"]],
    })
    return out.rename(columns={"component": _("component")})


def by_component(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by component (in the order the components first appear), each group
    ranked like the whole list."""
    ranked_keys = ranked(findings)[["component", "key"]].itertuples(index=False)
    index = {(f.component, f.key): f for f in findings}
    groups: dict[str, list[Finding]] = {}
    for component in dict.fromkeys(f.component for f in findings):
        groups[component] = []
    for component, key in ranked_keys:
        groups[component].append(index[(component, key)])
    return groups
