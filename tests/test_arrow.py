import numpy as np
import pandas as pd
import pytest

from salesaudit.arrow import all_distinct, codes, distinct, isin, lookup, run_starts, sorted_codes


@pytest.mark.parametrize("dtype", ["string", "str", object])
def test_isin_matches_pandas_and_never_matches_missing(dtype):
    values = pd.Series(["a", None, "b", "c", "a"], dtype=dtype)
    keys = pd.Series(["a", "c", None], dtype=dtype)
    expected = values.isin(["a", "c"]).to_numpy(bool)
    np.testing.assert_array_equal(isin(values, keys), expected)
    np.testing.assert_array_equal(isin(pd.Index(values), keys), expected)


@pytest.mark.parametrize("keys", [{"b"}, ["b"], pd.Index(["b"], dtype="string"), pd.Series(["b"], dtype="str")])
def test_isin_takes_sets_lists_and_columns(keys):
    values = pd.Series(["a", "b", None], dtype="string")
    np.testing.assert_array_equal(isin(values, keys), [False, True, False])


def test_isin_of_numbers_falls_back_to_pandas():
    np.testing.assert_array_equal(isin(pd.Series([1, 2, None]), [1]), [True, False, False])
    np.testing.assert_array_equal(isin(pd.Series(["x"], dtype="string"), []), [False])


@pytest.mark.parametrize("dtype", ["string", "str", object])
def test_codes_are_positions_in_the_keys(dtype):
    keys = pd.Index(["b", "a", "c"], dtype=dtype)
    values = pd.Series(["a", None, "c", "z", "b"], dtype=dtype)
    np.testing.assert_array_equal(codes(values, keys), [1, -1, 2, -1, 0])


def test_lookup_is_reindex_by_ids():
    when = pd.Series(pd.to_datetime(["2025-01-01", "2025-02-01"]), index=pd.Index(["a", "b"], dtype="string"))
    ids = pd.Series(["b", "z", None, "a"], dtype="string")
    np.testing.assert_array_equal(lookup(when, ids), when.reindex(ids.to_numpy()).to_numpy())
    frame = pd.DataFrame({"x": [1.5, 2.5]}, index=when.index)
    np.testing.assert_array_equal(lookup(frame, ids)["x"].to_numpy(), [2.5, np.nan, np.nan, 1.5])


def test_codes_of_a_categorical_map_its_categories():
    values = pd.Series(pd.Categorical(["b", None, "a", "b", "z"], categories=["z", "b", "a"]))
    keys = pd.Index(["a", "b", "c"], dtype="string")
    assert codes(values, keys).tolist() == [1, -1, 0, 1, -1]


def test_categoricals_as_values_or_keys_behave_like_their_strings():
    cat = pd.Categorical(["b", None, "a", "b"], categories=["z", "b", "a"])  # "z" unused
    plain = pd.Series(["b", None, "a", "b"], dtype="string")
    for values in (cat, pd.Series(cat)):
        assert isin(values, ["a", "q"]).tolist() == isin(plain, ["a", "q"]).tolist()
        assert isin(plain, values).tolist() == [True, False, True, True]
        c, ids = sorted_codes(values)
        c0, ids0 = sorted_codes(plain)
        assert c.tolist() == c0.tolist() == [1, -1, 0, 1] and list(ids) == list(ids0) == ["a", "b"]


@pytest.mark.parametrize("dtype", ["string", object, "float64"])
def test_all_distinct_agrees_with_duplicated(dtype):
    for values in (["a", "b", None], ["a", "b", "a"], [None, "b", None], ["a"], []):
        if dtype == "float64":
            values = [None if v is None else float(ord(v)) for v in values]
        s = pd.Series(values, dtype=dtype)
        assert all_distinct(s) == (not s.duplicated().any()), values


def test_run_starts_and_distinct_agree_with_numpy_unique():
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 50, 1000)
    values, counts = distinct(keys)
    ref_values, ref_counts = np.unique(keys, return_counts=True)
    assert values.tolist() == ref_values.tolist() and counts.tolist() == ref_counts.tolist()
    assert run_starts(np.sort(keys)).tolist() == np.unique(np.sort(keys), return_index=True)[1].tolist()
    assert run_starts(np.array([], dtype=np.int64)).tolist() == []
    assert [a.tolist() for a in distinct(np.array([], dtype=np.int64))] == [[], []]
