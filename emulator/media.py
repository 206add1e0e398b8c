"""Media files: what a handset's picture is made of, and the short-lived CDN links Twilio hands out.

A test asks for "an image/png of 40000 bytes"; the file it gets starts with the
real signature of its type (so a gateway that sniffs content sees what it was
told) and is padded to the size asked for, the same bytes for the same seed.
Twilio serves a Media file by redirecting to `mms.twiliocdn.com` under a link
that expires after four hours; `cdn_link` and `cdn_media` are that link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
import zlib
from struct import pack

API_HOST = "https://api.twilio.com"
CDN_HOST = "mms.twiliocdn.com"
CDN_TTL_SECONDS = 4 * 3600
MAX_FILE_BYTES = 5 * 1024 * 1024  # Twilio's cap for one message's media

# What Twilio accepts in an MMS (its "accepted content types"); anything else fails with 12300.
ACCEPTED_PREFIXES = ("image/", "audio/", "video/")
ACCEPTED_TYPES = frozenset(
    {
        "application/pdf",
        "application/vcard",
        "text/vcard",
        "text/x-vcard",
        "text/directory",
        "text/calendar",
        "text/csv",
        "text/rtf",
        "text/richtext",
    }
)

_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f14"
    "1d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100"
    "ffc4001f0000010501010101010100000000000000000102030405060708090a0bffda0008010100003f00d2cf20ffd9"
)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return pack(">I", len(data)) + kind + data + pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


SIGNATURES: dict[str, bytes] = {
    "image/png": _png(),
    "image/jpeg": _JPEG,
    "image/gif": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    "application/pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n",
    "video/mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "audio/mpeg": b"ID3\x03\x00\x00\x00\x00\x00\x00",
    # an Ogg page (27 bytes and a one-segment table) opening a Vorbis stream: what says "audio" in an Ogg file
    "audio/ogg": b"OggS\x00\x02" + bytes(20) + b"\x01\x1e\x01vorbis",
    "audio/wav": b"RIFF\x00\x00\x00\x00WAVEfmt ",  # WAV as most tools name it; Twilio MMS lists audio/vnd.wave
}


def mime_type(content_type: str) -> str:
    """The bare type of a Content-Type header: lower case, parameters dropped ("" when absent)."""
    return content_type.split(";")[0].strip().lower()


def sample_file(content_type: str, size: int, seed: str) -> bytes:
    """A file of `content_type` and exactly `size` bytes (at least its signature's length)."""
    if not 0 < size <= MAX_FILE_BYTES:
        raise ValueError(f"size must be between 1 and {MAX_FILE_BYTES} bytes")
    kind = mime_type(content_type)
    text = kind.startswith("text/")
    head = b"sms-harness sample\n" if text else SIGNATURES.get(kind, b"")
    if size < len(head):
        raise ValueError(f"a {kind} file is at least {len(head)} bytes")
    rest = size - len(head)
    filler = (b"lorem ipsum " * (rest // 12 + 1))[:rest] if text else random.Random(seed).randbytes(rest)
    return head + filler


def accepted(content_type: str) -> bool:
    kind = mime_type(content_type)
    return kind.startswith(ACCEPTED_PREFIXES) or kind in ACCEPTED_TYPES


def decode(data: str) -> bytes:
    """Base64 from the control API, refused in one sentence when it is not base64."""
    try:
        return base64.b64decode(data, validate=True)
    except ValueError:
        raise ValueError("'data' must be base64") from None


def cdn_link(key: bytes, account_sid: str, media_sid: str, now: float | None = None) -> str:
    """The short-lived URL a Media file redirects to."""
    expires = int((now or time.time()) + CDN_TTL_SECONDS)
    return f"https://{CDN_HOST}/{account_sid}/{media_sid}?Expires={expires}&Signature={_sign(key, media_sid, expires)}"


def cdn_media(key: bytes, media_sid: str, expires: str, signature: str, now: float | None = None) -> bool:
    """Whether a CDN link is genuine and still valid."""
    try:
        when = int(expires)
    except ValueError:
        return False
    return when >= (now or time.time()) and hmac.compare_digest(signature, _sign(key, media_sid, when))


def _sign(key: bytes, media_sid: str, expires: int) -> str:
    return hmac.new(key, f"{media_sid}:{expires}".encode(), hashlib.sha256).hexdigest()[:40]
