"""`refclaw`: the reference gateway's CLI, verb for verb the guide's `openclaw` commands.

    refclaw gateway [--port N]
    refclaw config patch --file F [--dry-run]
    refclaw pairing list sms [--json]          refclaw pairing approve sms CODE
    refclaw message send [--channel sms] --target sms:+1…|twilio-sms:+1… --message T [--json]
    refclaw agent --channel sms --message T --deliver [--to +1…]   (automation: uses defaultTo)
    refclaw channels capabilities --channel sms [--json]
    refclaw channels status --channel sms [--probe] [--json]
    refclaw channels add --channel sms [--account ID] [--dm-policy P --allow-from A,B --from-number …]
    refclaw clock advance SECONDS              (tests: move the gateway's clock)

Paths come from REFCLAW_STATE_DIR (default ~/.refclaw) and REFCLAW_CONFIG_PATH
(default $REFCLAW_STATE_DIR/refclaw.json5). Mistakes print one line and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import json5

from refclaw import agent, channel, config, delivery, media, numbers, probe, text, twilio_api
from refclaw.limits import CALLBACKS_PER_MINUTE, INVALID_PER_MINUTE, ROUTE_PER_MINUTE, SENDER_PER_MINUTE
from refclaw.state import StateDir

APPROVED_NOTICE = "OpenClaw: your SMS access has been approved."  # the plugin's pairing text


class CliError(Exception):
    """One line for the user; exit 1."""


def paths() -> tuple[Path, Path]:
    state = Path(os.environ.get("REFCLAW_STATE_DIR") or Path.home() / ".refclaw")
    conf = Path(os.environ.get("REFCLAW_CONFIG_PATH") or state / "refclaw.json5")
    return conf, state


def runtime() -> channel.Runtime:
    conf, state = paths()
    rt = channel.Runtime(conf, state, os.environ)
    rt.load()
    return rt


def require_sms(name: str | None) -> None:
    if name not in (None, "sms"):
        raise CliError(f"unknown channel {name!r}: this gateway has the sms channel only")


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if getattr(args, "json", False) else text)


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


# -- gateway ----------------------------------------------------------------------------------


class Redact(logging.Filter):
    """Auth tokens never reach a log line, whatever a message contains."""

    def __init__(self, rt: channel.Runtime) -> None:
        super().__init__()
        self.rt = rt

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for account in self.rt.resolved.known:
            if account.auth_token and account.auth_token in message:
                message = message.replace(account.auth_token, "[redacted]")
        record.msg, record.args = message, None
        return True


def cmd_gateway(args: argparse.Namespace) -> int:
    from hypercorn.asyncio import serve

    from refclaw.app import create_app
    from refclaw.server import hypercorn_settings, listen, url_of

    conf, state = paths()
    rt = channel.Runtime(conf, state, os.environ)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        logging.StreamHandler(sys.stderr),
        logging.FileHandler(state / "logs" / "gateway.log"),
    ]
    for handler in handlers:
        handler.addFilter(Redact(rt))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True)
    rt.load()
    sock = listen(args.host, args.port)
    url = url_of(sock)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app = create_app(rt)

        @app.before_serving
        async def announce() -> None:
            logging.getLogger("refclaw").info("gateway listening on %s", url)
            print(url, flush=True)

        await serve(app, hypercorn_settings(sock), shutdown_trigger=stop.wait)

    asyncio.run(main())
    return 0


# -- config -----------------------------------------------------------------------------------


def redacted(sms: dict[str, Any]) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: ("[redacted]" if k == "authToken" and isinstance(v, str) else walk(v)) for k, v in node.items()}
        return node

    return walk(sms)


def cmd_config_patch(args: argparse.Namespace) -> int:
    conf, _ = paths()
    try:
        patch = json5.loads(Path(args.file).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"patch file {args.file} does not exist") from None
    except ValueError as exc:
        raise CliError(f"patch file {args.file} is not valid JSON5: {exc}") from None
    if not isinstance(patch, dict):
        raise CliError(f"patch file {args.file}: the top level must be an object")
    merged = config.merge_patch(config.load_file(conf), patch)
    resolved = config.resolve(merged, os.environ)
    for warning in resolved.warnings + resolved.errors:
        print(f"warning: {warning}", file=sys.stderr)
    for warning in config.config_warnings(merged):
        print(f"Config warnings: {warning}", file=sys.stderr)
    shown = json.dumps(redacted(config.channel_section(merged)), indent=2)
    if args.dry_run:
        print(f"Dry run: {conf} not changed. channels.sms would be:\n{shown}")
        return 0
    write_config(conf, merged)
    print(f"Config updated: {conf}")
    return 0


# `channels add --channel sms`'s flags and the keys they set: the plugin's setup contract
SETUP_FLAGS = {
    "account_sid": "accountSid",
    "auth_token": "authToken",
    "from_number": "fromNumber",
    "messaging_service_sid": "messagingServiceSid",
    "default_to": "defaultTo",
    "webhook_path": "webhookPath",
    "public_webhook_url": "publicWebhookUrl",
    "dm_policy": "dmPolicy",
    "allow_from": "allowFrom",
}


def cmd_channels_add(args: argparse.Namespace) -> int:
    """The flags given, and only those, over the account's block: the default account's is channels.sms
    itself, another's is channels.sms.accounts.ID (the plugin's applyAccountConfig)."""
    if args.channel != "sms":
        raise CliError(f"unknown channel {args.channel}")
    patch = {key: getattr(args, flag) for flag, key in SETUP_FLAGS.items() if getattr(args, flag) is not None}
    if "allowFrom" in patch:
        patch["allowFrom"] = [entry.strip() for entry in patch["allowFrom"].split(",") if entry.strip()]
    conf, _ = paths()
    data = config.load_file(conf)
    channel = data.setdefault("channels", {}).setdefault("sms", {})
    block = channel if args.account == "default" else channel.setdefault("accounts", {}).setdefault(args.account, {})
    block.update(patch)
    write_config(conf, data)
    print(f"Config updated: {conf}")
    return 0


def write_config(conf: Path, data: dict[str, Any]) -> None:
    """Atomically, so the running gateway's reload never reads half a file."""
    conf.parent.mkdir(parents=True, exist_ok=True)
    tmp = conf.with_name(conf.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, conf)


# -- pairing ----------------------------------------------------------------------------------


def cmd_pairing_list(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    rt = runtime()
    requests = rt.state.pending(rt.state.now())
    data = {
        "channel": "sms",
        "requests": [
            {
                "id": r.sender,
                "code": r.code,
                "createdAt": iso(r.created_at),
                "lastSeenAt": iso(r.last_seen_at),
                "expiresAt": iso(r.expires_at()),
                "meta": {"accountId": r.account_id},
            }
            for r in requests
        ],
    }
    lines = [f"{r.code}  {r.sender}  account={r.account_id}  expires {iso(r.expires_at())}" for r in requests]
    emit(
        args,
        data,
        "\n".join(["Pending sms pairing requests:", *lines]) if lines else "No pending sms pairing requests.",
    )
    return 0


def cmd_pairing_approve(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    rt = runtime()
    request = rt.state.approve(args.code, rt.state.now())
    if request is None:
        raise CliError(f"No pending pairing request found for code: {args.code}")
    print(f"Approved sms sender {request.sender}.")
    # As OpenClaw: the first approved sender becomes the command owner.
    conf, _ = paths()
    data = config.load_file(conf)
    commands = data.setdefault("commands", {})
    if not commands.get("ownerAllowFrom"):
        commands["ownerAllowFrom"] = [f"sms:{request.sender}"]
        write_config(conf, data)
        print(f"Command owner configured sms:{request.sender} (commands.ownerAllowFrom was empty).")
    if args.notify:
        account = rt.account(request.account_id)
        if not asyncio.run(channel.send_text(account, rt.state, request.sender, APPROVED_NOTICE)):
            raise CliError(f"approved, but the notice to {request.sender} was not sent (see the gateway log)")
    return 0


# -- messages ---------------------------------------------------------------------------------


def parse_target(target: str | None, channel_name: str | None) -> str:
    """`twilio-sms:+1…` always selects SMS; `sms:+1…` needs --channel sms (plain sms: is iMessage's).

    The prefix only selects the channel: the target reaches the plugin whole, whose normalisation
    strips one prefix, so `sms:sms:+1…` or `twilio-sms:sms:+1…` is no number (seen on OpenClaw)."""
    if not target:
        raise CliError("--target is required (defaultTo is used only by automation and agent sends)")
    raw = target.strip()
    lowered = raw.lower()
    if lowered.startswith("sms:") and channel_name != "sms":
        raise CliError(
            f"target {raw} is ambiguous without --channel sms: plain sms: belongs to iMessage; "
            "use --channel sms or twilio-sms:"
        )
    if not lowered.startswith(("twilio-sms:", "sms:")) and channel_name != "sms":
        raise CliError(f"cannot tell the channel of target {raw}: use --channel sms or a twilio-sms: target")
    number = numbers.normalize(raw)
    if not numbers.looks_like(number):
        raise CliError(f"Invalid SMS target: {raw}")
    return number


def send(account: config.Account, state: StateDir, to: str, message: str, files: list[str]) -> list[str]:
    """Send a message, chunked; local files ride on the first chunk as MMS, hosted for Twilio to fetch."""

    async def go() -> list[str]:
        urls = []
        for name in files:
            content, kind = media.check_outbound(Path(name), message)
            urls.append(media.host(state.hosted_media(account.id), account, content, kind, state.now()))
        sids = []
        cut = text.sms_chunks if files else text.send_chunks  # a caption goes whole to the channel, as OpenClaw
        for piece in cut(message, account.text_chunk_limit) or [""]:
            sent = await twilio_api.send_message(account, to, piece, urls if not sids else None)
            sids.append(sent.sid)
            status = delivery.normalize_status(sent.status)
            if status:
                state.record_delivery(account.id, sent.sid, status, "", "api-response", state.now())
        return sids

    try:
        return asyncio.run(go())
    except (twilio_api.TwilioCallError, media.MediaError) as exc:
        raise CliError(str(exc)) from None


def cmd_message_send(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    to = parse_target(args.target, args.channel)
    rt = runtime()
    account = rt.account(args.account)
    if args.message is None:
        raise CliError("--message is required")
    sids = send(account, rt.state, to, args.message, args.media or [])
    emit(
        args,
        {"channel": "sms", "accountId": account.id, "to": to, "messageId": sids[0], "messageIds": sids},
        f"Sent via sms to {to}. Message ID: {sids[0]}",
    )
    return 0


def automation_target(account: config.Account, explicit: str | None) -> str | None:
    """Automation and agent sends without a target go to defaultTo."""
    return explicit or account.default_to


def cmd_agent(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    rt = runtime()
    account = rt.account(args.account)
    reply = asyncio.run(agent.answer(args.message))
    if not args.deliver:
        print(reply)
        return 0
    given = args.reply_to if args.reply_to is not None else args.to  # --reply-to overrides, as OpenClaw's
    to = automation_target(account, numbers.normalize(given) if given else None)
    rt.state.record_turn(account.id, "automation", args.message, rt.state.now())
    if not to:  # as OpenClaw: the run succeeds and nothing is delivered
        print(reply)
        print("sms: no delivery target (no --to and no channels.sms.defaultTo): nothing was sent", file=sys.stderr)
        return 0
    sids = asyncio.run(channel.send_text(account, rt.state, to, reply))
    if not sids:
        raise CliError(f"the reply to {to} was not sent (see the gateway log)")
    emit(args, {"channel": "sms", "to": to, "messageIds": sids}, f"Delivered via sms to {to}: {', '.join(sids)}")
    return 0


# -- channels ---------------------------------------------------------------------------------


def cmd_capabilities(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    data = {
        "channel": "sms",
        "chatTypes": ["direct"],
        "media": True,
        "reactions": False,
        "threads": False,
        "textChunkLimit": config.DEFAULT_CHUNK_LIMIT,
        "maxTextLength": twilio_api.MAX_BODY,
        "targets": ["sms:+E164 (with --channel sms)", "twilio-sms:+E164"],
        "dmPolicies": list(config.POLICIES),
        "rateLimits": {
            "deliveryCallbacksPerMinute": CALLBACKS_PER_MINUTE,
            "perSenderPerMinute": SENDER_PER_MINUTE,
            "perAccountRoutePerMinute": ROUTE_PER_MINUTE,
            "invalidPerClientPerMinute": INVALID_PER_MINUTE,
        },
    }
    emit(
        args,
        data,
        "sms: direct messages, plain text (markdown stripped), chunks of 1500 (max 1600), media; "
        "targets sms:+E164 with --channel sms, or twilio-sms:+E164",
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    require_sms(args.channel)
    rt = runtime()
    resolved = rt.current()

    async def gather() -> list[dict[str, Any]]:
        if args.probe:
            return [await probe.probe_account(a, rt.state) for a in resolved.accounts]
        return [
            {
                "accountId": a.id,
                "name": a.from_number or a.messaging_service_sid,
                "enabled": a.enabled,
                "configured": a.can_send,
                "webhookPath": a.webhook_path,
                "dmPolicy": a.dm_policy,
            }
            for a in resolved.accounts
        ]

    accounts = asyncio.run(gather()) + [
        {  # as OpenClaw shows an account it did not start
            "accountId": a.id,
            "enabled": a.enabled,
            "configured": a.can_send,
            "running": False,
            "statusState": "configured" if a.can_send else "unconfigured",
            "stateReason": config.start_blocker(a),
            "webhookPath": a.webhook_path,
            "dmPolicy": a.dm_policy,
        }
        for a in resolved.blocked
    ]
    data = {
        "channelOrder": ["sms"],
        "channels": {"sms": {"configured": any(a["configured"] for a in accounts)}},
        "channelAccounts": {"sms": accounts},
        "warnings": resolved.warnings,
        "errors": resolved.errors,
    }
    lines = []
    for a in accounts:
        line = f"{a['accountId']}: webhook {a['webhookPath']}, dmPolicy {a['dmPolicy']}"
        if "stateReason" in a:
            lines.append(f"{line}, not started: {a['stateReason']}")
        elif args.probe:
            result = a["probe"]
            line += (
                f", probe {'ok' if result['ok'] else 'FAILED: ' + result.get('error', '')}, "
                f"Twilio webhook {result['webhook']['status']}"
            )
            lines += [line] + [f"hint: {hint}" for hint in result["hints"]]
        else:
            lines.append(line)
    emit(args, data, "\n".join(lines) or "sms: no account configured")
    return 0


def cmd_clock_advance(args: argparse.Namespace) -> int:
    _, state = paths()
    offset = StateDir(state).advance_clock(args.seconds)
    print(f"clock offset is now {offset:g}s")
    return 0


# -- parser -----------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="refclaw", description="the reference SMS gateway (openclaw's verbs)")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("gateway", help="run the gateway")
    g.add_argument("--host", default="127.0.0.1")
    g.add_argument("--port", type=int, default=18789)
    g.set_defaults(func=cmd_gateway)

    c = sub.add_parser("config").add_subparsers(dest="sub", required=True).add_parser("patch")
    c.add_argument("--file", required=True)
    c.add_argument("--dry-run", action="store_true")
    c.set_defaults(func=cmd_config_patch)

    pairing = sub.add_parser("pairing").add_subparsers(dest="sub", required=True)
    pl = pairing.add_parser("list")
    pl.add_argument("channel")
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_pairing_list)
    pa = pairing.add_parser("approve")
    pa.add_argument("channel")
    pa.add_argument("code")
    pa.add_argument("--notify", action="store_true", help="text the sender that access was approved")
    pa.set_defaults(func=cmd_pairing_approve)

    m = sub.add_parser("message").add_subparsers(dest="sub", required=True).add_parser("send")
    m.add_argument("--channel")
    m.add_argument("--target")
    m.add_argument("--message")
    m.add_argument("--media", action="append")
    m.add_argument("--account")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_message_send)

    a = sub.add_parser("agent")
    a.add_argument("--channel", default="sms")
    a.add_argument("--message", required=True)
    a.add_argument("--deliver", action="store_true")
    a.add_argument("--to")
    a.add_argument("--reply-to")
    a.add_argument("--account")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_agent)

    channels = sub.add_parser("channels").add_subparsers(dest="sub", required=True)
    cap = channels.add_parser("capabilities")
    cap.add_argument("--channel", required=True)
    cap.add_argument("--json", action="store_true")
    cap.set_defaults(func=cmd_capabilities)
    st = channels.add_parser("status")
    st.add_argument("--channel", required=True)
    st.add_argument("--probe", action="store_true")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    add = channels.add_parser("add")
    add.add_argument("--channel", required=True)
    add.add_argument("--account", default="default")
    for flag in SETUP_FLAGS:
        choices = config.POLICIES if flag == "dm_policy" else None
        add.add_argument(f"--{flag.replace('_', '-')}", dest=flag, choices=choices)
    add.set_defaults(func=cmd_channels_add)

    clock = sub.add_parser("clock").add_subparsers(dest="sub", required=True).add_parser("advance")
    clock.add_argument("seconds", type=float)
    clock.set_defaults(func=cmd_clock_advance)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CliError, config.ConfigError) as exc:
        print(f"refclaw: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
