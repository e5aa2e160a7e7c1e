"""The adapter built by from_settings works across event loops (each app turn runs its own loop)."""

import asyncio

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer
from dialogue_engine.config import Settings
from dialogue_engine.llm.openai_compat import from_settings
from dialogue_engine.llm.testing import FakeOpenAIServer


def test_two_turns_in_two_event_loops_both_reach_the_server():
    with FakeOpenAIServer(delay=0.0) as server:
        settings = Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_TIMEOUT=10)
        realizer = LLMRealizer(from_settings(settings))
        first = asyncio.run(realizer.realize(fakes.sample_request()))
        second = asyncio.run(realizer.realize(fakes.sample_request()))
        calls = len(server.requests)
    assert first.source == "llm" and second.source == "llm" and calls == 2
    assert first.text.strip() and second.text.strip()
