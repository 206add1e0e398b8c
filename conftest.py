"""Root conftest: the harness plugin (also registered by its pytest11 entry point) and the step definitions."""

pytest_plugins = ["harness.plugin", "scenarios.steps_given", "scenarios.steps_when", "scenarios.steps_then"]
