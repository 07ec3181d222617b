"""Customer service: hand-computed business hours, NPS interval, censoring, volumes and the
repurchase frame; then recovery of the demo's planted service truths."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.customer_service import metrics as service

from .conftest import T


def _bh(pairs, *args):
    start = pd.to_datetime(pd.Series([a for a, _ in pairs]))
    end = pd.to_datetime(pd.Series([b for _, b in pairs]))
    return service.business_hours_between(start, end, *args)


def test_business_hours_by_hand():
    # 2025-01-06 is a Monday. Default opening 09:00–18:00, Monday to Friday (9 h a day).
    got = _bh([
        ("2025-01-06 10:00", "2025-01-06 12:00"),  # same morning: 2 h
        ("2025-01-10 17:00", "2025-01-13 10:00"),  # Fri 17–18 + Mon 9–10, weekend skipped: 2 h
        ("2025-01-07 17:30", "2025-01-08 09:30"),  # overnight: 0.5 + 0.5 = 1 h
        ("2025-01-11 10:00", "2025-01-12 15:00"),  # all weekend: 0 h
        ("2025-01-06 07:00", "2025-01-06 08:00"),  # before opening: 0 h
        ("2025-01-06 07:00", "2025-01-06 20:00"),  # spans the whole day: 9 h
        ("2025-01-06 09:00", "2025-01-20 09:00"),  # two full weeks: 2 × 5 × 9 = 90 h
        ("2025-01-08 00:00", "2025-01-07 00:00"),  # end before start: 0, not negative
    ])
    assert got.tolist() == pytest.approx([2, 2, 1, 0, 0, 9, 90, 0])
    # Custom hours: 08:00–20:00, Monday to Saturday: Saturday 10–12 counts 2 h.
    sat = _bh([("2025-01-11 10:00", "2025-01-11 12:00")], 8, 20, (0, 1, 2, 3, 4, 5))
    assert sat.tolist() == [2.0]
    with pytest.raises(ValueError):
        service.business_hours_between([T("2025-01-06")], [T("2025-01-07")], 18, 9)


def test_open_tickets_are_missing_then_censored_at_the_as_of_date():
    # No end: NaN from the function; `durations` censors it at as_of instead.
    nan = service.business_hours_between(pd.Series([T("2025-01-10 17:00")]), pd.Series([pd.NaT]))
    assert np.isnan(nan[0])
    tk = pd.DataFrame({"ticket_id": ["T1", "T2"], "channel": ["email", "email"],
                       "opened_at": [T("2025-01-10 17:00"), T("2025-01-10 17:00")],
                       "first_response_at": [pd.NaT, T("2025-01-13 09:30")],
                       "resolved_at": [pd.NaT, T("2025-01-20 09:00")]})
    as_of = T("2025-01-13 10:00")
    d = service.durations(tk, as_of, hours=(9, 18, (0, 1, 2, 3, 4)))
    # T1 waits Fri 17–18 + Mon 9–10 = 2 business hours, censored; T2 answered after 1.5 h.
    assert d["first_response_hours"].tolist() == pytest.approx([2.0, 1.5])
    assert d["first_response_event"].tolist() == [False, True]
    # T2's resolution is after as_of: censored at as_of too (65 calendar hours).
    cal = service.durations(tk, as_of)
    assert cal["resolution_event"].tolist() == [False, False]
    assert cal["resolution_hours"].tolist() == pytest.approx([65.0, 65.0])


def test_nps_adjusted_wald_by_hand():
    # 5 promoters, 2 detractors of 10: NPS 0.3. Adjusted: n' = 13, p' = 5.75/13 = 0.442308,
    # d' = 2.75/13 = 0.211538, centre 0.230769, var = (0.653846 - 0.053254)/13 = 0.046199,
    # half-width 1.959964 × 0.214940 = 0.421275 → (-0.190506, 0.652044).
    r = service.nps_interval(5, 2, 10).iloc[0]
    assert r["nps"] == pytest.approx(0.3)
    assert [r["ci_low"], r["ci_high"]] == pytest.approx([-0.190506, 0.652044], abs=2e-6)
    # From raw scores (9–10 promoters, 0–6 detractors, 7–8 passive), empty → NaN.
    n = service.nps([10, 9, 9, 10, 9, 8, 7, 7, 6, 0])
    assert (n.value, n.n, n.promoters, n.detractors) == pytest.approx((0.3, 10, 0.5, 0.2))
    empty = service.nps_interval(0, 0, 0).iloc[0]
    assert np.isnan(empty["nps"]) and np.isnan(empty["ci_low"])
    # All promoters: clipped at +1.
    assert service.nps_interval(50, 0, 50).iloc[0]["ci_high"] <= 1.0


def test_time_summary_counts_open_tickets_as_censored():
    # Hours 1, 2, 3 (still open), 4: KM S(1) = 3/4, S(2) = 1/2 (not below 1/2), the open
    # ticket leaves the risk set at 3, S(4) = 0 → median 4 (dropping the open ticket would
    # give 2; counting it as answered at 3 would give 3 or 2.5).
    d = pd.DataFrame({"channel": "chat", "first_response_hours": [1.0, 2.0, 3.0, 4.0],
                      "first_response_event": [True, True, False, True]})
    s = service.time_summary(d, "first_response", "channel").iloc[0]
    assert (s["tickets"], s["done"], s["median"]) == (4, 3, 4.0)


def test_volume_backlog_and_csat_response_rates_by_hand():
    tk = pd.DataFrame({"ticket_id": ["T1", "T2", "T3"],
                       "opened_at": [T("2025-01-02"), T("2025-01-03"), T("2025-01-09")],
                       "resolved_at": [T("2025-01-04"), pd.NaT, T("2025-01-10")],
                       "csat": [5.0, np.nan, 2.0], "channel": ["a", "a", "b"]})
    od = pd.DataFrame({"ordered_at": [T("2025-01-01")] * 50 + [T("2025-02-01")] * 10})
    per = service.tickets_per_100_orders(tk, od, "2025-01-01", "2025-02-28")
    assert per["tickets"].tolist() == [3, 0] and per["per_100"].tolist() == pytest.approx([6.0, 0.0])
    # Week ends (Sundays) 5 and 12 Jan: T2 open at both; T1 closed 4 Jan; T3 closed 10 Jan.
    b = service.backlog(tk, "2025-01-01", "2025-01-12")
    assert b["open_tickets"].tolist() == [1, 1]
    # CSAT among answers; response rate among resolved tickets (asked).
    c = service.csat_by(tk["csat"], tk["channel"], tk["resolved_at"].notna())
    assert c.loc["a", ["top2", "responses", "asked"]].tolist() == [1, 1, 1]
    assert c.loc["b", "rate"] == 0.0 and c.loc["b", "response_rate"] == 1.0
    dist = service.score_distribution(tk["csat"], range(1, 6))
    assert dist["count"].tolist() == [0, 1, 0, 0, 1]


def test_repurchase_frame_by_hand():
    tk = pd.DataFrame({"ticket_id": ["T1", "T2", "T3"], "customer_id": ["c1", "c2", "c1"],
                       "opened_at": [T("2025-01-05"), T("2025-01-05"), T("2025-11-01")],
                       "csat": [5.0, 1.0, 3.0], "resolved_at": [T("2025-01-06")] * 3})
    od = pd.DataFrame({"customer_id": ["c1", "c1", "c1", "c2"],
                       "ordered_at": [T("2025-01-01"), T("2025-01-03"), T("2025-03-01"), T("2025-01-02")],
                       "revenue": [10.0, 20.0, 30.0, 40.0]})
    rf = service.repurchase_frame(tk, od, as_of=T("2025-12-31")).set_index("ticket_id")
    # T3 opened 60 days before as_of: window not complete, left out.
    assert list(rf.index) == ["T1", "T2"]
    assert rf["prior_orders"].tolist() == [2, 1]
    assert rf["repurchased"].tolist() == [True, False]
    assert rf["revenue_after"].tolist() == [30.0, 0.0]
    assert rf.loc["T1", "resolution_hours"] == 24.0


def test_missing_optional_columns_and_tables_still_give_a_result(bare_service):
    res = bare_service
    assert res.n_tickets == 2 and res.agents == {} and res.csat_effect is None
    assert res.times == {} and res.reopen is None and res.nps_overall is None


def test_planted_first_response_medians_lie_in_the_intervals(demo_service):
    """Three channels at once: 99% Kaplan–Meier intervals (family-wise miss chance about 3%)."""
    res, truth = demo_service
    planted = truth["service"]["first_response_median_hours"]
    s = service.time_summary(res.dur, "first_response", "channel", alpha=0.01)
    assert set(s["channel"]) == set(planted)
    for r in s.itertuples():
        assert r.median_low <= planted[r.channel] <= r.median_high, r


def test_planted_csat_effect_on_repurchase_is_recovered(demo_service):
    res, truth = demo_service
    planted = truth["service"]["csat_repurchase"]
    eff = res.csat_effect
    assert eff is not None and eff.coef > 0 and eff.p_value < 0.001
    assert eff.ci_low <= planted["logit_coef_per_point"] <= eff.ci_high, eff
    # Repurchase rises across the CSAT bands.
    assert res.by_csat.sort_values("csat")["rate"].is_monotonic_increasing
    assert res.money is not None and res.money["money_per_year"] > 0


def test_planted_survey_scores_lie_in_the_intervals(demo_service):
    res, truth = demo_service
    n = res.nps_overall
    assert n.ci_low <= truth["surveys"]["nps"] / 100 <= n.ci_high
    c = res.csat_survey_overall
    assert c.ci_low <= truth["surveys"]["csat_share_4_5"] <= c.ci_high
    r = res.reopen_overall
    assert r.ci_low <= truth["service"]["reopened_rate"] <= r.ci_high


def test_agents_without_planted_differences_are_not_flagged(demo_service):
    """Agents are assigned at random with no planted effect; with BH at 5% the chance of
    flagging any of them under this global null is at most 5% per outcome."""
    res, _ = demo_service
    for outcome in ("csat", "reopened"):
        a = res.agents[outcome]
        assert len(a) == 6 and (a["verdict"] == "not distinguishable").all()


@pytest.mark.slow
def test_notebook_says_what_to_provide_when_tickets_are_missing(tmp_path, small_demo):
    from conftest import run_without_tables

    text = run_without_tables("06_customer_service.ipynb", small_demo, tmp_path, "tickets")
    assert "Not available." in text and "**tickets**" in text and "`ticket_id`" in text
    assert "No findings recorded" in text


def test_business_hours_only_when_params_give_opening_hours(plain_and_timed):
    plain, timed = plain_and_timed
    assert plain.dur_business is None
    assert not any(k[2] == "business" for k in plain.times)
    cal = plain.times[("first_response", "channel", "calendar")]
    bus = timed.times[("first_response", "channel", "business")]
    assert timed.dur_business is not None and len(bus) == len(cal)
