"""AI seats converse in exercises: a line addressed to a seat is answered by that seat, in the same channel."""

from __future__ import annotations

import pytest

from dialogue_engine.domain import load_scenario
from dialogue_engine.exercise.runner import addressed_to
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.views import Channel, Phase

SCENARIO = "pandemic-vaccine-partnership"


@pytest.fixture()
def game(tmp_path):
    scen = load_scenario(SCENARIO)
    human = scen.parties[0].id
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}")
    info = svc.create(scen, [human], seed=4)
    code = next(s.code for s in info.seats if s.party == human)
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)  # statements
    return svc, info, scen, human, code


def _ai_turns(svc, info):
    state = svc.state(info.exercise_id)
    assert state.phase in (Phase.STATEMENTS, Phase.PROPOSALS)
    while svc.step(info.exercise_id):
        pass


def test_a_private_question_is_answered_privately_by_that_seat(game):
    svc, info, scen, human, code = game
    target = scen.parties[1]
    svc.post_message(code, "Between us: what does your side most need from this partnership?", to=target.id)
    _ai_turns(svc, info)
    state = svc.state(info.exercise_id)
    replies = [m for m in state.messages if m.speaker == target.id]
    assert replies, "the addressed seat said nothing"
    reply = replies[-1]
    assert reply.channel == Channel.PRIVATE and reply.recipients == [human]
    assert reply.understood and "ask_priorities" in reply.understood["acts"]
    others = [m for m in state.messages if m.speaker not in (human, target.id) and m.speaker != "system"]
    assert all(human not in m.recipients or m.channel == Channel.PUBLIC for m in others)


def test_a_public_question_naming_a_seat_is_answered_by_it_in_public(game):
    svc, info, scen, human, code = game
    target = scen.parties[2]
    name = target.name or target.id
    svc.post_message(code, f"{name}, why does the financing question matter so much to you?")
    _ai_turns(svc, info)
    state = svc.state(info.exercise_id)
    reply = [m for m in state.messages if m.speaker == target.id][-1]
    assert reply.channel == Channel.PUBLIC and "ask_why" in (reply.understood or {}).get("acts", [])


def test_addressing_rules(game):
    svc, info, scen, human, code = game
    a, b = scen.parties[1], scen.parties[2]
    svc.post_message(code, f"{b.name or b.id}, a word on timing, please?")
    state = svc.state(info.exercise_id)
    assert addressed_to(state, a.id) is None  # a question naming another seat is not for a
    assert addressed_to(state, b.id) is not None
