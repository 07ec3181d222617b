"""Input checks shared by the methods (stats, survival): the interval level, numeric
arrays with NA as NaN, and the first offending values for an error message. One home, so
that every method refuses bad input with the same words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

NAN_ESTIMATE = (np.nan, np.nan, np.nan)  # value, ci_low, ci_high of an empty sample


def check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha}")
    return alpha


def z_value(alpha: float) -> float:
    return float(sps.norm.ppf(1 - check_alpha(alpha) / 2))


def to_float(values: Any, name: str) -> np.ndarray:
    """Any array-like (nullable pandas types included) as a float ndarray, NA → NaN."""
    if isinstance(values, pd.Series | pd.Index):
        try:
            return values.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be numeric: {exc}") from None
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None


def first_bad(mask: np.ndarray, *arrays: np.ndarray) -> str:
    """'k value(s), e.g. (a, b)' for the first offending entry, for error messages."""
    flat = np.flatnonzero(mask.ravel())
    first = tuple(float(np.broadcast_to(a, mask.shape).ravel()[flat[0]]) for a in arrays)
    ex = first[0] if len(first) == 1 else first
    return f"{flat.size} value(s), e.g. {ex}"
