"""The dev phone: a page, served by the emulator itself, to play the handset and watch Twilio.

Static files inside the package (no Node build step); the page reads the control API and
follows `/_emulator/events`. It sits behind the control API's guard: loopback host names only.
"""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, send_from_directory

from emulator.control.guard import guard

STATIC = Path(__file__).parent / "static" / "devphone"
page = Blueprint("devphone", __name__, url_prefix="/_emulator/phone")
page.before_request(guard)


@page.get("/")
async def index() -> Response:
    return await send_from_directory(STATIC, "index.html")


@page.get("/<any(devphone.js, devphone.css):name>")
async def asset(name: str) -> Response:
    return await send_from_directory(STATIC, name)
