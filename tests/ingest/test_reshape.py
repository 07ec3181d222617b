"""Params-driven reshaping: joins (done as the files are read), event logs, derived columns,
header-less files."""

import pandas as pd
import pytest

from conftest import write_params
from salesaudit import paths
from salesaudit.errors import DataError
from salesaudit.ingest import read, reshape
from salesaudit.ingest.load import load
from salesaudit.params import Derivation, EventLog, load_params


def test_derive_when_default_and_row_number():
    raw = pd.DataFrame({"stage": ["Won", "Lost", " Won ", None], "close": ["d1", "d2", "d3", "d4"],
                        "origin": ["seo", "", None, "ads"]})
    out, problems = reshape.derive(raw, {
        "won_at": Derivation(value="close", when={"column": "stage", "equals": "Won"}),
        "channel": Derivation(value="origin", default="(blank)"),
        "lead_id": Derivation(row_number=True),
    }, "leads", "f.csv")
    assert problems == []
    assert out["won_at"].isna().tolist() == [False, True, False, True]  # compared trimmed
    assert out["won_at"].dropna().tolist() == ["d1", "d3"]
    assert out["channel"].tolist() == ["seo", "(blank)", "(blank)", "ads"]
    assert out["lead_id"].tolist() == ["1", "2", "3", "4"]
    _, problems = reshape.derive(raw, {"won_at": Derivation(value="closed_on")}, "leads", "f.csv")
    assert "derive won_at: column(s) ['closed_on'] not in the file" in problems[0].problem


def test_events_become_one_row_per_case():
    ev = pd.DataFrame({"case": ["2", "2", "2", "3"],
                       "t": ["2012-04-03 16:55:38", "2012-04-05 17:15:52", "2012-04-03 16:55:53",
                             "2010-10-29 18:14:06"]})
    cases, problem = reshape.events_to_cases(ev, EventLog(key="case", time="t"), None, "tickets", "h.csv")
    assert problem is None
    c = cases.set_index("case")
    assert c.loc["2", "first_event"] == pd.Timestamp("2012-04-03 16:55:38")
    assert c.loc["2", "second_event"] == pd.Timestamp("2012-04-03 16:55:53")  # sorted by time
    assert c.loc["2", "last_event"] == pd.Timestamp("2012-04-05 17:15:52")
    assert c.loc["3", "events"] == 1 and pd.isna(c.loc["3", "second_event"])


def test_join_refuses_a_key_that_repeats_in_the_joined_file():
    left = pd.DataFrame({"id": ["a", "b"], "x": ["1", "2"]})
    right = pd.DataFrame({"id": ["a", "a"], "y": ["3", "4"]})
    _, problem = read.join(left, right, "id", "left", "leads", "deals.csv")
    assert "the join key 'id' repeats in deals.csv" in problem.problem
    assert problem.examples == ["id='a'"]
    out, problem = read.join(left, right.iloc[:1], "id", "left", "leads", "deals.csv")
    assert problem is None and out["y"].isna().tolist() == [False, True]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    f = tmp_path / "data" / "t"
    f.mkdir(parents=True)
    return f


def test_headerless_whitespace_file_with_row_number_ids(folder):
    # The CDNOW layout: customer, original id, yyyymmdd date, quantity, amount; no header.
    (folder / "cd.txt").write_text("00001 00001 19970101 1 11.77\n00002 00002 19970112   1  12.00\n")
    params = load_params(write_params(folder, tables={"orders": {
        "file": "cd.txt",
        "csv": {"sep": "whitespace", "header": False,
                "names": ["customer_id", "orig", "date", "qty", "amount"]},
        "columns": {"ordered_at": "date", "revenue": "amount"},
        "derive": {"order_id": {"row_number": True}},
        "date_format": "%Y%m%d"}}))
    o = load(params, use_cache=False).get("orders")
    assert o["order_id"].tolist() == ["1", "2"]
    assert o["customer_id"].tolist() == ["00001", "00002"]  # ids keep their leading zeros
    assert o["ordered_at"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-01-12")]
    assert o["revenue"].tolist() == [11.77, 12.0]


def test_join_file_outside_the_folder_is_refused(folder, tmp_path):
    (folder / "leads.csv").write_text("lead_id,created_at,channel\nL1,2025-01-01,seo\n")
    (tmp_path / "deals.csv").write_text("lead_id,won\nL1,2025-02-01\n")
    params = load_params(write_params(folder, tables={"leads": {
        "join": [{"file": "../../deals.csv", "key": "lead_id"}]}},
        funnel={"stages": [{"name": "Lead", "column": "created_at"}, {"name": "Won", "column": "won_at"}]}))
    from salesaudit.errors import IsolationError

    with pytest.raises(IsolationError, match=r"tables.leads.join\[0\].file points outside"):
        load(params, use_cache=False)


def test_stage_order_drop_option_lists_rows_in_quality(folder):
    (folder / "leads.csv").write_text(
        "lead_id,created_at,channel,won_at\nL1,2025-03-01,seo,2025-03-05\nL2,2025-03-10,seo,2025-03-02\n")
    stages = {"stages": [{"name": "Lead", "column": "created_at"}, {"name": "Won", "column": "won_at"}]}
    with pytest.raises(DataError, match="drop_out_of_order: true"):
        load(load_params(write_params(folder, funnel=stages)), use_cache=False)
    data = load(load_params(write_params(folder, funnel=stages,
                                         tables={"leads": {"drop_out_of_order": True}})), use_cache=False)
    assert data.get("leads")["lead_id"].tolist() == ["L1"]
    assert data.quality["check"].str.contains("won_at before created_at: rows dropped").any()


def test_validate_reports_found_mapped_and_missing_columns_with_what_they_disable(folder):
    from salesaudit.run.cli import _column_report

    (folder / "orders.csv").write_text("id,customer_id,ordered_at,revenue\nO1,,2025-01-01,3\n")
    params = load_params(write_params(folder, tables={"orders": {"columns": {"order_id": "id"}}}))
    lines = _column_report(params, "orders", load(params, use_cache=False).get("orders"))
    assert lines[0] == "found: order_id, customer_id, ordered_at, revenue"
    assert lines[1] == "mapped: order_id ← id"
    assert "cost (disables margins)" in lines[2] and "store_id (disables store conversion" in lines[2]


def test_line_items_become_one_row_per_key_and_constants():
    from salesaudit.params import CsvOptions, Lines

    lines = pd.DataFrame({"basket": ["b1", "b2", "b1"], "hh": ["h1", "h2", "h9"],
                          "value": ["1,50", "2", "3"], "ts": ["t1", "t2", "t3"]})
    out, problem = reshape.lines_to_rows(
        lines, Lines(key="basket", sum=["value"], first=["hh", "ts"]), CsvOptions(decimal=","),
        "orders", "lines.csv")
    assert problem is None
    assert out["basket"].tolist() == ["b1", "b2"]  # file order kept
    assert out["value"].tolist() == [4.5, 2.0]
    assert out["hh"].tolist() == ["h1", "h2"] and out["ts"].tolist() == ["t1", "t2"]
    bad = lines.assign(value=["1", "x", "2"])
    _, problem = reshape.lines_to_rows(bad, Lines(key="basket", sum=["value"]), CsvOptions(),
                                       "orders", "lines.csv")
    assert "1 line value(s) cannot be read as numbers" in problem.problem
    out, _ = reshape.derive(lines, {"loyalty_card": Derivation(constant="true")}, "orders", "f")
    assert out["loyalty_card"].tolist() == ["true"] * 3


def test_timestamps_with_utc_offsets_keep_their_local_time():
    from salesaudit.ingest.coerce import to_datetime

    raw = pd.Series(["2017-01-28 14:06:53-0500", "2017-07-01 09:00:00-04:00", "2025-01-05T10:00Z",
                     "2025-01-05", "05-01-2025"])
    out, bad = to_datetime(raw, None)
    assert out[:4].tolist() == [pd.Timestamp("2017-01-28 14:06:53"), pd.Timestamp("2017-07-01 09:00"),
                                pd.Timestamp("2025-01-05 10:00"), pd.Timestamp("2025-01-05")]
    assert bad.tolist() == [False, False, False, False, True]  # day-first needs date_format


def test_a_changed_joined_file_refreshes_the_cache_and_the_manifest_hashes(folder):
    from salesaudit.ingest.cache import file_hashes

    (folder / "leads.csv").write_text("lead_id,created_at,channel\nL1,2025-01-01,seo\n")
    (folder / "deals.csv").write_text("lead_id,won\nL1,2025-02-01\n")
    params = load_params(write_params(folder, tables={"leads": {
        "join": [{"file": "deals.csv", "key": "lead_id"}], "columns": {"won_at": "won"}}},
        funnel={"stages": [{"name": "Lead", "column": "created_at"}, {"name": "Won", "column": "won_at"}]}))
    assert set(file_hashes(params)) == {"leads.csv", "deals.csv"}
    assert load(params).get("leads")["won_at"].iloc[0] == pd.Timestamp("2025-02-01")
    (folder / "deals.csv").write_text("lead_id,won\nL1,2025-03-15\n")
    assert load(params).get("leads")["won_at"].iloc[0] == pd.Timestamp("2025-03-15")
