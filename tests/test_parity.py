"""refclaw's channel functions give what the published plugin's own give, on generated inputs.

Needs the provisioned Node and openclaw (`sms-harness openclaw install`, which the OpenClaw
conformance run does) and the npm registry for `npm pack @openclaw/sms` the first time.
"""

from __future__ import annotations

import pytest

from harness.cache import ProvisionError
from harness.openclaw import install, parity


@pytest.mark.slow
def test_refclaw_matches_the_published_plugin_in_every_area() -> None:
    target = install.installation()
    if install.problems():
        pytest.skip("OpenClaw is not provisioned here (run `sms-harness openclaw install`)")
    try:
        package = parity.plugin_package(target)
    except ProvisionError as exc:
        pytest.skip(f"the plugin package could not be fetched: {exc}")
    report = parity.compare(target, package, count=60, seed=7, show=2)
    areas = [line for line in report if not line.startswith(" ")]
    assert len(areas) == len(parity.AREAS)
    assert all(" 0 of 60 differ" in line for line in areas), "\n".join(report)
