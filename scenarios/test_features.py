"""Binds every feature file in features/ to the step definitions in scenarios/steps_*.py."""

from pytest_bdd import scenarios

scenarios("../features")
