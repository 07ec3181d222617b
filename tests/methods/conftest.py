"""Fixtures shared by the methods' tests."""

import warnings

import pytest


@pytest.fixture
def no_warnings():
    """Turn every warning (division by zero, invalid value, …) into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
