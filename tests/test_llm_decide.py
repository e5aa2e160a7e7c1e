"""LLM-decides mode: the model's move is played unless the strategy vetoes it (below threshold, invalid)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogue_engine.agents import testing as fakes
from dialogue_engine.agents.llm_decide import ChosenMove, LLMDecider, decide_messages, make_deciding_agent_class, veto
from dialogue_engine.agents.types import Move, MoveKind, Observation, ObservationKind, TurnContext
from dialogue_engine.domain.loading import parse_model
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.llm import Role

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


@pytest.fixture()
def scenario() -> Scenario:
    return parse_model(MINI.read_text(), Scenario, MINI)


def utility_of(scenario: Scenario, party: str):
    scores = scenario.party(party).scores
    return lambda deal: sum(scores[i][o] for i, o in deal.items())


STRATEGY_MOVE = Move(kind=MoveKind.PROPOSE, proposal={"A": "A1", "B": "B3"}, to="beta", issue="A")


async def decide(scenario, model, on_table=None, text="What now?"):
    ctx = TurnContext(round=2, total_rounds=4, on_table=on_table, incoming=Observation(round=2, speaker="beta", kind=ObservationKind.MESSAGE, text=text))
    return await LLMDecider(model).decide(
        persona=fakes.sample_request().persona, scenario=scenario, ctx=ctx, history=[], strategy_move=STRATEGY_MOVE,
        utility=utility_of(scenario, "alpha"), threshold=scenario.party("alpha").threshold,
    )


async def test_llm_proposal_at_or_above_threshold_is_played(scenario):
    model = fakes.scripted({"kind": "propose", "proposal": {"A": "A2", "B": "B3"}})
    verdict = await decide(scenario, model)
    assert model.requests[0].schema is ChosenMove and model.requests[0].kind == "structured"
    assert verdict.source == "llm" and not verdict.vetoed
    assert verdict.move.kind is MoveKind.PROPOSE and verdict.move.proposal == {"A": "A2", "B": "B3"}


async def test_llm_proposal_below_threshold_is_vetoed(scenario):
    verdict = await decide(scenario, fakes.scripted({"kind": "counter", "proposal": {"A": "A3", "B": "B1"}}))
    assert verdict.vetoed and verdict.source == "strategy" and verdict.move == STRATEGY_MOVE
    assert verdict.reason == "counter below threshold"
    assert verdict.llm_move.proposal == {"A": "A3", "B": "B1"}


async def test_accept_below_threshold_is_vetoed_and_above_is_played(scenario):
    low = await decide(scenario, fakes.scripted({"kind": "accept"}), on_table={"A": "A3", "B": "B2"})
    assert low.vetoed and low.reason == "accept below threshold"
    high = await decide(scenario, fakes.scripted({"kind": "accept"}), on_table={"A": "A1", "B": "B2"})
    assert high.source == "llm" and high.move.proposal == {"A": "A1", "B": "B2"}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"kind": "propose", "proposal": {"A": "A1"}}, "invalid proposal: the deal has no option for issue(s) B"),
        ({"kind": "propose", "proposal": {"A": "A1", "B": "Z9"}}, "invalid proposal: unknown option 'Z9' on issue B"),
        ({"kind": "propose"}, "invalid proposal: the deal has no option for issue(s) A, B"),
        ({"kind": "accept"}, "accept with no complete deal on the table"),
    ],
)
async def test_invalid_llm_moves_are_replaced(scenario, answer, reason):
    verdict = await decide(scenario, fakes.scripted(answer))
    assert verdict.vetoed and verdict.reason == reason and verdict.move == STRATEGY_MOVE


async def test_non_deal_moves_pass_without_proposal(scenario):
    verdict = await decide(scenario, fakes.scripted({"kind": "ask", "proposal": {"A": "A3"}, "issue": "B"}))
    assert verdict.source == "llm" and verdict.move == Move(kind=MoveKind.ASK, proposal=None, to="beta", issue="B")


@pytest.mark.parametrize("model", [fakes.failing("timeout"), fakes.malformed("bad_json"), fakes.scripted({"kind": "dance"})])
async def test_failures_fall_back_to_the_strategy(scenario, model):
    verdict = await decide(scenario, model)
    assert verdict.source == "strategy" and not verdict.vetoed and verdict.reason.startswith("llm failed")
    assert verdict.reason.split(": ")[1] in ("timeout", "malformed reply")


def test_veto_is_a_pure_check(scenario):
    u = utility_of(scenario, "alpha")
    ok, why = veto(Move(kind=MoveKind.PROPOSE, proposal={"A": "A1", "B": "B2"}), scenario=scenario, utility=u, threshold=50, on_table=None)
    assert ok is not None and why is None
    ok, why = veto(Move(kind=MoveKind.PROPOSE, proposal={"A": "A1", "B": "B1"}), scenario=scenario, utility=u, threshold=50, on_table=None)
    assert ok is None and why == "propose below threshold"


def test_decide_prompt_has_option_ids_but_no_private_numbers(scenario):
    ctx = TurnContext(round=1, total_rounds=4, on_table={"A": "A2", "B": "B2"})
    system, user = decide_messages(fakes.sample_request().persona, scenario, ctx, ["beta: hello"])
    assert system.role is Role.SYSTEM and user.role is Role.USER
    text = system.content + user.content
    assert "A2 = Mid" in text and "A=A2" in text
    for n in ("40", "60", "50", "30"):
        assert n not in text


async def test_deciding_agent_never_plays_below_threshold(scenario):
    pytest.importorskip("dialogue_engine.agents.agent")
    agent_cls = make_deciding_agent_class()
    model = fakes.scripted(
        {"kind": "propose", "proposal": {"A": "A3", "B": "B1"}},  # utility 0 for alpha: vetoed
        {"kind": "propose", "proposal": {"A": "A1", "B": "B3"}},  # utility 100: played
    )
    agent = agent_cls(fakes.sample_request().persona, scenario, "alpha", decider=LLMDecider(model), seed=1)
    first = await agent.respond(TurnContext(round=1, total_rounds=4))
    second = await agent.respond(TurnContext(round=2, total_rounds=4))
    assert agent.verdicts[0].vetoed and agent.verdicts[0].source == "strategy"
    assert first.proposal is None or utility_of(scenario, "alpha")(first.proposal) >= 50
    assert agent.verdicts[1].source == "llm" and second.proposal == {"A": "A1", "B": "B3"}
