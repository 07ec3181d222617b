"""Campaign and flow performance: the metrics by hand, the peer groups, and the verdict
against the peers (margin test, Benjamini–Hochberg)."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.content_flows import attribution, performance

from .frames import W, touch_frame


def test_campaign_metrics_by_hand():
    rows = []
    # K1: 10 sent to 8 customers, 5 opened (one only clicked), 2 clicked, 3 bought.
    for i in range(10):
        c = f"C{i % 8}"
        opened = "2025-03-01 01:00" if i < 4 else None
        clicked = "2025-03-01 02:00" if i in (0, 4) else None
        rows.append(("K1", c, f"2025-03-{1 + i // 8:02d}", opened, clicked, None))
    touches = touch_frame(rows)
    outcomes = attribution.touch_outcomes(touches, None, W)
    m = performance.campaign_metrics(outcomes, None).set_index("campaign_id")
    r = m.loc["K1"]
    assert (r["sent"], r["recipients"], r["opened"], r["clicked"], r["clicked_opened"]) == (10, 8, 5, 2, 2)
    assert r["open_rate"] == pytest.approx(0.5)
    assert r["click_rate"] == pytest.approx(0.2)
    assert r["click_to_open_rate"] == pytest.approx(0.4)
    # Wilson 95% for 5/10: proportion_confint(5, 10, method="wilson") = (0.2366, 0.7634)
    assert (r["open_low"], r["open_high"]) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    assert "conversion_rate" not in m  # no orders: no conversion, no crash


def _metrics(rows):
    return pd.DataFrame(rows, columns=["campaign_id", "name", "peer_group", "opened", "sent"])


def test_underperformer_needs_a_credible_margin_below_its_peers():
    m = _metrics([
        ("F1", "a", "flow", 500, 1000), ("F2", "b", "flow", 510, 1000),
        ("F3", "c", "flow", 100, 1000),  # 10% against 50.5%: far more than 25% below
        ("F4", "d", "flow", 450, 1000),  # 45% against ~37%: not below at all
        ("N1", "e", "newsletter", 300, 1000),  # alone in its peer group
        ("F5", "f", "flow", 0, 0),  # nothing sent in the period
    ])
    u = performance.underperformers(m).set_index("campaign_id")
    assert u.loc["F5", "open_verdict"] == "no data"
    assert u.loc["F3", "open_verdict"] == "under-performing" and u.loc["F3", "flagged"] == "open"
    assert u.loc["N1", "open_verdict"] == "no peers"
    assert (u.loc[["F1", "F2", "F4"], "flagged"] == "").all()
    # F3's peers pool F1, F2, F4: (500 + 510 + 450) / 3000.
    assert u.loc["F3", "open_rest_rate"] == pytest.approx(1460 / 3000)


def test_significantly_lower_but_within_the_margin_is_lower_not_underperforming():
    # 40% against 50% with n = 20,000 each: clearly lower, but only 20% below (< 25%).
    m = _metrics([("A", "a", "g", 8_000, 20_000), ("B", "b", "g", 10_000, 20_000)])
    u = performance.underperformers(m).set_index("campaign_id")
    assert u.loc["A", "open_verdict"] == "lower" and u.loc["B", "open_verdict"] == "higher"
    assert u.loc["A", "flagged"] == ""
    # Tiny groups are not distinguishable: 0 of 5 against 3 of 6.
    u = performance.underperformers(_metrics([("A", "a", "g", 0, 5), ("B", "b", "g", 3, 6)]))
    assert u["open_verdict"].tolist() == ["not distinguishable"] * 2


def test_margin_test_matches_a_hand_computed_z():
    # Adjusted rates (x+1)/(n+2): 101/1002 and 1461/3002; k = 0.75.
    x, n, xr, nr = 100.0, 1000.0, 1460.0, 3000.0
    p, pr, k = 101 / 1002, 1461 / 3002, 0.75
    z = (p - k * pr) / np.sqrt(p * (1 - p) / 1002 + k * k * pr * (1 - pr) / 3002)
    from scipy.stats import norm

    got = performance._margin_test(np.array([x]), np.array([n]), np.array([xr]),
                                   np.array([nr]), 0.25)
    assert got[0] == pytest.approx(norm.cdf(z))


def test_campaigns_with_kind_but_no_automated_column():
    """A client's campaigns may give `kind` without `automated` (e.g. direct mail only)."""
    campaigns = pd.DataFrame({"campaign_id": ["c1", "c2"], "kind": ["promotion", None]})
    assert performance._peer_group(campaigns).tolist() == ["promotion", "other"]
