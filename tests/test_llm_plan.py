"""The LLM path gets the same plan as the built-in realizer: the answers first, then the move, facts allowed."""

from __future__ import annotations

import re

from dialogue_engine.agents import PersonaAgent, TurnContext
from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm import make_realizer
from dialogue_engine.agents.types import Observation, ObservationKind
from dialogue_engine.config import Settings
from dialogue_engine.domain import load_persona, load_scenario


async def _prompt_for(line: str) -> str:
    scenario = load_scenario("us-china-quiet-dialogue")
    model = fakes.replying("Sovereignty comes first for us, and the Strait language matters most here.", cited=())
    realizer = make_realizer(Settings(QD_LLM="openai", OPENAI_API_KEY="k"), model=model)
    agent = PersonaAgent(load_persona("china"), scenario, "china", realizer=realizer, seed=1)
    incoming = Observation(round=1, speaker="united-states", kind=ObservationKind.MESSAGE, text=line)
    reply = await agent.respond(TurnContext(round=1, total_rounds=6, incoming=incoming))
    assert reply.realizer == "llm"
    return model.requests[0].messages[-1].content


async def test_a_priorities_question_reaches_the_model_as_something_to_answer_in_words():
    prompt = await _prompt_for("What does Beijing most need from this channel?")
    assert "They asked what matters most to you" in prompt and "sovereignty and non-interference" in prompt
    scores = load_scenario("us-china-quiet-dialogue").party("china")
    private = {f"{scores.threshold:g}"} | {f"{v:g}" for table in scores.scores.values() for v in table.values()}
    plan_part = prompt.split("Answer these first", 1)[1].split("Decided move", 1)[0]
    assert not set(re.findall(r"\d+", plan_part)) & private


async def test_a_question_about_a_deal_is_never_put_to_the_model_as_acceptance():
    prompt = await _prompt_for("Do we have a deal?")
    assert "A question is not an acceptance" in prompt or "whether you accept" in prompt
    assert "Decided move: accept" not in prompt
