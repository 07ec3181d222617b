"""Tables the service page shows, built from `metrics` results: display only, no statistics."""

from __future__ import annotations

import pandas as pd

from salesaudit import fmt
from salesaudit.i18n import N_, _

# Grouping columns shown as table headers (`_(by)` in `times_table`).
GROUP_LABELS = (N_("channel"), N_("category"), N_("agent_id"), N_("month"))


def times_table(calendar: pd.DataFrame, business: pd.DataFrame | None, by: str) -> pd.DataFrame:
    """Medians and 90th percentiles with intervals, in calendar hours and, when opening hours
    are known, in business hours, one row per group."""
    def cells(df: pd.DataFrame, median: str, p90: str) -> dict:
        return {
            median: [fmt.value_ci(r.median, r.median_low, r.median_high) for r in df.itertuples()],
            p90: [fmt.value_ci(r.p90, r.p90_low, r.p90_high) for r in df.itertuples()],
        }

    med, p90 = _("median (calendar)"), _("90th pct (calendar)")
    out = calendar.assign(**cells(calendar, med, p90))
    cols = [by, "tickets", "done", med, p90]
    if business is not None:
        med, p90 = _("median (business hours)"), _("90th pct (business hours)")
        out = out.assign(**cells(business, med, p90))
        cols += [med, p90]
    # Headers in the report's language; group values (channels, agents) are client data.
    return out[cols].rename(columns={by: _(by), "tickets": _("tickets"), "done": _("done")})
