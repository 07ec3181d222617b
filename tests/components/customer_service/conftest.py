"""Results shared by the service tests (metrics, findings, tables), each computed once."""

import pandas as pd
import pytest

from salesaudit.components.customer_service import metrics as service

T = pd.Timestamp


@pytest.fixture(scope="package")
def bare_service():
    """Two tickets with only the required columns: no channel, times, ratings or agents."""
    tk = pd.DataFrame({"ticket_id": ["T1", "T2"],
                       "opened_at": [T("2025-01-02 10:00"), T("2025-01-03 11:00")]})
    return service.analyze(tk, "2025-01-01", "2025-12-31")


@pytest.fixture(scope="package")
def demo_service(default_demo):
    t, truth = default_demo.tables, default_demo.truth
    res = service.analyze(t["tickets"], truth["period"]["start"], truth["period"]["end"],
                          surveys=t["surveys"], orders=t["orders"])
    return res, truth


@pytest.fixture(scope="package")
def plain_and_timed(default_demo):
    """Demo tickets analysed without opening hours (params give none) and with 9–18 Mon–Fri."""
    t, truth = default_demo.tables, default_demo.truth
    tickets = t["tickets"].head(800)
    start, end = truth["period"]["start"], truth["period"]["end"]
    return (service.analyze(tickets, start, end),
            service.analyze(tickets, start, end, hours=(9, 18, (0, 1, 2, 3, 4))))
