"""Inputs shared by the funnel tests."""

STAGES = [("Lead", "created_at"), ("MQL", "mql_at"), ("SQL", "sql_at"), ("Customer", "won_at")]
