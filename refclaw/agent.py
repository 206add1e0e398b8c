"""The gateway's agent turn: ask the configured model, as OpenClaw's agent does.

Like OpenClaw (`models.providers.*.baseUrl`, `api: "openai-completions"`), the reference
gateway sends the user's text to an OpenAI-compatible `/chat/completions` endpoint named by
REFCLAW_MODEL_URL; the harness points it at the emulator's scripted model, so the reference
and the real gateway answer from the same script and neither carries a copy of it. With no
model configured (the gateway run by hand), the agent echoes.
"""

from __future__ import annotations

import os

import httpx

MODEL_URL_ENV = "REFCLAW_MODEL_URL"
MODEL_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class AgentError(Exception):
    """The model could not be asked, or gave no answer."""


async def answer(text: str) -> str:
    """The agent's reply to one user message."""
    base = os.environ.get(MODEL_URL_ENV, "").rstrip("/")
    if not base:
        return f"Echo: {text.strip()}"
    request = {"model": "fake-model", "stream": False, "messages": [{"role": "user", "content": text}]}
    try:
        async with httpx.AsyncClient(timeout=MODEL_TIMEOUT, trust_env=False) as http:
            response = await http.post(f"{base}/chat/completions", json=request)
        content = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise AgentError(f"the model at {base} gave no answer: {exc}") from exc
    if not isinstance(content, str):
        raise AgentError(f"the model at {base} answered a non-text message")
    return content
