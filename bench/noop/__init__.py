"""The baseline feature for bench/suite_time.py: scenarios that only start and stop (the harness's own cost)."""
