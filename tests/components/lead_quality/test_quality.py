"""Lead-quality signals by hand."""

from salesaudit.components.lead_quality import quality

from .cases import HAND, STAGES


def test_quality_signals_by_hand():
    sig = quality.quality_signals(HAND, STAGES).set_index(["signal", "channel"])
    # SQLs: a has L1 (won) and L2 (lost 3 days after SQL); b has L5 (lost 29 days after SQL).
    assert sig.loc[("stalled SQLs (never won)", "a"), ["count", "of"]].tolist() == [1, 2]
    assert sig.loc[("stalled SQLs (never won)", "b"), ["count", "of"]].tolist() == [1, 1]
    assert sig.loc[("SQLs lost within 7 days", "a"), "count"] == 1
    assert sig.loc[("SQLs lost within 7 days", "b"), "count"] == 0
    assert sig.loc[("untouched leads", "a"), ["count", "of"]].tolist() == [1, 3]


def test_quality_signals_without_lost_at_skip_the_quick_rejection_signal():
    sig = quality.quality_signals(HAND.drop(columns="lost_at"), STAGES)
    assert "SQLs lost within 7 days" not in set(sig["signal"])
