"""Root conftest: the harness plugin (also registered by its pytest11 entry point), which loads the step definitions."""

pytest_plugins = ["harness.plugin"]
