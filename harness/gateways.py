"""The gateways a run can test, by name: which driver speaks for each, and which must be provisioned.

One place for what the runner (before pytest starts) and the pytest plugin (in the controller,
before xdist workers start; in each worker, to verify) both need to know of a gateway by its name.
"""

from __future__ import annotations

from harness.drivers.base import GatewayDriver


def driver_class(gateway: str) -> type[GatewayDriver]:
    """The driver of a gateway, for what it declares (its profile, what it lacks) before it runs."""
    if gateway == "openclaw":
        from harness.openclaw.driver import OpenClawDriver

        return OpenClawDriver
    if gateway == "hermes":
        from harness.hermes.driver import HermesDriver

        return HermesDriver
    # the reference and an external gateway lack only what OpenClaw's channel lacks (NOT_OPENCLAW);
    # an external one says per step what else its description has no command for
    return GatewayDriver


def provision(gateway: str, openclaw_version: str | None, openclaw_bin: str | None, hermes_version: str | None) -> None:
    """The real gateway made sound in the cache (one install, or a cheap check). Raises ProvisionError."""
    if gateway == "openclaw" and not openclaw_bin:
        from harness.openclaw import install

        install.install(openclaw_version or install.DEFAULT_OPENCLAW)
    elif gateway == "hermes":
        from harness.hermes import install as hermes

        hermes.install(hermes_version or hermes.DEFAULT_HERMES)
