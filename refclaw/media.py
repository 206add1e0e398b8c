"""MMS as the plugin handles it: inbound files fetched from Twilio, outbound files hosted for Twilio.

In: at most 10 files (already counted by `inbound.parse`), 5 MiB in all, each fetched from its
`https://api.twilio.com/…/Messages/{sid}/Media/ME…` URL with the account's Basic auth, following
Twilio's redirect to its media CDN; a file that cannot be had becomes a count in
"[N Twilio MMS attachment(s) unavailable]" after the text. The agent is shown the saved files
the way OpenClaw shows them ("[media attached i/N: path (type)]").

Out: the operator's file is checked (Twilio's MMS types; images up to 5,000,000 bytes, other
types 500,000), copied under the state directory with a one-time token, and served on the
account's webhook path at `?__openclaw_mms_token_<id>=<token>` for ten minutes, the URL Twilio
is given as MediaUrl.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from refclaw import twilio_api
from refclaw.config import Account
from refclaw.inbound import Inbound

log = logging.getLogger("refclaw.media")

MAX_INBOUND_BYTES = 5 * 1024 * 1024
MEDIA_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)/Media/(ME[0-9a-fA-F]{32})$")
# Where Twilio's Media URL may send the fetch (its media CDN); nowhere else.
TWILIO_MEDIA_HOSTS = ("api.twilio.com", "mms.twiliocdn.com", "s3-external-1.amazonaws.com")
FETCH_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
ATTEMPTS = 2

IMAGE_MAX_BYTES = 5_000_000
OTHER_MAX_BYTES = 500_000
LARGE_TYPES = frozenset({"image/gif", "image/jpeg", "image/jpg", "image/png"})
MEDIA_ONLY_TYPES = frozenset({"application/vcard"})
# Twilio's MMS types, as the plugin lists them (type -> extension).
EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/vcard": ".vcf",
    "audio/3gpp": ".3gp",
    "audio/amr": ".amr",
    "audio/mp4": ".m4a",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "audio/webm": ".webm",
    "image/bmp": ".bmp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tiff",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
    "video/3gpp": ".3gp",
    "video/mp4": ".mp4",
    "video/mpeg": ".mpg",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
}
HOSTED_TTL_SECONDS = 600
TOKEN_PARAM = "__openclaw_mms_token_"
HOSTED_ID = re.compile(r"^[a-f0-9]{24}$")


class MediaError(Exception):
    """An outbound file Twilio MMS cannot carry; the message says why, as the plugin does."""


# -- in ----------------------------------------------------------------------------------------


@dataclass
class Saved:
    path: Path
    content_type: str


def unavailable_text(body: str, count: int) -> str:
    notice = f"[{count} Twilio MMS attachment{'' if count == 1 else 's'} unavailable]"
    body = body.strip()
    return f"{body}\n\n{notice}" if body else notice


async def materialize(account: Account, message: Inbound, folder: Path) -> tuple[str, list[Saved]]:
    """The text the agent gets and the files it is shown."""
    missing = message.unavailable_media
    if not message.media:
        return (unavailable_text(message.body, missing) if missing else message.body), []
    if message.account_sid != account.account_sid:
        log.warning("Refused Twilio MMS attachments for %s: webhook account mismatch", message.sid)
        return unavailable_text(message.body, missing + len(message.media)), []
    remaining, saved = MAX_INBOUND_BYTES, []
    for index, item in enumerate(message.media):
        if remaining <= 0:
            missing += 1
            continue
        try:
            content, kind = await fetch(account, item["url"], message.sid, remaining)
        except MediaError as exc:
            missing += 1
            log.warning("Failed to download Twilio MMS attachment %d for %s: %s", index + 1, message.sid, exc)
            continue
        kind = kind or item.get("contentType", "") or "application/octet-stream"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid.uuid4()}{mimetypes.guess_extension(kind) or '.bin'}"
        path.write_bytes(content)
        remaining -= len(content)
        saved.append(Saved(path, kind))
    return (unavailable_text(message.body, missing) if missing else message.body), saved


async def fetch(account: Account, url: str, message_sid: str, limit: int) -> tuple[bytes, str]:
    """One file from its Media URL, through Twilio's redirect; at most `limit` bytes."""
    parts = urlsplit(url)
    match = MEDIA_PATH.match(parts.path)
    if parts.scheme != "https" or parts.hostname != "api.twilio.com" or parts.port or parts.username:
        raise MediaError("Twilio MMS media URL must use https://api.twilio.com.")
    if not match or match.group(1) != account.account_sid or match.group(2) != message_sid:
        raise MediaError("Twilio MMS media URL does not match the inbound message.")
    auth = (account.account_sid or "", account.auth_token or "")
    for attempt in range(ATTEMPTS):
        try:
            return await _follow(url, auth, limit)
        except _Retryable as exc:
            if attempt + 1 == ATTEMPTS:
                raise MediaError(str(exc)) from None
    raise MediaError("no attempt was made")


class _Retryable(Exception):
    pass


async def _follow(url: str, auth: tuple[str, str], limit: int, hops: int = 3) -> tuple[bytes, str]:
    current, credentials = url, auth
    async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, trust_env=False) as http:
        for _ in range(hops + 1):
            host = urlsplit(current).hostname or ""
            if host not in TWILIO_MEDIA_HOSTS:
                raise MediaError(f"redirected to {host}, which is not Twilio's")
            try:
                async with http.stream("GET", twilio_api.reach(current), auth=credentials) as response:
                    if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                        nxt = str(httpx.URL(current).join(response.headers["location"]))
                        if urlsplit(nxt).hostname != host:
                            credentials = None  # credentials never follow a redirect to another host
                        current = nxt
                        continue
                    if response.status_code in (408, 429) or response.status_code >= 500:
                        raise _Retryable(f"HTTP {response.status_code}")
                    if response.status_code != 200:
                        raise MediaError(f"HTTP {response.status_code}")
                    content = bytearray()
                    async for piece in response.aiter_bytes():
                        content += piece
                        if len(content) > limit:
                            raise MediaError(f"over {limit} bytes")
                    return bytes(content), response.headers.get("content-type", "").split(";")[0].strip().lower()
            except httpx.TransportError as exc:
                raise _Retryable(exc.__class__.__name__) from None
    raise MediaError("too many redirects")


def attachment_lines(files: list[Saved]) -> list[str]:
    """How OpenClaw lists a turn's files for the agent."""
    if len(files) == 1:
        return [f"[media attached: {files[0].path} ({files[0].content_type})]"]
    lines = [f"[media attached: {len(files)} files]"] if files else []
    total = len(files)
    return lines + [f"[media attached {i}/{total}: {f.path} ({f.content_type})]" for i, f in enumerate(files, 1)]


# -- out ---------------------------------------------------------------------------------------


# What OpenClaw's loader reads a local file's type from before its name: its first bytes (offset, bytes, type)
SIGNATURES = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF8", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (8, b"WAVE", "audio/wav"),  # after RIFF and a size; Twilio MMS lists WAV only as audio/vnd.wave
    (4, b"ftyp", "video/mp4"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
)


def sniffed(content: bytes) -> str | None:
    """The type a file's first bytes say, if they say one."""
    return next((kind for at, magic, kind in SIGNATURES if content[at : at + len(magic)] == magic), None)


def check_outbound(path: Path, caption: str) -> tuple[bytes, str]:
    """The file and its type, or the plugin's reason Twilio MMS cannot carry it."""
    try:  # OpenClaw reads it through its safe file reader, whose errors the CLI prints as they are
        content = path.read_bytes()
    except FileNotFoundError:
        raise MediaError("FsSafeError: file not found") from None
    except IsADirectoryError:
        raise MediaError("FsSafeError: not a file") from None
    except PermissionError:
        raise MediaError("FsSafeError: permission denied") from None
    kind = sniffed(content) or (mimetypes.guess_type(path.name)[0] or "").lower()
    if kind not in EXTENSIONS:
        raise MediaError(f"Twilio MMS does not support media type {kind or 'unknown content type'}.")
    caption_bytes = len(caption.encode())
    if caption_bytes and kind in MEDIA_ONLY_TYPES:
        raise MediaError(f"Twilio MMS media type {kind} must be sent without a caption.")
    limit = IMAGE_MAX_BYTES if kind in LARGE_TYPES else OTHER_MAX_BYTES
    if len(content) > limit:
        raise MediaError(f"Twilio MMS media exceeds the {limit:,} byte limit for {kind}.")
    if len(content) + caption_bytes >= IMAGE_MAX_BYTES:
        # OpenClaw's loader refuses it first, against the budget the plugin gives it (5,000,000 less the
        # caption, less one), in MiB
        budget = IMAGE_MAX_BYTES - caption_bytes - 1
        raise MediaError(
            f"SMS media preparation failed before Twilio dispatch: {kind.split('/')[-1].upper()} exceeds "
            f"{budget / 2**20:.2f}MB limit (got {len(content) / 2**20:.2f}MB)"
        )
    return content, kind


def host(folder: Path, account: Account, content: bytes, kind: str, now: float) -> str:
    """Keep the file for Twilio to fetch until ten minutes after `now` (the gateway's clock); the
    public URL it will fetch it from."""
    public = account.public_webhook_url or ""
    parts = urlsplit(public)
    if parts.scheme != "https" or not parts.hostname:
        raise MediaError("MMS send requires an HTTPS publicWebhookUrl with a hostname.")
    ident, token = secrets.token_hex(12), secrets.token_hex(24)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ident}.bin").write_bytes(content)
    (folder / f"{ident}.meta").write_text(f"{token}\n{kind}\n{now + HOSTED_TTL_SECONDS}\n", encoding="utf-8")
    query = f"{parts.query}&" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}?{query}{TOKEN_PARAM}{ident}={token}"


def hosted(
    folder: Path, params: list[tuple[str, str]], method: str, now: Callable[[], float]
) -> tuple[int, dict[str, str], bytes] | None:
    """The answer to a request for a hosted file (status, headers, body); None when it is not one. A file is
    served while its expiry lies after `now()` (the plugin: `expiresAt > Date.now()`; the gateway's clock,
    read only for a hosted file: every webhook passes here), inline under a name of its id and type, never
    cached or sniffed; HEAD gets its headers alone."""
    candidates = [(k[len(TOKEN_PARAM) :], v) for k, v in params if k.startswith(TOKEN_PARAM)]
    candidates = [(i, t) for i, t in candidates if HOSTED_ID.match(i)]
    if not candidates:
        return None
    plain = {"Content-Type": "text/plain"}
    if len(candidates) != 1:
        return 400, plain, b"Bad Request"
    if method not in ("GET", "HEAD"):
        return 405, {**plain, "Allow": "GET, HEAD"}, b"Method Not Allowed"
    ident, token = candidates[0]
    try:
        saved_token, kind, expires = (folder / f"{ident}.meta").read_text(encoding="utf-8").split("\n")[:3]
        content = (folder / f"{ident}.bin").read_bytes()
    except (OSError, ValueError):
        return 404, plain, b"Not Found"
    if float(expires) <= now():
        return 404, plain, b"Not Found"
    if not secrets.compare_digest(token, saved_token):
        return 401, plain, b"Unauthorized"
    extension = EXTENSIONS.get(kind.split(";", 1)[0].strip().lower())
    if extension is None:
        return 415, plain, b"Unsupported Media Type"
    headers = {
        "Content-Type": kind,
        "Content-Length": str(len(content)),
        "Content-Disposition": f'inline; filename="mms-{ident[:10]}{extension}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return 200, headers, content if method == "GET" else b""
