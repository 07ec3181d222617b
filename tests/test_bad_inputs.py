"""The bad-input corpus: every way a client's export or params can be wrong.

Each hard case must stop `salesaudit validate` with exit code 2, no traceback, and a message
naming what is wrong (and, for data, the file, the column or rows, and the fix). Soft cases
must pass validation and show up in the data-quality table instead.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from salesaudit import paths
from salesaudit.run.cli import app

CUSTOMERS = "customer_id\nC1\nC2\nC3\n"
ORDERS = "order_id,customer_id,ordered_at,revenue\nO1,C1,2025-01-05,10.5\nO2,C2,2025-02-01,20\n"
LEADS = "lead_id,created_at,channel,mql_at,sql_at,won_at\nL1,2025-01-01,seo,2025-01-02,,\n"


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    code: int = 2  # 0 for soft problems
    quality: str | None = None  # soft cases: a check expected in the data-quality table


def _orders(*rows: str) -> str:
    return ORDERS + "".join(r + "\n" for r in rows)


def _xlsx(sheet: str = "Sheet1") -> bytes:
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(ORDERS)).to_excel(buf, sheet_name=sheet, index=False)
    return buf.getvalue()


CASES = [
    # --- params
    Case("unknown-top-level-key", params={"colour": "red"}, expect=("colour: unknown key", "allowed here: client")),
    Case("unknown-table-key", params={"tables": {"orders": {"sepp": ";"}}}, expect=("tables.orders.sepp: unknown key",)),
    Case("unknown-table", params={"tables": {"sales": {}}}, expect=("tables.sales: unknown table",)),
    Case("unknown-canonical-column", params={"tables": {"orders": {"columns": {"amount": "x"}}}},
         expect=("unknown canonical column(s) ['amount']", "allowed: order_id")),
    Case("period-reversed", params={"period": {"start": "2025-12-31", "end": "2025-01-01"}}, expect=("period: end 2025-01-01 is before start",)),
    Case("bad-currency", params={"currency": "euro"}, expect=("currency:",)),
    Case("bad-language", params={"language": "fr"}, expect=("language: Input should be 'en' or 'it'",)),
    Case("headerless-without-names", params={"tables": {"orders": {"csv": {"header": False}}}},
         expect=("needs `names`",)),
    Case("derive-two-sources", params={"tables": {"orders": {"derive": {"order_id": {"value": "x", "row_number": True}}}}},
         expect=("exactly one of `value`, `constant` or `row_number: true`",)),
    Case("bad-business-hours", params={"business_hours": {"open_hour": 18, "close_hour": 9}},
         expect=("close_hour 9 must be after open_hour 18",)),
    Case("missing-data-folder", params={"data_dir": "/nonexistent/acme"},
         expect=("the client's data folder does not exist", "salesaudit demo --out")),
    # --- files
    Case("empty-file", files={"orders.csv": ""}, expect=("orders: the file is empty", "orders.csv")),
    Case("latin1-read-as-utf8", files={"orders.csv": _orders("O3,C3,2025-03-01,1").replace("O3", "Oè").encode("latin-1")},
         expect=("not in the utf-8 encoding", "csv.encoding")),
    Case("unknown-encoding", files={"orders.csv": ORDERS}, params={"tables": {"orders": {"csv": {"encoding": "klingon"}}}},
         expect=("unknown encoding", "csv.encoding")),
    Case("wrong-separator", files={"orders.csv": ORDERS.replace(",", ";")},
         expect=("the file has a single column", "set tables.orders.csv.sep: ';'")),
    Case("wrong-excel-sheet", files={"orders.xlsx": _xlsx("Vendite")}, params={"tables": {"orders": {"file": "orders.xlsx", "sheet": "Sales"}}},
         expect=("Excel sheet not found", "tables.orders.sheet")),
    Case("corrupt-excel", files={"orders.xlsx": b"PK\x03\x04 not really a workbook"},
         params={"tables": {"orders": {"file": "orders.xlsx"}}},
         expect=("orders: the file cannot be read", "extension matches its content")),
    Case("two-files-one-table", files={"orders.csv": ORDERS, "orders.xlsx": _xlsx()}, expect=("more than one file for this table",)),
    Case("named-file-missing", params={"tables": {"orders": {"file": "vendite.csv"}}}, expect=("the file named in params does not exist",)),
    Case("path-outside-folder", params={"tables": {"orders": {"file": "../../etc/passwd"}}},
         expect=("points outside the client's data folder",)),
    Case("very-long-line", files={"orders.csv": ORDERS + "O3,C3,2025-01-01," + "9" * (11 * 2**20) + "\n"},
         expect=("line 4 is longer than 10 MB",)),
    Case("ragged-csv", files={"orders.csv": ORDERS + 'O3,C3,"2025-01-01,5\n'}, expect=("orders:",)),
    # --- columns and values
    Case("missing-required-column", files={"orders.csv": ORDERS.replace("revenue", "amount_eur")},
         expect=("required column 'revenue' is missing", "columns found: order_id, customer_id, ordered_at, amount_eur",
                 "tables.orders.columns.revenue")),
    Case("unparseable-date", files={"orders.csv": _orders("O3,C3,31/12/2025,5")},
         expect=("cannot be read as datetime", "line 4: ordered_at='31/12/2025' (order_id='O3')", "date_format")),
    Case("mixed-date-formats", files={"orders.csv": _orders("O3,C3,05/03/2025,5", "O4,C3,2025-03-06,5")},
         expect=("line 4: ordered_at='05/03/2025'",)),
    Case("day-first-with-wrong-format", files={"orders.csv": _orders("O3,C3,2025-03-01,5")},
         params={"tables": {"orders": {"date_format": "%d/%m/%Y"}}}, expect=("cannot be read as datetime", "now %d/%m/%Y")),
    Case("decimal-comma-not-declared", files={"orders.csv": _orders('O3,C3,2025-03-01,"12,50"')},
         expect=("cannot be read as money", "line 4: revenue='12,50'", "csv.decimal")),
    Case("thousands-not-declared", files={"orders.csv": _orders('O3,C3,2025-03-01,"1.234,50"')},
         expect=("cannot be read as money",)),
    Case("negative-amount", files={"orders.csv": _orders("O3,C3,2025-03-01,-12")},
         expect=("below the minimum", "line 4: revenue=-12.0 (order_id='O3')", "cannot be negative")),
    Case("null-key", files={"orders.csv": _orders(",C3,2025-03-01,1")}, expect=("empty where a value is required", "order_id")),
    Case("duplicate-key", files={"orders.csv": _orders("O1,C3,2025-03-01,1")},
         expect=("duplicate key", "line 2: order_id='O1'", "line 4: order_id='O1'")),
    Case("status-not-allowed", files={"orders.csv": "order_id,customer_id,ordered_at,revenue,status\nO1,C1,2025-01-01,3,lost\n"},
         expect=("not an allowed value", "completed, returned, cancelled")),
    Case("boolean-unparseable", files={"orders.csv": "order_id,customer_id,ordered_at,revenue,loyalty_card\nO1,C1,2025-01-01,3,maybe\n"},
         expect=("cannot be read as bool", "yes/no")),
    Case("count-not-whole", files={"traffic.csv": "date,channel,visitors\n2025-01-01,seo,2.5\n"},
         expect=("cannot be read as count", "whole numbers")),
    Case("csat-out-of-range", files={"tickets.csv": "ticket_id,opened_at,csat\nT1,2025-01-01,7\n"},
         expect=("above the maximum", "csat")),
    Case("nps-out-of-range", files={"surveys.csv": "response_id,answered_at,score,scale\nS1,2025-01-01,11,nps\n"},
         expect=("above the maximum", "score")),
    Case("csat-survey-scale", files={"surveys.csv": "response_id,answered_at,score,scale\nS1,2025-01-01,0,csat\n"},
         expect=("csat scores must lie between 1 and 5",)),
    # --- across rows and tables
    Case("stage-out-of-order", files={"leads.csv": LEADS + "L2,2025-01-10,seo,2025-01-02,,\n"},
         expect=("mql_at before created_at", "drop_out_of_order")),
    Case("funnel-stage-column-missing", files={"leads.csv": "lead_id,created_at,channel\nL1,2025-01-01,seo\n"},
         expect=("funnel stage 'MQL' needs column 'mql_at'",)),
    Case("promotion-ends-before-start", files={"promotions.csv": "promotion_id,starts_at,ends_at\nP1,2025-02-01,2025-01-01\n"},
         expect=("ends_at before starts_at",)),
    Case("ticket-resolved-before-opened", files={"tickets.csv": "ticket_id,opened_at,resolved_at\nT1,2025-02-01,2025-01-01\n"},
         expect=("resolved_at before opened_at",)),
    Case("orphan-customer", files={"orders.csv": _orders("O3,C99,2025-03-01,1")},
         expect=("refer to a customer_id that is not in customers", "customer_id='C99'")),
    Case("ids-numbers-vs-strings", files={"customers.csv": "customer_id\n1\n2\n", "orders.csv": ORDERS.replace("C1", "001").replace("C2", "002")},
         expect=("refer to a customer_id that is not in customers", "customer_id='001'", "leading zeros")),
    Case("join-key-repeats", files={"leads.csv": "lead_id,created_at,channel\nL1,2025-01-01,seo\n", "deals.csv": "lead_id,won\nL1,a\nL1,b\n"},
         params={"tables": {"leads": {"join": [{"file": "deals.csv", "key": "lead_id"}]}},
                 "funnel": {"stages": [{"name": "Lead", "column": "created_at"}, {"name": "Won", "column": "won_at"}]}},
         expect=("the join key 'lead_id' repeats in",)),
    Case("derive-from-missing-column", files={"orders.csv": ORDERS}, params={"tables": {"orders": {"derive": {"status": {"value": "stato"}}}}},
         expect=("derive status: column(s) ['stato'] not in the file",)),
    Case("event-time-unparseable", files={"tickets.csv": "case,t\n1,yesterday\n"},
         params={"tables": {"tickets": {"events": {"key": "case", "time": "t"}, "columns": {"ticket_id": "case", "opened_at": "first_event"}}}},
         expect=("event time(s) cannot be read",)),
    # --- soft problems: the run goes on, the data-quality table says it
    Case("exact-duplicate-rows", files={"orders.csv": _orders("O1,C1,2025-01-05,10.5")}, code=0, quality="exact duplicate rows dropped"),
    Case("future-dates", files={"orders.csv": _orders("O3,C3,2099-01-01,5")}, code=0, quality="dates in the future"),
    Case("absurd-amount", files={"orders.csv": _orders(*[f"O{i},C3,2025-03-01,{10 + i % 7}" for i in range(3, 40)], "O99,C1,2025-03-01,99999999")},
         code=0, quality="outliers above"),
    Case("header-only-file", files={"orders.csv": "order_id,customer_id,ordered_at,revenue\n"}, code=0, quality="file has a header but no rows"),
    Case("rows-outside-period", files={"orders.csv": _orders("O3,C3,2019-03-01,5")}, code=0, quality="rows outside the audit period"),
]


def test_the_corpus_is_large_and_ids_are_unique():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input(case: Case, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folder = tmp_path / "data" / "acme"
    folder.mkdir(parents=True)
    files = {"customers.csv": CUSTOMERS, "orders.csv": ORDERS, **case.files}
    for name, content in files.items():
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    raw = {"client": "acme", "name": "Acme", "data_dir": str(folder),
           "period": {"start": "2025-01-01", "end": "2025-12-31"}, **case.params}
    params = tmp_path / "acme.yaml"
    params.write_text(yaml.safe_dump(raw))
    result = CliRunner().invoke(app, ["validate", str(params)])
    out = result.output
    assert "Traceback" not in out
    assert result.exit_code == case.code, out
    if case.code:
        assert out.startswith("error: ")
        for fragment in case.expect:
            assert fragment in out, f"{fragment!r} not in:\n{out}"
    else:
        assert "valid" in out and case.quality in out, out


def test_symlink_to_a_file_outside_the_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folder = tmp_path / "data" / "acme"
    folder.mkdir(parents=True)
    (tmp_path / "other-client-orders.csv").write_text(ORDERS)
    os.symlink(tmp_path / "other-client-orders.csv", folder / "orders.csv")
    params = tmp_path / "acme.yaml"
    params.write_text(yaml.safe_dump({"client": "acme", "name": "A", "data_dir": str(folder),
                                      "period": {"start": "2025-01-01", "end": "2025-12-31"}}))
    result = CliRunner().invoke(app, ["validate", str(params)])
    assert result.exit_code == 2 and "is a link to a file outside" in result.output
