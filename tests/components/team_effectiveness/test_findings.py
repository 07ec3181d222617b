"""Team findings: built on partial data, and the demo's planted reps in the findings' order."""

from salesaudit.components.team_effectiveness import findings


def test_missing_optional_columns_still_give_findings(bare_team):
    assert isinstance(findings.build(bare_team), list)


def test_the_best_rep_comes_first_then_the_lucky_small_rep(demo_team):
    res, _ = demo_team
    names = [x["key"] for x in findings.build(res)]
    assert names[:2] == ["best-rep", "small-sample-rep"]
