"""The demo clients these tests read: the session's small and default-size clients
(tests/conftest.py), under the names the tests use."""

from __future__ import annotations

import pytest


@pytest.fixture
def small(small_demo):
    """2,000 customers, seed 7."""
    return small_demo


@pytest.fixture
def mid(default_demo):
    """Default scale (20,000 customers, seed 42): the planted effects must be visible here."""
    return default_demo
