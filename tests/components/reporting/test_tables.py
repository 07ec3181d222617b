"""The page's display helpers: English values as the reader sees them."""

import pandas as pd

from salesaudit.components.reporting import tables


def test_label_passes_non_text_and_reads_patterned_values():
    assert tables.label(3) == 3
    assert tables.label("repeat within 90 days") == "repeat within 90 days"
    assert tables.label("bought once") == "bought once"


def test_quality_view_formats_numbers_and_names_columns():
    df = pd.DataFrame({"table": ["orders"], "check": ["zero amounts"], "rows": [1234],
                       "share": [0.0123]})
    v = tables.quality_view(df)
    assert list(v.columns) == ["table", "check", "rows", "share"]
    assert v.loc[0, "rows"] == "1,234" and v.loc[0, "check"] == "zero amounts"
