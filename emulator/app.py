"""The Quart application: Twilio's REST API, the control API, the dispatcher, the state file."""

from __future__ import annotations

import re
from pathlib import Path

from quart import Quart, Response, jsonify, request

from emulator.control import Notifier, control
from emulator.devphone import page
from emulator.errors import ControlError, TwilioError
from emulator.llm import model
from emulator.models import Backend
from emulator.proxy import ConnectProxy
from emulator.responses import BASIC_CHALLENGE, basic_credentials, rest
from emulator.state_file import StateFile
from emulator.webhooks import Dispatcher

ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/([^/.]+)")


def create_app(
    backend: Backend,
    state_path: Path | None = None,
    proxy: ConnectProxy | None = None,
    control_token: str | None = None,
) -> Quart:
    app = Quart("emulator")
    app.config["CONTROL_TOKEN"] = control_token
    app.config["PROXY"] = proxy
    app.config["BACKEND"] = backend
    app.config["DISPATCHER"] = dispatcher = Dispatcher(backend)
    app.config["MAX_CONTENT_LENGTH"] = 8 * 1024 * 1024
    app.register_blueprint(rest)
    app.register_blueprint(control)
    app.register_blueprint(page)
    app.register_blueprint(model)
    state_file = StateFile(backend, state_path) if state_path else None

    @app.before_serving
    async def start() -> None:
        dispatcher.resume()  # a restart picks up what was under way
        if proxy:
            await proxy.start()
        notifier = Notifier()
        app.config["NOTIFIER"] = notifier

        def moved() -> None:
            notifier.notify()
            if state_file:
                state_file.schedule()

        backend.on_change = moved

    @app.after_serving
    async def stop() -> None:
        await dispatcher.close()
        if proxy:
            await proxy.close()
        backend.on_change = None
        if state_file:
            state_file.flush()

    @app.before_request
    async def read_body() -> None:
        """Every body is read before anything can refuse the request: an answer that leaves it
        unread made the next request on the kept-alive connection fail."""
        await request.get_data()

    @app.after_request
    async def durable(response: Response) -> Response:
        """With --state, an acknowledged write is on disk before its answer goes out: a message's
        change through the journal (group commit), anything else (provisioning, settings, faults,
        routes, media, opt-outs; rare) through a snapshot."""
        if state_file is None or request.method not in ("POST", "PUT", "DELETE") or response.status_code >= 400:
            return response
        if request.path == "/_emulator/wait":
            return response
        journaled = "/Messages" in request.path or request.path == "/_emulator/inbound"
        if journaled:
            await state_file.journal.commit()
        if backend.unjournaled or not journaled:
            await state_file.snapshot()
        return response

    @app.errorhandler(404)
    async def not_found(_: Exception) -> Response:
        if request.path.startswith("/_emulator/"):
            return _render(ControlError(f"no control endpoint {request.method} {request.path}", 404))
        return _render(TwilioError(20404, path=request.path))

    @app.errorhandler(405)
    async def bad_method(_: Exception) -> Response:
        """Twilio checks credentials before the method: a wrong method with bad credentials is a 401."""
        if request.path.startswith("/_emulator/"):
            return _render(ControlError(f"method {request.method} not allowed on {request.path}", 405))
        path_sid = ACCOUNT_PATH.match(request.path)
        try:
            backend.authenticate(path_sid.group(1) if path_sid else None, *basic_credentials())
        except TwilioError as exc:
            response = _render(exc)
            response.headers["WWW-Authenticate"] = BASIC_CHALLENGE
            return response
        return _render(TwilioError(20004))

    @app.errorhandler(413)
    async def too_large(_: Exception) -> Response:
        """A body over MAX_CONTENT_LENGTH (8 MiB): Twilio's 20413 on its routes, not an HTML page."""
        if request.path.startswith("/_emulator/"):
            return _render(ControlError("request body is larger than 8 MiB", 413))
        return _render(TwilioError(20413))

    @app.errorhandler(ControlError)
    async def control_error(exc: ControlError) -> Response:
        return _render(exc)

    return app


def _render(exc: ControlError | TwilioError) -> Response:
    response = jsonify(exc.to_json())
    response.status_code = exc.status
    return response
