"""Acquisition cohorts on hand-computed orders, and their greyed small cohorts."""

import pandas as pd

from salesaudit.components.reporting import cohorts

from .hand import HAND


def test_cohorts_hand_computed():
    c = cohorts.cohorts(HAND, pd.Timestamp("2025-12-31"), min_n=2, max_age=3)
    # Cohorts: 2024-12 (A), 2025-01 (D), 2025-02 (B), 2025-06 (C), one customer each.
    assert c.sizes.to_dict() == {"2024-12": 1, "2025-01": 1, "2025-02": 1, "2025-06": 1}
    assert c.small.all().all()  # every cohort below min_n = 2: all greyed
    ret = c.retention.reset_index(drop=True)
    assert ret.iloc[0].tolist() == [1.0, 0.0, 0.0, 1.0]  # A: 2024-12, then 2025-03 (age 3)
    assert ret.iloc[1].tolist() == [1.0, 1.0, 1.0, 1.0]  # D buys every month
    cum = c.cum_revenue.reset_index(drop=True)
    assert cum.iloc[2].tolist() == [20.0, 20.0, 50.0, 50.0]  # B: 20 then 30; returned adds 0
    late = cohorts.cohorts(HAND, pd.Timestamp("2025-07-10"), max_age=3).retention
    assert late.iloc[-1].isna().tolist() == [False, False, True, True]  # C: ages 2, 3 unseen


def test_small_cohorts_are_greyed_with_their_values_shown():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from salesaudit.report import plots

    c = cohorts.cohorts(HAND, pd.Timestamp("2025-07-10"), min_n=2, max_age=3)
    ax = plots.heatmap_greyed(c.retention, c.small)
    # Every cohort is small: each observed cell gets a grey label, unobserved ones none.
    labels = [t for t in ax.texts if t.get_color() == "#8a8a8a"]
    assert len(labels) == int(c.retention.notna().sum().sum()) == 14
    plt.close("all")
