"""generate() and write(): determinism, the data contract, volumes and the csv/parquet files."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from salesaudit import demo
from salesaudit.ingest import contract

from .checks import period_end


def _digest(d: demo.Demo) -> str:
    h = hashlib.sha256()
    for name, df in d.tables.items():
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    h.update(json.dumps(d.truth, sort_keys=True).encode())
    return h.hexdigest()


def test_same_seed_gives_identical_tables_and_truth(small):
    again = demo.generate(customers=2_000, seed=7)
    assert _digest(again) == _digest(small)


def test_another_seed_gives_other_data(small):
    other = demo.generate(customers=2_000, seed=8)
    assert _digest(other) != _digest(small)
    assert not other.tables["orders"]["revenue"].equals(small.tables["orders"]["revenue"])


def test_all_twelve_tables_follow_the_contract(small):
    assert list(small.tables) == list(contract.TABLES)
    for name, df in small.tables.items():
        t = contract.table(name)
        assert list(df.columns) == t.names, name
        for col in t.columns:
            assert str(df[col.name].dtype) == str(pd.Series(dtype=contract.DTYPES[col.kind]).dtype), \
                (name, col.name, df[col.name].dtype)
        contract.schema(name).validate(df, lazy=True)
        assert len(df) > 0, name


def test_foreign_keys_resolve(small):
    t = small.tables
    for name, df in t.items():
        for col, other, other_col in contract.table(name).foreign_keys:
            values = df[col].dropna()
            missing = ~values.isin(t[other][other_col])
            assert not missing.any(), (name, col, values[missing].head().tolist())
    for name, col, other, other_col in [("touches", "customer_id", "customers", "customer_id"),
                                        ("tickets", "order_id", "orders", "order_id"),
                                        ("surveys", "customer_id", "customers", "customer_id")]:
        assert t[name][col].dropna().isin(t[other][other_col]).all(), (name, col)


def test_timestamps_in_order_and_not_after_the_period_end(small):
    end = period_end(small.truth)
    for name, df in small.tables.items():
        for later, earlier in contract.table(name).ordered:
            both = df[later].notna() & df[earlier].notna()
            assert (df.loc[both, later] >= df.loc[both, earlier]).all(), (name, later, earlier)
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                assert not (df[col] > end).any(), (name, col)
    t = small.tables
    tickets = t["tickets"].merge(t["orders"], on="order_id", suffixes=("", "_order"))
    assert len(tickets) == len(t["tickets"])
    assert (tickets["opened_at"] >= tickets["ordered_at"]).all()
    assert (tickets["customer_id"] == tickets["customer_id_order"]).all()


def test_value_ranges_and_ids(small):
    t = small.tables
    o = t["orders"]
    assert (o["revenue"] >= 0).all() and (o["cost"] >= 0).all()
    share = o["cost"].sum() / o["revenue"].sum()
    assert 0.55 <= share <= 0.65
    assert t["tickets"]["csat"].dropna().between(1, 5).all()
    assert t["customers"]["customer_id"].str.match(r"^C\d{6}$").all()
    assert o["order_id"].str.match(r"^O\d{7}$").all()
    assert t["leads"]["lead_id"].str.match(r"^L\d{6}$").all()
    assert set(t["reps"]["rep_id"]) == {f"R0{i}" for i in range(1, 9)}
    assert set(o["store_id"].dropna()) == {"ST1", "ST2", "ST3"}
    assert t["campaigns"]["campaign_id"].str.match(r"^CMP\d{3}$").all()
    assert set(t["promotions"]["promotion_id"]) == {f"P0{i}" for i in range(1, 7)}
    assert t["tickets"]["ticket_id"].str.match(r"^T\d{5}$").all()
    assert t["surveys"]["response_id"].str.match(r"^S\d{5}$").all()
    channels = set(demo.CHANNELS)
    for name, col in [("leads", "channel"), ("customers", "acquisition_channel"),
                      ("spend", "channel"), ("traffic", "channel")]:
        assert set(t[name][col].dropna()) == channels, name


def test_volumes_scale_with_customers(small, mid):
    for d, n in ((small, 2_000), (mid, 20_000)):
        t = d.tables
        assert len(t["customers"]) == n
        assert 4.5 <= len(t["orders"]) / n <= 5.5  # about five orders per customer
        assert 1.35 <= len(t["leads"]) / n <= 1.65
        assert 7.5 <= len(t["touches"]) / n <= 12.5
        assert 0.2 <= len(t["tickets"]) / n <= 0.3
        assert len(t["surveys"]) == round(0.15 * n)
        assert len(t["campaigns"]) == 40 and len(t["reps"]) == 8 and len(t["promotions"]) == 6
        assert len(t["spend"]) == 48 and t["traffic"]["channel"].nunique() == 4
    o = mid.tables["orders"]
    assert o.loc[o["channel"] == "store", "customer_id"].isna().mean() == pytest.approx(0.30, abs=0.03)
    status = o["status"].value_counts(normalize=True)
    assert status["returned"] == pytest.approx(0.04, abs=0.005)
    assert status["cancelled"] == pytest.approx(0.02, abs=0.004)
    assert o["revenue"].median() == pytest.approx(47, abs=4)  # base median 45, + card orders


def test_small_client_has_every_planted_effect(small):
    t, truth = small.tables, small.truth
    assert len(truth["customers"]["rhythm_breakers"]) >= 5
    assert truth["reps"]["lucky_small_realized"] == {"sqls": 12, "wins": 9}
    assert t["touches"]["group"].value_counts().to_dict().keys() == {"treatment", "control"}
    assert t["tickets"]["csat"].notna().sum() > 100
    assert t["orders"]["loyalty_card"].any() and t["orders"]["promotion_id"].notna().any()
    assert (t["leads"]["rep_id"] == "R08").sum() == 12


def test_write_csv_round_trips(small, tmp_path):
    demo.write(small, tmp_path / "csv")
    truth = json.loads((tmp_path / "csv" / "truth.json").read_text())
    assert truth == small.truth
    for name, df in small.tables.items():
        back = pd.read_csv(tmp_path / "csv" / f"{name}.csv")
        assert len(back) == len(df) and list(back.columns) == list(df.columns), name
    lines = (tmp_path / "csv" / "orders.csv").read_text().splitlines()
    assert lines[0].startswith("order_id,customer_id,ordered_at,revenue")
    row = lines[1].split(",")
    assert len(row[2]) == 19 and row[2][10] == " "  # YYYY-MM-DD HH:MM:SS
    assert row[8] in ("true", "false")
    cust = (tmp_path / "csv" / "customers.csv").read_text().splitlines()[1].split(",")
    assert len(cust[1]) == 10  # first_seen_at is a date
    anon = pd.read_csv(tmp_path / "csv" / "orders.csv", keep_default_na=False)
    assert (anon["customer_id"] == "").any()  # missing = empty cell


def test_write_parquet_round_trips(small, tmp_path):
    demo.write(small, tmp_path / "pq", fmt="parquet")
    for name, df in small.tables.items():
        back = pd.read_parquet(tmp_path / "pq" / f"{name}.parquet")
        pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert json.loads((tmp_path / "pq" / "truth.json").read_text())["seed"] == 7
    with pytest.raises(ValueError):
        demo.write(small, tmp_path / "x", fmt="xlsx")
