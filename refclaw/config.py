"""`channels.sms` config: JSON5 file + environment + SecretRef -> resolved accounts.

Resolution follows the guide: config keys win, the environment fills in the
default account only (`TWILIO_SMS_FROM` is an alias of `TWILIO_PHONE_NUMBER`),
`authToken` may be a SecretRef resolved from the runtime environment, and
`fromNumber` beats `messagingServiceSid` when both resolve. Every problem is
one `ConfigError` line that names the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5

from refclaw import callback, js, numbers

DEFAULT_WEBHOOK_PATH = "/webhooks/sms"
DEFAULT_CHUNK_LIMIT = 1500
POLICIES = ("pairing", "allowlist", "open", "disabled")
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
    "mediaMaxMb",
    "configWrites",
}
CHANNEL_KEYS = ACCOUNT_KEYS | {"accounts", "defaultAccount"}


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
    def route(self) -> str:
        """The HTTP path served: webhookPath with a leading "/" added if it lacks one."""
        return self.webhook_path if self.webhook_path.startswith("/") else f"/{self.webhook_path}"

    def comparable(self) -> dict[str, Any]:
        """The account as the plugin resolves it (token shown only as set or not), for side-by-side checks."""
        return {
            "accountId": self.id,
            "enabled": self.enabled,
            "accountSid": self.account_sid or "",
            "authToken": "<set>" if self.auth_token else "",
            "fromNumber": self.from_number or "",
            "messagingServiceSid": self.messaging_service_sid or "",
            "defaultTo": self.default_to or "",
            "webhookPath": self.webhook_path,
            "publicWebhookUrl": self.public_webhook_url or "",
            "dangerouslyDisableSignatureValidation": self.disable_signature_validation,
            "dmPolicy": self.dm_policy,
            "allowFrom": self.allow_from,
            "textChunkLimit": self.text_chunk_limit,
        }

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
    all: list[Account] = field(default_factory=list)  # every account the config names, in id order

    @property
    def known(self) -> list[Account]:
        return self.accounts + self.blocked


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
    """Turn the whole config plus environment into accounts, warnings and per-account errors.

    As the plugin: the accounts are the named ones plus an implicit "default" whenever a base
    key or a TWILIO_* variable is set, in id order; a named account inherits every top-level
    key it does not set; the environment fills in the default account only.
    """
    sms = channel_section(config)
    validate(sms, CHANNEL_KEYS, "channels.sms")
    named = sms.get("accounts", {})
    if not isinstance(named, dict):
        raise ConfigError("channels.sms.accounts: must be an object of account ids")
    for account_id, raw in named.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"channels.sms.accounts.{account_id}: must be an object")
        validate(raw, ACCOUNT_KEYS, f"channels.sms.accounts.{account_id}")
    base = {k: v for k, v in sms.items() if k not in ("accounts", "defaultAccount")}
    ids = sorted({*named, *(["default"] if has_base_account(base, env) else [])})
    accounts = []
    for account_id in ids:
        where = "channels.sms" if account_id == "default" else f"channels.sms.accounts.{account_id}"
        own = named.get(account_id, {})
        account = build_account(account_id, {**base, **own}, env if account_id == "default" else {}, where)
        account.enabled = sms.get("enabled") is not False and own.get("enabled") is not False
        accounts.append(account)
    warnings: list[str] = []
    errors: list[str] = []
    started: list[Account] = []
    blocked: list[Account] = []
    paths: dict[str, str] = {}
    written = {"default": -1, **{name: i for i, name in enumerate(named)}}
    for account in sorted(accounts, key=lambda a: written[a.id]):  # the second one written loses a shared path
        if not account.enabled:
            continue
        if account.route in paths:
            errors.append(
                f"sms account '{account.id}' not started: webhookPath {account.route} is already "
                f"used by account '{paths[account.route]}'; give each account a distinct webhookPath"
            )
            continue
        paths[account.route] = account.id
        warnings += account_warnings(account)
        blocker = start_blocker(account)
        if blocker:
            errors.append(f"sms account '{account.id}' not started: {blocker}")
            blocked.append(account)
            continue
        started.append(account)
    by_id = sorted(started, key=lambda a: a.id), sorted(blocked, key=lambda a: a.id)  # started in id order
    return Resolved(by_id[0], warnings, errors, by_id[1], accounts)


def default_id(ids: list[str]) -> str:
    """The account used when none is named: "default" if there is one, else the first in id order."""
    return "default" if "default" in ids or not ids else ids[0]


def has_base_account(base: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    """An implicit default account: a base sender or credential key, or any TWILIO_* variable, is set."""
    keys = ("accountSid", "fromNumber", "messagingServiceSid")
    names = (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_PHONE_NUMBER",
        "TWILIO_SMS_FROM",
        "TWILIO_MESSAGING_SERVICE_SID",
    )
    token = base.get("authToken")
    return (
        any(isinstance(base.get(k), str) and base[k].strip() for k in keys)
        or any(env_value(env, n) for n in names)
        or (isinstance(token, str) and bool(token.strip()))
        or isinstance(token, dict)
    )


def env_value(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


STRING_KEYS = (
    "accountSid",
    "fromNumber",
    "messagingServiceSid",
    "publicWebhookUrl",
    "webhookPath",
    "defaultTo",
    "name",
)
FLAG_KEYS = ("enabled", "dangerouslyDisableSignatureValidation", "configWrites")


def validate(section: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """The channel schema: known keys only, each of its type (open without "*" is only warned about)."""
    for key in section:
        if key not in allowed:
            raise ConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in STRING_KEYS:
        if key in section and not isinstance(section[key], str):
            raise ConfigError(f"{where}.{key}: must be a string")
    for key in FLAG_KEYS:
        if key in section and not isinstance(section[key], bool):
            raise ConfigError(f"{where}.{key}: must be true or false")
    if "dmPolicy" in section and section["dmPolicy"] not in POLICIES:
        raise ConfigError(f"{where}.dmPolicy: must be one of {', '.join(POLICIES)}")
    allow = section.get("allowFrom")
    if allow is not None and (
        not isinstance(allow, list) or not all(isinstance(v, str | int | float) and v is not True for v in allow)
    ):
        raise ConfigError(f'{where}.allowFrom: must be a list of phone numbers (or "*")')
    token = section.get("authToken")
    if isinstance(token, dict) and not all(isinstance(token.get(k), str) for k in ("source", "provider", "id")):
        raise ConfigError(f"{where}.authToken must include string fields: source, provider, id.")
    limit = section.get("textChunkLimit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"{where}.textChunkLimit: must be a positive whole number")
    size = section.get("mediaMaxMb")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int | float) or size <= 0):
        raise ConfigError(f"{where}.mediaMaxMb: must be a positive number")


def env_first(env: Mapping[str, str], names: tuple[str, ...]) -> str:
    """The first of these variables that is not blank (TWILIO_PHONE_NUMBER, then its alias TWILIO_SMS_FROM)."""
    return next((env[name] for name in names if js.trim(env.get(name, ""))), "")


def build_account(account_id: str, raw: Mapping[str, Any], env: Mapping[str, str], where: str) -> Account:
    """One account from its merged keys; `env` is non-empty only for the default account."""

    def text(key: str, *env_names: str) -> str:
        """The key's value, else the first of its variables that is not blank; trimmed."""
        value = raw.get(key)
        if value is None:
            value = env_first(env, env_names)
        return js.trim(value if isinstance(value, str) else "")

    account = Account(account_id)
    account.account_sid = text("accountSid", "TWILIO_ACCOUNT_SID") or None
    account.auth_token = secret(raw.get("authToken"), env, f"{where}.authToken")
    if isinstance(raw.get("authToken"), dict) and account.auth_token is None:
        ref = raw["authToken"]
        account.unresolved_secret = (
            f'{where}.authToken: secret reference "{ref.get("source")}:{ref.get("provider")}:{ref.get("id")}" '
            "was not found"
        )
    account.from_number = numbers.normalize(text("fromNumber", "TWILIO_PHONE_NUMBER", "TWILIO_SMS_FROM")) or None
    account.messaging_service_sid = text("messagingServiceSid", "TWILIO_MESSAGING_SERVICE_SID") or None
    account.public_webhook_url = text("publicWebhookUrl", "SMS_PUBLIC_WEBHOOK_URL") or None
    path = text("webhookPath", "SMS_WEBHOOK_PATH") or DEFAULT_WEBHOOK_PATH
    account.webhook_path = path
    account.dm_policy = raw.get("dmPolicy", "pairing")
    account.allow_from = allow_list(raw.get("allowFrom"), env)
    account.default_to = numbers.normalize(text("defaultTo")) or None
    disable = raw.get("dangerouslyDisableSignatureValidation")
    env_disable = env.get("SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION")
    account.disable_signature_validation = disable is True or env_disable == "true"
    account.text_chunk_limit = chunk_limit(raw.get("textChunkLimit"), env)
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


def allow_list(value: Any, env: Mapping[str, str]) -> list[str]:
    """allowFrom (else SMS_ALLOWED_USERS, a comma list), each entry normalised; empty ones dropped."""
    if value is None:
        value = [v for v in (js.trim(part) for part in env.get("SMS_ALLOWED_USERS", "").split(",")) if v]
    return [entry for entry in (numbers.allow_entry(str(v)) for v in value) if entry]


def chunk_limit(value: Any, env: Mapping[str, str]) -> int:
    """textChunkLimit, else SMS_TEXT_CHUNK_LIMIT (a positive whole number, else 1500); capped only when chunking."""
    if value is None:
        raw = js.trim(env.get("SMS_TEXT_CHUNK_LIMIT", ""))
        return int(raw) if raw.isascii() and raw.isdigit() and int(raw) > 0 else DEFAULT_CHUNK_LIMIT
    return int(value)


def start_blocker(account: Account) -> str | None:
    """Why the account cannot serve at all; OpenClaw then registers no webhook route (404).

    The guide only calls these warnings; the plugin does not start such an account.
    """
    if account.unresolved_secret:
        return account.unresolved_secret
    if not (account.account_sid and account.auth_token and account.sender):
        return "- SMS: accountSid, authToken, and fromNumber or messagingServiceSid are required."
    if not account.public_webhook_url and not account.disable_signature_validation:
        return (
            "- SMS: publicWebhookUrl is required for Twilio signature validation. Set "
            "dangerouslyDisableSignatureValidation=true only for local testing."
        )
    return None


def account_warnings(account: Account) -> list[str]:
    """The start-up warnings the plugin prints, in its words (what stops an account is in start_blocker)."""
    warnings = []
    if account.disable_signature_validation:
        warnings.append("- SMS: Twilio signature validation is disabled. Only use this for local testing.")
    if account.public_webhook_url and not account.status_callback:
        warnings.append(
            "- SMS: publicWebhookUrl must be a properly encoded absolute HTTP(S) URL with a valid hostname, no "
            "embedded credentials, and remain within OpenClaw's 4,000-character callback safety limit; OpenClaw "
            "will omit the per-message delivery callback until fixed."
        )
    if account.dm_policy == "allowlist" and not account.allow_from:
        warnings.append("- SMS: dmPolicy=allowlist with empty allowFrom rejects every sender.")
    if account.dm_policy == "open" and "*" not in account.allow_from:
        warnings.append('- SMS: dmPolicy=open should set allowFrom=["*"] or explicit sender numbers.')
    return warnings


def config_warnings(config: Mapping[str, Any]) -> list[str]:
    """What OpenClaw's `config patch` prints as "Config warnings" for the SMS section."""
    sms = channel_section(config)
    sections = [("channels.sms", sms)] + [
        (f"channels.sms.accounts.{name}", raw) for name, raw in (sms.get("accounts") or {}).items()
    ]
    return [
        f'{where}.allowFrom: {where}.dmPolicy="open" but {where}.allowFrom does not include "*"; all DMs will '
        f'be dropped. Add "*" to {where}.allowFrom or set {where}.dmPolicy to "pairing"/"allowlist".'
        for where, section in sections
        if isinstance(section, dict)
        and section.get("dmPolicy") == "open"
        and "*" not in (section.get("allowFrom") or [])
    ]


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
