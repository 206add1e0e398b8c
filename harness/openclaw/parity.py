"""The reference gateway's channel functions side by side with the published plugin's.

`sms-harness openclaw parity` makes inputs of its own (seeded, bounded), feeds them to the
plugin's own functions through `oracle.mjs` (run by the provisioned Node, with the plugin's
published package and the installed openclaw) and to refclaw's, and prints how many differ
per area with the first few differences. It is how "the reference behaves as the real
channel does" is measured rather than claimed.
"""

from __future__ import annotations

import json
import random
import subprocess
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cache import Entry, ProvisionError, cache_home, provide
from harness.openclaw.install import DEFAULT_SMS_PLUGIN, Installation, npm, npm_env
from refclaw import callback, config, inbound, numbers, signature, text

ORACLE = Path(__file__).with_name("oracle.mjs")
ORACLE_TIMEOUT = 300.0


def plugin_package(installation: Installation, version: str = DEFAULT_SMS_PLUGIN) -> Path:
    """The published @openclaw/sms package, unpacked into the cache, its `openclaw` the installed one."""
    package = published_package(version)
    link = package / "node_modules" / "openclaw"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(installation.package)
    return package


def published_package(version: str = DEFAULT_SMS_PLUGIN) -> Path:
    """The published @openclaw/sms package as npm packs it, unpacked into the cache (npm only, no OpenClaw)."""

    def build(folder: Path) -> dict[str, object]:
        npm(
            ["pack", f"@openclaw/sms@{version}", "--pack-destination", str(folder)],
            npm_env(),
            f"npm pack @openclaw/sms@{version}",
        )
        archive = next(folder.glob("openclaw-sms-*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        archive.unlink()
        return {"sms_plugin": version}

    def check(folder: Path) -> str | None:
        return None if (folder / "package" / "dist").is_dir() else "it has no package/dist"

    root = provide(Entry(cache_home() / "plugins" / version, f"@openclaw/sms@{version} (npm pack)", build, check))
    return root / "package"


def run_oracle(installation: Installation, package: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = "".join(json.dumps(case) + "\n" for case in cases)
    try:
        done = subprocess.run(
            [str(installation.node_bin / "node"), str(ORACLE), str(package)],
            input=lines,
            capture_output=True,
            text=True,
            timeout=ORACLE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise ProvisionError(
            f"the plugin oracle did not answer {len(cases)} cases within {ORACLE_TIMEOUT:.0f}s"
        ) from None
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or len(answers) != len(cases):
        raise ProvisionError(f"the plugin oracle failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return answers


# -- inputs of our own making ------------------------------------------------------------------------

WORDS = [
    "SMS",
    "gateway",
    "Twilio",
    "pair",
    "café",
    "naïve",
    "日本語",
    "テキスト",
    "😀",
    "👍🏽",
    "e\u0301",
    "(note)",
    "x",
]
INLINE = [
    "**{w}**",
    "*{w}*",
    "_{w}_",
    "__{w}__",
    "~~{w}~~",
    "`{w}`",
    "2*3*4",
    "snake_case_{w}",
    "[{w}](https://ex.com/{w})",
    "[https://a.example](https://a.example)",
    "<https://auto.example/{w}>",
    "![{w}](https://img.example/a.png)",
    "&amp; &lt;{w}&gt;",
    "<b>{w}</b>",
    "\\*{w}\\*",
    "[{w}][r]",
    "{w}",
]
BLOCKS = [
    "# {i}",
    "## {i} ##",
    "{i}\n===",
    "- {i}\n- {i}",
    "1. {i}\n2. {i}",
    "3) {i}\n4) {i}",
    "- {i}\n  - {i}\n    - {i}",
    "> {i}\n> {i}",
    "```\n{i}\n```",
    "~~~js\n{i}\n~~~",
    "    {i}",
    "| h | k |\n|---|:-:|\n| {i} | {i} |",
    "| a | b | c |\n|---|---|---|\n| {i} | | {i} |",
    "---",
    "<think>{i}</think>",
    "{i}\r\n{i}",
    "{i}\r{i}",
    "- [ ] {i}\n- [x] {i}",
    "{i}  \n{i}",
    "[r]: https://ref.example/r",
    "{i}",
]


def inline(rng: random.Random) -> str:
    return " ".join(rng.choice(INLINE).format(w=rng.choice(WORDS)) for _ in range(rng.randint(1, 4)))


def markdown(rng: random.Random) -> str:
    blocks = [rng.choice(BLOCKS).format(i=inline(rng)) for _ in range(rng.randint(1, 5))]
    return "".join(block + rng.choice(["\n", "\n\n", "\n\n\n", "\n\n\n\n"]) for block in blocks)


def plain_text(rng: random.Random) -> str:
    pieces = [*WORDS, " ", "  ", "\n", "\n\n", "\r\n", "(", ")", "word", "longerword", "\t", "👨‍👩‍👧", "👨‍👩‍👧‍👦", "🇫🇷"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))


def number(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(5, 16)))
    spelled = rng.choice(
        [digits, "+" + digits, f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", f"+{digits[:1]} {digits[1:]}"]
    )
    return (
        rng.choice(["", "sms:", "SMS:", "twilio-sms:", "tel:", "whatsapp:", "rcs:", " ", "sms: "])
        + spelled
        + rng.choice(["", " ", "\n", "x"])
    )


def public_url(rng: random.Random) -> str:
    host = rng.choice(
        [
            "gw.example.com",
            "GW.Example.COM",
            "127.0.0.1",
            "10.0.0.5",
            "localhost",
            "box.local",
            "single",
            "8.8.8.8",
            "[::1]",
            "a_b.example.com",
            "user:pw@gw.example.com",
            "gw.example.com:8443",
        ]
    )
    path = rng.choice(["/webhooks/sms", "/w", "/a%20b", "/é", "/a b", "/%zz", ""])
    query = rng.choice(["", "?a=1", "?x='y'", "?", "?b=é"])
    fragment = rng.choice(["", "#", "#rt=99", "#rt=2000&rc=3", "#rp=all", "#rp=4xx&rp=ct", "#rc=9&rt=abc", "#x=1,2"])
    return rng.choice(["https://", "http://", "HTTPS://", "ftp://"]) + host + path + query + fragment


@dataclass
class Area:
    name: str
    make: Callable[[random.Random], dict[str, Any]]
    ours: Callable[[dict[str, Any]], Any]
    theirs: Callable[[dict[str, Any]], Any] = lambda answer: answer.get("ok", {"error": answer.get("error")})


def inbound_form(rng: random.Random) -> dict[str, Any]:
    form = {
        "From": number(rng),
        "To": rng.choice(["+15551230000", "", " +15551230000", "rcs:+15551230000"]),
        "Body": rng.choice(["hi", "", " "]),
        "MessageSid": rng.choice(["SM1", "", " "]),
        "NumMedia": rng.choice(["", "0", "1", "2", "-1", "1.5", "abc", "12", " 1 "]),
        "AccountSid": "AC1",
        "MediaUrl0": rng.choice(["", "https://api.twilio.com/m"]),
    }
    return {"op": "inbound", "form": {k: v for k, v in form.items() if v != "" or rng.random() < 0.5}}


def inbound_ours(case: dict[str, Any]) -> Any:
    message = inbound.parse(case["form"])
    return None if message is None else message.comparable()


def account_case(rng: random.Random) -> dict[str, Any]:
    base_keys = {
        "accountSid": ["AC1", " AC1 ", ""],
        "fromNumber": ["+15551112222", "15551112222", "(555) 111-2222", ""],
        "messagingServiceSid": ["MG1", ""],
        "webhookPath": ["/base", "hooks/sms", " /x "],
        "publicWebhookUrl": ["https://gw.example.com/sms", " https://gw.example.com/sms#rt=1 "],
        "dmPolicy": ["pairing", "allowlist", "disabled"],
        "allowFrom": [["+15550001111"], ["sms:15550001111", " "], []],
        "textChunkLimit": [99, 1600, 5000],
        "defaultTo": ["15553334444", "sms:+15553334444"],
        "dangerouslyDisableSignatureValidation": [True, False],
        "enabled": [True, False],
    }
    env_values = {
        "TWILIO_ACCOUNT_SID": ["AC9", " "],
        "TWILIO_PHONE_NUMBER": ["+15559990000", "  "],
        "TWILIO_SMS_FROM": ["+15558880000"],
        "TWILIO_MESSAGING_SERVICE_SID": ["MG9"],
        "SMS_PUBLIC_WEBHOOK_URL": ["https://env.example.com/sms"],
        "SMS_WEBHOOK_PATH": ["/env"],
        "SMS_ALLOWED_USERS": ["15551234567, sms:+15557654321,,", "*"],
        "SMS_TEXT_CHUNK_LIMIT": ["abc", " 12 ", "0", "-5", "1.5", "700"],
        "SMS_DANGEROUSLY_DISABLE_SIGNATURE_VALIDATION": ["true", "TRUE", "1"],
    }

    def pick(choices: dict[str, list[Any]], chance: float) -> dict[str, Any]:
        return {k: rng.choice(v) for k, v in choices.items() if rng.random() < chance}

    sms = pick(base_keys, 0.35)
    named = {name: pick(base_keys, 0.3) for name in rng.sample(["shop", "alerts", "default"], rng.randint(0, 2))}
    if named:
        sms["accounts"] = named
    account_id = rng.choice([None, *named])
    return {"op": "account", "sms": sms, "env": pick(env_values, 0.25), "accountId": account_id}


def account_ours(case: dict[str, Any]) -> Any:
    sms = case["sms"]
    wanted = case["accountId"] or config.default_id(
        [a.id for a in config.resolve({"channels": {"sms": sms}}, case["env"]).all]
    )
    own = sms.get("accounts", {}).get(wanted, {})
    base = {k: v for k, v in sms.items() if k not in ("accounts", "defaultAccount")}
    account = config.build_account(wanted, {**base, **own}, case["env"] if wanted == "default" else {}, wanted)
    account.enabled = sms.get("enabled") is not False and own.get("enabled") is not False
    return account.comparable()


def account_ids_ours(case: dict[str, Any]) -> Any:
    return [a.id for a in config.resolve({"channels": {"sms": case["sms"]}}, case["env"]).all]


def account_theirs(answer: dict[str, Any]) -> Any:
    """The plugin's account, without the keys the reference does not model (mediaMaxBytes)."""
    value = answer.get("ok")
    if not isinstance(value, dict):
        return answer
    return {k: v for k, v in value.items() if k != "mediaMaxBytes"}


AREAS = [
    Area("text", lambda rng: {"op": "plain", "text": markdown(rng)}, lambda c: text.to_plain(c["text"])),
    Area(
        "chunks",
        lambda rng: {"op": "chunks", "text": plain_text(rng), "limit": rng.choice([1, 2, 3, 5, 8, 13, 40])},
        lambda c: text.chunk(c["text"], c["limit"]),
    ),
    Area(
        "send chunks",
        lambda rng: {"op": "sendChunks", "text": plain_text(rng), "limit": rng.choice([1, 2, 3, 5, 8, 13, 40])},
        lambda c: text.send_chunks(c["text"], c["limit"]),
    ),
    Area("number", lambda rng: {"op": "number", "value": number(rng)}, lambda c: numbers.normalize(c["value"])),
    Area(
        "allow entry",
        lambda rng: {"op": "allowEntry", "value": rng.choice([number(rng), "*", " * "])},
        lambda c: numbers.allow_entry(c["value"]),
    ),
    Area(
        "looks like a number",
        lambda rng: {"op": "looksLikeNumber", "value": number(rng)},
        lambda c: numbers.looks_like(c["value"]),
    ),
    Area(
        "signature url",
        lambda rng: {
            "op": "signatureUrl",
            "publicWebhookUrl": public_url(rng),
            "requestPath": "/webhooks/sms" + rng.choice(["", "?a=1", "?q='x'", "?é=1", "?a=b c", "?"]),
        },
        lambda c: signature.signed_url(c["publicWebhookUrl"], c["requestPath"].partition("?")[2]),
    ),
    Area(
        "status callback",
        lambda rng: {"op": "statusCallback", "value": public_url(rng)},
        lambda c: callback.status_callback_url(c["value"]),
    ),
    Area("inbound parse", inbound_form, inbound_ours),
    Area("account", account_case, account_ours, account_theirs),
    Area("account ids", lambda rng: {**account_case(rng), "op": "accountIds"}, account_ids_ours),
]


def cases_for(area: Area, count: int, seed: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{seed}:{area.name}")
    for _ in range(count):
        yield area.make(rng)


def compare(installation: Installation, package: Path, count: int, seed: int, show: int) -> list[str]:
    """One line per area (and its first differences); the caller prints them."""
    report: list[str] = []
    for area in AREAS:
        cases = list(cases_for(area, count, seed))
        theirs = run_oracle(installation, package, cases)
        differ = []
        for case, answer in zip(cases, theirs, strict=True):
            expected = area.theirs(answer)
            try:
                seen: Any = area.ours(case)
            except Exception as exc:  # a crash in ours is a difference, shown as such
                seen = {"error": f"{type(exc).__name__}: {exc}"}
            if seen != expected:
                differ.append((case, expected, seen))
        report.append(f"{area.name:20} {len(differ):4} of {len(cases)} differ")
        for case, expected, seen in differ[:show]:
            shown = {k: v for k, v in case.items() if k != "op"}
            report.append(f"    input:  {json.dumps(shown, ensure_ascii=False)}")
            report.append(f"    plugin: {json.dumps(expected, ensure_ascii=False)}")
            report.append(f"    refclaw: {json.dumps(seen, ensure_ascii=False)}")
    return report
