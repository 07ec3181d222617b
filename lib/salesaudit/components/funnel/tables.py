"""Display tables of the funnel page: the channel and hour-slot comparisons in the report's
language and number format (the numbers themselves come from `metrics`)."""

from __future__ import annotations

import pandas as pd

from salesaudit import fmt
from salesaudit.i18n import N_, _

# What `comparison_table` shows: the columns of `visitor_to_lead` / `store_hourly_conversion`
# and their verdicts (data, compared on in code) in the report's language.
_COMPARISON_LABELS = (N_("channel"), N_("hour"), N_("leads"), N_("orders"), N_("visitors"),
                      N_("rate"), N_("ci_low"), N_("ci_high"), N_("rest_rate"), N_("difference"),
                      N_("p_value"), N_("q_value"), N_("verdict"), N_("higher"), N_("lower"),
                      N_("not distinguishable"), N_("channel in one table only"))


def comparison_table(df: pd.DataFrame):
    """A `visitor_to_lead` or `store_hourly_conversion` table for display: headers and verdicts
    in the report's language, rates and p-values in its number format."""
    def label(v):
        return _(v) if v in _COMPARISON_LABELS else v

    def pct(v):
        return fmt.pct(v, 2)

    formats = {"rate": pct, "ci_low": pct, "ci_high": pct, "rest_rate": pct,
               "difference": lambda v: fmt.signed(v, 2, pct=True),
               "p_value": fmt.sig, "q_value": fmt.sig}
    shown = df.assign(verdict=df["verdict"].map(label)).rename(columns=label)
    return shown.style.hide(axis="index").format(
        {label(c): f for c, f in formats.items() if c in df}, na_rep="–")
