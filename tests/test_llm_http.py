"""The real ``ChatOpenAI`` client against a loopback fake OpenAI server: wire format, 429s, 500s, timeouts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_chat_model, make_realizer
from dialogue_engine.agents.resilience import Backoff, ResilientRealizer
from dialogue_engine.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from fake_openai_server import FakeOpenAIServer  # noqa: E402


def settings_for(server: FakeOpenAIServer, **extra) -> Settings:
    return Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_MODEL="fake", **extra)


def resilient(server: FakeOpenAIServer, mode: str = "function_calling", **kw) -> ResilientRealizer:
    model = make_chat_model(settings_for(server))
    return ResilientRealizer(
        LLMRealizer(model, mode=mode), fakes.StubRealizer(), backoff=Backoff(base=0.0, jitter=0.0), **kw
    )


@pytest.mark.parametrize("mode", ["function_calling", "json_mode", "text"])
async def test_modes_over_http(mode):
    with FakeOpenAIServer(delay=0.0) as server:
        out = await resilient(server, mode).realize(fakes.sample_request())
        body = server.requests[0]
    assert out.source == "llm" and out.cited == (1,)
    assert body["max_completion_tokens"] == 300 and body["max_tokens"] == 300 and body["model"] == "fake"
    if mode == "function_calling":
        assert body["tools"][0]["function"]["name"] == "PersonaReply"
        assert body["tool_choice"]["function"]["name"] == "PersonaReply"
    elif mode == "json_mode":
        assert body["response_format"] == {"type": "json_object"}
    else:
        assert "tools" not in body


async def test_http_429_is_retried_then_succeeds():
    with FakeOpenAIServer(delay=0.0, fail_first=1, fail_status=429) as server:
        out = await resilient(server, retries=2).realize(fakes.sample_request())
        calls = len(server.requests)
    assert out.source == "llm" and calls == 2  # the client itself does not retry (max_retries=0)


async def test_http_429_every_time_falls_back_as_rate_limited():
    with FakeOpenAIServer(delay=0.0, fail_first=99, fail_status=429) as server:
        out = await resilient(server, retries=1).realize(fakes.sample_request())
    assert out.fallback_reason == "rate limited after 1 retry"


async def test_http_500_falls_back():
    with FakeOpenAIServer(delay=0.0, fail_first=99, fail_status=500) as server:
        out = await resilient(server, retries=0).realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason.startswith("connection error")


async def test_slow_server_times_out():
    with FakeOpenAIServer(delay=0.5) as server:
        out = await resilient(server, retries=0, timeout=0.05).realize(fakes.sample_request())
    assert out.fallback_reason == "timeout"


async def test_unreachable_server_is_a_connection_error():
    settings = Settings(QD_LLM="openai", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    realizer = make_realizer(settings, fallback=fakes.StubRealizer(), retries=0)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason.startswith("connection error")


async def test_streaming_over_http_falls_back_cleanly_when_unsupported():
    """The stdlib fake does not stream; the wrapper must still return words with the reason."""
    with FakeOpenAIServer(delay=0.0) as server:
        out = await resilient(server, "text").stream_realize(fakes.sample_request())
    assert out.text.strip()
