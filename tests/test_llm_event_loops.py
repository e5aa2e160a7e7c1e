"""A chat model built by make_chat_model works across event loops (each app turn runs its own loop)."""

import asyncio
import sys
from pathlib import Path

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import LLMRealizer, make_chat_model
from dialogue_engine.config import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from fake_openai_server import FakeOpenAIServer  # noqa: E402


def test_two_turns_in_two_event_loops_both_reach_the_server():
    with FakeOpenAIServer(delay=0.0) as server:
        settings = Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_TIMEOUT=10)
        realizer = LLMRealizer(make_chat_model(settings))
        first = asyncio.run(realizer.realize(fakes.sample_request()))
        second = asyncio.run(realizer.realize(fakes.sample_request()))
    assert first.source == "llm" and second.source == "llm"
    assert first.text.strip() and second.text.strip()
