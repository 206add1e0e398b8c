"""Reference gateway config resolution: file + env + SecretRef, precedence, warnings, errors."""

from __future__ import annotations

import pytest

from refclaw import config, text
from refclaw.config import ConfigError, resolve

SID = "AC" + "a" * 32
SID2 = "AC" + "b" * 32
MG = "MG" + "c" * 32
URL = "https://gw.example.test/webhooks/sms"


def sms(**keys: object) -> dict:
    return {"channels": {"sms": keys}}


def only(resolved: config.Resolved) -> config.Account:
    """The one account the config resolves to, started or not."""
    assert len(resolved.known) == 1, resolved
    return resolved.known[0]


def test_minimal_config_plus_env_works() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": "tok",
        "TWILIO_PHONE_NUMBER": "+15551234567",
        "SMS_PUBLIC_WEBHOOK_URL": URL,
    }
    account = only(resolve(sms(enabled=True, dmPolicy="pairing"), env))
    assert (account.account_sid, account.auth_token, account.from_number) == (SID, "tok", "+15551234567")
    assert account.public_webhook_url == URL and account.webhook_path == "/webhooks/sms"
    assert account.can_send and account.sender == {"From": "+15551234567"}


def test_twilio_sms_from_is_an_alias_and_config_beats_env() -> None:
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": "tok", "TWILIO_SMS_FROM": "+15550000001"}
    assert only(resolve(sms(), env)).from_number == "+15550000001"
    assert only(resolve(sms(fromNumber="+15550000002"), env)).from_number == "+15550000002"
    both = dict(env, TWILIO_PHONE_NUMBER="+15550000003")
    assert only(resolve(sms(), both)).from_number == "+15550000003"


def test_from_number_beats_messaging_service() -> None:
    account = only(resolve(sms(accountSid=SID, authToken="t", fromNumber="+15551234567", messagingServiceSid=MG), {}))
    assert account.sender == {"From": "+15551234567"}
    service_only = only(resolve(sms(accountSid=SID, authToken="t"), {"TWILIO_MESSAGING_SERVICE_SID": MG}))
    assert service_only.sender == {"MessagingServiceSid": MG}


def test_secret_ref_resolves_from_the_runtime_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TWILIO_TOKEN", "from-runtime")
    ref = {"source": "env", "provider": "default", "id": "MY_TWILIO_TOKEN"}
    assert only(resolve(sms(accountSid=SID, authToken=ref, fromNumber="+15551234567"), {})).auth_token == "from-runtime"
    monkeypatch.delenv("MY_TWILIO_TOKEN")
    assert only(resolve(sms(accountSid=SID, authToken=ref), {})).auth_token is None
    with pytest.raises(ConfigError, match="source 'file' is not supported"):
        resolve(sms(authToken={"source": "file", "provider": "default", "id": "x"}), {})
    for missing in ("source", "provider", "id"):  # OpenClaw refuses the patch, naming the three fields
        partial = {k: v for k, v in ref.items() if k != missing}
        with pytest.raises(ConfigError, match="must include string fields: source, provider, id"):
            resolve(sms(authToken=partial), {})


def test_extra_env_keys_for_the_default_account() -> None:
    env = {
        "SMS_WEBHOOK_PATH": "/hooks/text",
        "SMS_ALLOWED_USERS": "+15550000001, sms:+15550000002",
        "SMS_TEXT_CHUNK_LIMIT": "900",
        "SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION": "true",
    }
    account = only(resolve(sms(accountSid=SID), env))
    assert account.webhook_path == "/hooks/text" and account.text_chunk_limit == 900
    assert account.allow_from == ["+15550000001", "+15550000002"] and account.disable_signature_validation


def test_numbers_are_normalised_not_refused_and_the_chunk_cap_applies_when_chunking() -> None:
    keys = {"allowFrom": ["sms:+15557654321", "15550000000", "(555) 000-0001", "tel:+1555"], "textChunkLimit": 5000}
    account = only(
        resolve(sms(accountSid=SID, fromNumber="1 (555) 123-4567", defaultTo="twilio-sms:15550009999", **keys), {})
    )
    assert account.allow_from == ["+15557654321", "+15550000000", "+5550000001", "++1555"]
    assert (account.from_number, account.default_to) == ("+15551234567", "+15550009999")
    assert account.text_chunk_limit == 5000
    assert [len(c) for c in text.sms_chunks("x " * 1000, account.text_chunk_limit)] == [1600, 399]


def test_multi_account_distinct_paths_and_env_only_for_default() -> None:
    conf = sms(
        accounts={
            "support": {
                "accountSid": SID,
                "authToken": "t1",
                "fromNumber": "+15551110001",
                "webhookPath": "/webhooks/sms/support",
                "publicWebhookUrl": URL + "/support",
            },
            "sales": {
                "accountSid": SID2,
                "authToken": "t2",
                "fromNumber": "+15551110002",
                "webhookPath": "/webhooks/sms/sales",
                "publicWebhookUrl": URL + "/sales",
            },
        }
    )
    resolved = resolve(conf, {"TWILIO_PHONE_NUMBER": "+15559999999"})
    assert [a.id for a in resolved.accounts] == ["sales", "support"]  # id order, as the plugin starts them
    assert [a.from_number for a in resolved.accounts] == ["+15551110002", "+15551110001"]


def test_named_accounts_inherit_every_top_level_key() -> None:
    conf = sms(
        webhookPath="/base",
        publicWebhookUrl=URL,
        dmPolicy="allowlist",
        allowFrom=["+15550000001"],
        accounts={"shop": {"accountSid": SID}},
    )
    [shop] = resolve(conf, {}).all
    assert (shop.id, shop.webhook_path, shop.public_webhook_url, shop.dm_policy, shop.allow_from) == (
        "shop",
        "/base",
        URL,
        "allowlist",
        ["+15550000001"],
    )


def test_env_edge_cases() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "SMS_TEXT_CHUNK_LIMIT": "abc",
        "SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION": "TRUE",
    }
    account = only(resolve(sms(), env))
    assert (account.text_chunk_limit, account.disable_signature_validation) == (1500, False)
    assert only(resolve(sms(), {**env, "SMS_TEXT_CHUNK_LIMIT": " 12 "})).text_chunk_limit == 12
    assert resolve(sms(), {}).all == []  # nothing set: no implicit default account


def test_two_accounts_on_one_path_the_second_fails_clearly() -> None:
    common = {"authToken": "t", "fromNumber": "+15551110001", "publicWebhookUrl": URL}
    conf = sms(accounts={"a": {"accountSid": SID, **common}, "b": {"accountSid": SID2, **common}})
    resolved = resolve(conf, {})
    assert [a.id for a in resolved.accounts] == ["a"]
    assert len(resolved.errors) == 1 and "'b' not started" in resolved.errors[0]
    assert "/webhooks/sms" in resolved.errors[0] and "'a'" in resolved.errors[0]


@pytest.mark.parametrize(
    ("keys", "needle"),
    [
        ({"dmPolicy": "everyone"}, "channels.sms.dmPolicy"),
        ({"accountSid": 5}, "channels.sms.accountSid"),
        ({"allowFrom": "+15551234567"}, "channels.sms.allowFrom"),
        ({"textChunkLimit": 0}, "channels.sms.textChunkLimit"),
        ({"enabled": "yes"}, "channels.sms.enabled"),
        ({"fromNumbr": "+15551234567"}, "channels.sms.fromNumbr: unknown key"),
        ({"accounts": {"x": {"dmPolicy": "nope"}}}, "channels.sms.accounts.x.dmPolicy"),
    ],
)
def test_invalid_config_names_the_key(keys: dict, needle: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(sms(**keys), {})
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_open_without_star_is_accepted_with_openclaws_config_warning() -> None:
    conf = sms(accountSid=SID, dmPolicy="open", allowFrom=["+15551234567"], accounts={"b": {"dmPolicy": "open"}})
    warnings = config.config_warnings(conf)
    assert (
        len(warnings) == 2
        and 'channels.sms.dmPolicy="open" but channels.sms.allowFrom does not include "*"' in warnings[0]
    )
    assert "channels.sms.accounts.b.allowFrom" in warnings[1]
    assert config.config_warnings(sms(dmPolicy="open", allowFrom=["*"])) == []


def test_startup_warnings() -> None:
    def warnings(**keys: object) -> str:
        return " | ".join(resolve(sms(accountSid=SID, **keys), {}).warnings)

    assert "signature validation is disabled" in warnings(dangerouslyDisableSignatureValidation=True)
    assert "empty allowFrom rejects every sender" in warnings(dmPolicy="allowlist")
    for url in ("http://127.0.0.1:8080/webhooks/sms", "https://gw/sms", "https://u:p@gw.example.test/sms"):
        assert "omit the per-message delivery callback" in warnings(publicWebhookUrl=url)
    assert warnings(publicWebhookUrl=URL) == ""


COMPLETE = {"accountSid": SID, "authToken": "t", "fromNumber": "+15551234567", "publicWebhookUrl": URL}


@pytest.mark.parametrize(
    ("drop", "needle"),
    [
        ("authToken", "accountSid, authToken, and fromNumber or messagingServiceSid are required"),
        ("accountSid", "are required"),
        ("fromNumber", "fromNumber or messagingServiceSid are required"),
        ("publicWebhookUrl", "publicWebhookUrl is required for Twilio signature validation"),
    ],
)
def test_an_account_that_cannot_serve_is_not_started(drop: str, needle: str) -> None:
    resolved = resolve(sms(**{k: v for k, v in COMPLETE.items() if k != drop}), {})
    assert resolved.accounts == [] and [a.id for a in resolved.blocked] == ["default"]
    assert len(resolved.errors) == 1 and needle in resolved.errors[0]
    assert only(resolve(sms(**COMPLETE), {})) in resolve(sms(**COMPLETE), {}).accounts


def test_without_public_url_an_account_starts_only_with_validation_off() -> None:
    keys = {k: v for k, v in COMPLETE.items() if k != "publicWebhookUrl"}
    assert resolve(sms(**keys, dangerouslyDisableSignatureValidation=True), {}).accounts


def test_an_unresolved_secret_ref_names_the_path_and_blocks_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMS_NOT_SET", raising=False)
    ref = {"source": "env", "provider": "default", "id": "SMS_NOT_SET"}
    resolved = resolve(sms(**{**COMPLETE, "authToken": ref}), {})
    assert resolved.accounts == []
    assert 'channels.sms.authToken: secret reference "env:default:SMS_NOT_SET" was not found' in resolved.errors[0]


def test_status_callback_carries_connection_overrides_unless_loopback() -> None:
    account = only(resolve(sms(accountSid=SID, publicWebhookUrl=URL), {}))
    assert account.status_callback == URL + "#rp=ct,rt,5xx&rt=5000&rc=1"
    local = only(resolve(sms(accountSid=SID, publicWebhookUrl="http://localhost:1/webhooks/sms"), {}))
    assert local.status_callback is None
    merged = only(resolve(sms(accountSid=SID, publicWebhookUrl=URL + "#rt=99&rc=9"), {}))
    assert merged.status_callback == URL + "#rt=5000&rc=1&rp=ct,rt,5xx"


def test_merge_patch() -> None:
    base = {"channels": {"sms": {"enabled": True, "allowFrom": ["+1"], "dmPolicy": "pairing"}}}
    patch = {"channels": {"sms": {"allowFrom": ["+2"], "dmPolicy": None, "fromNumber": "+3"}}}
    assert config.merge_patch(base, patch) == {
        "channels": {"sms": {"enabled": True, "allowFrom": ["+2"], "fromNumber": "+3"}}
    }
