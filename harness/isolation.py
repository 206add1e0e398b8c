"""`--isolate`: the suite in a network namespace with only loopback (`unshare -rn`).

The gateway, the emulator and every CLI call then cannot reach anything but
127.0.0.1/::1, so a run proves it is offline. What needs the registry
(provisioning OpenClaw and installing its SMS plugin) is done first, outside
(preparation.prepared_state).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

# a user namespace maps us to root inside, which may bring up the namespace's own loopback
PREFIX = ["unshare", "--user", "--map-root-user", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


class IsolationError(Exception):
    """Isolation is impossible here; one line for the user."""


def check() -> None:
    if not sys.platform.startswith("linux"):
        raise IsolationError("--isolate needs Linux network namespaces (unshare -rn)")
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            raise IsolationError(f"--isolate needs `{tool}` ({package})")
    try:
        probe = subprocess.run([*PREFIX, "true"], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise IsolationError("--isolate: `unshare -rn` did not finish within 30s") from None
    if probe.returncode != 0:
        cause = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        raise IsolationError(f"--isolate: this system does not allow a network namespace here ({cause})")


def wrap(argv: list[str]) -> list[str]:
    return [*PREFIX, *argv]
