"""Recorded chat-completions exchanges replayed offline through the real adapter.

``tests/data/llm_recorded/*.json`` hold a request the adapter sent and the server's response (text, function
calling, ``json_object`` mode, a server-sent-event stream from llama.cpp + SmolLM2; a 429 and a 500 in the
standard OpenAI error shape), recorded by ``tests/data/llm_recorded/record.py``. A loopback server replays
each response; the test checks that the adapter still sends a request of the recorded shape and makes the
same result or error of the response. A change to the request shape fails here, without a live server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dialogue_engine.agents.llm import PersonaReply
from dialogue_engine.agents.prompts import realize_messages
from dialogue_engine.agents.testing import sample_request
from dialogue_engine.config import Settings
from dialogue_engine.llm import LLMError, LLMRateLimited, LLMServerError
from dialogue_engine.llm.openai_compat import from_settings
from dialogue_engine.llm.testing import FakeOpenAIServer, Recorded

DATA = Path(__file__).parent / "data" / "llm_recorded"
EXCHANGES = {p.stem: json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))}


def shape(body: dict[str, Any]) -> dict[str, Any]:
    """What must not drift: model, roles, tools and tool choice, response format, stream flag, token caps."""
    return {
        "model": body.get("model"),
        "roles": [m["role"] for m in body.get("messages", [])],
        "tools": body.get("tools"),
        "tool_choice": body.get("tool_choice"),
        "response_format": body.get("response_format"),
        "stream": body.get("stream", False),
        "max_tokens": body.get("max_tokens"),
        "max_completion_tokens": body.get("max_completion_tokens"),
        "temperature": body.get("temperature"),
    }


async def replay(exchange: dict[str, Any], *, mode: str | None = None) -> tuple[dict[str, Any], Any]:
    """Send the exchange's call through an adapter configured like the recording; return (request sent, outcome)."""
    request = exchange["request"]
    with FakeOpenAIServer(delay=0.0, replay=[Recorded.from_json(exchange["response"])]) as server:
        settings = Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_MODEL=request["model"],
                            QD_LLM_OUTPUT=mode or exchange["mode"], QD_LLM_MAX_TOKENS=request["max_completion_tokens"])
        model = from_settings(settings)
        messages = realize_messages(sample_request())
        try:
            if exchange["call"] == "complete":
                outcome: Any = await model.complete(messages)
            elif exchange["call"] == "structured":
                outcome = (await model.structured(messages, PersonaReply)).model_dump()
            else:
                outcome = "".join([chunk async for chunk in model.stream(messages)])
        except LLMError as err:
            outcome = err
        sent = server.requests[0]
    return sent, outcome


def test_all_recorded_kinds_are_present():
    assert set(EXCHANGES) == {"text", "function_calling", "json_object", "json_object_cut_off", "stream",
                              "rate_limited_429", "server_error_500"}


@pytest.mark.parametrize("name", sorted(EXCHANGES))
async def test_adapter_sends_the_recorded_request_shape(name):
    exchange = EXCHANGES[name]
    sent, _ = await replay(exchange)
    assert shape(sent) == shape(exchange["request"])


@pytest.mark.parametrize("name", sorted(EXCHANGES))
async def test_adapter_reads_the_recorded_response(name):
    exchange = EXCHANGES[name]
    expected = exchange["expected"]
    _, outcome = await replay(exchange)
    if "error" in expected:
        assert type(outcome).__name__ == expected["error"], outcome
        assert "message" not in expected or str(outcome) == expected["message"]
        return
    assert not isinstance(outcome, Exception), outcome
    assert outcome == expected["result"]


def test_the_recorded_wire_shapes_are_the_ones_we_mean():
    """The recordings themselves: a forced function call, json_object mode, a stream, standard errors."""
    fc = EXCHANGES["function_calling"]
    assert fc["request"]["tool_choice"] == {"type": "function", "function": {"name": "PersonaReply"}}
    assert fc["response"]["body"]["choices"][0]["message"].get("tool_calls")
    assert EXCHANGES["json_object"]["request"]["response_format"] == {"type": "json_object"}
    assert EXCHANGES["stream"]["response"]["sse"][-1] == "data: [DONE]"
    assert EXCHANGES["rate_limited_429"]["response"]["status"] == 429
    assert EXCHANGES["server_error_500"]["response"]["status"] == 500


async def test_error_mapping_keeps_retry_after_and_status():
    _, limited = await replay(EXCHANGES["rate_limited_429"])
    assert isinstance(limited, LLMRateLimited) and limited.retry_after == 2.0
    _, failed = await replay(EXCHANGES["server_error_500"])
    assert isinstance(failed, LLMServerError) and failed.status == 500


async def test_a_changed_request_shape_is_caught():
    """Sending the function-calling exchange in json_object mode changes the shape, and the check sees it."""
    exchange = EXCHANGES["function_calling"]
    sent, _ = await replay(exchange, mode="json_mode")
    assert shape(sent) != shape(exchange["request"])
