"""Planted in the touches: per-campaign open and click rates, the under-performing flow."""

from __future__ import annotations

from .checks import inside


def test_flow_rates_and_the_underperformer(mid):
    t, tr = mid.tables, mid.truth["flows"]
    sent = t["touches"][t["touches"]["group"].ne("control").fillna(True)]
    g = sent.groupby("campaign_id")
    opened, clicked, n = g["opened_at"].count(), g["clicked_at"].count(), g.size()
    for cid in n.index:
        assert inside(opened[cid], n[cid], tr["open_rate"][cid]), cid
        assert inside(clicked[cid], n[cid], tr["click_rate"][cid]), cid
    worst = tr["underperforming"][0]
    assert (opened / n).idxmin() == worst and (clicked / n).idxmin() == worst
    camp = t["campaigns"].set_index("campaign_id")
    assert camp.loc[worst, "kind"] == "flow" and camp.loc[worst, "automated"]
    assert camp["automated"].sum() == 5
