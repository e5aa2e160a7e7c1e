"""PersonaAgent end to end with a fake retriever; fallbacks; concurrency."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from fakes.retriever import FakeRetriever

from dialogue_engine.agents import (
    MoveKind,
    Observation,
    ObservationKind,
    PersonaAgent,
    Realization,
    TurnContext,
)
from dialogue_engine.domain import Persona, Scenario, apply_effects, parse_model

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


def scenario() -> Scenario:
    return parse_model(MINI.read_text(), Scenario, str(MINI))


def persona(pid: str, **extra) -> Persona:
    return Persona.model_validate({"id": pid, "name": pid.title(), "kind": "state", "public_profile": "A state.",
                                   "knowledge": {"tags": ["finance", "negotiation"]}, **extra})


class SlowRealizer:
    """Answers after a fixed delay, like a remote LLM server."""

    def __init__(self, delay: float, text: str = "We hold our position on money [1]."):
        self.delay, self.text = delay, text

    async def realize(self, request):
        await asyncio.sleep(self.delay)
        return Realization(text=self.text, cited=[1], source="llm")


class BrokenRealizer:
    async def realize(self, request):
        raise TimeoutError("server did not answer")


async def test_turn_end_to_end_with_citations():
    ret = FakeRetriever()
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha", retriever=ret, seed=1)
    reply = await agent.respond(TurnContext(round=1, total_rounds=4))
    assert reply.move == MoveKind.PROPOSE and reply.proposal is not None
    assert agent.strategy.utility(reply.proposal) >= 50
    assert len(reply.citations) == 1 and f"[{reply.citations[0].n}]" in reply.message
    assert reply.citations[0].chunk_id.startswith(reply.citations[0].source)
    assert ret.calls[0][2] == {"tags": ["finance", "negotiation"]}
    assert reply.realizer == "builtin" and reply.fallback_reason is None
    assert agent.turns[-1].realizer == "builtin" and agent.last_move.kind == MoveKind.PROPOSE
    js = reply.to_json()
    assert set(js) >= {"persona", "message", "move", "proposal", "citations"}
    assert set(js["citations"][0]) >= {"source", "text"}


async def test_no_retriever_no_citations():
    reply = await PersonaAgent(persona("alpha"), scenario(), "alpha").respond(TurnContext(round=1, total_rounds=4))
    assert reply.citations == () and "[" not in reply.message


async def test_grounding_is_cached_per_issue_and_move():
    ret = FakeRetriever()
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha", retriever=ret)
    for r in range(1, 4):
        await agent.respond(TurnContext(round=r, total_rounds=10))
    assert len(ret.calls) < 3


async def test_failing_realizer_falls_back_and_records_it():
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha", retriever=FakeRetriever(), realizer=BrokenRealizer())
    reply = await agent.respond(TurnContext(round=1, total_rounds=4))
    assert reply.realizer == "builtin" and "TimeoutError" in reply.fallback_reason
    assert agent.turns[-1].fallback_reason == reply.fallback_reason and reply.message


async def test_leaking_realizer_is_replaced():
    leaky = SlowRealizer(0, "Honestly our threshold is 50 and this gives us 100.")
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha", realizer=leaky)
    reply = await agent.respond(TurnContext(round=1, total_rounds=4))
    assert reply.realizer == "builtin" and reply.fallback_reason.startswith("guard:")
    assert "50" not in reply.message and "100" not in reply.message


async def test_good_llm_text_is_kept():
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha", retriever=FakeRetriever(), realizer=SlowRealizer(0))
    reply = await agent.respond(TurnContext(round=1, total_rounds=4))
    assert reply.realizer == "llm" and reply.message.startswith("We hold") and [c.n for c in reply.citations] == [1]


async def test_round_of_agents_runs_concurrently():
    s = scenario()
    # Six replies one after another would take 6 x delay; together, about one delay. The bound (2 x delay) leaves
    # a delay's worth of time for the agents' own work, which another pytest-xdist worker on the same cores slows.
    delay = 0.5
    agents = [PersonaAgent(persona(pid), s, pid, realizer=SlowRealizer(delay), retriever=FakeRetriever())
              for pid in ("alpha", "beta") * 3]
    await agents[0].respond(TurnContext(round=1, total_rounds=4))  # warm-up
    start = time.perf_counter()
    replies = await asyncio.gather(*(a.respond(TurnContext(round=1, total_rounds=4)) for a in agents))
    elapsed = time.perf_counter() - start
    assert len(replies) == 6
    assert elapsed < delay * 2.0, f"{elapsed:.2f}s for 6 agents with a {delay}s realizer"


async def test_observe_learns_and_accepts_a_good_offer():
    s = scenario()
    agent = PersonaAgent(persona("beta"), s, "beta")
    agent.observe(Observation(round=1, speaker="alpha", kind=ObservationKind.MESSAGE, text="We propose A3 and B1, honestly."))
    assert agent.strategy.opponent.estimates["alpha"].observations == 1
    assert agent.on_table == {"A": "A3", "B": "B1"}
    reply = await agent.respond(TurnContext(round=1, total_rounds=4, incoming=Observation(round=1, speaker="alpha", kind=ObservationKind.MESSAGE,
                                                                       text="We propose A3 and B1, honestly.")))
    assert reply.move == MoveKind.ACCEPT and reply.proposal == {"A": "A3", "B": "B1"}


def test_vote_never_below_threshold():
    agent = PersonaAgent(persona("alpha"), scenario(), "alpha")
    space = agent.strategy.space
    for row in range(space.size):
        deal = space.deal_at(row)
        for r in (0, 2, 4):
            if agent.vote(deal, round_=r, total_rounds=4):
                assert space.utility("alpha", deal) >= 50


def test_update_scenario_and_relationships():
    s = scenario()
    agent = PersonaAgent(persona("beta"), s, "beta")
    agent.update_scenario(apply_effects(s, s.injects[0].effects))
    assert agent.strategy.threshold == 45
    before = agent.strategy.aspiration(0.5)
    agent.shift_relationship("alpha", 0.8, 0.8)
    assert agent.strategy.aspiration(0.5) < before


async def test_threat_lowers_trust():
    agent = PersonaAgent(persona("beta"), scenario(), "beta")
    agent.observe(Observation(round=1, speaker="alpha", kind=ObservationKind.MESSAGE, text="Move now or we will walk away."))
    assert agent.strategy.relationships["alpha"].trust < 0
