"""Marketing spend per month and channel: the planted CAC times the expected new customers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesaudit.demo.base import CHANNELS, Cal

# Acquisition cost per new customer (spend = CAC x expected new customers in the period).
CAC = {"paid_search": 75.0, "social": 140.0, "email": 35.0, "referral": 45.0}


def monthly_spend(cal: Cal, lam: dict, expect: dict) -> dict:
    """Monthly spend per channel: planted CAC x expected new customers, by lead volume."""
    dates = pd.date_range(cal.start, periods=cal.days, freq="D")
    month = dates.to_period("M")
    months = month.unique()
    out = {"period_start": [], "channel": [], "amount": []}
    for ch in CHANNELS:
        total = CAC[ch] * expect["new_customers"][ch]
        per_month = pd.Series(lam[ch]).groupby(np.asarray(month.astype(str))).sum()
        share = per_month / per_month.sum()
        for mth in months:
            out["period_start"].append(mth.to_timestamp())
            out["channel"].append(ch)
            out["amount"].append(round(float(total * share[str(mth)]), 2))
    out["period_start"] = np.array(out["period_start"], dtype="datetime64[ns]")
    return out
