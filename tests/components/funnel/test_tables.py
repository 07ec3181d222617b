"""Funnel display tables: headers, verdicts and numbers in the report's format."""

import numpy as np
import pandas as pd

from salesaudit.components.funnel import tables


def test_comparison_table_formats_rates_and_marks_missing_values():
    df = pd.DataFrame({"channel": ["a", "z"], "leads": [4, np.nan], "visitors": [1000, np.nan],
                       "rate": [0.004, np.nan], "ci_low": [0.0016, np.nan], "ci_high": [0.0102, np.nan],
                       "difference": [-0.001, np.nan], "q_value": [0.01, np.nan],
                       "verdict": ["lower", "channel in one table only"]})
    html = tables.comparison_table(df).to_html()
    assert "0.40%" in html and "-0.10%" in html  # rates with two decimals, signed differences
    assert "channel in one table only" in html and "–" in html  # the one-table channel, no rate
    assert ">channel<" in html and ">q_value<" in html
