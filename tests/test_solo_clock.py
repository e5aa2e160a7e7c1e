"""Solo practice keeps the scenario's clock: injects fire on their round, the deadline ends the talk, and a
package below the player's own minimum is accepted only when confirmed (and the debrief calls it a mistake)."""

from __future__ import annotations

import pytest

from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.solo import latest_offer
from dialogue_engine.report.scoring import score


@pytest.fixture()
def svc(tmp_path):
    return ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}")


def _solo(svc, scenario="us-china-quiet-dialogue", human="united-states", ai="china"):
    info = svc.create_solo(scenario, human, ai, seed=2)
    code = next(s.code for s in info.seats if s.party == human)
    svc.join(code)
    return info.exercise_id, code


def test_the_near_miss_fires_in_round_two_and_the_deadline_ends_the_talk(svc):
    ex, code = _solo(svc)
    svc.solo_send(code, "Good morning, Ambassador.")
    assert not svc.state(ex).injects
    svc.solo_send(code, "What does Beijing most need from this channel?")
    state = svc.state(ex)
    assert [i.inject_id for i in state.injects] == ["near-miss"] and state.round == 2
    for _ in range(state.total_rounds - 2):
        if svc.state(ex).ended:
            break
        svc.solo_send(code, "Why does the Strait language matter so much to you?")
    state = svc.state(ex)
    assert state.ended and not state.outcome["agreement"] and "deadline" in state.outcome["reason"]
    with pytest.raises(ExerciseError):
        svc.solo_send(code, "Still there?")


def test_accepting_below_ones_minimum_needs_confirmation_and_is_coached_as_a_mistake(svc):
    ex, code = _solo(svc)
    svc.solo_send(code, "What do you propose?")
    offer = latest_offer(svc.seat_view(code), "united-states")
    me = svc.state(ex).scenario.party("united-states")
    assert offer is not None and not me.accepts(offer.deal)
    with pytest.raises(ExerciseError, match="below your minimum"):
        svc.vote(code, True, offer.id)
    with pytest.raises(ExerciseError, match="below your minimum"):
        svc.solo_send(code, "We accept.")
    assert not svc.state(ex).ended  # nothing was stored
    svc.vote(code, True, offer.id, confirm=True)
    state = svc.state(ex)
    assert state.ended and state.outcome["agreement"]
    coaching = score(state).coaching["united-states"]
    crit = next(c for c in coaching.criteria if c.id == "accepted_above_minimum")
    assert not crit.met and "minimum" in crit.feedback


def test_the_round_shown_is_the_one_the_next_message_plays_and_the_last_is_announced(svc):
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.ui.solo import SoloSession

    session = SoloSession.start(svc, load_scenario("us-china-quiet-dialogue"), "united-states", "china", seed=2)
    view = session.view(svc)
    total = view.clock.total_rounds
    assert session.next_round(view) == 1 and not session.last_round(view)
    for n in range(1, total):
        session.send(svc, text="Why does the Strait language matter so much to you?")
        view = session.view(svc)
        if view.outcome is not None:
            break
        assert session.next_round(view) == n + 1
        assert session.last_round(view) == (n + 1 == total)
    if view.outcome is None:
        session.send(svc, text="Then let us stop here for today.")
        view = session.view(svc)
    assert view.outcome is not None and not session.last_round(view)
