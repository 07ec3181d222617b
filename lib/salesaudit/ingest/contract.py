"""The data contract: the twelve canonical tables, their columns, types and rules.

This module is the single description of what a table looks like after loading. `coerce.py`
coerces a client's file into these columns; `schema(table)` turns the description into a
pandera schema that checks the per-column rules; cross-table rules (foreign keys) and
row-order rules (stage timestamps) are listed here and enforced by `validate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd
import pandera.pandas as pa

from salesaudit.i18n import N_

Kind = Literal["id", "datetime", "money", "count", "number", "bool", "category", "text"]

# pandas dtypes every loaded column ends up with, by kind.
DTYPES: dict[str, str] = {
    "id": "string",
    "datetime": "datetime64[ns]",
    "money": "float64",
    "count": "Int64",
    "number": "float64",
    "bool": "boolean",
    "category": "string",
    "text": "string",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None  # category values allowed (after lower-casing)
    min: float | None = None  # inclusive bounds for numbers
    max: float | None = None
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # unique together when given
    # Columns holding timestamps that must not precede another (later, earlier).
    ordered: tuple[tuple[str, str], ...] = ()
    # Columns whose names are free (segments, extra funnel stages) may be kept via params.
    extra_kind: Kind = "category"
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _money(name: str, doc: str = "", required: bool = False) -> Column:
    return Column(name, "money", required=required, nullable=not required, min=0, doc=doc)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "customers",
            N_("One row per customer."),
            (
                Column("customer_id", "id", required=True, nullable=False),
                Column("first_seen_at", "datetime", doc="first contact or registration"),
                Column("acquisition_channel", "category"),
                Column("consent_marketing", "bool"),
                Column("loyalty_member_since", "datetime", doc="loyalty-card join date"),
                Column("market", "category"),
                Column("gender", "category"),
                Column("region", "category"),
            ),
            key=("customer_id",),
        ),
        Table(
            "orders",
            N_("One row per order (store or online)."),
            (
                Column("order_id", "id", required=True, nullable=False),
                Column("customer_id", "id", required=True, doc="empty = anonymous till sale"),
                Column("ordered_at", "datetime", required=True, nullable=False),
                _money("revenue", "order value, net of VAT", required=True),
                _money("cost", "cost of goods (gives margin)"),
                Column("channel", "category", doc="online, store, app, …"),
                Column("store_id", "id"),
                Column("promotion_id", "id"),
                Column("loyalty_card", "bool"),
                Column(
                    "status", "category", allowed=("completed", "returned", "cancelled")
                ),
            ),
            key=("order_id",),
            foreign_keys=(
                ("customer_id", "customers", "customer_id"),
                ("promotion_id", "promotions", "promotion_id"),
            ),
        ),
        Table(
            "leads",
            N_("One row per lead; one timestamp column per funnel stage reached."),
            (
                Column("lead_id", "id", required=True, nullable=False),
                Column("created_at", "datetime", required=True, nullable=False),
                Column("channel", "category", required=True, nullable=False),
                Column("campaign", "category"),
                Column("landing_page", "category"),
                Column("mql_at", "datetime", doc="marketing-qualified"),
                Column("sql_at", "datetime", doc="sales-qualified"),
                Column("won_at", "datetime", doc="became a customer"),
                Column("lost_at", "datetime", doc="closed without a sale"),
                Column("customer_id", "id"),
                Column("rep_id", "id"),
                _money("value", "deal value"),
            ),
            key=("lead_id",),
            ordered=(
                ("mql_at", "created_at"),
                ("sql_at", "created_at"),
                ("won_at", "created_at"),
                ("lost_at", "created_at"),
                ("sql_at", "mql_at"),
                ("won_at", "sql_at"),
                ("won_at", "mql_at"),
            ),
            extra_kind="datetime",  # extra funnel stages are timestamps
            foreign_keys=(
                ("customer_id", "customers", "customer_id"),
                ("rep_id", "reps", "rep_id"),
            ),
        ),
        Table(
            "traffic",
            N_("Site sessions per day and channel (visitor → lead)."),
            (
                Column("date", "datetime", required=True, nullable=False),
                Column("channel", "category", required=True, nullable=False),
                Column("visitors", "count", required=True, nullable=False, min=0),
            ),
            key=("date", "channel"),
        ),
        Table(
            "store_traffic",
            N_("Door-counter visitors per store and hour slot."),
            (
                Column("store_id", "id", required=True, nullable=False),
                Column("hour_start", "datetime", required=True, nullable=False),
                Column("visitors", "count", required=True, nullable=False, min=0),
            ),
            key=("store_id", "hour_start"),
        ),
        Table(
            "spend",
            N_("Marketing spend per channel and month."),
            (
                Column("period_start", "datetime", required=True, nullable=False),
                Column("channel", "category", required=True, nullable=False),
                _money("amount", required=True),
            ),
            key=("period_start", "channel"),
        ),
        Table(
            "campaigns",
            N_("One row per campaign or automated flow."),
            (
                Column("campaign_id", "id", required=True, nullable=False),
                Column("channel", "category", required=True, nullable=False),
                Column("sent_at", "datetime", required=True, nullable=False),
                Column("name", "text"),
                Column(
                    "kind", "category", allowed=("promotion", "newsletter", "content", "flow")
                ),
                Column("automated", "bool"),
                Column("promotion_id", "id"),
                _money("cost"),
            ),
            key=("campaign_id",),
            foreign_keys=(("promotion_id", "promotions", "promotion_id"),),
        ),
        Table(
            "touches",
            N_("One row per message sent to a customer."),
            (
                Column("campaign_id", "id", required=True, nullable=False),
                Column("customer_id", "id", required=True, nullable=False),
                Column("sent_at", "datetime", required=True, nullable=False),
                Column("opened_at", "datetime"),
                Column("clicked_at", "datetime"),
                Column("group", "category", allowed=("treatment", "control")),
            ),
            key=("campaign_id", "customer_id", "sent_at"),
            ordered=(("opened_at", "sent_at"), ("clicked_at", "sent_at")),
            foreign_keys=(
                ("campaign_id", "campaigns", "campaign_id"),
                ("customer_id", "customers", "customer_id"),
            ),
        ),
        Table(
            "promotions",
            N_("One row per promotion."),
            (
                Column("promotion_id", "id", required=True, nullable=False),
                Column("starts_at", "datetime", required=True, nullable=False),
                Column("ends_at", "datetime", required=True, nullable=False),
                Column("name", "text"),
                Column("kind", "category"),
                Column("channel", "category"),
            ),
            key=("promotion_id",),
            ordered=(("ends_at", "starts_at"),),
        ),
        Table(
            "reps",
            N_("One row per sales rep or service agent."),
            (
                Column("rep_id", "id", required=True, nullable=False),
                Column("name", "text"),
                Column("team", "category"),
                Column("manager", "category"),
                Column("started_at", "datetime"),
            ),
            key=("rep_id",),
        ),
        Table(
            "tickets",
            N_("One row per customer-service ticket."),
            (
                Column("ticket_id", "id", required=True, nullable=False),
                Column("opened_at", "datetime", required=True, nullable=False),
                Column("customer_id", "id"),
                Column("order_id", "id"),
                Column("first_response_at", "datetime"),
                Column("resolved_at", "datetime"),
                Column("channel", "category"),
                Column("category", "category"),
                Column("agent_id", "id"),
                Column("csat", "number", min=1, max=5, doc="1–5"),
                Column("reopened", "bool"),
            ),
            key=("ticket_id",),
            ordered=(("first_response_at", "opened_at"), ("resolved_at", "opened_at")),
            foreign_keys=(
                ("customer_id", "customers", "customer_id"),
                ("order_id", "orders", "order_id"),
            ),
        ),
        Table(
            "surveys",
            N_("One row per survey answer (NPS 0–10 or CSAT 1–5)."),
            (
                Column("response_id", "id", required=True, nullable=False),
                Column("answered_at", "datetime", required=True, nullable=False),
                Column("score", "number", required=True, nullable=False, min=0, max=10),
                Column("scale", "category", required=True, nullable=False, allowed=("nps", "csat")),
                Column("customer_id", "id"),
                Column("comment", "text"),
            ),
            key=("response_id",),
            foreign_keys=(("customer_id", "customers", "customer_id"),),
        ),
    ]
}

# What an optional column makes possible; `salesaudit validate` says what a missing one disables.
ENABLES: dict[tuple[str, str], str] = {
    ("customers", "acquisition_channel"): "value and CAC per acquisition channel",
    ("customers", "consent_marketing"): "consent share of the registry",
    ("customers", "loyalty_member_since"): "loyalty before/after comparison",
    ("orders", "cost"): "margins",
    ("orders", "channel"): "online vs store split",
    ("orders", "store_id"): "store conversion per hour slot",
    ("orders", "promotion_id"): "guided vs spontaneous sales, promotion responders",
    ("orders", "loyalty_card"): "loyalty-card ticket and revenue share",
    ("orders", "status"): "returns and cancellations",
    ("leads", "mql_at"): "the MQL stage of the funnel",
    ("leads", "sql_at"): "the SQL stage of the funnel",
    ("leads", "won_at"): "lead → customer conversion, time to convert",
    ("leads", "lost_at"): "time to loss",
    ("leads", "customer_id"): "value of won leads from their orders",
    ("leads", "rep_id"): "team comparison",
    ("leads", "value"): "deal values and money at stake",
    ("leads", "campaign"): "quality per campaign",
    ("leads", "landing_page"): "quality per landing page",
    ("campaigns", "automated"): "flows vs campaigns",
    ("campaigns", "promotion_id"): "promotion conversion",
    ("touches", "opened_at"): "open rates",
    ("touches", "clicked_at"): "click rates",
    ("touches", "group"): "uplift against a randomized holdout",
    ("reps", "team"): "team rollups",
    ("reps", "manager"): "manager rollups",
    ("tickets", "customer_id"): "effect of service on repurchase",
    ("tickets", "first_response_at"): "first response times",
    ("tickets", "resolved_at"): "resolution times and backlog",
    ("tickets", "channel"): "service times per channel",
    ("tickets", "agent_id"): "agent comparison",
    ("tickets", "csat"): "satisfaction per ticket",
    ("tickets", "reopened"): "reopen rate",
}


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the contract has: {', '.join(TABLES)}") from None


def _checks(col: Column) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.min is not None:
        checks.append(pa.Check.ge(col.min))
    if col.max is not None:
        checks.append(pa.Check.le(col.max))
    if col.allowed is not None:
        checks.append(pa.Check.isin(list(col.allowed)))
    return checks


def schema(name: str, present: list[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a table, restricted to the columns `present` in the file.

    Required columns are always part of the schema, so a missing one fails validation.
    Types are not coerced here: `coerce.py` coerces with messages that name example values.
    """
    t = table(name)
    cols = {}
    for c in t.columns:
        if present is not None and c.name not in present and not c.required:
            continue
        cols[c.name] = pa.Column(
            DTYPES[c.kind],
            checks=_checks(c),
            nullable=c.nullable,
            required=c.required,
            unique=t.key == (c.name,),
        )
    # Scale-specific score ranges for surveys: NPS 0–10, CSAT 1–5.
    frame_checks = []
    if name == "surveys":
        frame_checks.append(
            pa.Check(
                lambda df: ~((df["scale"] == "csat") & ~df["score"].between(1, 5)),
                name="csat score within 1–5",
                error="csat scores must lie between 1 and 5",
            )
        )
    return pa.DataFrameSchema(
        cols,
        checks=frame_checks,
        unique=list(t.key) if len(t.key) > 1 else None,
        strict=False,
        name=name,
    )


def empty(name: str) -> pd.DataFrame:
    """An empty frame with every contract column of a table, typed."""
    t = table(name)
    return pd.DataFrame({c.name: pd.Series(dtype=DTYPES[c.kind]) for c in t.columns})
