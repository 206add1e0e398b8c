"""`channels.sms` config: JSON5 file + environment + SecretRef -> resolved accounts.

Resolution follows the guide: config keys win, the environment fills in the
default account only (`TWILIO_SMS_FROM` is an alias of `TWILIO_PHONE_NUMBER`),
`authToken` may be a SecretRef resolved from the runtime environment, and
`fromNumber` beats `messagingServiceSid` when both resolve. Every problem is
one `ConfigError` line that names the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import json5

from refclaw import callback, numbers

DEFAULT_WEBHOOK_PATH = "/webhooks/sms"
DEFAULT_CHUNK_LIMIT = 1500
POLICIES = ("pairing", "allowlist", "open", "disabled")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
ACCOUNT_KEYS = {
    "enabled",
    "accountSid",
    "authToken",
    "fromNumber",
    "messagingServiceSid",
    "publicWebhookUrl",
    "webhookPath",
    "dmPolicy",
    "allowFrom",
    "defaultTo",
    "dangerouslyDisableSignatureValidation",
    "textChunkLimit",
    "name",
}
CHANNEL_KEYS = ACCOUNT_KEYS | {"accounts"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}


class ConfigError(Exception):
    """Invalid configuration: one line naming the key."""


@dataclass
class Account:
    """One resolved SMS account, ready to serve."""

    id: str
    enabled: bool = True
    account_sid: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    unresolved_secret: str | None = None  # a SecretRef whose variable is missing, named
    from_number: str | None = None
    messaging_service_sid: str | None = None
    public_webhook_url: str | None = None
    webhook_path: str = DEFAULT_WEBHOOK_PATH
    dm_policy: str = "pairing"
    allow_from: list[str] = field(default_factory=list)
    default_to: str | None = None
    disable_signature_validation: bool = False
    text_chunk_limit: int = DEFAULT_CHUNK_LIMIT

    @property
    def sender(self) -> dict[str, str] | None:
        """Twilio sender params: From when a number resolves, else MessagingServiceSid."""
        return sender_params(self)

    @property
    def can_send(self) -> bool:
        return bool(self.account_sid and self.auth_token and self.sender)

    @property
    def status_callback(self) -> str | None:
        """publicWebhookUrl with its `#` overrides merged; none for a URL Twilio must not call back."""
        return callback.status_callback_url(self.public_webhook_url or "") or None


def sender_params(account: Account) -> dict[str, str] | None:
    if account.from_number:
        return {"From": account.from_number}
    if account.messaging_service_sid:
        return {"MessagingServiceSid": account.messaging_service_sid}
    return None


@dataclass
class Resolved:
    accounts: list[Account]
    warnings: list[str]
    errors: list[str]  # accounts that could not start (e.g. a webhookPath already taken)
    blocked: list[Account] = field(default_factory=list)  # not serving, but the CLI can still send with them

    @property
    def known(self) -> list[Account]:
        return self.accounts + self.blocked


def is_loopback_url(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def load_file(path: Path) -> dict[str, Any]:
    """Parse a JSON5 config file; a missing file is an empty config."""
    if not path.exists():
        return {}
    try:
        data = json5.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON5: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be an object")
    return data


def channel_section(config: Mapping[str, Any]) -> dict[str, Any]:
    channels = config.get("channels", {})
    if not isinstance(channels, dict):
        raise ConfigError("channels: must be an object")
    sms = channels.get("sms", {})
    if not isinstance(sms, dict):
        raise ConfigError("channels.sms: must be an object")
    return sms


def resolve(config: Mapping[str, Any], env: Mapping[str, str]) -> Resolved:
    """Turn the whole config plus environment into accounts, warnings and per-account errors."""
    sms = channel_section(config)
    check_keys(sms, CHANNEL_KEYS, "channels.sms")
    named = sms.get("accounts", {})
    if not isinstance(named, dict):
        raise ConfigError("channels.sms.accounts: must be an object of account ids")
    base = {k: v for k, v in sms.items() if k != "accounts"}
    accounts: list[Account] = []
    if not named or base.get("accountSid") or env_value(env, "TWILIO_ACCOUNT_SID"):
        accounts.append(build_account("default", base, env, "channels.sms"))
    for account_id, raw in named.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"channels.sms.accounts.{account_id}: must be an object")
        check_keys(raw, ACCOUNT_KEYS, f"channels.sms.accounts.{account_id}")
        inherited = {k: v for k, v in base.items() if k not in ("webhookPath", "publicWebhookUrl")}
        accounts.append(build_account(account_id, {**inherited, **raw}, {}, f"channels.sms.accounts.{account_id}"))
    if sms.get("enabled") is False:
        for account in accounts:
            account.enabled = False
    warnings: list[str] = []
    errors: list[str] = []
    started: list[Account] = []
    blocked: list[Account] = []
    paths: dict[str, str] = {}
    for account in accounts:
        if not account.enabled:
            continue
        if account.webhook_path in paths:
            errors.append(
                f"sms account '{account.id}' not started: webhookPath {account.webhook_path} is already "
                f"used by account '{paths[account.webhook_path]}'; give each account a distinct webhookPath"
            )
            continue
        paths[account.webhook_path] = account.id
        warnings += account_warnings(account)
        blocker = start_blocker(account)
        if blocker:
            errors.append(f"sms account '{account.id}' not started: {blocker}")
            blocked.append(account)
            continue
        started.append(account)
    return Resolved(started, warnings, errors, blocked)


def env_value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def check_keys(section: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in section:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")


def build_account(account_id: str, raw: Mapping[str, Any], env: Mapping[str, str], where: str) -> Account:
    """Validate one account's keys; `env` is non-empty only for the default account."""

    def text(key: str, env_names: tuple[str, ...] = ()) -> str | None:
        value = raw.get(key)
        if value is None:
            for name in env_names:
                if env_value(env, name):
                    return env_value(env, name)
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: must be a string")
        return value.strip() or None

    def flag(key: str, env_name: str | None = None) -> bool | None:
        value = raw.get(key)
        if value is None and env_name and env_value(env, env_name) is not None:
            return env_value(env, env_name) == "true"
        if value is not None and not isinstance(value, bool):
            raise ConfigError(f"{where}.{key}: must be true or false")
        return value

    account = Account(account_id)
    enabled = flag("enabled")
    account.enabled = True if enabled is None else enabled
    account.account_sid = text("accountSid", ("TWILIO_ACCOUNT_SID",))
    if account.account_sid and not ACCOUNT_SID.match(account.account_sid):
        raise ConfigError(f"{where}.accountSid: must be AC followed by 32 hex digits")
    account.auth_token = secret(raw.get("authToken"), env, f"{where}.authToken")
    if isinstance(raw.get("authToken"), dict) and account.auth_token is None:
        ref = raw["authToken"]
        account.unresolved_secret = (
            f'{where}.authToken: secret reference "{ref.get("source")}:{ref.get("provider")}:{ref.get("id")}" '
            "was not found"
        )
    account.from_number = text("fromNumber", ("TWILIO_PHONE_NUMBER", "TWILIO_SMS_FROM"))
    account.from_number = numbers.normalize(account.from_number or "") or None
    account.messaging_service_sid = text("messagingServiceSid", ("TWILIO_MESSAGING_SERVICE_SID",))
    if account.messaging_service_sid and not SERVICE_SID.match(account.messaging_service_sid):
        raise ConfigError(f"{where}.messagingServiceSid: must be MG followed by 32 hex digits")
    account.public_webhook_url = text("publicWebhookUrl", ("SMS_PUBLIC_WEBHOOK_URL",))
    if account.public_webhook_url:
        parts = urlsplit(account.public_webhook_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{where}.publicWebhookUrl: must be an absolute http(s) URL")
    path = text("webhookPath", ("SMS_WEBHOOK_PATH",)) or DEFAULT_WEBHOOK_PATH
    if not path.startswith("/"):
        raise ConfigError(f"{where}.webhookPath: must start with /")
    account.webhook_path = path
    policy = text("dmPolicy") or "pairing"
    if policy not in POLICIES:
        raise ConfigError(f"{where}.dmPolicy: must be one of {', '.join(POLICIES)}")
    account.dm_policy = policy
    account.allow_from = allow_list(raw.get("allowFrom"), env, where)
    account.default_to = numbers.normalize(text("defaultTo") or "") or None
    disable = flag("dangerouslyDisableSignatureValidation", "SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION")
    account.disable_signature_validation = bool(disable)
    account.text_chunk_limit = chunk_limit(raw.get("textChunkLimit"), env, where)
    return account


def secret(value: Any, env: Mapping[str, str], where: str) -> str | None:
    """A plain token, a SecretRef {source: "env", provider, id}, or (default account) TWILIO_AUTH_TOKEN."""
    if value is None:
        return env_value(env, "TWILIO_AUTH_TOKEN")
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        unknown = set(value) - {"source", "provider", "id"}
        if unknown:
            raise ConfigError(f"{where}: unknown SecretRef key(s) {', '.join(sorted(unknown))}")
        if value.get("source") != "env":
            raise ConfigError(f'{where}: SecretRef source {value.get("source")!r} is not supported (use "env")')
        name = value.get("id")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: SecretRef needs an id (the environment variable's name)")
        return runtime_env(name)
    raise ConfigError(f"{where}: must be a string or a SecretRef object")


def runtime_env(name: str) -> str | None:
    """SecretRefs resolve against the gateway runtime's environment, not the config's."""
    return env_value(os.environ, name)


def allow_list(value: Any, env: Mapping[str, str], where: str) -> list[str]:
    if value is None:
        raw = env_value(env, "SMS_ALLOWED_USERS")
        value = [v for v in raw.split(",") if v.strip()] if raw else []
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ConfigError(f'{where}.allowFrom: must be a list of phone numbers (or "*")')
    return [entry for entry in (numbers.allow_entry(str(v)) for v in value) if entry]


def chunk_limit(value: Any, env: Mapping[str, str], where: str) -> int:
    if value is None:
        raw = env_value(env, "SMS_TEXT_CHUNK_LIMIT")
        if raw is None:
            return DEFAULT_CHUNK_LIMIT
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError("SMS_TEXT_CHUNK_LIMIT: must be a whole number") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}.textChunkLimit: must be a positive whole number")
    return value


def start_blocker(account: Account) -> str | None:
    """Why the account cannot serve at all; OpenClaw then registers no webhook route (404).

    The guide only calls these warnings; OpenClaw does not start such an account.
    """
    if account.unresolved_secret:
        return account.unresolved_secret
    if not (account.account_sid and account.auth_token and account.sender):
        return "accountSid, authToken (Twilio credentials), and fromNumber or messagingServiceSid are required"
    if not account.public_webhook_url and not account.disable_signature_validation:
        return (
            "publicWebhookUrl is required for Twilio signature validation; set "
            "dangerouslyDisableSignatureValidation=true only for local testing"
        )
    return None


def account_warnings(account: Account) -> list[str]:
    """The start-up warnings the plugin prints (what stops an account is in start_blocker)."""
    name = f"sms account '{account.id}'"
    warnings = []
    if account.disable_signature_validation:
        warnings.append(
            f"{name}: dangerouslyDisableSignatureValidation is on: any request is accepted (use only for local tunnels)"
        )
    if account.public_webhook_url and is_loopback_url(account.public_webhook_url):
        # OpenClaw's wording (the guide only says it warns): no "loopback" in it
        warnings.append(
            f"{name}: publicWebhookUrl must be a public absolute HTTP(S) URL (this one is loopback); "
            "the per-message delivery callback is omitted until fixed"
        )
    if account.dm_policy == "allowlist" and not account.allow_from:
        warnings.append(f"{name}: dmPolicy allowlist with an empty allowFrom rejects everyone")
    if account.dm_policy == "open" and "*" not in account.allow_from:
        warnings.append(f'{name}: dmPolicy open needs "*" in allowFrom; only listed numbers get through')
    return warnings


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: objects merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
