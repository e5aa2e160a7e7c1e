"""Solo talk is over after an agreement or the deadline: no more replies, proposals or votes, said in one line."""

from __future__ import annotations

import json

import pytest
from test_chat_cli import MINI, run_here

from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import stand_in_factory


@pytest.fixture()
def solo(tmp_path):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    info = svc.create_solo(str(MINI), "alpha", "beta", seed=3)
    return svc, info, next(s.code for s in info.seats if s.party == "alpha")


def test_after_the_deadline_the_persona_says_nothing_more(solo):
    svc, info, code = solo
    rounds = svc.state(info.exercise_id).total_rounds
    for n in range(rounds):
        svc.solo_send(code, f"Line {n}: what would work for you?")
    state = svc.state(info.exercise_id)
    assert state.ended and "deadline" in state.outcome["reason"]
    before = svc.store.last_seq(info.exercise_id)
    for act in (lambda: svc.solo_send(code, "One more thing?"),
                lambda: svc.solo_send(code, proposal={"A": "A1", "B": "B1"})):
        with pytest.raises(ExerciseError) as err:
            act()
        assert str(err.value).startswith("the talk is over") and "\n" not in str(err.value)
    offer = max(state.proposals) if state.proposals else None
    if offer is not None:
        with pytest.raises(ExerciseError, match="ended"):
            svc.vote(code, True, offer, confirm=True)
    assert svc.store.last_seq(info.exercise_id) == before


def test_after_an_agreement_chat_plays_no_further_line_and_says_so_once():
    script = "Hello, what do you need?\n/propose A=A1 B=B3 This one suits us.\n/accept!\n" + "/propose A=A2 B=B2\n" * 50
    out = run_here(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb", "--seed", "5"],
                   script)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [obj["agreed"] for obj in lines] == [False, False, True]
    notes = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "the talk is over" in notes[0] and "agreement" in notes[0]


def test_solo_proposals_after_the_end_are_not_stored(solo):
    svc, info, code = solo
    svc.solo_send(code, "We walk away from this.")
    state = svc.state(info.exercise_id)
    if not state.ended:  # the stand-in may not read it as a walk-out: end it as the deadline would
        svc.end(info.facilitator_code)
    n = sum(1 for e in svc.events(info.exercise_id) if e.kind == EventKind.PROPOSAL)
    with pytest.raises(ExerciseError, match="talk is over"):
        svc.solo_send(code, proposal={"A": "A2", "B": "B2"})
    assert sum(1 for e in svc.events(info.exercise_id) if e.kind == EventKind.PROPOSAL) == n
