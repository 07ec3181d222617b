import json

import pytest

from salesaudit.report import findings
from salesaudit.report.findings import Finding, FindingsLog


def _rec(log, key, money=None, severity="medium"):
    return log.record(key=key, sentence=f"{key} found.", action="Do it.", metric="m", value=0.2,
                      ci_low=0.1, ci_high=0.3, n=100, money_per_year=money, severity=severity,
                      anchor=key)


def test_log_writes_a_sidecar_after_every_record_and_rereads_it(tmp_path):
    log = FindingsLog("funnel", tmp_path)
    assert json.loads((tmp_path / "funnel.json").read_text()) == {"component": "funnel", "findings": []}
    _rec(log, "a", money=100.0)
    _rec(log, "b", money=float("nan"))  # NaN becomes null: the JSON stays valid
    back = findings.read_all(tmp_path)
    assert [f.key for f in back] == ["a", "b"]
    assert back[1].money_per_year is None
    assert back[0] == log.items[0]


def test_rerun_replaces_instead_of_appending(tmp_path):
    _rec(FindingsLog("funnel", tmp_path), "a")
    FindingsLog("funnel", tmp_path)
    assert findings.read_all(tmp_path) == []


def test_duplicate_keys_and_reversed_intervals_are_bugs(tmp_path):
    log = FindingsLog("funnel", tmp_path)
    _rec(log, "a")
    with pytest.raises(ValueError, match="recorded twice"):
        _rec(log, "a")
    with pytest.raises(ValueError, match="interval is reversed"):
        Finding("funnel", "x", "s", "a", "m", 0.5, ci_low=0.6, ci_high=0.4)
    with pytest.raises(ValueError, match="severity"):
        Finding("funnel", "x", "s", "a", "m", 0.5, severity="urgent")


def test_ranking_is_by_money_then_severity_and_stable(tmp_path):
    a, b = FindingsLog("funnel", tmp_path), FindingsLog("team", tmp_path)
    _rec(a, "small", money=10.0)
    _rec(a, "none-high", severity="high")
    _rec(b, "big", money=1000.0)
    _rec(b, "none-low", severity="low")
    order = findings.ranked(findings.read_all(tmp_path))["key"].tolist()
    assert order == ["big", "small", "none-high", "none-low"]


def test_table_formats_value_interval_money_and_links(tmp_path):
    log = FindingsLog("funnel", tmp_path)
    _rec(log, "leak", money=12345.6)
    t = findings.table(log.items, "EUR", link=True)
    row = t.iloc[0]
    assert row["value (95% CI, n)"] == "20.0% (10.0%–30.0%, n = 100)"
    assert row["money / year"] == "€12,346"
    assert 'href="funnel.html#leak"' in row["finding"]
    assert findings.table([], "EUR").empty


def test_table_escapes_client_text_but_keeps_its_own_links(tmp_path):
    log = FindingsLog("funnel", tmp_path)
    log.record(key="k", sentence="Channel <b>x</b> & co leaks.", action="Fix <script>.", metric="m",
               value=0.1, anchor="k")
    cell = findings.table(log.items, link=True).iloc[0]["finding"]
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in cell and "&lt;script&gt;" in cell
    assert '<a href="funnel.html#k">' in cell


def test_table_shows_counts_whole_and_ratios_with_two_decimals(tmp_path):
    log = FindingsLog("team", tmp_path)
    log.record(key="c", sentence="s.", action="a.", metric="m", value=165.0, n=9540, unit="count")
    log.record(key="r", sentence="s.", action="a.", metric="m", value=0.8, ci_low=0.68,
               ci_high=0.94, n=292, unit="ratio")
    values = set(findings.table(log.items)["value (95% CI, n)"])
    assert values == {"165 (n = 9,540)", "0.80 × (0.68–0.94, n = 292)"}


def test_by_component_keeps_component_order_and_ranks_within(tmp_path):
    a, b = FindingsLog("funnel", tmp_path), FindingsLog("team", tmp_path)
    _rec(a, "small", money=10.0)
    _rec(a, "big", money=500.0)
    _rec(b, "t", money=1000.0)
    groups = findings.by_component(findings.read_all(tmp_path))
    assert list(groups) == ["funnel", "team"]
    assert [f.key for f in groups["funnel"]] == ["big", "small"]
