"""The reporting notebook end to end: the published BG/NBD fit on CDNOW, and what it says
when orders are missing."""

import pytest

from conftest import cdnow_params


@pytest.mark.slow
def test_notebook_on_cdnow_reproduces_the_published_bgnbd_fit(tmp_path):

    from conftest import outputs_text, run_notebook_with_params

    text = outputs_text(run_notebook_with_params("04_reporting.ipynb", cdnow_params(tmp_path), tmp_path))
    assert "Parameters: r 0.243, alpha 4.414, a 0.793, b 2.426" in text
    assert "Calibration Jan 1, 1997 to Sep 30, 1997" in text and "2,357 customers" in text
    # No card data in CDNOW: the loyalty section says what to provide instead of crashing.
    assert "Not available." in text and "loyalty-card analysis" in text


@pytest.mark.slow
def test_notebook_says_what_to_provide_when_orders_are_missing(tmp_path, small_demo):
    import json

    from conftest import run_without_tables

    text = run_without_tables("04_reporting.ipynb", small_demo, tmp_path, "orders")
    assert "The customer base needs" in text and "**orders**" in text and "`ordered_at`" in text
    assert "Score per table" in text  # data quality still covers the tables given
    findings = json.loads((tmp_path / "run" / "findings" / "reporting.json").read_text())
    assert findings["findings"] == []
