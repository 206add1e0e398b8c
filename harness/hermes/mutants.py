"""Deliberate defects in a copy of Hermes Agent's SMS code (`sms-harness selfcheck --gateway hermes`).

Each is one textual change to hermes-agent 0.19.0's Python: the SMS adapter
(plugins/platforms/sms/adapter.py), its pairing store (gateway/pairing.py) or its allowlist check
(gateway/authz_mixin.py). The cached install is never touched: the selfcheck runs a private copy
of Hermes's venv made of hard links (`private_copy`, seconds and no space), and a mutant replaces
its one file there by a new file, never writing through a link. A PYTHONPATH overlay would not do:
`hermes_cli.main` puts its own install first on sys.path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from harness.defects import MutationError, PluginMutant, write_once

__all__ = ["MUTANTS", "MutationError", "apply", "private_copy", "restore"]

ADAPTER = "plugins/platforms/sms/adapter.py"
PAIRING = "gateway/pairing.py"
AUTHZ = "gateway/authz_mixin.py"

# (the file it is written into, the defect)
MUTANTS: dict[str, tuple[str, PluginMutant]] = {
    "signature_never_checked": (
        ADAPTER,
        PluginMutant(
            "every X-Twilio-Signature is accepted",
            "        if self._check_signature(url, post_params, signature):\n            return True",
            "        if True:\n            return True",
            ("signatures",),
        ),
    ),
    "signature_keys_unsorted": (
        ADAPTER,
        PluginMutant(
            "the form's keys are signed in the order they came, not sorted",
            "for key in sorted(post_params.keys()):",
            "for key in post_params.keys():",
            ("signatures",),
        ),
    ),
    "signature_over_request_url": (
        ADAPTER,
        PluginMutant(
            "the signature is checked over the URL the request hit, not SMS_WEBHOOK_URL",
            "self._webhook_url, flat_params, twilio_sig",
            "str(request.url), flat_params, twilio_sig",
            ("signatures",),
        ),
    ),
    "signature_wrong_token": (
        ADAPTER,
        PluginMutant(
            "the HMAC is keyed with the Account SID instead of the auth token",
            'self._auth_token.encode("utf-8"),\n            data_to_sign',
            'self._account_sid.encode("utf-8"),\n            data_to_sign',
            ("signatures",),
        ),
    ),
    "empty_body_dispatched": (
        ADAPTER,
        PluginMutant(
            "a form with an empty Body reaches the agent",
            "if not from_number or not text:",
            "if not from_number:",
            ("inbound_forms",),
        ),
    ),
    "body_limit_raised": (
        ADAPTER,
        PluginMutant(
            "webhook bodies up to 1 MiB instead of 64 KiB",
            "_TWILIO_WEBHOOK_MAX_BODY_BYTES = 65_536",
            "_TWILIO_WEBHOOK_MAX_BODY_BYTES = 1_048_576",
            ("webhook",),
        ),
    ),
    "reply_to_own_number": (
        ADAPTER,
        PluginMutant(
            "replies are addressed to the gateway's own number",
            'form_data.add_field("From", self._from_number)\n                form_data.add_field("To", chat_id)',
            'form_data.add_field("From", self._from_number)\n                form_data.add_field("To", self._from_number)',
            ("replies",),
        ),
    ),
    "markdown_kept": (
        ADAPTER,
        PluginMutant(
            "replies keep their markdown",
            "        return strip_markdown(content)",
            "        return content",
            ("plain_text",),
        ),
    ),
    "pending_cap_raised": (
        PAIRING,
        PluginMutant(
            "four pairing requests may wait at once, not three",
            "MAX_PENDING_PER_PLATFORM = 3",
            "MAX_PENDING_PER_PLATFORM = 4",
            ("pairing",),
        ),
    ),
    "pairing_code_short": (
        PAIRING,
        PluginMutant("pairing codes of 6 characters, not 8", "CODE_LENGTH = 8", "CODE_LENGTH = 6", ("pairing",)),
    ),
    "everyone_approved": (
        PAIRING,
        PluginMutant(
            "every sender counts as approved",
            '        """Check if a user is approved (paired) on a platform."""\n',
            '        """Check if a user is approved (paired) on a platform."""\n        return True\n',
            ("pairing",),
        ),
    ),
    "allowlist_ignored": (
        AUTHZ,
        PluginMutant(
            "a set allowlist lets everyone in",
            'if "*" in allowed_ids:',
            "if allowed_ids:",
            ("allowlist",),
        ),
    ),
}


def private_copy(venv: Path, folder: Path) -> Path:
    """A copy of Hermes's venv whose files are hard links to the cached ones (a fresh one each time);
    the copies of selfchecks that were killed before they could remove theirs go first."""
    for stale in folder.parent.glob(".selfcheck-*"):
        pid = stale.name.removeprefix(".selfcheck-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(venv, folder, symlinks=True, copy_function=os.link)
    return folder


def apply(name: str, site_packages: Path) -> Path:
    """Write mutant `name` into a private copy's site-packages as a new file (never through the
    link to the cache), and return that file."""
    relative, mutant = MUTANTS[name]
    return write_once(name, mutant, [site_packages / relative], Path(relative), new_file=True)


def restore(name: str, site_packages: Path, cached: Path) -> None:
    """Put the cached file back in the private copy (as a link again)."""
    relative = MUTANTS[name][0]
    (site_packages / relative).unlink()
    os.link(cached / relative, site_packages / relative)
