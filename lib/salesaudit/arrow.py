"""Fast paths for pyarrow-backed columns and integer keys, where pandas is slow.

pandas 3 stores text as pyarrow strings; `Series.isin(keys)` on them converts every key to
a Python scalar first (≈ 40 s for 2 million customer ids, measured with benchmarks/).
`isin` here hands both sides to pyarrow's hash-based `is_in` (≈ 1 s). Ids become integer
codes (`codes`, `sorted_codes`) so that grouping is counting over sorted integer keys
(`run_starts`, `distinct`) instead of hashing millions of strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _arrow(values) -> pa.Array | pa.ChunkedArray | None:
    arr = getattr(values, "array", values)
    if isinstance(arr, (pa.Array, pa.ChunkedArray)):
        return arr
    if isinstance(getattr(arr, "dtype", None), pd.StringDtype) or str(getattr(arr, "dtype", "")) == "str":
        return pa.array(arr)
    return None


def _value_set(right: pa.Array | pa.ChunkedArray, like: pa.Array | pa.ChunkedArray) -> pa.Array:
    """`right` as one array of `like`'s string type (pyarrow compares string and large_string
    only after a cast)."""
    if pa.types.is_large_string(like.type) != pa.types.is_large_string(right.type):
        right = right.cast(like.type)
    return right.combine_chunks() if isinstance(right, pa.ChunkedArray) else right


def _categorical(values) -> pd.Categorical | None:
    return pd.Categorical(values) if isinstance(values, pd.Categorical) or isinstance(
        getattr(values, "dtype", None), pd.CategoricalDtype) else None


def sorted_codes(values: pd.Series | pd.Index) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(values, sort=True)`: codes numbered in sorted value order (−1 when
    missing) and the distinct values by code. A categorical (as `customers.prepare` makes
    customer ids) is recoded from its integer codes, without hashing or sorting strings."""
    cat = _categorical(values)
    if cat is None:
        codes, uniques = pd.factorize(values, sort=True)
        return codes.astype(np.int64), pd.Index(uniques)
    if not cat.categories.is_monotonic_increasing:
        cat = cat.reorder_categories(cat.categories.sort_values())
    c = cat.codes
    used = np.zeros(len(cat.categories), dtype=bool)
    used[c[c >= 0]] = True
    renumber = np.cumsum(used) - 1  # the categories present, numbered 0..n-1 in order
    return np.where(c >= 0, renumber[c], -1).astype(np.int64), pd.Index(cat.categories[used])


def isin(values: pd.Series | pd.Index, keys) -> np.ndarray:
    """Boolean array: which `values` are among `keys` (missing values never are)."""
    cat = _categorical(values)
    if cat is not None:  # look up the categories once, then take by code
        return np.r_[isin(cat.categories, keys), False][cat.codes]
    kc = _categorical(keys)
    if kc is not None:  # the categories that occur
        keys = kc.categories[np.bincount(kc.codes[kc.codes >= 0], minlength=len(kc.categories)) > 0]
    left = _arrow(values)
    if left is not None:
        right = _arrow(keys)
        if right is None:
            right = pa.array(pd.Series(list(keys) if isinstance(keys, (set, frozenset)) else keys,
                                       dtype="string").array)
        right = pc.unique(_value_set(right, left))
        found = pc.is_in(left, value_set=right.drop_null(), skip_nulls=True)
        return pc.fill_null(found, False).to_numpy(zero_copy_only=False)
    known = pd.Series(list(keys) if isinstance(keys, (set, frozenset)) else keys).dropna()
    return np.asarray(pd.Series(values).isin(known), bool)


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array (each group's first row)."""
    k = np.asarray(sorted_keys)
    return np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.empty(0, np.int64)


def distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct integer keys, sorted, and how often each occurs. By sorting: numpy 2's
    hash-based np.unique and pandas' value_counts are several times slower on tens of
    millions of keys (measured in benchmarks/)."""
    k = np.sort(keys)
    first = run_starts(k)
    return k[first], np.diff(np.r_[first, len(k)])


def all_distinct(values: pd.Series) -> bool:
    """Whether no value occurs twice (a second missing value counts as a repeat, as in
    `duplicated`); pyarrow's hash count instead of pandas' factorize for string columns."""
    arr = _arrow(values)
    if arr is None:
        return bool(values.is_unique) and int(values.isna().sum()) <= 1
    return pc.count_distinct(arr, mode="all").as_py() == len(arr)


def codes(values: pd.Series | pd.Index, keys: pd.Index) -> np.ndarray:
    """Position of each of `values` in `keys` (distinct), −1 when absent or missing: integer
    keys for joins and merge_asof, which are much slower on strings."""
    cat = _categorical(values)
    if cat is not None:  # look up the categories once, then take by code
        return np.r_[codes(cat.categories, keys), -1][cat.codes]
    left, right = _arrow(values), _arrow(keys)
    if left is None or right is None:
        return pd.Index(keys).get_indexer(values)
    pos = pc.index_in(left, value_set=_value_set(right, left), skip_nulls=True)
    return pc.fill_null(pos, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def lookup(values: pd.Series | pd.DataFrame, ids: pd.Series) -> np.ndarray | pd.DataFrame:
    """`values.reindex(ids)` for a frame or series indexed by distinct ids, as arrays in the
    order of `ids` (missing where an id is absent), without hashing the id strings in Python."""
    pos = codes(ids, values.index)
    if isinstance(values, pd.Series):
        return pd.api.extensions.take(values.array, pos, allow_fill=True).to_numpy()
    return pd.DataFrame({c: lookup(values[c], ids) for c in values.columns})
