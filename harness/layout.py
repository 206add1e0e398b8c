"""Where the suite's files are: a checkout's features/ and scenarios/, or the installed package's.

A wheel carries them as `harness.suite` (scenarios/) and `harness.suite.features` (features/),
so `pip install sms-harness` brings the whole suite and `sms-harness run` works from any folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
STEP_NAMES = ("steps_given", "steps_when", "steps_then")


def in_checkout() -> bool:
    """True when running from the project's own tree (the editable install included)."""
    return (CHECKOUT / "scenarios" / "test_features.py").is_file() and (CHECKOUT / "features").is_dir()


def scenarios_dir() -> Path:
    return CHECKOUT / "scenarios" if in_checkout() else PACKAGE / "suite"


def features_dir() -> Path:
    return CHECKOUT / "features" if in_checkout() else PACKAGE / "suite" / "features"


def step_modules() -> list[str]:
    """The step definitions' module names, for pytest to load as plugins."""
    package = "scenarios" if in_checkout() else "harness.suite"
    return [f"{package}.{name}" for name in STEP_NAMES]


def feature_names() -> list[str]:
    return sorted(path.stem for path in features_dir().glob("*.feature"))
