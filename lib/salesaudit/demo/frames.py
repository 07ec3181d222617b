"""Generator arrays (integer codes, float days since the period start) turned into frames
with the contract's columns and dtypes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesaudit.demo.base import Cal
from salesaudit.ingest import contract


class Ids:
    """String ids as pyarrow arrays, indexed by the generator's integer codes."""

    def __init__(self, n_customers: int, n_orders: int):
        self.customer = id_array("C", n_customers, 6)
        self.order = id_array("O", n_orders, 7)

    @staticmethod
    def take(ids: pa.Array, idx: np.ndarray) -> pd.Series:
        idx = np.asarray(idx, np.int64)
        return strings(ids.take(pa.array(idx, mask=idx < 0)))


def id_array(prefix: str, n: int, width: int) -> pa.Array:
    width = max(width, len(str(n)))
    num = pa.array(np.arange(1, n + 1, dtype=np.int64)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(num, width, "0"), "")


def strings(values) -> pd.Series:
    return pd.Series(pd.array(values, dtype="string"))


def timestamps(cal: Cal, days) -> np.ndarray:
    """Float days since start -> datetime64[ns], floored to the second; NaN -> NaT."""
    days = np.asarray(days, float)
    ok = ~np.isnan(days)
    sec = np.where(ok, np.floor(np.where(ok, days, 0) * 86400), 0).astype(np.int64)
    out = np.datetime64(cal.start, "ns") + sec.astype("timedelta64[s]").astype("timedelta64[ns]")
    return np.where(ok, out, np.datetime64("NaT"))


def frame(name: str, data: dict) -> pd.DataFrame:
    """A frame with the contract's columns, in order, with the contract's dtypes."""
    cols = {}
    for col in contract.table(name).columns:
        v = data.get(col.name)
        dtype = contract.DTYPES[col.kind]
        if isinstance(v, pd.Series):
            cols[col.name] = v.reset_index(drop=True).astype(dtype)
        elif dtype == "string":
            cols[col.name] = strings(v)
        elif dtype == "datetime64[ns]":
            cols[col.name] = pd.Series(np.asarray(v, dtype="datetime64[ns]"))
        else:
            cols[col.name] = pd.Series(pd.array(v, dtype=dtype) if dtype in ("boolean", "Int64")
                                       else np.asarray(v, dtype=dtype))
    return pd.DataFrame(cols, copy=False)


def labels(values: tuple, codes: np.ndarray) -> pd.Series:
    """Category labels by code (negative = missing), built in pyarrow (no Python objects)."""
    codes = np.asarray(codes, np.int64)
    return strings(pa.array(list(values), pa.string()).take(pa.array(codes, mask=codes < 0)))
