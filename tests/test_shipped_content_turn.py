"""Every shipped scenario and persona plays a turn with the built-in pipeline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.retriever import FakeRetriever

from dialogue_engine.agents import PersonaAgent, TurnContext
from dialogue_engine.agents.agent import public_text
from dialogue_engine.agents.guard import check_reply
from dialogue_engine.agents.types import Citation
from dialogue_engine.domain import persona_for
from dialogue_engine.domain import Scenario, load_persona, load_scenario, parse_model

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
PERSONAS = sorted((ROOT / "personas").glob("*.yaml"))
MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


def _turn(agent: PersonaAgent, scenario: Scenario):
    reply = asyncio.run(agent.respond(TurnContext(round=1, total_rounds=scenario.rounds)))
    assert reply.message
    cited = [Citation(n=c.n, chunk_id=c.chunk_id, source=c.source, title=c.title, section=c.section, text=c.text) for c in reply.citations]
    assert not check_reply(reply.message, agent.party, cited, public_text=public_text(scenario, agent.persona))
    if reply.proposal is not None:
        assert agent.strategy.utility(reply.proposal) >= agent.party.threshold - 1e-9
    return reply


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_each_scenario_plays_a_turn(path):
    scenario = load_scenario(path)
    for n, party in enumerate(scenario.parties):
        agent = PersonaAgent(persona_for(party), scenario, party.id, retriever=FakeRetriever(), seed=n)
        _turn(agent, scenario)


@pytest.mark.parametrize("path", PERSONAS, ids=[p.stem for p in PERSONAS])
def test_each_persona_plays_a_turn(path):
    persona = load_persona(path)
    for spath in SCENARIOS:
        scenario = load_scenario(spath)
        seat = next((p.id for p in scenario.parties if p.persona_id == persona.id), None)
        if seat:
            break
    else:
        scenario, seat = parse_model(MINI.read_text(), Scenario, str(MINI)), "alpha"
    reply = _turn(PersonaAgent(persona, scenario, seat, retriever=FakeRetriever()), scenario)
    assert reply.persona == persona.id
