"""Real public datasets audited through params alone (params/olist.yaml, params/helpdesk.yaml).

The data lives outside the repository (../shared/datasets, see each PROVENANCE.md); tests copy
it into a temporary client folder and skip, saying why, when it is not there. Expected figures
were checked by hand against the PROVENANCE files.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from salesaudit import paths
from salesaudit.components.funnel import metrics as funnel
from salesaudit.ingest.load import load
from salesaudit.params import parse_params

DATASETS = paths.ROOT.parent / "shared" / "datasets"


def _client(tmp_path, monkeypatch, name: str, dataset: str):
    src = DATASETS / dataset
    if not src.is_dir():
        pytest.skip(f"real dataset not present: {src} (it ships beside the repository in ../shared)")
    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folder = tmp_path / name
    shutil.copytree(src, folder, ignore=shutil.ignore_patterns("*.md"))
    raw = yaml.safe_load((paths.PARAMS / f"{name}.yaml").read_text())
    raw["data_dir"] = str(folder)
    return load(parse_params(raw, f"params/{name}.yaml"), use_cache=False)


def test_olist_marketing_funnel_through_params(tmp_path, monkeypatch):
    data = _client(tmp_path, monkeypatch, "olist", "olist_marketing_funnel")
    leads = data.get("leads")
    # 8,000 MQLs and 842 closed deals (PROVENANCE); one deal is won two days before its first
    # contact: params drop it (drop_out_of_order) and the data-quality table lists it.
    assert len(leads) == 7_999 and leads["won_at"].notna().sum() == 841
    q = data.quality
    assert q.loc[q["table"] == "leads", "rows"].tolist() == [1]
    assert len(data.get("reps")) == 22  # the 22 sales reps (SRs) of the deals
    rates = funnel.stage_conversion(leads, [("MQL", "created_at"), ("Seller", "won_at")],
                                    by="channel").set_index("channel")
    # PROVENANCE table: origin, MQLs, won (organic_search loses the dropped deal: 2296/271).
    expected = {"organic_search": (2295, 270), "paid_search": (1586, 195), "social": (1350, 75),
                "unknown": (1099, 179), "direct_traffic": (499, 56), "email": (493, 15),
                "referral": (284, 24), "other": (150, 4), "display": (118, 6),
                "other_publicities": (65, 3), "(blank)": (60, 14)}
    got = {ch: (int(r.entered), int(r.converted)) for ch, r in rates.iterrows()}
    assert got == expected
    assert rates.loc["paid_search", "rate"] == pytest.approx(195 / 1586)
    assert rates.loc["paid_search", "ci_low"] < 195 / 1586 < rates.loc["paid_search", "ci_high"]


def test_helpdesk_event_log_becomes_tickets_through_params(tmp_path, monkeypatch):
    tickets = _client(tmp_path, monkeypatch, "helpdesk", "helpdesk_eventlog").get("tickets")
    # PROVENANCE: 3,804 cases; ticket duration first to last event: mean 8.80, median 3.93 days.
    assert len(tickets) == 3_804
    days = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 86_400
    assert days.mean() == pytest.approx(8.80, abs=0.005)
    assert days.median() == pytest.approx(3.93, abs=0.005)
    answered = tickets["first_response_at"].notna()
    assert (tickets.loc[answered, "first_response_at"] >= tickets.loc[answered, "opened_at"]).all()
    assert (~answered).sum() == 1  # one ticket has a single event: no response yet


def test_cdnow_master_through_params(tmp_path, monkeypatch):
    """The full CDNOW file shipped in lifetimes, mapped as params/cdnow.yaml's comment says.

    Hand check: awk 'NR>1{c[$1]++; t++} END{for(k in c){u++; if(c[k]==1) n++}; print t, u, n}'
    CDNOW_master.txt  ->  69659 23570 11908"""
    from importlib import resources

    monkeypatch.setattr(paths, "BUILD", tmp_path / "build")
    folder = tmp_path / "cdnow"
    folder.mkdir()
    shutil.copy(resources.files("lifetimes") / "datasets" / "CDNOW_master.txt", folder)
    raw = yaml.safe_load((paths.PARAMS / "cdnow.yaml").read_text())
    raw["data_dir"] = str(folder)
    raw["tables"]["orders"].update(
        file="CDNOW_master.txt", csv={"sep": "whitespace"},
        columns={"customer_id": "customer_id", "ordered_at": "date", "revenue": "dollar_value"})
    orders = load(parse_params(raw), use_cache=False).get("orders")
    per_customer = orders.groupby("customer_id").size()
    assert len(orders) == 69_659 and len(per_customer) == 23_570
    assert (per_customer == 1).sum() == 11_908  # one-time buyers
    assert orders["ordered_at"].min() == pd.Timestamp("1997-01-01")
    assert orders["ordered_at"].max() == pd.Timestamp("1998-06-30")


def test_complete_journey_loyalty_panel_through_params(tmp_path, monkeypatch):
    """PROVENANCE: transactions_sample 75,000 lines, 2,377 households, 47,243 baskets, sales
    total 233,935.24; 27 campaigns; campaigns.csv 6,589 targeted (campaign, household) pairs."""
    data = _client(tmp_path, monkeypatch, "completejourney", "completejourney")
    orders = data.get("orders")
    assert len(orders) == 47_243 and orders["customer_id"].nunique() == 2_377
    assert orders["revenue"].sum() == pytest.approx(233_935.24, abs=0.01)
    assert orders["loyalty_card"].all()
    assert len(data.get("campaigns")) == 27 and len(data.get("promotions")) == 27
    touches = data.get("touches")
    assert len(touches) == 6_589 and touches["customer_id"].nunique() == 1_559
    # Local shop time is kept: the first basket of the sample file, 2017-01-28 14:06:53-0500.
    first = orders.loc[orders["order_id"] == "31625220889", "ordered_at"].item()
    assert first == pd.Timestamp("2017-01-28 14:06:53")


@pytest.mark.slow
@pytest.mark.parametrize(("client", "dataset", "components"), [
    ("olist", "olist_marketing_funnel", {"funnel", "lead_quality", "team_effectiveness"}),
    ("helpdesk", "helpdesk_eventlog", {"customer_service"}),
    ("completejourney", "completejourney", {"content_flows", "reporting"}),
])
def test_the_whole_audit_runs_on_real_data(tmp_path, client, dataset, components):
    """Every notebook runs on each real client; the components its data feeds record findings."""
    import json

    from report_fixture import cli

    src = DATASETS / dataset
    if not src.is_dir():
        pytest.skip(f"real dataset not present: {src}")
    shutil.copytree(paths.NOTEBOOKS, tmp_path / "notebooks")
    (tmp_path / "reports").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    shutil.copytree(src, tmp_path / "data" / client, ignore=shutil.ignore_patterns("*.md"))
    (tmp_path / "params").mkdir()
    shutil.copy2(paths.PARAMS / f"{client}.yaml", tmp_path / "params" / f"{client}.yaml")
    res = cli(tmp_path, "run", f"params/{client}.yaml", "--jobs", "2")
    assert res.returncode == 0, res.stdout + res.stderr
    report = tmp_path / "reports" / client
    recorded = {p.stem for p in (report / "findings").glob("*.json")
                if json.loads(p.read_text())["findings"]}
    assert components <= recorded, recorded
