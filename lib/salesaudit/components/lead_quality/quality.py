"""Lead-quality signals per channel: stalled SQLs, quick rejections by sales, untouched leads;
and the time from lead to the second stage.

Stage reach and maturity follow `funnel`: a lead reached a stage when that stage's date or a
later one is set; signals count mature leads only.
"""

from __future__ import annotations

import pandas as pd

from salesaudit.components.funnel import metrics as funnel
from salesaudit.i18n import N_, _
from salesaudit.methods import stats

QUICK_REJECTION = N_("SQLs lost within {days} days")


def quality_signals(ripe: pd.DataFrame, stages: list[tuple[str, str]], by: str = "channel",
                    quick_days: float = 7.0) -> pd.DataFrame:
    """Per group, each compared with the rest (Benjamini–Hochberg across groups):
    - stalled SQLs: mature SQLs that never became customers (open or lost);
    - quick rejections: SQLs closed as lost within `quick_days` of becoming SQL — sales sent
      them back at once, the mark of leads handed over too early (needs lost_at);
    - untouched leads: no date after creation at all, not even a closing date."""
    cols = [c for _, c in stages]
    reach = funnel.stage_reach(ripe, cols)
    sql_col, final = cols[-2], cols[-1]
    is_sql = reach[sql_col]
    stalled = is_sql & ~reach[final]
    later = [c for c in cols[1:]] + (["lost_at"] if "lost_at" in ripe else [])
    untouched = ripe[later].isna().all(axis=1)
    key = ripe[by].fillna("(none)")
    # Signal names stay English (findings compare them); `signal_label` shows them translated.
    parts = {N_("stalled SQLs (never won)"): (stalled, is_sql),
             N_("untouched leads"): (untouched, pd.Series(True, index=ripe.index))}
    if "lost_at" in ripe:
        sql_at = funnel.reach_dates(ripe, stages, len(cols) - 2)
        quick = is_sql & ~reach[final] & ((ripe["lost_at"] - sql_at).dt.total_seconds() / 86400 <= quick_days)
        parts[QUICK_REJECTION.format(days=f"{quick_days:g}")] = (quick, is_sql)
    out = []
    for name, (hit, base) in parts.items():
        g = pd.DataFrame({"hit": hit & base, "base": base}).groupby(key.to_numpy()).sum()
        cmp = stats.compare_to_rest(g["hit"].astype("int64"), g["base"].astype("int64"))
        cmp = cmp.reset_index(names=by).rename(columns={"successes": "count", "n": "of"})
        cmp.insert(1, "signal", name)
        out.append(cmp)
    return pd.concat(out, ignore_index=True)


def signal_label(signal: str) -> str:
    """A `quality_signals` signal name in the report's language."""
    head, tail = QUICK_REJECTION.split("{days}")
    if signal.startswith(head) and signal.endswith(tail):
        return _(QUICK_REJECTION, days=signal[len(head):len(signal) - len(tail)])
    return _(signal)


def time_to_mql(leads: pd.DataFrame, stages: list[tuple[str, str]], as_of, maturity_days: int,
                by: str = "channel") -> pd.DataFrame:
    """Median days from lead to the second stage per channel (funnel's survival helpers,
    reused: leads not there yet are censored)."""
    d = funnel.time_to_convert(leads, stages[1][1], as_of, maturity_days, by=by)
    return funnel.median_days_to_convert(d, by=by)
