"""The real plugin's mutants apply to the published @openclaw/sms exactly once and leave valid JavaScript."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.openclaw import mutants
from harness.openclaw.install import DEFAULT_SMS_PLUGIN
from harness.openclaw.parity import published_package

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is needed to fetch @openclaw/sms")


@pytest.fixture(scope="module")
def published() -> Path:
    return published_package(DEFAULT_SMS_PLUGIN)


@pytest.fixture
def package(published: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "node_modules" / "@openclaw" / "sms"
    shutil.copytree(published / "dist", copy / "dist")
    shutil.copy(published / "package.json", copy / "package.json")
    return copy


def test_at_least_fifteen_mutants_over_the_features() -> None:
    assert len(mutants.MUTANTS) >= 15
    features = {path.stem for path in (Path(__file__).parent.parent / "features").glob("*.feature")}
    for name, mutant in mutants.MUTANTS.items():
        assert set(mutant.features) <= features, name


@pytest.mark.parametrize("name", list(mutants.MUTANTS))
def test_each_mutant_changes_one_place_and_stays_valid_javascript(package: Path, name: str) -> None:
    before = {path: path.read_text() for path in (package / "dist").rglob("*.js")}
    changed = mutants.apply(name, package)
    after = {path: path.read_text() for path in before}
    assert [path for path in before if before[path] != after[path]] == [changed]
    assert mutants.MUTANTS[name].new in after[changed]
    if shutil.which("node"):
        check = subprocess.run(["node", "--check", str(changed)], capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr


def test_a_mutant_whose_text_is_gone_says_so(package: Path) -> None:
    mutants.apply("sender_limit_31", package)
    with pytest.raises(mutants.MutationError, match="sender_limit_31: its text occurs 0 times"):
        mutants.apply("sender_limit_31", package)
