"""Service findings: none on bare tickets, the planted truths found on the demo, and the
overall-times baseline when there is no channel to compare."""

from salesaudit.components.customer_service import findings
from salesaudit.components.customer_service import metrics as service


def test_missing_optional_columns_and_tables_give_no_findings(bare_service):
    assert findings.build(bare_service) == []


def test_planted_first_response_gap_and_csat_effect_are_findings(demo_service):
    res, _ = demo_service
    keys = [f["key"] for f in findings.build(res)]
    assert "csat-repurchase" in keys and "first-response" in keys


def test_overall_times_finding_when_tickets_have_no_channel(default_demo):
    t, truth = default_demo.tables, default_demo.truth
    tickets = t["tickets"].drop(columns=["channel"])
    res = service.analyze(tickets, truth["period"]["start"], truth["period"]["end"])
    keys = [f["key"] for f in findings.build(res)]
    assert "service-times" in keys and "first-response" not in keys
