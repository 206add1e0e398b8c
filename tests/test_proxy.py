"""The CONNECT proxy: an unmodified Twilio client that honours HTTPS_PROXY talks to the emulator."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twilio.rest import Client

from emulator.client import EmulatorClient
from emulator.models import Backend
from emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, Path]]:
    ca = tmp_path_factory.mktemp("ca") / "ca.pem"
    with EmulatorServer(Backend(seed=3), proxy=True, ca_path=ca) as server:
        yield server, ca


def test_the_official_sdk_through_https_proxy(
    proxied: tuple[EmulatorServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, ca = proxied
    control = EmulatorClient(server.url)
    account = control.create_account(numbers=[{"phone_number": "+15552220001"}])
    service = control.add_service(account.sid, inbound_request_url="https://gw.example.test/sms")
    monkeypatch.setenv("HTTPS_PROXY", server.proxy_url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    monkeypatch.delenv("NO_PROXY", raising=False)
    client = Client(account.sid, account.auth_token)  # base URLs untouched: https://api.twilio.com
    created = client.messages.create(to="+15557654321", from_="+15552220001", body="through the proxy")
    assert created.sid.startswith("SM")
    assert client.messaging.v1.services(service["sid"]).fetch().inbound_request_url == "https://gw.example.test/sms"
    hosts = {c["host"] for c in control.calls()}
    assert {"api.twilio.com", "messaging.twilio.com"} <= hosts
    connects = control.http.get("/_emulator/connects").json()
    assert {(c["host"], c["allowed"]) for c in connects} >= {("api.twilio.com", True), ("messaging.twilio.com", True)}


def test_other_hosts_are_refused_and_recorded(proxied: tuple[EmulatorServer, Path]) -> None:
    server, ca = proxied
    context = ssl.create_default_context(cafile=str(ca))
    with (
        httpx.Client(proxy=server.proxy_url, verify=context, trust_env=False, timeout=5) as http,
        pytest.raises(httpx.ProxyError, match="403"),
    ):
        http.get("https://clawhub.ai/")
    connects = EmulatorClient(server.url).http.get("/_emulator/connects").json()
    assert any(c["host"] == "clawhub.ai" and c["allowed"] is False for c in connects)


def test_proxy_info_gives_the_ca(proxied: tuple[EmulatorServer, Path]) -> None:
    server, ca = proxied
    info = EmulatorClient(server.url).http.get("/_emulator/proxy").json()
    assert info["proxy_url"] == server.proxy_url and info["ca_pem"] == ca.read_text()


def test_no_proxy_no_info(emu: EmulatorClient) -> None:
    assert emu.http.get("/_emulator/proxy").status_code == 404


def tunnel(proxy_url: str, target: str, request: bytes) -> bytes:
    """CONNECT `target` through the proxy, send `request` in the tunnel, return what came back."""
    host, port = proxy_url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        answer = sock.recv(4096)
        if not answer.startswith(b"HTTP/1.1 200"):
            return answer
        sock.sendall(request)
        return sock.recv(65536)


def test_the_emulator_itself_is_reachable_through_its_proxy(proxied: tuple[EmulatorServer, Path]) -> None:
    """openclaw 2026.9.4 sends even its loopback model calls through proxy.proxyUrl."""
    server, _ = proxied
    own = server.url.removeprefix("http://")
    answer = tunnel(server.proxy_url, own, f"GET /_emulator/health HTTP/1.1\r\nHost: {own}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 200") and b'"status"' in answer
    elsewhere = own.rsplit(":", 1)[0] + ":9"
    assert tunnel(server.proxy_url, elsewhere, b"").startswith(b"HTTP/1.1 403")
