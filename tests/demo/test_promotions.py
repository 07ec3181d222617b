"""Planted in the promotions: the randomized holdout's uplift."""

from __future__ import annotations

import pandas as pd
import pytest

from .checks import inside, known


def test_promotion_holdout_uplift(mid):
    t, tr = mid.tables, mid.truth["promotion_uplift"]
    touches = t["touches"][t["touches"]["campaign_id"] == tr["campaign_id"]]
    sent = touches["sent_at"].iloc[0]
    o = known(t["orders"])
    window = o[(o["ordered_at"] >= sent) & (o["ordered_at"] < sent + pd.Timedelta(days=tr["window_days"]))]
    bought = touches["customer_id"].isin(window["customer_id"])
    for group, rate in (("control", tr["control_rate"]), ("treatment", tr["treatment_rate"])):
        g = bought[touches["group"] == group]
        assert inside(g.sum(), len(g), rate), group
    assert touches["group"].eq("treatment").mean() == pytest.approx(0.85, abs=0.02)
    assert t["touches"]["group"].notna().sum() == len(touches)  # only this campaign has groups
    tagged = o[o["promotion_id"] == tr["promotion_id"]]
    treated = touches.loc[touches["group"] == "treatment", "customer_id"]
    assert tagged["customer_id"].isin(treated).all() and len(tagged) > 0
