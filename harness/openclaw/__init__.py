"""Driving the real OpenClaw gateway offline: provisioning and its driver."""

from pathlib import Path

DIVERGENCES = Path(__file__).with_name("divergences.toml")  # where OpenClaw departs from the guide, pinned
