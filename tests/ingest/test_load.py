"""The loader: mapping, coercion, contract rules, messages that name file, column, rows, fix."""

import io
import os

import pandas as pd
import pytest

from conftest import write_params
from salesaudit import paths
from salesaudit.errors import DataError, IsolationError
from salesaudit.ingest.load import load
from salesaudit.params import load_params

CUSTOMERS = "customer_id,market\nC1,IT\nC2,DE\nC3,FR\n"
ORDERS = ("order_id,customer_id,ordered_at,revenue\n"
          "O1,C1,2025-01-05 10:00:00,10.5\nO2,C2,2025-02-01,20\nO3,,2025-03-01,5\n")


@pytest.fixture
def client(tmp_path, monkeypatch):
    """A client folder with valid customers and orders; tests overwrite files to break them."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folder = tmp_path / "data" / "t"
    folder.mkdir(parents=True)
    (folder / "customers.csv").write_text(CUSTOMERS)
    (folder / "orders.csv").write_text(ORDERS)
    return folder


def _load(folder, **extra):
    return load(load_params(write_params(folder, **extra)), use_cache=False)


def _problem(err: DataError, table: str):
    found = [p for p in err.problems if p.table == table]
    assert found, f"no problem reported for {table}: {err}"
    return found[0]


def test_valid_client_loads_with_contract_types(client):
    data = _load(client)
    orders = data.get("orders")
    assert list(data.tables) == ["customers", "orders"]
    assert str(orders["ordered_at"].dtype) == "datetime64[ns]"
    assert orders["revenue"].tolist() == [10.5, 20.0, 5.0]
    assert orders["customer_id"].isna().tolist() == [False, False, True]  # anonymous sale
    assert data.get("leads") is None and data.missing("leads", "orders") == ["leads"]
    assert data.has("orders", "revenue") and not data.has("orders", "cost")


def test_missing_required_column_names_file_column_and_suggests_mapping(client):
    (client / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue_eur\nO1,C1,2025-01-01,3\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "required column 'revenue' is missing" in p.problem
    assert p.file.endswith("orders.csv") and p.column == "revenue"
    assert "columns found: order_id, customer_id, ordered_at, revenue_eur" in p.examples[0]
    assert p.fix == "map it in params: tables.orders.columns.revenue: 'revenue_eur'"


def test_column_mapping_and_european_csv_options(client):
    (client / "orders.csv").write_text(
        "Numero;Cliente;Data;Totale\nO1;C1;05/01/2025;1.234,50\nO2;C2;01/02/2025;20,00\n",
        encoding="latin-1")
    data = _load(client, tables={"orders": {
        "columns": {"order_id": "Numero", "customer_id": "Cliente", "ordered_at": "Data",
                    "revenue": "Totale"},
        "csv": {"sep": ";", "decimal": ",", "thousands": ".", "encoding": "latin-1"},
        "date_format": "%d/%m/%Y"}})
    o = data.get("orders")
    assert o["revenue"].tolist() == [1234.5, 20.0]
    assert o["ordered_at"].tolist() == [pd.Timestamp("2025-01-05"), pd.Timestamp("2025-02-01")]


def test_unparseable_date_names_the_line_the_value_and_the_fix(client):
    (client / "orders.csv").write_text(ORDERS + "O4,C3,31/12/2025,7\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "1 value(s) cannot be read as datetime" in p.problem
    assert p.column == "ordered_at"
    assert p.examples == ["line 5: ordered_at='31/12/2025' (order_id='O4')"]
    assert "tables.orders.date_format" in p.fix


def test_negative_revenue_is_refused(client):
    (client / "orders.csv").write_text(ORDERS + "O4,C3,2025-04-01,-12.5\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "below the minimum" in p.problem and p.column == "revenue"
    assert p.examples == ["line 5: revenue=-12.5 (order_id='O4')"]
    assert "cannot be negative" in p.fix


def test_duplicate_key_is_refused_but_exact_duplicate_rows_are_a_soft_problem(client):
    (client / "orders.csv").write_text(ORDERS + "O1,C1,2025-01-05 10:00:00,10.5\n")
    data = _load(client)  # an exact copy of a row: dropped and reported, not fatal
    assert len(data.get("orders")) == 3
    q = data.quality
    assert q.loc[q["table"] == "orders", "check"].str.contains("exact duplicate rows").any()

    (client / "orders.csv").write_text(ORDERS + "O1,C2,2025-06-01,99\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "duplicate key" in p.problem and p.column == "order_id"
    assert "line 2: order_id='O1'" in p.examples and "line 5: order_id='O1'" in p.examples


def test_orphan_foreign_key(client):
    (client / "orders.csv").write_text(ORDERS + "O4,C99,2025-04-01,3\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "refer to a customer_id that is not in customers" in p.problem
    assert p.examples == ["customer_id='C99'"]


def test_stage_timestamps_out_of_order(client):
    (client / "leads.csv").write_text(
        "lead_id,created_at,channel,mql_at\nL1,2025-03-01,seo,2025-03-05\nL2,2025-03-10,seo,2025-03-02\n")
    two_stages = {"stages": [{"name": "Lead", "column": "created_at"},
                             {"name": "MQL", "column": "mql_at"}]}
    with pytest.raises(DataError) as e:
        _load(client, funnel=two_stages)
    p = _problem(e.value, "leads")
    assert "1 row(s) have mql_at before created_at" in p.problem
    assert p.examples[0].startswith("line 3: created_at=2025-03-10")


def test_funnel_stage_column_must_exist(client):
    (client / "leads.csv").write_text("lead_id,created_at,channel\nL1,2025-03-01,seo\n")
    with pytest.raises(DataError, match="funnel stage 'MQL' needs column 'mql_at'"):
        _load(client)


def test_category_values_and_scale_ranges(client):
    (client / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,revenue,status\nO1,C1,2025-01-05,3,Completed\nO2,C2,2025-01-06,4,lost\n")
    with pytest.raises(DataError) as e:
        _load(client)
    p = _problem(e.value, "orders")
    assert "not an allowed value" in p.problem and "completed, returned, cancelled" in p.fix
    assert p.examples == ["line 3: status='lost' (order_id='O2')"]


def test_missing_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    with pytest.raises(DataError) as e:
        _load(tmp_path / "nowhere")
    assert "the client's data folder does not exist" in str(e.value)
    assert "salesaudit demo --out" in str(e.value)


def test_encoding_empty_and_header_only_files(client):
    (client / "orders.csv").write_bytes("order_id,customer_id,ordered_at,revenue\nO1,C1,2025-01-05,3\nO\xe8,C2,2025-01-05,3\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"(?s)not in the utf-8 encoding.*set tables.orders.csv.encoding"):
        _load(client)
    (client / "orders.csv").write_text("")
    with pytest.raises(DataError, match="the file is empty"):
        _load(client)
    (client / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue\n")
    data = _load(client)
    assert "orders" not in data.tables
    assert (data.quality["check"] == "file has a header but no rows").any()


def test_files_outside_the_data_folder_are_refused(client, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(ORDERS)
    with pytest.raises(IsolationError, match="points outside the client's data folder"):
        _load(client, tables={"orders": {"file": "../../secret.csv"}})
    (client / "orders.csv").unlink()
    os.symlink(secret, client / "orders.csv")
    with pytest.raises(IsolationError, match="outside"):
        _load(client)


def test_soft_problems_future_dates_and_outliers(client):
    rows = "".join(f"O{i},C1,2025-01-{(i % 28) + 1:02d},{10 + i % 5}\n" for i in range(10, 60))
    (client / "orders.csv").write_text(ORDERS + rows + "O99,C2,2099-01-01,100000\n")
    q = _load(client).quality
    checks = q.loc[q["table"] == "orders", "check"].tolist()
    assert "dates in the future" in checks
    assert any(c.startswith("outliers above") for c in checks)


def test_cache_is_reused_and_invalidated_when_a_file_changes(client):
    params = load_params(write_params(client))
    first = load(params)
    cache = paths.table_cache_dir("t")
    assert (cache / "orders.parquet").is_file()
    stamp = (cache / "meta.json").stat().st_mtime_ns
    again = load(params)
    assert (cache / "meta.json").stat().st_mtime_ns == stamp  # served from the cache
    pd.testing.assert_frame_equal(first.get("orders"), again.get("orders"))
    (client / "orders.csv").write_text(ORDERS + "O4,C3,2025-04-01,3\n")
    assert len(load(params).get("orders")) == 4


def test_a_failed_validation_keeps_the_previous_cache_and_leaves_no_partial_one(client):
    params = load_params(write_params(client))
    load(params)
    cache = paths.table_cache_dir("t")
    meta = (cache / "meta.json").read_text()
    # Tables are written as they pass; the foreign-key check fails after both are on disk.
    (client / "orders.csv").write_text(ORDERS + "O4,C9,2025-04-01,3\n")
    with pytest.raises(DataError, match="customer_id"):
        load(params)
    assert (cache / "meta.json").read_text() == meta
    assert sorted(p.name for p in cache.parent.iterdir()) == ["tables"]


def test_cached_tables_are_read_only_when_used(client):
    """A notebook holds only the tables it asks for; a pass over all tables (data quality)
    reads each once without keeping it."""
    params = load_params(write_params(client))
    load(params)
    data = load(params)  # from the cache
    assert data.tables._loaded == {}
    assert dict(data.row_counts())["orders"] == 3 and data.missing("tickets") == ["tickets"]
    assert data.missing("orders", "customers") == [] and data.tables._loaded == {}
    everything = data.all_tables()
    assert "orders" in everything and "tickets" not in everything
    assert len(everything["orders"]) == 3 and data.tables._loaded == {}
    orders = data.get("orders")
    assert list(data.tables._loaded) == ["orders"] and everything["orders"] is orders


def test_get_reads_only_the_columns_asked_for_that_exist(client):
    params = load_params(write_params(client))
    fresh = load(params)
    cached = load(params)
    for data in (fresh, cached):
        o = data.get("orders", columns=["ordered_at", "customer_id", "no_such_column", "ordered_at"])
        assert list(o.columns) == ["ordered_at", "customer_id"] and len(o) == 3
    assert cached.tables._loaded == {}  # a column subset is read, not kept
    full = cached.get("orders")
    assert cached.get("orders", columns=["revenue"])["revenue"].tolist() == full["revenue"].tolist()
    assert cached.get("tickets", columns=["ticket_id"]) is None


def test_clients_never_see_each_others_data(tmp_path, monkeypatch):
    """Each client's cache is its own; even a reused client slug with another data folder
    reloads instead of serving the other folder's tables."""
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folders = {}
    for client, prefix in (("a", "ALPHA"), ("b", "BETA")):
        f = tmp_path / "data" / client
        f.mkdir(parents=True)
        (f / "orders.csv").write_text("order_id,customer_id,ordered_at,revenue\n"
                                      f"{prefix}-1,,2025-01-05,1\n{prefix}-2,,2025-01-06,2\n")
        folders[client] = f
    a = load(load_params(write_params(folders["a"], client="a")))
    b = load(load_params(write_params(folders["b"], client="b")))
    assert a.get("orders")["order_id"].str.startswith("ALPHA").all()
    assert b.get("orders")["order_id"].str.startswith("BETA").all()
    assert paths.table_cache_dir("a") != paths.table_cache_dir("b")
    # Same slug "a", other folder: the cache key differs, so B's data is read, not A's cache.
    again = load(load_params(write_params(folders["b"], client="a")))
    assert again.get("orders")["order_id"].str.startswith("BETA").all()


def test_bom_cp1252_excel_sheet_and_parquet_exports(client):
    # UTF-8 with a byte-order mark, read with the default encoding: the BOM is not a column name.
    (client / "orders.csv").write_bytes("\ufeff".encode() + ORDERS.encode())
    assert _load(client).get("orders")["order_id"].tolist() == ["O1", "O2", "O3"]
    # Windows-1252 with a euro sign and booleans in Italian.
    (client / "orders.csv").write_bytes(
        "order_id;customer_id;ordered_at;revenue;loyalty_card\n"
        "O1;C1;05/01/2025;€ 1.234,50;sì\nO2;C2;06/01/2025;7,00;no\n".encode("cp1252"))
    o = _load(client, tables={"orders": {"csv": {"sep": ";", "decimal": ",", "thousands": ".",
                                                 "encoding": "cp1252"},
                                         "date_format": "%d/%m/%Y"}}).get("orders")
    assert o["revenue"].tolist() == [1234.5, 7.0] and o["loyalty_card"].tolist() == [True, False]
    # Excel, a named sheet; then Parquet with ids stored as numbers.
    (client / "orders.csv").unlink()
    df = pd.read_csv(io.StringIO(ORDERS), dtype=str)
    with pd.ExcelWriter(client / "orders.xlsx") as xl:
        pd.DataFrame({"x": [1]}).to_excel(xl, sheet_name="Notes", index=False)
        df.to_excel(xl, sheet_name="Vendite", index=False)
    o = _load(client, tables={"orders": {"sheet": "Vendite"}}).get("orders")
    assert o["order_id"].tolist() == ["O1", "O2", "O3"] and o["revenue"].sum() == 35.5
    (client / "orders.xlsx").unlink()
    (client / "customers.csv").write_text("customer_id\n1\n2\n")
    pd.DataFrame({"order_id": [10.0, 11.0], "customer_id": [1.0, 2.0],
                  "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-02"]),
                  "revenue": [3.0, 4.0]}).to_parquet(client / "orders.parquet")
    o = _load(client).get("orders")
    assert o["order_id"].tolist() == ["10", "11"] and o["customer_id"].tolist() == ["1", "2"]
