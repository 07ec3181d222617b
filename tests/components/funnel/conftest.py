"""The funnel computed once on the default demo, shared by the funnel tests."""

import pytest

from salesaudit.components.funnel import metrics

from .cases import STAGES


@pytest.fixture(scope="package")
def demo_funnel(default_demo):
    t = default_demo.tables
    truth = default_demo.truth
    res = metrics.analyze(t["leads"], STAGES, truth["period"]["start"], truth["period"]["end"],
                          maturity_days=truth["funnel"]["maturity_days"], orders=t["orders"])
    return res, truth
