"""The scripted model endpoint, streaming and not, and its record."""

from __future__ import annotations

import json

import httpx
import pytest

from emulator import agent_script
from emulator.client import EmulatorClient

WRAPPED = "Context: you are an SMS assistant.\nUser said:\nreply exactly SMS pong\n(end of message)"


def test_non_streaming_answer_and_record(emu: EmulatorClient) -> None:
    response = httpx.post(
        f"{emu.base_url}/v1/chat/completions",
        json={
            "model": "fake-model",
            "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": WRAPPED}],
        },
    )
    body = response.json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "SMS pong"}
    assert body["choices"][0]["finish_reason"] == "stop"
    (record,) = emu.http.get("/_emulator/model_requests").json()
    assert record["reply"] == "SMS pong" and "reply exactly" in record["user_text"]


def test_streaming_answer_reassembles(emu: EmulatorClient) -> None:
    content = [{"type": "text", "text": "please write a long markdown answer"}]
    with httpx.stream(
        "POST",
        f"{emu.base_url}/v1/chat/completions",
        json={"model": "fake-model", "stream": True, "messages": [{"role": "user", "content": content}]},
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == agent_script.LONG_MARKDOWN
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (json.dumps({"model": "x"}).encode(), "messages"),
        (json.dumps({"model": "x", "messages": []}).encode(), "messages"),
        (json.dumps({"model": "x", "messages": ["hi"]}).encode(), "messages[0]"),
        (json.dumps({"model": "x", "messages": [{"role": "user"}, {"content": "no role"}]}).encode(), "messages[1]"),
        (json.dumps({"model": 5, "messages": [{"role": "user", "content": "hi"}]}).encode(), "model"),
        (json.dumps({"model": "x", "messages": [{"role": "user", "content": "hi"}], "tools": 5}).encode(), "tools"),
    ],
)
def test_a_malformed_request_gets_openais_400(emu: EmulatorClient, body: bytes, param: str | None) -> None:
    response = httpx.post(
        f"{emu.base_url}/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]


def test_the_model_listing_answers_as_openai_does(emu: EmulatorClient) -> None:
    listed = httpx.get(f"{emu.base_url}/v1/models").json()
    assert listed["object"] == "list" and listed["data"][0]["object"] == "model"
    assert httpx.get(f"{emu.base_url}/v1/models/test-model").json()["id"] == "test-model"


def test_an_older_turn_does_not_answer_for_a_newer_one(emu: EmulatorClient) -> None:
    """OpenClaw shares one DM session: history holds other senders' directives."""
    messages = [
        {"role": "user", "content": "reply exactly pong"},
        {"role": "assistant", "content": "pong"},
        {"role": "user", "content": "please write a long markdown answer"},
        {"role": "user", "content": "<<<context block without a directive>>>"},
    ]
    body = httpx.post(f"{emu.base_url}/v1/chat/completions", json={"model": "m", "messages": messages}).json()
    assert body["choices"][0]["message"]["content"] == agent_script.LONG_MARKDOWN
