"""Time helpers shared by the content-and-flows modules: the period's bounds, the touches
actually sent, and each customer's events (orders or touches) sorted for binary search, so
that windows per customer are vectorized (no loops over customers, no merges of frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def period_bounds(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end + 1 day): the period's days, end inclusive."""
    return pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(days=1)


def sent_mask(touches: pd.DataFrame) -> np.ndarray:
    """Which touches were actually sent (holdout control rows were not)."""
    if "group" not in touches:
        return np.ones(len(touches), dtype=bool)
    return (touches["group"].fillna("treatment") != "control").to_numpy(dtype=bool)


def to_ns(values) -> np.ndarray:
    """Timestamps as int64 nanoseconds."""
    return np.asarray(values, dtype="datetime64[ns]").view(np.int64)


class CustomerTimeline:
    """Events (orders or touches) of known customers sorted by (customer, time, tie-break),
    searchable by binary search: windows per customer over tens of millions of rows without
    merging frames. Customers are integer codes into `ids`; a time is stored as its rank
    among the event times (how many are earlier), so (customer, time) packs into one
    sortable int64."""

    def __init__(self, customer_ids: pd.Series, times, tie_break: np.ndarray | None = None,
                 where: np.ndarray | None = None):
        codes, uniques = pd.factorize(customer_ids)
        self.ids = pd.Index(uniques)
        known = codes >= 0 if where is None else (codes >= 0) & where  # the events kept
        t = to_ns(times)[known]
        self.times = np.sort(t)
        self.m = len(self.times) + 1
        key = codes[known].astype(np.int64) * self.m + np.searchsorted(self.times, t)
        self.rows = np.flatnonzero(known)  # event positions in the input, sorted below
        order = (np.argsort(key, kind="stable") if tie_break is None
                 else np.lexsort((tie_break[known], key)))
        self.key, self.rows = key[order], self.rows[order]

    def count_before(self, codes: np.ndarray, times, inclusive: bool = False) -> np.ndarray:
        """Position just past each customer's last event before `times` (at or before with
        `inclusive`) in the sorted events; `codes` index `ids` (−1: no customer)."""
        rank = np.searchsorted(self.times, to_ns(times), "right" if inclusive else "left")
        needles = np.where(codes >= 0, codes, 0) * self.m + rank
        # Binary search is several times faster on sorted needles (cache locality).
        order = np.argsort(needles)
        pos = np.empty(len(needles), dtype=np.int64)
        pos[order] = np.searchsorted(self.key, needles[order], "left")
        return pos

    def last_at_or_before(self, codes: np.ndarray, times) -> np.ndarray:
        """Input position of each customer's last event at or before `times` (−1: none);
        among simultaneous events the last in tie-break order."""
        if not len(self.rows):
            return np.full(len(codes), -1)
        pos = self.count_before(codes, times, inclusive=True) - 1
        ok = (codes >= 0) & (pos >= 0)
        ok[ok] = self.key[pos[ok]] // self.m == codes[ok]
        return np.where(ok, self.rows[np.maximum(pos, 0)], -1)


def in_period(df: pd.DataFrame, col: str, start, end) -> pd.DataFrame:
    """The rows dated in the period; `df` itself when all are (filtering copies every column)."""
    lo, hi = period_bounds(start, end)
    inside = ((df[col] >= lo) & (df[col] < hi)).to_numpy(dtype=bool)
    return df if inside.all() else df[inside]
