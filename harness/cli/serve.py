"""`sms-harness emulator` and `sms-harness devphone`: the Twilio emulator in the foreground, alone
or with a ready account, the dev phone page and the embedded reference gateway."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli.usage import UsageError, writable_folder


def cmd_emulator(args: argparse.Namespace) -> int:
    from emulator import activity, server
    from emulator.provision import STARTER_NUMBER, starter
    from emulator.proxy import TWILIO_HOSTS

    if args.state is not None:
        writable_folder(args.state.parent, f"--state {args.state}")
    backend = server.build_backend(args.seed, args.config, args.state)
    sock = server.bind(args.host, args.port)
    url = server.base_url(sock)
    proxy_sock = server.bind(args.host, args.proxy_port) if args.proxy_port is not None else None
    if proxy_sock is None and args.ca_file:
        raise UsageError("--ca-file goes with --proxy-port")
    proxy = server.connect_proxy(backend, proxy_sock, url, args.ca_file)
    made = None if backend.accounts or args.empty else starter(backend, args.sms_url)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if not args.quiet:
        backend.on_record = activity.printer(say)

    def ready() -> None:
        print(url, flush=True)
        say(f"Twilio emulator ready at {url} (control API: {url}/_emulator/openapi.json); Ctrl-C stops it")
        token = f"#token={args.control_token}" if args.control_token else ""  # the page sends it as a Bearer token
        say(f"Dev phone page: {url}/_emulator/phone/{token}")
        if made:
            account = made["account"]
            say(
                f"Account {account.sid}, auth token {account.auth_token}, number {STARTER_NUMBER} "
                f"(webhook {args.sms_url}), Messaging Service {made['services'][0].sid}"
            )
        if proxy_sock is not None:
            say(
                f"HTTPS proxy for {', '.join(TWILIO_HOSTS)} at {server.base_url(proxy_sock)}"
                + (f"; trust the CA in {args.ca_file}" if args.ca_file else "")
            )

    server.serve_foreground(backend, sock, ready, proxy, args.state, args.control_token)
    return 0


def add_emulator(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("emulator", help="run the Twilio emulator in the foreground")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1 or ::1)")
    p.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    p.add_argument("--seed", type=int, default=0, help="faker seed for generated SIDs, tokens and numbers")
    p.add_argument("--config", type=Path, help="accounts.toml to provision from")
    p.add_argument("--state", type=Path, help="state file: everything recorded survives a restart")
    p.add_argument(
        "--empty",
        action="store_true",
        help="start with no account (by default an emulator with none gets one, with number +15551234567)",
    )
    p.add_argument(
        "--sms-url",
        default="http://127.0.0.1:18789/webhooks/sms",
        help="the default number's incoming-message webhook (default: OpenClaw's gateway port and path)",
    )
    p.add_argument("--quiet", action="store_true", help="no line per REST call and per webhook")
    p.add_argument("--proxy-port", type=int, help="also be an HTTPS CONNECT proxy for the Twilio hosts (0: any port)")
    p.add_argument("--ca-file", type=Path, help="with --proxy-port: write the proxy's CA certificate here")
    p.add_argument(
        "--control-token",
        help="require `Authorization: Bearer TOKEN` on the control API (/_emulator/…); the harness's "
        "client sends $SMS_EMULATOR_TOKEN",
    )
    p.set_defaults(func=cmd_emulator)


def cmd_devphone(args: argparse.Namespace) -> int:
    from harness import devphone

    writable_folder(args.workdir, f"--workdir {args.workdir}")
    options = devphone.Options(
        port=args.port,
        proxy_port=args.proxy_port,
        gateway_url=args.gateway_url,
        public_url=args.public_url,
        config=args.config.resolve() if args.config else None,
        seed=args.seed,
        workdir=args.workdir.resolve(),
        reference=args.reference,
        open_browser=args.open,
    )
    try:
        return devphone.run(options)
    except devphone.DevPhoneError as exc:
        raise UsageError(str(exc)) from None


def add_devphone(sub: argparse._SubParsersAction) -> None:
    from harness import devphone

    p = sub.add_parser(
        "devphone", help="test a gateway by hand in the browser: the emulator, a ready account, the page"
    )
    p.add_argument("--gateway-url", default=devphone.DEFAULT_GATEWAY_URL, help="where your gateway listens (loopback)")
    p.add_argument(
        "--public-url",
        default=devphone.DEFAULT_PUBLIC_URL,
        help="the webhook URL Twilio signs (your publicWebhookUrl); its origin is routed to --gateway-url",
    )
    p.add_argument("--port", type=int, default=0, help="the emulator's port (0 picks a free one)")
    p.add_argument("--proxy-port", type=int, default=0, help="the HTTPS proxy's port for the Twilio hosts (0: any)")
    p.add_argument("--config", type=Path, help="accounts.toml to provision from instead of the ready account")
    p.add_argument("--seed", type=int, default=0, help="faker seed for generated SIDs, tokens and numbers")
    p.add_argument(
        "--workdir", type=Path, default=devphone.DEFAULT_WORKDIR, help="where the CA and the patch are written"
    )
    p.add_argument("--reference", action="store_true", help="also run the embedded reference gateway against it")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(func=cmd_devphone)
