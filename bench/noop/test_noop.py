"""Binds the baseline feature (run only by bench/suite_time.py)."""

from pytest_bdd import scenarios

scenarios("noop.feature")
