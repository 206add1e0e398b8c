"""The Hermes driver's translation of a scenario's channel, its profile, and "not applicable".

The translation is checked on a real driver object over a real emulator (with its CONNECT proxy);
the whole-run checks need Hermes provisioned (`sms-harness run --gateway hermes` does that) and
skip otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.client import EmulatorClient
from emulator.models import Backend
from emulator.server import EmulatorServer
from harness.cache import cache_home
from harness.drivers.base import NotApplicable, Profile, Setup
from harness.hermes import install
from harness.hermes.driver import EMPTY_TWIML, HermesDriver
from tests.processes import sms_harness

CHANNEL = {
    "accountSid": "AC" + "1" * 32,
    "authToken": "t" * 32,
    "fromNumber": "+15551230000",
    "publicWebhookUrl": "https://gateway.example.test/webhooks/twilio",
    "dmPolicy": "pairing",
}


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HermesDriver]:
    with EmulatorServer(Backend(seed=5), proxy=True) as server, EmulatorClient(server.url) as emu:
        hermes = install.Hermes(tmp_path_factory.mktemp("venv"), install.DEFAULT_HERMES)  # never run here
        yield HermesDriver(tmp_path_factory.mktemp("hermes"), emu, hermes)


def env(driver: HermesDriver, **channel: object) -> dict[str, str]:
    return driver.environment(Setup({**CHANNEL, **channel}))


def test_the_channel_becomes_hermes_variables(driver: HermesDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GATEWAY_ALLOW_ALL_USERS", "OPENROUTER_API_KEY", "https_proxy", "HERMES_HOME"):
        monkeypatch.setenv(name, "from the user's shell")
    seen = env(driver)
    assert "GATEWAY_ALLOW_ALL_USERS" not in seen and "OPENROUTER_API_KEY" not in seen and "https_proxy" not in seen
    assert seen["HERMES_HOME"] == str(driver.home)
    assert (seen["TWILIO_ACCOUNT_SID"], seen["TWILIO_PHONE_NUMBER"]) == (CHANNEL["accountSid"], "+15551230000")
    assert seen["SMS_WEBHOOK_URL"] == CHANNEL["publicWebhookUrl"]
    assert (seen["SMS_WEBHOOK_HOST"], seen["SMS_WEBHOOK_PORT"]) == ("127.0.0.1", str(driver.port))
    assert seen["HTTPS_PROXY"] == driver.proxy_url and seen["NO_PROXY"] == "127.0.0.1,localhost"
    assert Path(seen["SSL_CERT_FILE"]).read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert "SMS_ALLOWED_USERS" not in seen and "SMS_ALLOW_ALL_USERS" not in seen  # pairing: Hermes's default
    assert (
        env(driver, dmPolicy="allowlist", allowFrom=["sms:+15550001111", "+15550002222"])["SMS_ALLOWED_USERS"]
        == "+15550001111,+15550002222"
    )
    assert env(driver, dmPolicy="open", allowFrom=["*"])["SMS_ALLOW_ALL_USERS"] == "true"
    unsigned = env(driver, dangerouslyDisableSignatureValidation=True)
    assert unsigned["SMS_INSECURE_NO_SIGNATURE"] == "true" and "SMS_WEBHOOK_URL" not in unsigned
    monkeypatch.setenv("PYTHONPATH", "/somewhere/of/ours")
    assert "PYTHONPATH" not in env(driver)  # the harness's own import path is not Hermes's


@pytest.mark.parametrize(
    ("channel", "allowed", "ignored"),
    [
        ({"dmPolicy": "pairing"}, {}, False),  # strangers get a pairing code: Hermes's default
        ({"dmPolicy": "allowlist", "allowFrom": []}, {}, True),  # nobody listed, and no pairing codes either
        ({"dmPolicy": "allowlist", "allowFrom": ["+15550001111"]}, {"SMS_ALLOWED_USERS": "+15550001111"}, True),
        ({"dmPolicy": "disabled", "allowFrom": ["*", "+15550001111"]}, {}, True),  # nobody, even listed
        ({"dmPolicy": "open", "allowFrom": ["*"]}, {"SMS_ALLOW_ALL_USERS": "true"}, True),
        ({"dmPolicy": "open", "allowFrom": ["+15550001111"]}, {"SMS_ALLOWED_USERS": "+15550001111"}, True),
    ],
)
def test_dm_policies_become_an_allowlist_and_hermess_unauthorized_dm_behaviour(
    channel: dict[str, object], allowed: dict[str, str], ignored: bool
) -> None:
    assert HermesDriver.access(channel) == allowed
    block = HermesDriver.platform_config(channel)
    assert block == ({"sms": {"unauthorized_dm_behavior": "ignore"}} if ignored else {})


@pytest.mark.parametrize(
    ("channel", "capability"),
    [
        ({"accounts": {"sales": {}}}, "accounts"),
        ({"webhookPath": "/webhooks/sms-x"}, "webhook_path"),
        ({"textChunkLimit": 10}, "chunk_limit"),
        ({"messagingServiceSid": "MG" + "0" * 32}, "messaging_service"),
        ({"enabled": False}, "disabled_channel"),
    ],
)
def test_what_hermes_cannot_express_is_not_applicable(
    driver: HermesDriver, channel: dict[str, object], capability: str
) -> None:
    with pytest.raises(NotApplicable) as caught:
        env(driver, **channel)
    assert caught.value.capability == capability
    assert str(caught.value).startswith(f"not applicable to hermes: needs {capability} (")


def test_a_profile_spells_the_specifications_answers_its_own_way(driver: HermesDriver) -> None:
    profile = driver.profile
    assert profile.answer("Invalid signature") == EMPTY_TWIML
    assert profile.answer("text/xml") == "application/xml"
    assert profile.answer("text/xml; charset=utf-8", 405) == "text/plain; charset=utf-8"  # aiohttp's own 405
    assert profile.answer("Forbidden") == "Forbidden" and profile.answer(None) is None
    assert Profile().answer("Invalid signature") == "Invalid signature"  # OpenClaw's own words
    assert profile.phrase("Approved sms sender +15550001111") == "Approved! User +15550001111"
    assert profile.phrase("Approved someone else") == "Approved someone else"
    assert profile.rendering("- milk", ["• milk"]) == ["• milk"]  # not in its list: the specification's
    assert profile.rendering("> quoted line\n> second line\n\nafter the quote", []) == [
        "> quoted line\n> second line\n\nafter the quote"
    ]
    assert profile.header("x-openclaw-delivery-accepted", "durable") is None
    assert profile.body_limit[0] == 65536 and Profile().body_limit[0] == 32768
    sources = [a[-1] for a in profile.answers] + [p[-1] for p in profile.phrases] + [r[-1] for r in profile.renders]
    assert all(source.startswith(("hermes-agent 0.19.0 ", "aiohttp")) for source in sources)


def test_each_hermes_mutant_changes_one_place_in_a_private_copy(tmp_path: Path) -> None:
    """Over a stand-in of Hermes's venv holding each mutant's text once: the hard-linked copy gets the
    mutated file as a new file, the cached one is never written; restore links it back; a text that
    is not there is refused in one line."""
    from harness.hermes import mutants

    cached = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for relative, mutant in mutants.MUTANTS.values():
        path = cached / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((path.read_text() if path.exists() else "") + mutant.old + "\n# end\n")
    assert len(mutants.MUTANTS) >= 10
    private = install.Hermes(mutants.private_copy(tmp_path / "venv", tmp_path / "private"), "0.19.0")
    for name, (relative, mutant) in mutants.MUTANTS.items():
        original = (cached / relative).read_text()
        changed = mutants.apply(name, private.site_packages)
        assert changed == private.site_packages / relative
        assert changed.read_text() == original.replace(mutant.old, mutant.new) != original
        assert (cached / relative).read_text() == original  # the cache is never written through the link
        mutants.restore(name, private.site_packages, cached)
        assert changed.samefile(cached / relative)
    (private.site_packages / mutants.ADAPTER).unlink()
    (private.site_packages / mutants.ADAPTER).write_text("nothing of the kind\n")
    with pytest.raises(mutants.MutationError, match="occurs 0 times"):
        mutants.apply("markdown_kept", private.site_packages)


@pytest.mark.slow
@pytest.mark.skipif(
    not (cache_home() / "hermes" / install.DEFAULT_HERMES).is_dir(), reason="Hermes is not provisioned here"
)
def test_a_whole_area_hermes_cannot_express_is_not_applicable_before_set_up(tmp_path: Path) -> None:
    done = sms_harness("run", "--gateway", "hermes", "--feature", "mms", "--report", str(tmp_path))
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["totals"]["na"] == len(data["scenarios"]) > 0, data["totals"]
    assert all(s["message"] == "not applicable: needs mms (pictures and files, in and out)" for s in data["scenarios"])
    assert not list(tmp_path.glob("gateway-timings-*.json")), "the gateway was not even set up for them"
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_behaviour_openclaw_lacks_is_not_applicable_to_the_reference(tmp_path: Path) -> None:
    """Hermes's own behaviours (its pairing rate limit, here) are scenarios of the suite that the
    reference gateway, a model of OpenClaw's channel, reports not applicable, before any set-up."""
    done = sms_harness("run", "--feature", "pairing", "-k", "nothing_more_for_ten", "--report", str(tmp_path))
    data = json.loads((tmp_path / "report.json").read_text())
    assert [s["outcome"] for s in data["scenarios"]] == ["na"], data["totals"]
    assert data["scenarios"][0]["message"].startswith("not applicable: needs pairing_rate_limit (")
    assert done.returncode == 0, done.stderr[-2000:]


def test_moving_hermess_clock_makes_every_moment_in_its_pairing_files_older(driver: HermesDriver) -> None:
    """A code's creation, a sender's last request and a lockout's end move back by the seconds
    passed; the count of failed approvals is no moment and stays as it was."""
    pairing = driver.home / "platforms" / "pairing"
    pairing.mkdir(parents=True, exist_ok=True)
    (pairing / "sms-pending.json").write_text(json.dumps({"e1": {"hash": "h", "created_at": 5000.0}}))
    limits = {"sms:+15550001111": 4000.0, "_lockout:sms": 9000.0, "_failures:sms": 3}
    (pairing / "_rate_limits.json").write_text(json.dumps(limits))
    driver.advance_clock(3601)
    assert json.loads((pairing / "sms-pending.json").read_text()) == {"e1": {"hash": "h", "created_at": 1399.0}}
    assert json.loads((pairing / "_rate_limits.json").read_text()) == {
        "sms:+15550001111": 399.0,
        "_lockout:sms": 5399.0,
        "_failures:sms": 3,
    }
