"""Statistical checks of planted truths against the generated rows.

Tolerances: proportions are checked against Wilson intervals at z = 4 (two-sided
~99.994%; with about a hundred such checks in these files a false alarm is unlikely even
before the seeds are fixed), means against 4 standard errors.
"""

from __future__ import annotations

import math

import pandas as pd

Z = 4.0


def wilson(k: float, n: float, z: float = Z) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def inside(k, n, truth) -> bool:
    lo, hi = wilson(k, n)
    return lo <= truth <= hi


def period_end(truth) -> pd.Timestamp:
    return pd.Timestamp(truth["period"]["end"]) + pd.Timedelta(hours=23, minutes=59, seconds=59)


def known(orders):
    return orders.dropna(subset=["customer_id"])
