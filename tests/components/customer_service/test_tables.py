"""Service tables: business-hours columns only when opening hours are known."""

from salesaudit.components.customer_service import tables


def test_times_table_has_business_hours_columns_only_when_given(plain_and_timed):
    plain, timed = plain_and_timed
    cal = plain.times[("first_response", "channel", "calendar")]
    assert list(tables.times_table(cal, None, "channel").columns)[-1] == "90th pct (calendar)"
    bus = timed.times[("first_response", "channel", "business")]
    table = tables.times_table(cal, bus, "channel")
    assert "median (business hours)" in table.columns and len(table) == len(cal)
