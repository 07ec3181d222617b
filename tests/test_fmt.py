"""Number formats: English by default, the params' locale when set (Babel)."""

import pytest

from salesaudit import fmt


@pytest.fixture
def italian():
    fmt.set_locale("it_IT")
    yield
    fmt.set_locale("en_US")


def test_english_defaults():
    assert fmt.rate_ci(0.2, 0.1, 0.3, 1234) == "20.0% (10.0%–30.0%, n = 1,234)"
    assert fmt.money(12345.6) == "€12,346" and fmt.money(-5, "USD") == "-$5"
    assert fmt.money(1234.5, "EUR", digits=2) == "€1,234.50"
    assert fmt.number(1234.56) == "1,234.6" and fmt.count(1234567) == "1,234,567"
    assert fmt.value_ci(0.8, 0.68, 0.94, "×", 292, digits=2) == "0.80 × (0.68–0.94, n = 292)"
    assert fmt.pct(float("nan")) == "–" and fmt.money(None) == "–"
    assert fmt.pvalue(0.0) == "p < 0.001" and fmt.pvalue(0.0312) == "p = 0.031"


def test_italian_formats(italian):
    assert fmt.current_locale() == "it_IT"
    assert fmt.rate_ci(0.2, 0.1, 0.3, 1234) == "20,0% (10,0%–30,0%, n = 1.234)"
    assert fmt.money(12345.6) == "12.346\xa0€"
    assert fmt.money(1234.5, digits=2) == "1.234,50\xa0€"
    assert fmt.number(1234.56) == "1.234,6"


def test_signed_sig_and_pvalue():
    assert fmt.signed(6.1) == "+6.1" and fmt.signed(-0.4) == "-0.4" and fmt.signed(0, 0) == "+0"
    assert fmt.signed(0.12, pct=True) == "+12.0%" and fmt.signed(-0.0123, 2, pct=True) == "-1.23%"
    assert fmt.signed(None) == "–" and fmt.signed(float("nan"), pct=True) == "–"
    assert fmt.sig(0.032) == "0.032" and fmt.sig(0.0312) == "0.031" and fmt.sig(0.456, 1) == "0.5"
    assert fmt.sig(3.9e-10) == "3.9E-10" and fmt.sig(0.0) == "0" and fmt.sig(float("nan")) == "–"
    assert fmt.sig(0.001, None) == "0.001" and fmt.sig(1234.5, None) == "1234.5"
    assert fmt.sig(3e-05, None) == "3E-5"
    assert fmt.pvalue(0.0005) == "p < 0.001" and fmt.pvalue(0.032) == "p = 0.032"
    assert fmt.pvalue(1.0) == "p = 1" and fmt.pvalue(None) == "p = –"


def test_italian_signed_sig_and_pvalue(italian):
    assert fmt.signed(6.1) == "+6,1" and fmt.signed(-0.4) == "-0,4"
    assert fmt.signed(0.12, pct=True) == "+12,0%" and fmt.signed(-0.0123, 2, pct=True) == "-1,23%"
    assert fmt.sig(0.032) == "0,032" and fmt.sig(3.9e-10) == "3,9E-10"
    assert fmt.sig(0.25, None) == "0,25" and fmt.sig(1234.5, None) == "1234,5"
    assert fmt.pvalue(0.0005) == "p < 0,001" and fmt.pvalue(0.0312) == "p = 0,031"
    assert fmt.decimal_mark() == ","


def test_unknown_locale():
    with pytest.raises(ValueError, match="unknown locale 'klingon'"):
        fmt.set_locale("klingon")


def test_dates_follow_the_locale():
    import datetime as dt

    fmt.set_locale("it_IT")
    try:
        assert fmt.period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)) == "1 gen 2025 – 31 dic 2025"
        assert fmt.timestamp_utc(dt.datetime(2026, 11, 23, 22, 5)) == "23 nov 2026 22:05 UTC"
    finally:
        fmt.set_locale("en_US")
    assert fmt.date(dt.date(2025, 1, 31)) == "Jan 31, 2025"
