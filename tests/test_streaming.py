"""Streaming replies: sentence buffering, the per-sentence leak guard, and ``on_text`` from the agent down.

A sentence the guard rejects never reaches ``on_text``; the stream stops there and the fallback's words are
the final text. With the built-in realizer ``on_text`` gets the final text once.
"""

from __future__ import annotations

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.agent import PersonaAgent
from dialogue_engine.agents.llm import LLMRealizer, make_realizer
from dialogue_engine.agents.realizer import Realization
from dialogue_engine.agents.resilience import GuardRejected, ResilientRealizer, party_guard
from dialogue_engine.agents.streaming import SentenceBuffer, SentenceGate, show
from dialogue_engine.agents.types import Observation, ObservationKind, TurnContext
from dialogue_engine.config import Settings
from dialogue_engine.domain import load_persona, load_scenario

SCENARIO = load_scenario("us-china-quiet-dialogue")
SECRET = f"{SCENARIO.party('china').threshold:g}"  # China's private minimum
CLEAN = "We have listened carefully to your question. "
LEAK = f"Between us, Beijing could live with {SECRET} overall. "
TAIL = "Let us keep talking about the crisis channel."


class ChunkModel:
    """A streaming fake that yields given chunks and records how many were pulled and whether it was closed."""

    def __init__(self, chunks: list[str]):
        self.chunks = chunks
        self.pulled = 0
        self.closed = False

    async def stream(self, messages, *, max_tokens=None, timeout=None):
        try:
            for chunk in self.chunks:
                self.pulled += 1
                yield chunk
        finally:
            self.closed = True


def by_chars(text: str, size: int = 3) -> list[str]:
    """``text`` cut into small pieces (numbers and words split across chunks)."""
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_sentence_buffer_releases_whole_sentences_only():
    buf = SentenceBuffer()
    out = [s for piece in by_chars("It costs 61.5 today. Is that fair? \u201cYes.\u201d Then", 2) for s in buf.feed(piece)]
    assert out == ["It costs 61.5 today. ", "Is that fair? ", "\u201cYes.\u201d "]
    assert buf.flush() == "Then" and buf.flush() == ""


def test_gate_drops_unknown_citations_and_stops_at_a_rejected_sentence():
    request = fakes.sample_request()
    seen: list[str] = []
    gate = SentenceGate(request, lambda req, real: "leak" if "secret" in real.text else None, seen.append)
    gate("Fees should be shared [1]. Unknown source [7]. ")
    assert seen == ["Fees should be shared [1]. ", "Unknown source. "]
    with pytest.raises(GuardRejected, match="sentence 3: leak"):
        gate("The secret is out. More words.")
    with pytest.raises(GuardRejected):
        gate.close()  # a stopped gate shows nothing more
    assert seen == ["Fees should be shared [1]. ", "Unknown source. "] and gate.text == "".join(seen)


def test_a_failing_display_never_fails_the_stream():
    def broken(text: str) -> None:
        raise RuntimeError("socket closed")

    gate = SentenceGate(fakes.sample_request(), None, broken)
    gate("One. Two. ")
    gate.close()
    assert gate.text == "One. Two. " and gate.on_text is None
    assert show(None, "anything") and not show(broken, "anything")


def resilient_for_china(model) -> ResilientRealizer:
    guard = party_guard(SCENARIO.party("china"))
    return ResilientRealizer(LLMRealizer(model, plain_text=True), fakes.StubRealizer("Fallback words."), guard=guard)


@pytest.mark.parametrize("size", [1, 3, 40])
async def test_private_number_in_the_second_sentence_is_never_shown(size):
    """However the chunks cut the words (one character at a time splits the number itself)."""
    model = ChunkModel(by_chars(CLEAN + LEAK + TAIL, size))
    seen: list[str] = []
    out = await resilient_for_china(model).stream_realize(fakes.sample_request(persona=load_persona("china")),
                                                         seen.append)
    assert seen == [CLEAN]
    assert not any(SECRET in s for s in seen)
    assert out.text == "Fallback words." and out.source == "builtin"
    assert out.fallback_reason.startswith("guard rejected reply: sentence 2:")
    assert model.closed and model.pulled < len(by_chars(CLEAN + LEAK + TAIL, size))  # the stream stopped there


async def test_a_clean_stream_shows_every_sentence_in_order():
    model = ChunkModel(by_chars(CLEAN + TAIL))
    seen: list[str] = []
    out = await resilient_for_china(model).stream_realize(fakes.sample_request(persona=load_persona("china")),
                                                         seen.append)
    assert seen == [CLEAN, TAIL]
    assert out.source == "llm" and out.text.startswith(CLEAN.strip())


# ---------------------------------------------------------------- the agent


def china(realizer=None) -> PersonaAgent:
    return PersonaAgent(load_persona("china"), SCENARIO, "china", realizer=realizer, seed=3)


def turn(text: str = "What does Beijing most need from this channel?") -> TurnContext:
    line = Observation(round=1, speaker="united-states", kind=ObservationKind.MESSAGE, text=text)
    return TurnContext(round=1, total_rounds=SCENARIO.rounds, incoming=line)


async def test_builtin_agent_gives_on_text_the_final_text_once_and_says_the_same():
    seen: list[str] = []
    streamed = await china().respond(turn(), on_text=seen.append)
    plain = await china().respond(turn())
    assert seen == [streamed.message]
    assert streamed.message == plain.message and streamed.realizer == "builtin"


async def test_agent_streams_through_a_configured_llm_and_keeps_the_leak_out():
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_OUTPUT="text")
    leaky = fakes.scripted(CLEAN + LEAK + TAIL)
    agent = china(make_realizer(settings, model=leaky, retries=0))
    seen: list[str] = []
    reply = await agent.respond(turn(), on_text=seen.append)
    assert seen == [CLEAN]
    assert SECRET not in "".join(seen) and SECRET not in reply.message
    assert reply.realizer == "builtin" and reply.fallback_reason.startswith("guard rejected reply")
    assert reply.message != CLEAN.strip() and reply.message.strip()
    assert [r.kind for r in leaky.requests] == ["stream"]  # one attempt: shown words are never regenerated


async def test_agent_streams_a_clean_llm_reply_and_returns_its_final_text():
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_OUTPUT="text")
    agent = china(make_realizer(settings, model=fakes.scripted(CLEAN + TAIL), retries=0))
    seen: list[str] = []
    reply = await agent.respond(turn(), on_text=seen.append)
    assert seen == [CLEAN, TAIL]
    assert reply.realizer == "llm" and reply.message.startswith("".join(seen).strip())


async def test_breaking_character_in_the_first_sentence_shows_nothing():
    settings = Settings(QD_LLM="openai", OPENAI_API_KEY="k", QD_LLM_OUTPUT="text")
    model = fakes.scripted("As an AI language model, I cannot negotiate. " + TAIL)
    seen: list[str] = []
    reply = await china(make_realizer(settings, model=model, retries=0)).respond(turn(), on_text=seen.append)
    assert seen == [] and reply.realizer == "builtin" and "language model" not in reply.message


async def test_a_realizer_without_a_seat_guard_is_shown_only_after_the_checks():
    """A bare LLM realizer carries no seat guard, so nothing streams: the checked final text is shown once."""
    agent = china(LLMRealizer(fakes.scripted(CLEAN + LEAK + TAIL), plain_text=True))
    seen: list[str] = []
    reply = await agent.respond(turn(), on_text=seen.append)
    assert seen == [reply.message] and SECRET not in reply.message and reply.realizer == "builtin"


def test_the_leaking_script_really_leaks_without_the_gate():
    guard = party_guard(SCENARIO.party("china"))
    assert guard(fakes.sample_request(), Realization(text=LEAK.strip())) is not None
    assert guard(fakes.sample_request(), Realization(text=CLEAN.strip())) is None
    assert guard(fakes.sample_request(), Realization(text=TAIL)) is None
