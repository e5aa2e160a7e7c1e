"""The real adapter against a loopback fake OpenAI server: wire format, streaming, 429s, 500s, timeouts."""

from __future__ import annotations

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_realizer
from dialogue_engine.agents.resilience import ResilientRealizer
from dialogue_engine.config import Settings
from dialogue_engine.llm import Backoff, LLMConnectionError, LLMRateLimited, LLMServerError, LLMTimeout
from dialogue_engine.llm import resilient as hardened
from dialogue_engine.llm.openai_compat import from_settings
from dialogue_engine.llm.testing import FakeOpenAIServer


def settings_for(server: FakeOpenAIServer, mode: str = "function_calling", **extra) -> Settings:
    return Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_MODEL="fake", QD_LLM_OUTPUT=mode, **extra)


def resilient(server: FakeOpenAIServer, mode: str = "function_calling", *, retries=2, timeout=30.0) -> ResilientRealizer:
    model = hardened(from_settings(settings_for(server, mode)), timeout=timeout, retries=retries,
                     backoff=Backoff(base=0.0, jitter=0.0))
    return ResilientRealizer(LLMRealizer(model, plain_text=mode == "text"), fakes.StubRealizer())


@pytest.mark.parametrize("mode", ["function_calling", "json_mode", "text"])
async def test_modes_over_http(mode):
    with FakeOpenAIServer(delay=0.0) as server:
        out = await resilient(server, mode).realize(fakes.sample_request())
        body = server.requests[0]
    assert out.source == "llm" and out.cited == (1,)
    assert body["max_completion_tokens"] == 300 and body["max_tokens"] == 300 and body["model"] == "fake"
    assert [m["role"] for m in body["messages"]][:2] == ["system", "user"] and "stream" not in body
    if mode == "function_calling":
        assert body["tools"][0]["function"]["name"] == "PersonaReply"
        assert body["tool_choice"]["function"]["name"] == "PersonaReply"
    elif mode == "json_mode":
        assert body["response_format"] == {"type": "json_object"} and "tools" not in body
    else:
        assert "tools" not in body and "response_format" not in body


async def test_http_429_is_retried_then_succeeds():
    with FakeOpenAIServer(delay=0.0, fail_first=1, fail_status=429) as server:
        out = await resilient(server, retries=2).realize(fakes.sample_request())
        calls = len(server.requests)
    assert out.source == "llm" and calls == 2


async def test_http_429_every_time_falls_back_as_rate_limited():
    with FakeOpenAIServer(delay=0.0, fail_first=99, fail_status=429) as server:
        out = await resilient(server, retries=1).realize(fakes.sample_request())
    assert out.fallback_reason == "rate limited after 1 retry"


async def test_http_500_falls_back():
    with FakeOpenAIServer(delay=0.0, fail_first=99, fail_status=500) as server:
        out = await resilient(server, retries=0).realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason == "connection error: server error 500"


async def test_adapter_maps_http_failures_to_project_errors():
    with FakeOpenAIServer(delay=0.0, fail_first=1, fail_status=429) as server:
        with pytest.raises(LLMRateLimited) as err:
            await from_settings(settings_for(server)).complete(())
    assert err.value.retry_after == 0.0
    with FakeOpenAIServer(delay=0.0, fail_first=1, fail_status=503) as server:
        with pytest.raises(LLMServerError, match="fake failure") as err:
            await from_settings(settings_for(server)).complete(())
    assert err.value.status == 503
    with FakeOpenAIServer(delay=0.5) as server:
        with pytest.raises(LLMTimeout):
            await from_settings(settings_for(server, QD_LLM_TIMEOUT=0.05)).complete(())
    with pytest.raises(LLMConnectionError, match="cannot reach"):
        await from_settings(Settings(QD_LLM="openai", OPENAI_BASE_URL="http://127.0.0.1:9/v1")).complete(())


async def test_slow_server_times_out():
    with FakeOpenAIServer(delay=0.5) as server:
        out = await resilient(server, retries=0, timeout=0.05).realize(fakes.sample_request())
    assert out.fallback_reason == "timeout"


async def test_unreachable_server_is_a_connection_error():
    settings = Settings(QD_LLM="openai", OPENAI_BASE_URL="http://127.0.0.1:9/v1")
    realizer = make_realizer(settings, fallback=fakes.StubRealizer(), retries=0)
    out = await realizer.realize(fakes.sample_request())
    assert out.fallback_reason.startswith("connection error")


async def test_streaming_over_http():
    """The server streams word by word; the guarded realizer shows whole checked sentences, in order."""
    text = "Why that date [2]? We could move later. Perhaps in spring"
    with FakeOpenAIServer(delay=0.0, text=text) as server:
        seen: list[str] = []
        out = await resilient(server, "text").stream_realize(fakes.sample_request(), seen.append)
        body = server.requests[0]
    assert body["stream"] is True and "tools" not in body
    assert seen == ["Why that date [2]? ", "We could move later. ", "Perhaps in spring"]
    assert out.source == "llm" and out.cited == (2,) and out.text.startswith("".join(seen))


async def test_streaming_failure_falls_back_cleanly():
    with FakeOpenAIServer(delay=0.0, fail_first=99, fail_status=500) as server:
        out = await resilient(server, "text").stream_realize(fakes.sample_request())
    assert out.source == "builtin" and out.fallback_reason == "connection error: server error 500"
