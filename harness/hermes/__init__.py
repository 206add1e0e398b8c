"""Driving Hermes Agent's SMS platform offline: provisioning and its driver."""

from pathlib import Path

DIVERGENCES = Path(__file__).with_name("divergences.toml")  # where Hermes departs from the guide, pinned
