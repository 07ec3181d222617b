"""Promotion conversion and promotion responders by hand; the download of the repeat
responders' list."""

import base64
import re

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.content_flows import attribution, promotions
from salesaudit.report import plots

from .frames import W, order_frame, touch_frame


@pytest.fixture
def promo_case():
    campaigns = pd.DataFrame({"campaign_id": ["K1", "K2", "K3"], "promotion_id": ["P1", "P2", None],
                              "kind": ["promotion", "promotion", "newsletter"]}).astype("string")
    touches = touch_frame([
        ("K1", "C1", "2025-03-01", None, None, None), ("K1", "C2", "2025-03-01", None, None, None),
        ("K1", "C3", "2025-03-01", None, None, None), ("K1", "C4", "2025-03-01", None, None, None),
        ("K2", "C1", "2025-04-01", None, None, None), ("K2", "C2", "2025-04-01", None, None, None),
        ("K3", "C5", "2025-04-01", None, None, None),
    ])
    orders = order_frame([
        ("O1", "C1", "2025-03-02", 100, None),  # C1 bought after P1
        ("O2", "C1", "2025-04-03", 50, None),  # ... and after P2
        ("O3", "C2", "2025-03-20", 30, "P1"),  # C2 used P1 outside the window
        ("O4", "C5", "2025-04-02", 20, None),  # bought after a newsletter: no promotion
        ("O5", "C6", "2025-06-01", 10, None),  # never reached
        ("O6", None, "2025-06-01", 90, None),  # anonymous
        ("O7", "C4", "2025-06-30", 0, None),  # keeps every window mature
    ])
    return campaigns, touches, orders


def test_promotion_conversion_counts_reached_customers(promo_case):
    campaigns, touches, orders = promo_case
    out = attribution.touch_outcomes(touches, orders, W)
    p = promotions.promotion_conversion(out, campaigns, orders, "2025-01-01", "2025-12-31")
    p = p.set_index("promotion_id")
    # P1 reached C1-C4, C1 bought in the window (1/4), C2 used it by tag (1/4);
    # P2 reached C1, C2 and C1 bought (1/2).
    assert p.loc["P1", ["reached", "bought", "redeemed"]].tolist() == [4, 1, 1]
    assert p.loc["P2", ["reached", "bought", "redeemed"]].tolist() == [2, 1, 0]
    assert p.index.tolist() == ["P2", "P1"]  # ranked by conversion


def test_responders_count_promotions_and_their_revenue(promo_case):
    campaigns, touches, orders = promo_case
    out = attribution.touch_outcomes(touches, orders, W)
    table, repeat = promotions.promotion_responders(out, campaigns, orders, "2025-01-01",
                                                    "2025-12-31")
    t = table.set_index("group")
    # Base C1-C4. C1 responded to P1 and P2; C2 to P1 (tag); C3, C4 to none.
    assert t["customers"].tolist() == [2, 1, 1, 0, 2]  # 0, 1, 2, 3+, not reached (C5, C6)
    assert t.loc["2", "revenue"] == 150.0 and t.loc["1", "revenue"] == 30.0
    assert t.loc["2", "revenue_share"] == pytest.approx(150 / 300)  # anonymous revenue counts
    assert t.loc["0 (reached, no response)", "share_of_base"] == pytest.approx(0.5)
    assert np.isnan(t.loc["not reached by any promotion", "share_of_base"])
    assert repeat.to_dict("list") == {"customer_id": ["C1"], "promotions": [2]}


def test_download_link_embeds_the_csv():
    link = plots.download_link(pd.DataFrame({"customer_id": ["C1", "C2"]}), "r.csv", "get")
    payload = re.search(r'base64,([^"]+)"', link.data).group(1)
    assert base64.b64decode(payload).decode() == "customer_id\nC1\nC2\n"
    assert 'download="r.csv"' in link.data and ">get</a>" in link.data
