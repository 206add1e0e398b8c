"""The gateway's HTTP server: the SMS webhooks of every account plus health endpoints."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from quart import Quart, Response, request

from refclaw import channel, media
from refclaw.dispatcher import Background

log = logging.getLogger("refclaw.http")


def create_app(runtime: channel.Runtime) -> Quart:
    app = Quart("refclaw")
    app.config["MAX_CONTENT_LENGTH"] = channel.MAX_BODY_BYTES
    app.config["BODY_TIMEOUT"] = channel.BODY_TIMEOUT_SECONDS
    background = Background()

    @app.after_serving
    async def drain() -> None:
        await background.drain(timeout=10)

    async def settle(work: Callable[[], Awaitable[None]], sid: str) -> None:
        try:
            await work()
        finally:
            runtime.state.mark_settled(sid)

    @app.get("/readyz")
    async def ready() -> Response:
        runtime.current()  # picks up a changed config file now, so readiness means the new config is live
        return Response("ok", content_type="text/plain")

    @app.get("/healthz")
    async def health() -> Response:
        return Response("ok", content_type="text/plain")

    @app.errorhandler(413)
    async def too_large(_: Exception) -> Response:
        return Response("Payload too large", status=413, content_type=channel.XML)

    @app.errorhandler(500)
    async def route_failed(error: Exception) -> Response:
        """As OpenClaw's gateway answers a plugin route that throws: a warning naming the plugin, and a
        plain 500 nothing may cache."""
        log.warning("plugin http route failed (sms): %s", getattr(error, "original_exception", None) or error)
        response = Response("Internal Server Error", status=500, content_type=channel.PLAIN)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
    async def webhook(path: str) -> Response:
        account = runtime.account_for_path(request.path)
        if account is None:
            return Response("Not Found", status=404, content_type=channel.PLAIN)
        hosted = media.hosted(
            runtime.state.hosted_media(account.id),
            list(request.args.items(multi=True)),
            request.method,
            runtime.state.now,
        )
        if hosted is not None:  # an outbound MMS file Twilio fetches
            status, headers, content = hosted
            response = Response(content, status=status)
            response.headers.update(headers)  # after the body: HEAD's Content-Length is the file's
            return response
        body = await request.get_data() if request.method == "POST" else b""
        answer = channel.handle_webhook(
            runtime,
            account,
            request.method,
            request.query_string.decode("latin-1"),
            body,
            request.headers,
            request.remote_addr or "unknown",
        )
        if answer.work is not None:
            background.spawn(settle(answer.work, answer.sid))
        else:
            runtime.state.mark_settled(answer.sid)
        response = Response(answer.body, status=answer.status, content_type=answer.content_type)
        if answer.accepted:
            response.headers[channel.ACCEPTED_HEADER[0]] = channel.ACCEPTED_HEADER[1]
        return response

    return app
