"""Customer-lifetime modelling: hand-computed summaries, equality with lifetimes on CDNOW,
and the published BG/NBD and Gamma-Gamma parameters on the CDNOW sample."""

import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from conftest import cdnow_params
from salesaudit.methods import clv

warnings.filterwarnings("ignore", category=DeprecationWarning)


def _orders(rows):
    df = pd.DataFrame(rows, columns=["customer_id", "ordered_at", "revenue"])
    df["customer_id"] = df["customer_id"].astype("string")
    df["ordered_at"] = pd.to_datetime(df["ordered_at"])
    return df


HAND = _orders([
    ("A", "2025-01-01 09:00", 10.0),
    ("A", "2025-01-01 18:00", 5.0),   # same day: one purchase worth 15
    ("A", "2025-01-08 12:00", 20.0),
    ("A", "2025-01-20 08:00", 30.0),
    ("A", "2025-02-03 08:00", 99.0),  # after the observation end: ignored
    ("B", "2025-01-15 10:00", 7.0),
    (None, "2025-01-10 10:00", 50.0),  # anonymous: cannot be attributed
])


@pytest.fixture(scope="module")
def cdnow():
    """CDNOW_sample.txt shipped in lifetimes: id, id2, yyyymmdd, quantity, amount (no header)."""
    path = resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    df = pd.read_csv(path, sep=r"\s+", header=None, dtype={0: str, 2: str},
                     names=["customer_id", "id2", "ordered_at", "quantity", "revenue"])
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], format="%Y%m%d")
    return df


def test_summary_by_day_hand_computed():
    s = clv.customer_summary(HAND, "2025-01-31", freq="D")
    assert s.index.tolist() == ["A", "B"]
    # A: purchase days 01-01, 01-08, 01-20 → 2 repeats; recency 19 days; T = 31 - 1 = 30 days;
    # monetary = mean of the repeat purchases (20, 30) = 25 — the first (15) is excluded.
    assert s.loc["A"].tolist() == [2.0, 19.0, 30.0, 25.0]
    # B: one purchase on 01-15 → no repeat, T = 16, monetary 0 (lifetimes' convention).
    assert s.loc["B"].tolist() == [0.0, 0.0, 16.0, 0.0]


def test_summary_by_week_hand_computed():
    s = clv.customer_summary(HAND, "2025-01-31", freq="W")
    # Weeks start on Monday: 01-01 → week of 2024-12-30, 01-08 → 01-06, 01-20 → 01-20,
    # the end 01-31 → 01-27. A: recency (01-20 − 12-30)/7 = 3, T (01-27 − 12-30)/7 = 4.
    assert s.loc["A"].tolist() == [2.0, 3.0, 4.0, 25.0]
    # B: 01-15 → week of 01-13; T = (01-27 − 01-13)/7 = 2.
    assert s.loc["B"].tolist() == [0.0, 0.0, 2.0, 0.0]
    # freq_multiplier divides recency and T: days / 7 = weeks measured to the day.
    d7 = clv.customer_summary(HAND, "2025-01-31", freq="D", freq_multiplier=7)
    assert d7.loc["A", "T"] == pytest.approx(30 / 7)


def test_summary_matches_lifetimes_on_the_hand_case():
    from lifetimes.utils import summary_data_from_transaction_data

    for freq in ("D", "W"):
        ref = summary_data_from_transaction_data(
            HAND, "customer_id", "ordered_at", "revenue", observation_period_end="2025-01-31",
            freq=freq)
        pd.testing.assert_frame_equal(clv.customer_summary(HAND, "2025-01-31", freq=freq), ref,
                                      check_index_type=False)


@pytest.mark.parametrize("freq,mult", [("D", 1), ("D", 7), ("W", 1)])
@pytest.mark.parametrize("end", ["1997-09-30", "1998-06-30", "1997-03-05"])
def test_summary_equals_lifetimes_on_cdnow(cdnow, freq, mult, end):
    from lifetimes.utils import summary_data_from_transaction_data

    ref = summary_data_from_transaction_data(
        cdnow, "customer_id", "ordered_at", "revenue", observation_period_end=end, freq=freq,
        freq_multiplier=mult)
    got = clv.customer_summary(cdnow, end, freq=freq, freq_multiplier=mult)
    # Same ids, same order, same numbers; sums may differ only by floating-point rounding.
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("freq,mult", [("D", 1), ("D", 7), ("W", 1)])
def test_calibration_holdout_equals_lifetimes_on_cdnow(cdnow, freq, mult):
    from lifetimes.utils import calibration_and_holdout_data

    ref = calibration_and_holdout_data(
        cdnow, "customer_id", "ordered_at", "1997-09-30", "1998-06-30", freq=freq,
        freq_multiplier=mult, monetary_value_col="revenue")
    got = clv.customer_summary(cdnow, "1998-06-30", freq=freq, freq_multiplier=mult,
                               calibration_end="1997-09-30")
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=1e-12)


def test_summary_edge_cases():
    # Empty input: an empty frame with the four columns, not a crash.
    empty = clv.customer_summary(HAND.iloc[:0], "2025-01-31")
    assert empty.empty and list(empty.columns) == ["frequency", "recency", "T", "monetary_value"]
    # No value column: frequency, recency, T only.
    s = clv.customer_summary(HAND.drop(columns="revenue"), "2025-01-31")
    assert list(s.columns) == ["frequency", "recency", "T"]
    # Dates before 1970 floor to the right day and week (integer floor division).
    old = _orders([("A", "1969-12-31 23:00", 1.0), ("A", "1970-01-01 01:00", 2.0)])
    assert clv.customer_summary(old, "1970-01-02", freq="D").loc["A"].tolist() == [1, 1, 2, 2]
    # 1969-12-31 (Wed) and 1970-01-01 (Thu) share the week starting Monday 1969-12-29.
    assert clv.customer_summary(old, "1970-01-02", freq="W").loc["A"].tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="freq"):
        clv.customer_summary(HAND, "2025-01-31", freq="M")
    # A holdout without any order cannot be checked (lifetimes raises too).
    with pytest.raises(ValueError, match="no orders"):
        clv.customer_summary(HAND, "2025-01-31", calibration_end="2025-01-30")


def test_bgnbd_on_cdnow_matches_the_published_parameters(cdnow):
    # Fader, Hardie & Lee (2005), CDNOW 1/10 sample, 2,357 customers, calibration weeks 1–39
    # (1997-01-01 to 1997-09-30), time in weeks measured to the day: r 0.243, alpha 4.414,
    # a 0.793, b 2.426.
    cal = cdnow[cdnow["ordered_at"] <= "1997-09-30"]
    s = clv.customer_summary(cal, "1997-09-30", freq="D", freq_multiplier=7)
    assert len(s) == 2357
    p = clv.bgnbd_params(clv.fit_bgnbd(s))
    assert round(p["r"], 2) == 0.24 and round(p["alpha"], 2) == 4.41
    assert round(p["a"], 2) == 0.79 and round(p["b"], 2) == 2.43
    assert [p["r"], p["alpha"], p["a"], p["b"]] == pytest.approx([0.243, 4.414, 0.793, 2.426],
                                                                 abs=0.005)


def test_gamma_gamma_p_alive_and_clv_on_cdnow(cdnow):
    cal = cdnow[cdnow["ordered_at"] <= "1997-09-30"]
    s = clv.customer_summary(cal, "1997-09-30", freq="D", freq_multiplier=7)
    bgf = clv.fit_bgnbd(s)
    ggf = clv.fit_gamma_gamma(s)
    # lifetimes' documented Gamma-Gamma fit on the same 946 repeat customers: p 6.25, q 3.74,
    # v 15.45.
    assert ggf.params_[["p", "q", "v"]].tolist() == pytest.approx([6.25, 3.74, 15.45], abs=0.01)
    alive = clv.p_alive(bgf, s)
    assert alive.between(0, 1).all()
    assert (alive[s["frequency"] == 0] == 1).all()  # BG/NBD: no repeat → never seen dying
    clv12 = clv.predicted_clv(bgf, ggf, s, months=12, discount_rate=0.01, unit_days=7)
    clv24 = clv.predicted_clv(bgf, ggf, s, months=24, discount_rate=0.01, unit_days=7)
    clv12_hi = clv.predicted_clv(bgf, ggf, s, months=12, discount_rate=0.05, unit_days=7)
    assert (clv12 > 0).all() and (clv24 > clv12).all() and (clv12_hi < clv12).all()
    with pytest.raises(ValueError):
        clv.predicted_clv(bgf, ggf, s, unit_days=30)


def test_holdout_check_on_cdnow(cdnow):
    h = clv.holdout_check(cdnow, "1997-09-30", "1998-06-30", freq="D", freq_multiplier=7)
    t = h.by_frequency
    assert t["group"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert t["n"].sum() == 2357
    assert t["actual"].sum() == h.actual_total and t["predicted"].sum() == pytest.approx(
        h.predicted_total)
    # Customers who bought more in calibration are predicted to buy more in the holdout.
    assert (np.diff(t["predicted_mean"]) > 0).all()
    # Holdout weeks 40–78: 1,882 repeat purchase-days observed; the model predicts 1,653
    # (−12%). Bar: aggregate error within 20%, the order of FHL's own holdout error.
    assert h.actual_total == 1882
    assert abs(h.predicted_total / h.actual_total - 1) < 0.2


def test_cdnow_maps_through_the_contract_with_params_alone(tmp_path):
    from salesaudit.ingest.load import load
    from salesaudit.params import load_params

    p = load_params(cdnow_params(tmp_path))
    orders = load(p, use_cache=False).get("orders")
    assert len(orders) == 6919 and orders["customer_id"].nunique() == 2357
    assert orders["order_id"].is_unique  # numbered rows: CDNOW has no order id
    assert orders["customer_id"].iloc[0] == "00004"  # ids keep their leading zeros
    # The published fit from the loaded table, calibration = the first half of the period.
    cal_end = clv.half_period(p.period.start, p.period.end)
    assert cal_end == pd.Timestamp("1997-09-30")
    h = clv.holdout_check(orders, cal_end, pd.Timestamp(p.period.end))
    assert [round(h.params[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
