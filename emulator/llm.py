"""A scripted, OpenAI-compatible model endpoint, so a real gateway's agent answers predictably.

`POST /v1/chat/completions` (streaming or not) answers the last user message
by the rules of `agent_script`; the directive may sit anywhere in that message
(gateways wrap the user's text in context). Every request is recorded. A request
an OpenAI-compatible server would refuse gets its 400 `invalid_request_error`
shape, which clients such as the `openai` package parse.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from emulator import agent_script

model = Blueprint("model", __name__)
STREAM_PIECE = 48


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def user_texts(messages: list[dict[str, Any]]) -> list[str]:
    """The user messages' texts, newest first."""
    return [text_of(m.get("content")) for m in reversed(messages) if m.get("role") == "user"]


MODEL = {"id": "fake-model", "object": "model", "created": 0, "owned_by": "sms-harness"}


def invalid(message: str, param: str | None = None) -> Response:
    """OpenAI's error shape for a request it refuses."""
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    response = jsonify({"error": error})
    response.status_code = 400
    return response


def malformed(body: Any) -> Response | None:
    """Why an OpenAI-compatible server would refuse this body, or None."""
    if not isinstance(body, dict):
        return invalid("We could not parse the JSON body of your request: expected a JSON object.")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return invalid("'messages' must be a non-empty array of message objects.", "messages")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            return invalid(f"messages[{i}] must be an object with a string 'role'.", f"messages[{i}]")
    if not isinstance(body.get("model", ""), str):
        return invalid("'model' must be a string.", "model")
    if not isinstance(body.get("tools") or [], list):
        return invalid("'tools' must be an array of tool objects.", "tools")
    return None


@model.get("/v1/models")
async def models() -> Response:
    return jsonify({"object": "list", "data": [MODEL]})


@model.get("/v1/models/<name>")
async def one_model(name: str) -> Response:
    """Any model name is served (the scripted agent answers whatever model a gateway asks for)."""
    return jsonify({**MODEL, "id": name})


@model.post("/v1/chat/completions")
async def completions() -> Response:
    try:
        body = json.loads(await request.get_data(as_text=False))
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the parser's depth
        body = None
    refused = malformed(body)
    if refused is not None:
        return refused
    backend = current_app.config["BACKEND"]
    latency = backend.faults.take("model_latency", account_sid=None)
    if latency:
        await asyncio.sleep(float(latency.params.get("delay_ms", 0)) / 1000)
    texts = user_texts(body["messages"])
    text = "\n\n".join(texts[:2])  # the newest turn and what came just before it, for the record
    reply = agent_script.reply_for_conversation(texts)
    backend.record(
        "model_requests",
        model=str(body.get("model", "")),
        stream=bool(body.get("stream")),
        user_text=text[-20000:],
        reply=reply[:200],
        tools=len(body.get("tools") or []),
    )
    ident = f"chatcmpl-{backend.seq}"
    created = int(time.time())
    usage = {"prompt_tokens": len(text) // 4 + 1, "completion_tokens": len(reply) // 4 + 1}
    usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
    name = body.get("model", "fake-model")
    if not body.get("stream"):
        return jsonify(
            {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": name,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
                "usage": usage,
            }
        )

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": ident,
            "object": "chat.completion.chunk",
            "created": created,
            "model": name,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data)}\n\n"

    async def events() -> AsyncIterator[bytes]:
        yield chunk({"role": "assistant", "content": ""}).encode()
        for start in range(0, len(reply), STREAM_PIECE):
            yield chunk({"content": reply[start : start + STREAM_PIECE]}).encode()
        yield chunk({}, "stop", usage=usage).encode()
        yield b"data: [DONE]\n\n"

    return Response(events(), content_type="text/event-stream", headers={"Cache-Control": "no-cache"})
