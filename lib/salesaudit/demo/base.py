"""The period calendar, the online time-of-day profile and the sampling helpers every
simulator of the demo client uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Acquisition channels: of leads, customers, web traffic and spend.
CHANNELS = ("paid_search", "social", "email", "referral")

# Seasonality of web leads and store visits, by calendar month.
MONTH_SEASON = (1.10, 0.90, 0.95, 1.00, 1.00, 0.95, 0.85, 0.70, 1.00, 1.05, 1.25, 1.35)

# Online orders' hour of day (a weight per hour 0..23).
ONLINE_HOURS = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 6, 7, 8, 9, 10, 10, 7, 3)


@dataclass
class Cal:
    """The period: day offsets since `start`, with each day's weekday and month."""

    start: pd.Timestamp
    end: pd.Timestamp
    days: int  # D: the period is [0, D) in days since start
    weekday: np.ndarray
    month: np.ndarray

    def offset(self, day365: float) -> int:
        """A day of the 365-day template, stretched to this period."""
        return int(round(day365 * self.days / 365))


def calendar(start: str, end: str) -> Cal:
    """The calendar of [start, end], whole days."""
    s, e = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    dates = pd.date_range(s, e, freq="D")
    if len(dates) < 200:
        raise ValueError("the demo needs a period of at least 200 days")
    return Cal(s, e, len(dates), np.asarray(dates.day_of_week), np.asarray(dates.month))


def pick(rng, options, n):
    """n draws from (value, probability) pairs, as indices."""
    p = np.array([w for _, w in options], float)
    return rng.choice(len(options), size=n, p=p / p.sum())


def group_rank(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal keys (keys sorted)."""
    first = np.searchsorted(sorted_keys, sorted_keys, side="left")
    return np.arange(len(sorted_keys)) - first


def snap(rng, t: np.ndarray) -> np.ndarray:
    """Keep the day, redraw the time of day from the online hourly profile."""
    p = np.asarray(ONLINE_HOURS, float)
    hour = rng.choice(24, size=len(t), p=p / p.sum())
    return np.floor(t) + (hour + rng.random(len(t))) / 24
