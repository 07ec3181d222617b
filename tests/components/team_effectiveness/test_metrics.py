"""Team effectiveness: hand-computed deal rules, then recovery of the demo's planted reps."""

import numpy as np
import pandas as pd
import pytest

from salesaudit.components.team_effectiveness import metrics as team
from salesaudit.methods import stats

from .conftest import AS_OF, HAND, STAGES


def test_deal_rules_by_hand():
    d = team.deals(HAND, STAGES, AS_OF, maturity_days=60).set_index("lead_id")
    # SQL is reached (or implied by a win) by all 5 rep leads: the handover stage.
    assert d.attrs["start_column"] == "sql_at"
    assert list(d.index) == ["L1", "L2", "L3", "L4", "L5"]
    assert d.loc["L5", "start"] == pd.Timestamp("2025-03-12")  # no SQL date: its win date
    assert d["won"].tolist() == [True, False, False, False, True]
    assert d["decided"].tolist() == [True, True, True, False, True]  # L4: 10 days old, open
    # Cycle: L1 won 10 days after start; L3 and L4 open, censored at their age; L2 lost: out.
    cyc = team.cycle_durations(d.reset_index(), AS_OF).set_index(np.array(["L1", "L3", "L4", "L5"]))
    assert cyc.loc["L1", "days"] == pytest.approx(10.0)
    assert cyc.loc["L5", "days"] == pytest.approx(0.0)
    assert cyc["event"].tolist() == [True, False, False, True]
    assert cyc.loc["L4", "days"] == pytest.approx((AS_OF - pd.Timestamp("2025-12-21")).total_seconds() / 86400)


def test_per_rep_table_by_hand():
    d = team.deals(HAND, STAGES, AS_OF, maturity_days=60)
    pr = team.per_rep(d, AS_OF).set_index("rep_id")
    # rep a: 1 win of 3 decided deals (Wilson interval from stats), 4 deals, 2 open.
    assert pr.loc["a", ["wins", "decided", "deals", "open"]].tolist() == [1, 3, 4, 2]
    lo, hi = stats.wilson_interval(1, 3)
    assert pr.loc["a", ["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])
    assert pr.loc["a", "revenue"] == pytest.approx(100.0)  # only L1 was won
    assert pr.loc["a", "mean_value"] == pytest.approx(100.0)


def test_backlog_counts_open_deals_at_each_week_end():
    d = team.deals(HAND, STAGES, AS_OF, maturity_days=60)
    b = team.backlog(d, "2025-01-01", "2025-01-31").pivot(index="week", columns="rep_id",
                                                           values="open_deals")
    # Weeks end on Sundays 5, 12, 19, 26 Jan. Rep a: L1 and L2 start 5 Jan (open at the end
    # of that day), L1 closes 15 Jan, L2 closes 20 Jan; L3 starts in June. Rep b starts 12 Mar.
    assert b["a"].tolist() == [2, 2, 1, 0]
    assert b["b"].tolist() == [0, 0, 0, 0]


def test_missing_optional_columns_still_give_a_result(bare_team):
    res = bare_team
    assert res.rollups == {} and res.value is None
    assert set(res.fair["rep_id"]) == {"a", "b"}
    # Without lost_at, a deal's outcome is known only when won or mature.
    assert res.deals.set_index("lead_id")["decided"].tolist() == [True, True, True, False, True]


def test_stage_gap_money_by_hand():
    # One transition, 4 reps with shrunk rates .4, .5, .6, .7 on 100 deals each: the lower
    # quartile (<= .475) is the .4 rep; median rep .55: 0.15 * 100 = 15 extra wins among 400
    # decided deals; at 800 deals a year that is 30 wins, × 50 = 1,500 a year.
    sbr = pd.DataFrame({"transition": "SQL → Customer", "rep_id": list("abcd"),
                        "entered": 100, "shrunk": [0.4, 0.5, 0.6, 0.7], "downstream": 1.0,
                        "best_rep": "d", "team_median": 0.55,
                        "lower_quartile": [True, False, False, False]})
    g = team.stage_gaps(sbr, deals_per_year=800, n_decided=400, value=50.0).iloc[0]
    assert g["extra_wins_per_year"] == pytest.approx(30.0)
    assert g["money_per_year"] == pytest.approx(1500.0)
    assert g["reps"] == "a" and g["best_rep"] == "d"


def test_the_planted_best_rep_is_found_and_the_lucky_small_rep_is_not_first(demo_team):
    res, truth = demo_team
    f = res.fair.set_index("rep_id")
    best, lucky = truth["reps"]["best"], truth["reps"]["lucky_small"]
    assert f["rank"].idxmin() == best and f.loc[best, "verdict"] == "higher"
    # The lucky rep has the highest raw rate (9 of 12) but is not ranked first after shrinkage.
    assert f["rate"].idxmax() == lucky and f.loc[lucky, "n"] == 12
    assert f.loc[lucky, "rank"] > 1 and f.loc[lucky, "verdict"] == "not distinguishable"


def test_planted_rep_win_rates_lie_in_the_intervals(demo_team):
    """Eight reps are checked at once, so each planted rate must lie in its 99.9% Wilson
    interval (family-wise miss chance under 1%); the best rep's planted rate must also lie in
    its 95% credible interval after adjustment and shrinkage (shrinkage pulls it toward the
    team, so this checks it is not pulled too far)."""
    res, truth = demo_team
    f = res.fair.set_index("rep_id")
    planted = pd.Series(truth["reps"]["win_rate"])
    low, high = stats.wilson_interval(f["successes"].astype(int), f["n"].astype(int), alpha=0.001)
    p = planted.reindex(f.index).to_numpy()
    assert ((low <= p) & (p <= high)).all(), f.assign(planted=p, low=low, high=high)
    best = truth["reps"]["best"]
    assert f.loc[best, "cr_low"] <= planted[best] <= f.loc[best, "cr_high"]
    # Reps below the team are the ones with negative planted effects.
    effect = pd.Series(truth["reps"]["effect"])
    assert (effect[f.index[f["verdict"] == "lower"]] < 0).all()


def test_demo_rollups_and_capacity(demo_team):
    res, _ = demo_team
    assert set(res.rollups) == {"team", "manager"}
    assert res.rollups["team"]["n"].sum() == res.fair["n"].sum()
    assert res.load is not None and res.load.ci_low < 1 < res.load.ci_high  # no planted load effect
    assert (res.backlog["open_deals"] >= 0).all()


@pytest.mark.slow
def test_notebook_says_what_to_provide_when_reps_and_leads_are_missing(tmp_path, small_demo):
    from conftest import run_without_tables

    text = run_without_tables("05_team_effectiveness.ipynb", small_demo, tmp_path, "leads", "reps")
    assert "Not available." in text and "**leads**" in text and "`rep_id`" in text
    assert "No findings recorded" in text
