"""Carrying a built webhook request to its target, as Twilio's connection overrides say.

Knows nothing of messages, signatures or faults: it takes a request that is ready to go,
makes the attempts (`#ct=..&rt=..&tt=..&rc=..&rp=..` in the URL fragment bound them), and
answers with them, for the dispatcher to judge and record. Traffic only ever goes to loopback: a target
whose host is not loopback fails as a bad host name without any connection being attempted.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

from emulator.errors import BAD_HOST_NAME, CONNECTION_FAILURE, HTTP_RETRIEVAL_FAILURE
from emulator.recorder import Attempt

if TYPE_CHECKING:
    import aiohttp

MAX_RECORDED_BODY = 64 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass
class Overrides:
    """Twilio connection overrides; defaults are Twilio's own."""

    connect_ms: int = 5000
    read_ms: int = 15000
    total_ms: int = 15000
    retries: int = 1
    policy: set[str] = field(default_factory=lambda: {"ct", "rt"})

    @classmethod
    def from_url(cls, url: str, read_default_ms: int) -> Overrides:
        found = parse_qs(urlsplit(url).fragment)
        result = cls(read_ms=read_default_ms, total_ms=read_default_ms)

        def number(key: str, default: int, low: int, high: int) -> int:
            try:
                return max(low, min(high, int(found[key][0])))
            except (KeyError, ValueError):
                return default

        result.connect_ms = number("ct", result.connect_ms, 100, 10000)
        result.read_ms = number("rt", result.read_ms, 100, 15000)
        result.total_ms = number("tt", max(result.total_ms, result.read_ms), 100, 15000)
        result.retries = number("rc", result.retries, 0, 5)
        if "rp" in found:
            result.policy = {p.strip() for p in found["rp"][0].split(",") if p.strip()}
        return result

    def retry_on(self, failure: str) -> bool:
        return "all" in self.policy or failure in self.policy


@dataclass
class Outgoing:
    """A webhook request ready to go: signed, tampered with if a fault said so, routed."""

    target: str  # the local URL it reaches (after public-URL routing)
    method: str
    headers: dict[str, str]
    form: list[tuple[str, str]] | None  # None: a GET, whose form is in the URL
    overrides: Overrides


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def closed_port() -> int:
    """A loopback port nobody listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    """A target's answer: status, headers (names in lower case) and body."""

    status: int
    headers: dict[str, str]
    content: bytes


def answer_headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


@dataclass
class Carried:
    """What became of a request: every attempt, and the 2xx answer that ended them, if one did."""

    attempts: list[Attempt]
    outcome: str  # delivered | failed
    error_code: int | None = None
    answer: Answer | None = None


class Transport:
    """One aiohttp session for every webhook and file fetch, and the attempts of one request.

    aiohttp, not httpx: httpx (with httpcore and anyio under it) took 35 % of the CPU of an
    inbound delivery; bench/emulator_throughput.py prints what the change bought. The session
    (and aiohttp's import, a tenth of a second) waits for the first webhook, not for start-up.
    """

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self.session:
            await self.session.close()

    @property
    def client(self) -> aiohttp.ClientSession:
        if self.session is None:
            import aiohttp

            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=128),
                trust_env=False,
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding",),
            )
        return self.session

    async def send(self, outgoing: Outgoing) -> Carried:
        """Attempt until one is answered 2xx, the policy forbids a retry, or `tt` runs out."""
        import aiohttp
        from yarl import URL

        overrides = outgoing.overrides
        if not is_loopback(urlsplit(outgoing.target).hostname or ""):
            return Carried([Attempt(time.time(), outgoing.target, error="bad_host")], "failed", BAD_HOST_NAME)
        attempts: list[Attempt] = []
        error_code: int | None = None
        content = urlencode(outgoing.form).encode() if outgoing.form is not None else None
        target = URL(outgoing.target, encoded=True)  # sent byte for byte as built (and signed)
        deadline = time.monotonic() + overrides.total_ms / 1000  # tt bounds every attempt together
        for _ in range(1 + overrides.retries):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            attempt = Attempt(time.time(), outgoing.target)
            attempts.append(attempt)
            started = time.monotonic()
            failure: str | None = None
            timeout = aiohttp.ClientTimeout(
                total=left, sock_connect=overrides.connect_ms / 1000, sock_read=overrides.read_ms / 1000
            )
            try:
                async with self.client.request(
                    outgoing.method,
                    target,
                    headers=outgoing.headers,
                    data=content,
                    timeout=timeout,
                    allow_redirects=False,
                ) as response:
                    answer = Answer(response.status, answer_headers(response), await response.read())
                attempt.status, attempt.headers = answer.status, answer.headers
                attempt.body = answer.content[:MAX_RECORDED_BODY].decode("utf-8", "replace")
                if 200 <= answer.status < 300:
                    attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
                    return Carried(attempts, "delivered", None, answer)
                failure = "4xx" if answer.status < 500 else "5xx"
                attempt.error, error_code = "http", HTTP_RETRIEVAL_FAILURE
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                failure, attempt.error = "ct", f"connect: {exc.__class__.__name__}"
                error_code = CONNECTION_FAILURE
            except TimeoutError:  # aiohttp's read and total timeouts are TimeoutErrors too
                failure, attempt.error, error_code = "rt", "timeout", HTTP_RETRIEVAL_FAILURE
            except aiohttp.ClientError as exc:
                failure, attempt.error = "rt", f"transport: {exc.__class__.__name__}"
                error_code = HTTP_RETRIEVAL_FAILURE
            attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
            if not overrides.retry_on(failure):
                break
        return Carried(attempts, "failed", error_code)


@dataclass
class Fetched:
    """A GET's outcome: the answer, or why there is none (`error`)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    error: str | None = None  # bad_host | too large | transport: <name>


async def fetch(transport: Transport, target: str, headers: dict[str, str], limit: int) -> Fetched:
    """GET `target` (loopback only), reading at most `limit` bytes of its body."""
    import aiohttp
    from yarl import URL

    if not is_loopback(urlsplit(target).hostname or ""):
        return Fetched(error="bad_host")
    try:
        async with transport.client.get(
            URL(target, encoded=True), headers=headers, timeout=aiohttp.ClientTimeout(total=15.0)
        ) as response:
            got = Fetched(response.status, answer_headers(response))
            content = bytearray()
            async for piece in response.content.iter_chunked(64 * 1024):
                content += piece
                if len(content) > limit:
                    got.error = "too large"
                    return got
            got.content = bytes(content)
            return got
    except TimeoutError:
        return Fetched(error="transport: TimeoutError")
    except aiohttp.ClientError as exc:
        return Fetched(error=f"transport: {exc.__class__.__name__}")
