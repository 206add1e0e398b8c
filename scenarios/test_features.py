"""Binds every feature file in features/ to the step definitions in scenarios/steps_*.py."""

from pytest_bdd import scenarios

from harness.layout import features_dir

scenarios(str(features_dir()))
