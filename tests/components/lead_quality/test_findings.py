"""The lead-quality findings: each rule's trigger, then the demo's findings in the page's order."""

import pandas as pd

from salesaudit.components.lead_quality import conversion, economics, findings, quality

from .cases import PROFIT_ECON, PROFIT_LTV, STAGES


def test_only_channels_below_break_even_get_a_money_losing_finding():
    prof = economics.channel_profitability(PROFIT_ECON, PROFIT_LTV, period_days=365)
    keys = [f["key"] for f in findings.build(prof=prof, moves=economics.reallocation(prof))]
    assert keys == ["money-losing-channel-B", "best-channel"]  # C has no ratio: no finding


def test_the_simpson_finding_needs_the_paradox():
    s = conversion.MixDecomposition(pd.DataFrame(), "first", "second", 0.18, 0.33, 0.225, -0.075,
                                    paradox=True)
    (f,) = findings.build(simpson=s)
    assert f["key"] == "simpson-mix" and f["value"] == 0.33 - 0.18
    assert f["extra"] == {"mix_effect": 0.225, "rate_effect": -0.075}
    assert findings.build(simpson=conversion.MixDecomposition(
        pd.DataFrame(), "first", "second", 0.18, 0.33, 0.225, -0.075, paradox=False)) == []


def test_the_planted_money_losing_channel_is_named(demo_lq):
    prof, truth = demo_lq["prof"], demo_lq["truth"]
    assert prof.loc[prof["loses_money"], "channel"].tolist() == [truth["channels"]["money_losing"]]
    keys = [f["key"] for f in findings.build(prof=prof, moves=demo_lq["moves"], ltv_source=demo_lq["source"])]
    assert f"money-losing-channel-{truth['channels']['money_losing']}" in keys
    assert demo_lq["moves"]["gain_if_moved_per_year"].iloc[0] > demo_lq["moves"]["loss_per_year"].iloc[0] > 0


def test_demo_findings_name_social_for_conversion_and_stalled_sqls(demo_lq):
    """Social's planted rates are the lowest at every stage (lead → customer 3.6% against
    6.7-15.8%, SQL → won 45% against 55-70%), so both findings must point at it."""
    conv = conversion.channel_conversion(demo_lq["ripe"], STAGES)
    signals = quality.quality_signals(demo_lq["ripe"], STAGES)
    found = {f["key"]: f for f in findings.build(conv=conv, signals=signals)}
    assert "social" in found["weak-channel-conversion"]["sentence"]
    assert "social" in found["sqls-handed-over-too-early"]["sentence"]


def test_demo_findings_come_in_the_page_order(demo_lq):
    conv = conversion.channel_conversion(demo_lq["ripe"], STAGES)
    signals = quality.quality_signals(demo_lq["ripe"], STAGES)
    found = findings.build(conv=conv, prof=demo_lq["prof"], moves=demo_lq["moves"], signals=signals,
                           ltv_source=demo_lq["source"])
    money_losing = demo_lq["truth"]["channels"]["money_losing"]
    assert [f["key"] for f in found] == [f"money-losing-channel-{money_losing}", "best-channel",
                                         "weak-channel-conversion", "sqls-handed-over-too-early"]
