"""The demo client: determinism, the data contract, and planted truths visible in the data.

Tolerances: proportions are checked against Wilson intervals at z = 4 (two-sided
~99.994%; with about a hundred such checks in this file a false alarm is unlikely even
before the seeds are fixed), means against 4 standard errors.
"""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest

from salesaudit import demo
from salesaudit.ingest import contract

Z = 4.0


@pytest.fixture(scope="module")
def small():
    return demo.generate(customers=2_000, seed=7)


@pytest.fixture(scope="module")
def mid():
    """Default scale: the planted effects must be visible here."""
    return demo.generate(customers=20_000, seed=42)


def _digest(d: demo.Demo) -> str:
    h = hashlib.sha256()
    for name, df in d.tables.items():
        h.update(name.encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    h.update(json.dumps(d.truth, sort_keys=True).encode())
    return h.hexdigest()


def _wilson(k: float, n: float, z: float = Z) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _inside(k, n, truth) -> bool:
    lo, hi = _wilson(k, n)
    return lo <= truth <= hi


def _end(truth) -> pd.Timestamp:
    return pd.Timestamp(truth["period"]["end"]) + pd.Timedelta(hours=23, minutes=59, seconds=59)


# ------------------------------------------------------------------ determinism and contract


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
    end = _end(small.truth)
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


# ------------------------------------------------------------------ truth


TRUTH_KEYS = [
    "period.start", "period.end", "as_of", "currency", "seed", "n_customers", "customers.count",
    "funnel.conversion", "funnel.leaking_stage.from", "funnel.leaking_stage.to",
    "funnel.median_days_to_won", "funnel.max_days_to_convert", "funnel.maturity_days",
    "traffic.visitor_to_lead", "store.conversion_by_hour", "store.weak_hour",
    "channels.money_losing", "channels.cac", "channels.expected_12m_margin", "channels.ltv_rank",
    "customers.one_time_buyer_share", "customers.orders_per_customer_mean",
    "customers.rhythm_breakers", "customers.rhythm_break_rule_hint",
    "loyalty.ticket_difference_eur", "loyalty.member_share",
    "flows.underperforming", "flows.open_rate", "flows.click_rate",
    "promotion_uplift.campaign_id", "promotion_uplift.promotion_id",
    "promotion_uplift.window_days", "promotion_uplift.control_rate",
    "promotion_uplift.treatment_rate", "promotion_uplift.uplift_abs",
    "reps.best", "reps.lucky_small", "reps.win_rate",
    "service.first_response_median_hours", "service.csat_repurchase.logit_coef_per_point",
    "service.csat_repurchase.intercept", "service.csat_repurchase.prior_orders_coef",
    "service.csat_repurchase.notes", "service.csat_repurchase.diff_csat5_vs_csat1_at_mean",
    "surveys.nps", "surveys.csat_share_4_5",
]


def test_every_truth_key_is_present(small):
    for path in TRUTH_KEYS:
        node = small.truth
        for part in path.split("."):
            assert isinstance(node, dict) and part in node, path
            node = node[part]
    tr = small.truth
    assert tr["currency"] == "EUR" and tr["as_of"] == tr["period"]["end"] == "2025-12-31"
    assert tr["funnel"]["leaking_stage"] == {"from": "mql_at", "to": "sql_at"}
    assert tr["channels"]["money_losing"] == "social"
    assert tr["channels"]["ltv_rank"] == ["referral", "email", "paid_search", "social"]
    assert tr["reps"]["best"] == "R03" and tr["reps"]["lucky_small"] == "R08"
    assert tr["store"]["weak_hour"] == 13
    assert tr["service"]["csat_repurchase"]["logit_coef_per_point"] == 0.35
    assert tr["funnel"]["max_days_to_convert"] <= 55 and tr["funnel"]["maturity_days"] == 60
    assert tr["customers"]["rhythm_breakers"] == sorted(tr["customers"]["rhythm_breakers"])


def test_truth_is_internally_consistent(small):
    tr = small.truth
    ch = tr["channels"]
    for c in demo.CHANNELS:
        conv = tr["funnel"]["conversion"][c]
        leak = conv["mql_at->sql_at"]
        assert 0.18 <= leak <= 0.30
        assert all(0.45 <= v <= 0.75 for k, v in conv.items() if k != "mql_at->sql_at")
        # CAC > 12-month margin exactly for the money-losing channel
        assert (ch["cac"][c] > ch["expected_12m_margin"][c]) == (c == ch["money_losing"])
    # rep effects average out: the rep-weighted win rate equals the channel-mix rate
    share, rate = tr["reps"]["assignment_share"], tr["reps"]["win_rate"]
    assert max(rate, key=rate.get) == "R03"
    assert sum(share[r] * tr["reps"]["effect"][r] for r in share) == pytest.approx(0, abs=1e-9)
    csat = tr["service"]["csat_repurchase"]
    assert csat["diff_csat5_vs_csat1_at_mean"] > 0.2
    assert tr["surveys"]["nps"] == pytest.approx(20.0)


def test_truth_is_json_native(small):
    text = json.dumps(small.truth, sort_keys=True)
    assert json.loads(text) == small.truth


# ------------------------------------------------------------------ write


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


# ------------------------------------------------------------------ planted truths, visible


def _known(orders):
    return orders.dropna(subset=["customer_id"])


def test_one_time_share_and_orders_per_customer(mid):
    counts = _known(mid.tables["orders"]).groupby("customer_id").size()
    tr = mid.truth["customers"]
    assert _inside((counts == 1).sum(), len(counts), tr["one_time_buyer_share"])
    se = counts.std() / math.sqrt(len(counts))
    assert abs(counts.mean() - tr["orders_per_customer_mean"]) < Z * se


def test_funnel_rates_and_the_leak(mid):
    t, tr = mid.tables, mid.truth
    leads = t["leads"]
    mature = leads[leads["created_at"] <= _end(tr) - pd.Timedelta(days=tr["funnel"]["maturity_days"])]
    for ch, g in mature.groupby("channel"):
        reached = [len(g)] + [g[c].notna().sum() for c in ("mql_at", "sql_at", "won_at")]
        rates = {}
        for (a, b), n_from, n_to in zip([("created_at", "mql_at"), ("mql_at", "sql_at"),
                                         ("sql_at", "won_at")], reached[:-1], reached[1:], strict=True):
            key = f"{a}->{b}"
            rates[key] = n_to / n_from
            assert _inside(n_to, n_from, tr["funnel"]["conversion"][ch][key]), (ch, key)
        assert min(rates, key=rates.get) == "mql_at->sql_at", ch
        days = (g["won_at"] - g["created_at"]).dt.total_seconds().dropna() / 86400
        assert days.max() <= tr["funnel"]["max_days_to_convert"] + 1e-6
        # the median of a sample: the planted median lies between the z-order statistics
        k = np.sort(days.to_numpy())
        lo = int(len(k) / 2 - Z * math.sqrt(len(k)) / 2)
        hi = int(len(k) / 2 + Z * math.sqrt(len(k)) / 2)
        assert k[lo] <= tr["funnel"]["median_days_to_won"][ch] <= k[hi], ch
    lost = mature[mature["won_at"].isna()]
    assert lost["lost_at"].notna().all()  # a mature lead's outcome is known


def test_visitor_to_lead_and_store_hours(mid):
    t, tr = mid.tables, mid.truth
    visitors = t["traffic"].groupby("channel")["visitors"].sum()
    leads = t["leads"].groupby("channel").size()
    for ch, rate in tr["traffic"]["visitor_to_lead"].items():
        assert _inside(leads[ch], visitors[ch], rate), ch
    st = t["store_traffic"]
    v = st.groupby(st["hour_start"].dt.hour)["visitors"].sum()
    o = t["orders"][t["orders"]["channel"] == "store"]
    k = o.groupby(o["ordered_at"].dt.hour).size()
    assert set(k.index) <= set(v.index) and (st["hour_start"].dt.day_of_week < 6).all()
    for hour, rate in tr["store"]["conversion_by_hour"].items():
        assert _inside(k[int(hour)], v[int(hour)], rate), hour
    assert (k / v).idxmin() == tr["store"]["weak_hour"]


def test_loyalty_ticket_difference(mid):
    o, tr = mid.tables["orders"], mid.truth["loyalty"]
    card, other = o.loc[o["loyalty_card"], "revenue"], o.loc[~o["loyalty_card"], "revenue"]
    se = math.sqrt(card.var() / len(card) + other.var() / len(other))
    assert abs(card.mean() - other.mean() - tr["ticket_difference_eur"]) < Z * se
    c = mid.tables["customers"]
    assert _inside(c["loyalty_member_since"].notna().sum(), len(c), tr["member_share"])
    # card orders are exactly members' orders on/after joining
    known = o.merge(c[["customer_id", "loyalty_member_since"]], on="customer_id", how="left")
    expected = known["ordered_at"] >= known["loyalty_member_since"]
    assert (known["loyalty_card"] == expected.fillna(False)).all()


def test_promotion_holdout_uplift(mid):
    t, tr = mid.tables, mid.truth["promotion_uplift"]
    touches = t["touches"][t["touches"]["campaign_id"] == tr["campaign_id"]]
    sent = touches["sent_at"].iloc[0]
    o = _known(t["orders"])
    window = o[(o["ordered_at"] >= sent) & (o["ordered_at"] < sent + pd.Timedelta(days=tr["window_days"]))]
    bought = touches["customer_id"].isin(window["customer_id"])
    for group, rate in (("control", tr["control_rate"]), ("treatment", tr["treatment_rate"])):
        g = bought[touches["group"] == group]
        assert _inside(g.sum(), len(g), rate), group
    assert touches["group"].eq("treatment").mean() == pytest.approx(0.85, abs=0.02)
    assert t["touches"]["group"].notna().sum() == len(touches)  # only this campaign has groups
    tagged = o[o["promotion_id"] == tr["promotion_id"]]
    treated = touches.loc[touches["group"] == "treatment", "customer_id"]
    assert tagged["customer_id"].isin(treated).all() and len(tagged) > 0


def test_flow_rates_and_the_underperformer(mid):
    t, tr = mid.tables, mid.truth["flows"]
    sent = t["touches"][t["touches"]["group"].ne("control").fillna(True)]
    g = sent.groupby("campaign_id")
    opened, clicked, n = g["opened_at"].count(), g["clicked_at"].count(), g.size()
    for cid in n.index:
        assert _inside(opened[cid], n[cid], tr["open_rate"][cid]), cid
        assert _inside(clicked[cid], n[cid], tr["click_rate"][cid]), cid
    worst = tr["underperforming"][0]
    assert (opened / n).idxmin() == worst and (clicked / n).idxmin() == worst
    camp = t["campaigns"].set_index("campaign_id")
    assert camp.loc[worst, "kind"] == "flow" and camp.loc[worst, "automated"]
    assert camp["automated"].sum() == 5


def test_reps_best_and_lucky(mid):
    t, tr = mid.tables, mid.truth["reps"]
    leads = t["leads"]
    closed = leads[leads["sql_at"].notna() & (leads["won_at"].notna() | leads["lost_at"].notna())]
    g = closed.groupby("rep_id")["won_at"]
    wins, n = g.count(), g.size()
    assert n[tr["lucky_small"]] == 12 and wins[tr["lucky_small"]] == 9
    big = n[n >= 100].index
    assert (wins[big] / n[big]).idxmax() == tr["best"]
    assert (wins / n).idxmax() == tr["lucky_small"]  # the raw ranking is fooled
    for rep in big:
        assert _inside(wins[rep], n[rep], tr["win_rate"][rep]), rep
    started = t["reps"].set_index("rep_id")["started_at"]
    own = leads[leads["rep_id"] == tr["lucky_small"]]
    assert (own["sql_at"] >= started[tr["lucky_small"]]).all()


def test_rhythm_breakers_stop_buying(mid):
    o = _known(mid.tables["orders"])
    tr = mid.truth["customers"]
    breakers = tr["rhythm_breakers"]
    assert len(breakers) > 50
    mine = o[o["customer_id"].isin(breakers)].groupby("customer_id")["ordered_at"]
    assert (mine.size() >= 4).all()
    assert (mine.max() < pd.Timestamp("2025-09-30")).all()
    assert (mine.max() >= pd.Timestamp("2025-03-01")).all()


def test_csat_effect_on_repurchase(mid):
    sm = pytest.importorskip("statsmodels.api")
    t, tr = mid.tables, mid.truth["service"]["csat_repurchase"]
    tickets = t["tickets"]
    mature = tickets[tickets["opened_at"] <= _end(mid.truth) - pd.Timedelta(days=tr["window_days"])]
    pairs = _known(t["orders"])[["customer_id", "ordered_at"]].merge(
        mature[["ticket_id", "customer_id", "opened_at"]], on="customer_id")
    prior = pairs[pairs["ordered_at"] < pairs["opened_at"]].groupby("ticket_id").size()
    later = pairs[(pairs["ordered_at"] > pairs["opened_at"])
                  & (pairs["ordered_at"] <= pairs["opened_at"] + pd.Timedelta(days=tr["window_days"]))]
    df = mature.assign(prior=mature["ticket_id"].map(prior),
                       y=mature["ticket_id"].isin(later["ticket_id"]).astype(int))
    df = df.dropna(subset=["csat"])
    assert df["prior"].between(1, 3).all()
    fit = sm.Logit(df["y"], sm.add_constant(df[["csat", "prior"]].astype(float))).fit(disp=0)
    for name, key in (("csat", "logit_coef_per_point"), ("prior", "prior_orders_coef"),
                      ("const", "intercept")):
        assert abs(fit.params[name] - tr[key]) < Z * fit.bse[name], name


def test_service_times_surveys_and_new_customers(mid):
    t, truth = mid.tables, mid.truth
    tk = t["tickets"]
    hours = (tk["first_response_at"] - tk["opened_at"]).dt.total_seconds() / 3600
    for ch, med in truth["service"]["first_response_median_hours"].items():
        h = hours[tk["channel"] == ch].dropna()
        # median of a lognormal sample: within Z standard errors of log-median
        se = 1.2533 * truth["service"]["first_response_sigma"] / math.sqrt(len(h))
        assert abs(math.log(h.median()) - math.log(med)) < Z * se, ch
    assert tk["resolved_at"].isna().any() and tk["reopened"].mean() < 0.12
    sv = t["surveys"]
    nps = sv.loc[sv["scale"] == "nps", "score"]
    promoters, detractors = (nps >= 9).mean(), (nps <= 6).mean()
    se = 100 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / len(nps))
    assert abs(100 * (promoters - detractors) - truth["surveys"]["nps"]) < Z * se
    csat = sv.loc[sv["scale"] == "csat", "score"]
    assert _inside((csat >= 4).sum(), len(csat), truth["surveys"]["csat_share_4_5"])
    c = t["customers"]
    new = c[c["first_seen_at"] >= pd.Timestamp(truth["period"]["start"])]
    for ch, expected in truth["channels"]["expected_new_customers"].items():
        got = (new["acquisition_channel"] == ch).sum()
        assert abs(got - expected) < Z * math.sqrt(expected), ch
    won = t["leads"].dropna(subset=["customer_id"])
    first = c.set_index("customer_id").loc[won["customer_id"]]
    assert (first["first_seen_at"].to_numpy() == won["won_at"].dt.normalize().to_numpy()).all()
    assert (first["acquisition_channel"].to_numpy() == won["channel"].to_numpy()).all()
