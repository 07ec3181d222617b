"""The reporting page's finding rules: what each says or leaves out, in the page's order."""

import pandas as pd

from salesaudit.components.reporting import findings, metrics

from .hand import END, HAND, START


def _scores(score):
    return pd.DataFrame({"table": ["orders"], "rows": [100], "score": [score],
                         "problems": [1], "fix_first": ["outliers in revenue (1 rows, 1%)"],
                         "action": ["check for test orders or unit errors"]})


def test_nothing_to_judge_no_findings():
    assert findings.build() == []


def test_rules_in_the_page_order_and_the_quality_threshold():
    split = metrics.buyer_split(HAND, START, END)
    out = findings.build(split=split, quality=_scores(70.0))
    assert [f["key"] for f in out] == ["one-time-buyers", "data-quality"]
    assert out[0]["value"] == 0.5 and out[0]["n"] == 4
    assert out[1]["severity"] == "high"
    assert findings.build(quality=_scores(90.0))[0]["severity"] == "medium"
    assert findings.build(quality=_scores(95.0)) == []  # 95 and above: nothing to fix first
