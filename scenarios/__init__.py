"""The step definitions that bind features/*.feature (installed as harness.suite)."""
