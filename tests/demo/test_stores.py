"""Planted in the stores: conversion by hour and the weak hour."""

from __future__ import annotations

from .checks import inside


def test_store_conversion_by_hour_and_the_weak_hour(mid):
    t, tr = mid.tables, mid.truth
    st = t["store_traffic"]
    v = st.groupby(st["hour_start"].dt.hour)["visitors"].sum()
    o = t["orders"][t["orders"]["channel"] == "store"]
    k = o.groupby(o["ordered_at"].dt.hour).size()
    assert set(k.index) <= set(v.index) and (st["hour_start"].dt.day_of_week < 6).all()
    for hour, rate in tr["store"]["conversion_by_hour"].items():
        assert inside(k[int(hour)], v[int(hour)], rate), hour
    assert (k / v).idxmin() == tr["store"]["weak_hour"]
