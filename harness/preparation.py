"""OpenClaw made ready outside the run, when the run cannot or must not install the plugin itself: a
private install of `@openclaw/sms` (one state directory per worker), with --sms-plugin-from's build
in place of the published files, handed to the run as its --openclaw-state.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.openclaw.install import DEFAULT_OPENCLAW, DEFAULT_SMS_PLUGIN

if TYPE_CHECKING:
    from harness.runner import RunOptions


class PreparationError(Exception):
    """OpenClaw or its plugin could not be made ready before the run; one line for the user."""


@contextmanager
def private_plugin(options: RunOptions, names: tuple[str, ...] = ("main",)) -> Iterator[Any]:
    """A private install of the plugin (one state directory per name), with --sms-plugin-from's
    build in place of the published files; removed afterwards (it holds the run's tokens)."""
    from harness.drivers.base import DriverError
    from harness.openclaw import install, private

    version = options.sms_plugin_version or DEFAULT_SMS_PLUGIN
    print(f"installing @openclaw/sms@{version} into a private state directory", file=sys.stderr, flush=True)
    try:
        openclaw = options.openclaw_version or DEFAULT_OPENCLAW
        installation = install.installation(openclaw) if options.openclaw_bin else install.install(openclaw)
        plugin = private.PrivatePlugin.install(installation, version, options.openclaw_bin, names)
    except DriverError as exc:
        raise PreparationError(str(exc).splitlines()[0]) from None
    try:
        if options.sms_plugin_from:
            plugin.replace_files(Path(options.sms_plugin_from))
        yield plugin
    except private.PrivateInstallError as exc:
        raise PreparationError(str(exc)) from None
    finally:
        plugin.close()


@contextmanager
def prepared_state(options: RunOptions, always: bool = False) -> Iterator[RunOptions]:
    """OpenClaw's state made ready outside the run, when the run cannot or must not install the plugin itself.

    --isolate: the namespace has no registry. --sms-plugin-from: a local build replaces the
    published plugin's files in a private install (OpenClaw refuses a plugin loaded from a path).
    `always`: a version matrix installs ahead, so a pair that cannot be installed says so in one line.
    """
    wanted = always or options.isolate or options.sms_plugin_from
    if options.gateway != "openclaw" or options.openclaw_state or not wanted:
        yield options
        return
    names = tuple(f"gw{i}" for i in range(options.workers)) if options.workers else ("main",)
    with private_plugin(options, names) as plugin:
        yield replace(options, openclaw_state=str(plugin.root))
