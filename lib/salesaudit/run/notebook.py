"""What every notebook does in its second cell: validate the parameters, load the data, set
up findings and the chart theme — one call, so notebooks stay thin.

    audit = start("funnel", params_path=params_path, run_dir=run_dir)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from salesaudit import components, fmt, i18n, paths
from salesaudit.i18n import _
from salesaudit.ingest import contract
from salesaudit.ingest.cache import AuditData
from salesaudit.ingest.load import load
from salesaudit.params import AuditParams, load_params
from salesaudit.report import plots
from salesaudit.report.findings import FindingsLog


@dataclass
class Audit:
    component: str
    params: AuditParams
    data: AuditData
    findings: FindingsLog
    run_dir: Path

    @property
    def currency(self) -> str:
        return self.params.currency

    def available(self, *tables: str) -> bool:
        return not self.data.missing(*tables)

    def not_available(self, *tables: str, what: str = "") -> None:
        """Say which tables (and columns) a section needs instead of crashing. `what`
        names the section, already in the report's language (`_("The funnel")`)."""
        what = what or _("This section")
        lines = ["> " + _("**Not available.** {what} needs the table(s) below; provide them in "
                          "`{folder}/` (or name them in the params file).",
                          what=what, folder=self.params.data_path.name)]
        for t in tables:
            spec = contract.table(t)
            req = ", ".join(f"`{c}`" for c in spec.required)
            lines.append("> - " + _("**{table}** ({doc}) with columns {columns}",
                                    table=t, doc=_(spec.doc), columns=req))
        display(Markdown("\n".join(lines)))

    def show_findings(self) -> None:
        """The findings this notebook recorded, as a table."""
        from salesaudit.report.findings import table

        df = table(self.findings.items, self.currency)
        if df.empty:
            display(Markdown(_("_No findings recorded on this page._")))
        else:
            display(HTML(df.to_html(index=False, escape=False, classes="findings")))

    def anchor(self, anchor_id: str) -> None:
        """A target for a finding's link, placed right before the chart or table it proves."""
        display(HTML(f'<div id="{anchor_id}" class="anchor"></div>'))


def start(component: str, params_path: str, run_dir: str = "") -> Audit:
    """Validate the notebook's parameters and return the audit context."""
    if component not in components.discover() and component != "summary":
        raise ValueError(f"unknown component {component!r}")
    params = load_params(params_path)
    data = load(params)
    folder = Path(run_dir) if run_dir else paths.client_build_dir(params.client) / "interactive"
    plots.set_theme()
    fmt.set_locale(params.number_locale)
    i18n.set_language(params.language)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    return Audit(component, params, data, FindingsLog(component, folder / "findings"), folder)
