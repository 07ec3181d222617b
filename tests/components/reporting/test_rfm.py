"""RFM scores and segments on hand-computed orders."""

import pandas as pd

from salesaudit.components.reporting import rfm

from .hand import END, HAND, START


def test_rfm_scores_ties_and_segments():
    assert rfm._score(pd.Series([1, 1, 1, 2, 5])).tolist() == [1, 1, 1, 4, 5]  # ties → lower
    # (rank − 1) / (n − 1) in fifths: ranks 1, 1, 1, 4, 5 of 5 → 1, 1, 1, 1 + ⌊5·3/4⌋ = 4, 5.
    assert rfm._score(pd.Series([10.0, 1.0]), higher_is_better=False).tolist() == [1, 5]
    r = rfm.rfm(HAND, START, END)
    assert r.loc["D", "frequency"] == 12 and r.loc["D", "F"] == 5
    # D ordered last on 12-15 (as-of 12-15, the last order): most recent and most frequent.
    assert r.loc["D", "segment"] == "champions"
    seg = rfm.rfm_segments(r)
    assert seg["customers"].sum() == 4 and seg["revenue"].sum() == 72
