"""The demo's lead-quality results computed once (the LTV bootstrap is slow), shared by the
lead-quality tests."""

import pytest

from salesaudit.components.funnel import metrics as funnel
from salesaudit.components.lead_quality import economics, metrics

from .cases import STAGES


@pytest.fixture(scope="package")
def demo_lq(default_demo):
    t, truth = default_demo.tables, default_demo.truth
    start, end = truth["period"]["start"], truth["period"]["end"]
    leads = funnel.in_period(t["leads"], start, end)
    as_of = funnel.as_of_date(leads, end)
    ripe = leads[funnel.mature(leads, as_of, truth["funnel"]["maturity_days"])]
    econ, _ = economics.spend_economics(t["spend"], t["leads"], STAGES, start, end, alpha=0.001)
    acq = metrics.acquired_customers(leads, t["customers"], "won_at", start, end)
    pred = metrics.predicted_ltv(t["orders"], acq, as_of, n_boot=20)
    ltv, source = economics.ltv_table(pred, None)
    prof = economics.channel_profitability(econ, ltv, 365)
    return dict(truth=truth, ripe=ripe, econ=econ, pred=pred, prof=prof, acq=acq, source=source,
                moves=economics.reallocation(prof))
