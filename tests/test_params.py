import pytest

from salesaudit import paths
from salesaudit.errors import ParamsError
from salesaudit.params import AuditParams, load_params, parse_params

BASE = {"client": "acme", "name": "Acme", "period": {"start": "2025-01-01", "end": "2025-12-31"}}


def test_demo_params_are_valid_and_use_the_defaults():
    p = load_params("params/demo.yaml")
    assert isinstance(p, AuditParams)
    assert p.client == "demo"
    assert p.data_path == paths.ROOT / "data" / "demo"
    assert [s.column for s in p.funnel.stages] == ["created_at", "mql_at", "sql_at", "won_at"]
    assert p.period.days == 365


def test_demo_params_document_every_key():
    text = (paths.PARAMS / "demo.yaml").read_text()
    for key in AuditParams.model_fields:
        assert f"{key}:" in text, f"params/demo.yaml does not show the key {key}"
    for key in ("sep", "decimal", "thousands", "encoding", "date_format", "sheet", "keep",
                "maturity_days", "stage_conversion", "open_hour", "close_hour", "weekdays"):
        assert f"{key}:" in text


def test_relative_params_path_resolves_from_the_root_not_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_params("params/demo.yaml").client == "demo"


def test_unknown_key_is_refused_with_its_path_and_the_allowed_keys():
    with pytest.raises(ParamsError) as e:
        parse_params({**BASE, "tables": {"orders": {"sepp": ";"}}}, "params/acme.yaml")
    msg = str(e.value)
    assert "params/acme.yaml" in msg
    assert "tables.orders.sepp: unknown key" in msg
    assert "allowed here: file, sheet, columns, keep, csv, date_format" in msg


def test_unknown_top_level_key_lists_allowed_keys():
    with pytest.raises(ParamsError, match=r"colour: unknown key; allowed here: client, name"):
        parse_params({**BASE, "colour": "red"})


def test_unknown_table_and_unknown_canonical_column_are_named():
    with pytest.raises(ParamsError, match=r"tables.order: unknown table; allowed: customers"):
        parse_params({**BASE, "tables": {"order": {}}})
    with pytest.raises(ParamsError, match=r"unknown canonical column\(s\) \['revnue'\]; allowed: order_id"):
        parse_params({**BASE, "tables": {"orders": {"columns": {"revnue": "Totale"}}}})


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"period": {"start": "2025-02-01", "end": "2025-01-01"}}, "period: end 2025-01-01 is before start"),
        ({"client": "Acme Corp"}, "client: String should match pattern"),
        ({"currency": "euro"}, "currency: String should match pattern"),
        ({"language": "fr"}, "language: Input should be 'en' or 'it'"),
        ({"attribution_window_days": 0}, "attribution_window_days: Input should be greater than or equal to 1"),
        ({"funnel": {"stages": [{"name": "MQL", "column": "mql_at"}, {"name": "SQL", "column": "sql_at"}]}},
         "the first stage must be the lead itself"),
        ({"targets": {"stage_conversion": {"Deal": 0.3}}}, "unknown stage(s) ['Deal']"),
        ({"tables": {"orders": {"csv": {"decimal": ",", "thousands": ","}}}}, "thousands and decimal marks must differ"),
    ],
)
def test_bad_values_are_refused_with_the_key_path(patch, expected):
    with pytest.raises(ParamsError) as e:
        parse_params({**BASE, **patch})
    assert expected in str(e.value)


def test_missing_required_key():
    with pytest.raises(ParamsError, match="period: Field required"):
        parse_params({"client": "acme", "name": "Acme"})


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ParamsError, match="params file not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ParamsError, match="expected a mapping"):
        load_params(listy)


def test_business_hours_are_optional_and_checked():
    assert parse_params(BASE).business_hours is None
    p = parse_params({**BASE, "business_hours": {"open_hour": 8}})
    assert (p.business_hours.open_hour, p.business_hours.close_hour) == (8, 18)
    assert p.business_hours.weekdays == [0, 1, 2, 3, 4]
    with pytest.raises(ParamsError, match="close_hour 9 must be after open_hour 10"):
        parse_params({**BASE, "business_hours": {"open_hour": 10, "close_hour": 9}})


def test_locale_is_checked_and_defaults_from_language():
    assert parse_params(BASE).number_locale == "en_US"
    assert parse_params({**BASE, "language": "it"}).number_locale == "it_IT"
    assert parse_params({**BASE, "locale": "en_GB"}).number_locale == "en_GB"
    with pytest.raises(ParamsError, match="unknown locale 'xx_YY'"):
        parse_params({**BASE, "locale": "xx_YY"})
