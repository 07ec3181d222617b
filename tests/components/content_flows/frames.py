"""Small orders and touches frames built from rows, typed as the ingest layer types them,
shared by this folder's tests."""

import pandas as pd

T = pd.Timestamp
W = 7  # attribution window in days


def order_frame(rows, promo=True) -> pd.DataFrame:
    """Orders from (order_id, customer_id, ordered_at, revenue, promotion_id) rows; without
    the promotion_id column when `promo` is False."""
    df = pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "revenue",
                                     "promotion_id"])
    df["ordered_at"] = pd.to_datetime(df["ordered_at"], format="ISO8601")
    df = df.astype({"order_id": "string", "customer_id": "string", "promotion_id": "string",
                    "revenue": float})
    return df if promo else df.drop(columns="promotion_id")


def touch_frame(rows) -> pd.DataFrame:
    """Touches from (campaign_id, customer_id, sent_at, opened_at, clicked_at, group) rows."""
    df = pd.DataFrame(rows, columns=["campaign_id", "customer_id", "sent_at", "opened_at",
                                     "clicked_at", "group"])
    for c in ["sent_at", "opened_at", "clicked_at"]:
        df[c] = pd.to_datetime(df[c], format="ISO8601")
    return df.astype({"campaign_id": "string", "customer_id": "string", "group": "string"})
