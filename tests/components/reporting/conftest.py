"""The demo client's orders, customers and planted truths, for the tests that check the
reporting component recovers them."""

import pytest


@pytest.fixture(scope="module")
def demo_data(default_demo):
    return default_demo.tables["orders"], default_demo.tables["customers"], default_demo.truth
