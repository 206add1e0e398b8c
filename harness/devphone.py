"""`sms-harness devphone`: test a gateway by hand, with no tunnel and no Twilio account.

It starts the emulator with a ready account, number and Messaging Service (or those of
`--config`), routes a public-looking webhook URL to the gateway's local port (what a tunnel
does), serves the dev phone page, and prints the exact settings the gateway needs: for
OpenClaw a `channels.sms` patch plus `proxy.proxyUrl` and `NODE_EXTRA_CA_CERTS`, for any other
gateway the base URL to use instead of api.twilio.com. `--reference` runs the embedded
reference gateway against it, for a first look without a gateway of one's own.
"""

from __future__ import annotations

import json
import shlex
import sys
import webbrowser
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from harness.channel_config import guide_block

if TYPE_CHECKING:  # the emulator is imported when the dev phone runs, not when the CLI parses
    from emulator.models import Backend

DEFAULT_PUBLIC_URL = "https://gateway.devphone.test/webhooks/sms"  # the plugin's default webhookPath
DEFAULT_GATEWAY_URL = "http://127.0.0.1:18789"  # OpenClaw's default gateway port
DEFAULT_WORKDIR = Path.home() / ".cache" / "sms-harness" / "devphone"


class DevPhoneError(Exception):
    """A mistake in the options: one line, exit 2."""


@dataclass
class Options:
    port: int = 0
    proxy_port: int = 0
    gateway_url: str = DEFAULT_GATEWAY_URL
    public_url: str = DEFAULT_PUBLIC_URL
    config: Path | None = None
    seed: int = 0
    workdir: Path = DEFAULT_WORKDIR
    reference: bool = False
    open_browser: bool = False


@dataclass
class Wiring:
    """Everything a gateway needs to talk to this emulator, and a person to find the page."""

    emulator_url: str
    proxy_url: str
    ca_path: Path
    account_sid: str
    auth_token: str
    number: str | None
    service_sid: str | None
    public_url: str
    gateway_url: str

    @property
    def page_url(self) -> str:
        return f"{self.emulator_url}/_emulator/phone/"

    def channel(self) -> dict[str, Any]:
        """The `channels.sms` block of an OpenClaw-style gateway (the reference gateway takes the same)."""
        return guide_block(self.account_sid, self.auth_token, self.public_url, self.number, self.service_sid)

    def openclaw_patch(self) -> dict[str, Any]:
        return {"channels": {"sms": self.channel()}, "proxy": {"proxyUrl": self.proxy_url}}

    def openclaw_model_patch(self) -> dict[str, Any]:
        """Offline, an agent needs a model: the emulator's scripted one ("reply exactly X" answers X)."""
        model = {"id": "devphone", "name": "Dev phone scripted model", "input": ["text"], "reasoning": False}
        model |= {
            "contextWindow": 128000,
            "maxTokens": 4096,
            "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
        }
        provider = {"baseUrl": f"{self.emulator_url}/v1", "apiKey": "devphone", "api": "openai-completions"}
        return {
            "models": {"mode": "merge", "providers": {"devphone": provider | {"models": [model]}}},
            "agents": {"defaults": {"model": {"primary": "devphone/devphone"}}},
        }


def check(options: Options) -> None:
    from emulator.transport import is_loopback

    for flag, url in (("--gateway-url", options.gateway_url), ("--public-url", options.public_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DevPhoneError(f"{flag} {url!r} is not an absolute http(s) URL")
    if not is_loopback(urlsplit(options.gateway_url).hostname or ""):
        raise DevPhoneError(
            f"--gateway-url {options.gateway_url} is not on loopback: the emulator delivers to this machine only"
        )
    if options.config is not None and not options.config.is_file():
        raise DevPhoneError(f"--config {options.config} does not exist")
    for flag, port in (("--port", options.port), ("--proxy-port", options.proxy_port)):
        if not 0 <= port <= 65535:
            raise DevPhoneError(f"{flag} {port} is not a port (0 to 65535; 0 picks a free one)")


def wire(backend: Backend, options: Options, emulator_url: str, proxy_url: str, ca_path: Path) -> Wiring:
    """Provision what is missing and route the public URL's origin to the gateway."""
    from emulator.provision import starter

    if not backend.accounts:
        starter(backend, options.public_url)
    account = next(iter(backend.accounts.values()))
    numbers = [n for n in backend.numbers.values() if n.account_sid == account.sid]
    services = [s for s in backend.services.values() if s.account_sid == account.sid]
    return Wiring(
        emulator_url,
        proxy_url,
        ca_path,
        account.sid,
        account.auth_token,
        numbers[0].phone_number if numbers else None,
        services[0].sid if services else None,
        numbers[0].sms_url if numbers and numbers[0].sms_url else options.public_url,
        options.gateway_url,
    )


def route(backend: Backend, wiring: Wiring) -> None:
    from emulator.transport import is_loopback

    parts = urlsplit(wiring.public_url)
    if not is_loopback(parts.hostname or ""):
        backend.add_route(f"{parts.scheme}://{parts.netloc}", wiring.gateway_url.rstrip("/"))


def describe(wiring: Wiring, refclaw_env: dict[str, str] | None) -> str:
    """What the terminal shows on start: the page, the credentials, the settings to paste."""
    patch = json.dumps(wiring.openclaw_patch(), indent=2)
    lines = [
        f"Dev phone:        {wiring.page_url}",
        f"Account SID:      {wiring.account_sid}",
        f"Auth token:       {wiring.auth_token}",
        f"Twilio number:    {wiring.number or '(none)'}",
        f"Messaging Service: {wiring.service_sid or '(none)'}",
        f"Webhook:          Twilio signs {wiring.public_url} and delivers it to {wiring.gateway_url} (what a tunnel does)",
        "",
        "OpenClaw: apply this patch, then start the gateway trusting the emulator's CA:",
        f"  openclaw config patch --file {wiring.ca_path.parent / PATCH_FILE}",
        f"  NODE_EXTRA_CA_CERTS={wiring.ca_path} openclaw gateway run --port {urlsplit(wiring.gateway_url).port or 80}",
        patch,
        '  Offline, with no model of your own, also apply the emulator\'s scripted model ("reply exactly X" answers X):',
        f"  openclaw config patch --file {wiring.ca_path.parent / MODEL_PATCH_FILE}",
        "",
        "Any other gateway: use these instead of Twilio's hosts, with the account SID and token above",
        f"  REST API: {wiring.emulator_url} (for https://api.twilio.com and https://messaging.twilio.com)",
        f"  or HTTPS through the proxy {wiring.proxy_url}, trusting the CA in {wiring.ca_path}",
    ]
    if refclaw_env is not None:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in refclaw_env.items())
        lines += [
            "",
            f"Reference gateway running at {wiring.gateway_url}; approve a pairing code with",
            f"  {env} {shlex.quote(sys.executable)} -m refclaw.cli pairing approve sms CODE",
        ]
    return "\n".join(lines)


PATCH_FILE = "devphone-openclaw.json5"
MODEL_PATCH_FILE = "devphone-openclaw-model.json5"


def write_files(wiring: Wiring) -> None:
    """The patches next to the CA, so `openclaw config patch --file` can take them as printed."""
    for name, patch in ((PATCH_FILE, wiring.openclaw_patch()), (MODEL_PATCH_FILE, wiring.openclaw_model_patch())):
        path = wiring.ca_path.parent / name
        path.write_text(json.dumps(patch, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)  # the first holds the auth token


def run(options: Options, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    check(options)
    from emulator import activity, server
    from harness.drivers.base import Setup
    from harness.drivers.reference import ReferenceDriver

    options.workdir.mkdir(parents=True, exist_ok=True)
    backend = server.build_backend(options.seed, options.config)
    sock = server.bind("127.0.0.1", options.port)
    proxy_sock = server.bind("127.0.0.1", options.proxy_port)
    url = server.base_url(sock)
    ca_path = options.workdir / "twilio-ca.pem"
    proxy = server.connect_proxy(backend, proxy_sock, url, ca_path)
    wiring = wire(backend, options, url, server.base_url(proxy_sock), ca_path)
    gateway: ReferenceDriver | None = None
    refclaw_env: dict[str, str] | None = None
    try:
        if options.reference:
            gateway = ReferenceDriver(options.workdir / "refclaw")
            # the emulator is bound, not serving yet: the reference gateway needs nothing of it to start
            gateway.apply(Setup(channel=wiring.channel()), url)
            wiring.gateway_url = gateway.local_url
            refclaw_env = {"REFCLAW_STATE_DIR": str(gateway.state_dir), "REFCLAW_CONFIG_PATH": str(gateway.config_path)}
        route(backend, wiring)
        write_files(wiring)

        def log(line: str) -> None:
            print(line, file=err, flush=True)

        backend.on_record = activity.printer(log)

        def ready() -> None:
            print(describe(wiring, refclaw_env), file=out, flush=True)
            if options.open_browser:
                webbrowser.open(wiring.page_url)

        server.serve_foreground(backend, sock, ready, proxy)
    finally:
        if gateway is not None:
            gateway.stop()
    return 0
