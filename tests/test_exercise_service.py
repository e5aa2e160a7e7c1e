"""ExerciseService: phases, seats, private views, facilitator actions, injects, solo mode, protocols."""

from __future__ import annotations

import pytest

from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.service import ExerciseError, ExerciseService
from dialogue_engine.exercise.store import EventStore
from dialogue_engine.exercise.testing import StandInAgent, stand_in_factory
from dialogue_engine.exercise.views import Phase

MINI = "tests/data/mini_scenario.yaml"


@pytest.fixture()
def svc(tmp_path):
    return ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)


def _codes(info):
    return {s.party: s.code for s in info.seats if s.code}


def test_create_issues_unguessable_codes_only_for_human_seats(svc):
    info = svc.create(MINI, ["beta"], seed=1)
    codes = _codes(info)
    assert set(codes) == {"beta"}
    assert len(codes["beta"]) == len("K7QF-M3XD") and len(info.facilitator_code) == len("K7QF-M3XD-9PZA")
    assert codes["beta"] != info.facilitator_code
    assert svc.join(codes["beta"]).party == "beta"
    assert svc.join(info.facilitator_code).is_facilitator
    with pytest.raises(ExerciseError):
        svc.join("not-a-code")
    assert svc.state(info.exercise_id).joined == {"beta"}
    svc.join(codes["beta"])
    assert sum(1 for e in svc.events(info.exercise_id) if e.kind == EventKind.SEAT_JOINED) == 1


def test_seat_views_hold_only_their_own_private_data(svc):
    scen = load_scenario(MINI)
    info = svc.create(scen, ["alpha", "beta"], seed=1)
    c = _codes(info)
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)
    svc.post_message(c["alpha"], "Public hello from alpha.")
    svc.post_message(c["alpha"], "Secret note for beta only.", to="beta")
    svc.post_message(info.facilitator_code, "Facilitator whisper to alpha.", to="alpha")
    svc.propose(c["beta"], {"A": "A2", "B": "B2"}, "How about the middle?")
    a, b = svc.seat_view(c["alpha"]), svc.seat_view(c["beta"])
    assert a.brief.party == "alpha" and a.brief.scores == scen.party("alpha").scores
    assert a.brief.threshold == 50 and b.brief.scores == scen.party("beta").scores
    dumped_a = a.model_dump_json()
    assert '"B3":0.0' not in dumped_a.replace(" ", "")  # beta's score table is not there
    assert "B1" in dumped_a  # option ids are public
    assert [m.text for m in a.private] == ["Secret note for beta only.", "Facilitator whisper to alpha."]
    assert [m.text for m in b.private] == ["Secret note for beta only."]
    assert all(m.channel.value == "public" for m in a.transcript + b.transcript)
    assert "whisper" not in b.model_dump_json()
    assert a.my_utility == 50 and b.my_utility == 60  # each sees only its own utility
    for view, other in ((a, "beta"), (b, "alpha")):
        assert all(s.code is None for s in view.seats), "a seat view leaked join codes"
        assert view.brief.party != other
    fac = svc.facilitator_view(info.facilitator_code)
    assert set(fac.seat_views) == {"alpha", "beta"}
    assert {r.party: r.utility for r in fac.scoreboard} == {"alpha": 50, "beta": 60}
    assert len(fac.transcript) == 4
    with pytest.raises(ExerciseError):
        svc.facilitator_view(c["alpha"])
    with pytest.raises(ExerciseError):
        svc.seat_view(info.facilitator_code)


def test_phases_and_rounds_follow_the_state_machine(svc):
    info = svc.create(MINI, ["beta"], seed=2)
    fc = info.facilitator_code
    assert svc.state(info.exercise_id).phase == Phase.SETUP
    assert svc.start(fc).phase == Phase.BRIEFING
    seen = [(svc.advance(fc).phase, svc.state(info.exercise_id).round)]
    while not svc.state(info.exercise_id).ended:
        clock = svc.advance(fc)
        seen.append((clock.phase, clock.round))
    assert seen[0] == (Phase.STATEMENTS, 1)
    assert (Phase.PROPOSALS, 1) in seen and (Phase.RESPONSES, 1) in seen
    assert seen[-1][0] == Phase.DEBRIEF
    state = svc.state(info.exercise_id)
    assert [i.inject_id for i in state.injects] == ["shock"]
    assert state.scenario.party("beta").threshold == 45  # the inject's effect applied


def test_facilitator_actions(svc):
    info = svc.create(MINI, ["alpha", "beta"], seed=3)
    fc, c = info.facilitator_code, _codes(info)
    with pytest.raises(ExerciseError):
        svc.start(c["alpha"])
    svc.start(fc)
    svc.advance(fc)
    assert svc.pause(fc).paused
    with pytest.raises(ExerciseError):
        svc.advance(fc)
    assert not svc.resume(fc).paused
    assert svc.extend(fc, 2).total_rounds == 6
    inj = svc.fire_inject(fc, "shock")
    assert inj.inject_id == "shock" and inj.fired_by == "facilitator"
    with pytest.raises(ExerciseError):
        svc.fire_inject(fc, "shock")
    free = svc.fire_inject(fc, title="Storm", text="A storm closes the port.")
    assert free.inject_id is None
    state = svc.state(info.exercise_id)
    assert state.scenario.party("beta").threshold == 45
    assert [v.title for v in svc.seat_view(c["beta"]).injects] == ["A shock", "Storm"]
    assert all(i.inject_id != "shock" for i in svc.facilitator_view(fc).available_injects)
    # the scheduled inject does not fire a second time at round 2
    while svc.state(info.exercise_id).round < 2:
        svc.advance(fc)
    assert [i.inject_id for i in svc.state(info.exercise_id).injects].count("shock") == 1
    out = svc.end(fc, "time is up")
    assert out.agreement is False and out.reason == "time is up"
    assert svc.state(info.exercise_id).phase == Phase.DEBRIEF
    with pytest.raises(ExerciseError):
        svc.post_message(c["alpha"], "too late")


def test_human_votes_decide_with_the_rule(svc):
    info = svc.create(MINI, ["alpha", "beta"], seed=1)
    fc, c = info.facilitator_code, _codes(info)
    svc.start(fc)
    svc.advance(fc)  # statements
    svc.advance(fc)  # proposals
    prop = svc.propose(c["alpha"], {"A": "A2", "B": "B2"})
    with pytest.raises(ExerciseError):
        svc.propose(c["alpha"], {"A": "A2"})
    with pytest.raises(ExerciseError):
        svc.propose(c["alpha"], {"A": "A9", "B": "B1"})
    svc.advance(fc)  # responses
    assert svc.seat_view(c["beta"]).can_vote
    svc.vote(c["alpha"], True, prop.id)
    svc.vote(c["beta"], True, prop.id)
    with pytest.raises(ExerciseError):
        svc.vote(c["beta"], False, prop.id)
    svc.advance(fc)
    out = svc.seat_view(c["alpha"]).outcome
    assert out.agreement and out.deal == {"A": "A2", "B": "B2"} and out.utilities == {"alpha": 50}
    svc.reveal(fc)  # the other seats' utilities only once the facilitator reveals them in the debrief
    assert svc.seat_view(c["alpha"]).outcome.utilities == {"alpha": 50, "beta": 60}


def test_triggered_inject_fires_when_its_option_is_proposed(svc, tmp_path):
    scen = load_scenario(MINI)
    data = scen.model_dump(mode="json")
    data["injects"].append({"id": "leak", "title": "Leak", "text": "The low option leaks.",
                            "trigger": {"kind": "option_proposed", "option": "A1"},
                            "effects": [{"kind": "change_threshold", "party": "alpha", "delta": -10}]})
    scen = type(scen).model_validate(data)
    info = svc.create(scen, ["alpha", "beta"], seed=1)
    fc, c = info.facilitator_code, _codes(info)
    svc.start(fc)
    svc.advance(fc)
    svc.advance(fc)
    svc.propose(c["beta"], {"A": "A1", "B": "B1"})
    svc.advance(fc)
    svc.advance(fc)  # next round: the trigger holds
    state = svc.state(info.exercise_id)
    assert "leak" in state.fired_inject_ids
    assert state.scenario.party("alpha").threshold == 40


def test_deliberation_order_is_seeded_with_p1_first_and_last(svc):
    info = svc.create(MINI, [], seed=5, protocol="deliberation")
    state = svc.state(info.exercise_id)
    assert state.turn_order(1)[0] == "alpha"
    assert state.turn_order(state.total_rounds)[-1] == "alpha"
    assert state.turn_order(2) == svc.state(info.exercise_id).turn_order(2)
    svc.run_to_end(info.exercise_id)
    state = svc.state(info.exercise_id)
    final = [p for p in state.proposals.values() if p.final]
    assert len(final) == 1
    p1_last = state.last_proposal_by("alpha")
    assert final[0].deal == p1_last.deal


def test_ai_seats_answer_and_humans_can_stay_silent(svc):
    info = svc.create(MINI, ["beta"], seed=7)
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)
    assert svc.step(info.exercise_id) > 0
    assert svc.step(info.exercise_id) == 0  # nothing owed twice
    out = svc.run_to_end(info.exercise_id)
    assert out is not None
    state = svc.state(info.exercise_id)
    assert all(m.speaker == "alpha" for m in state.messages)


def test_solo_mode_is_persisted_like_an_exercise(svc):
    info = svc.create_solo(MINI, "beta", "alpha", seed=1)
    code = _codes(info)["beta"]
    entries = svc.solo_send(code, "What matters most to you on money?")
    assert entries[0].speaker == "beta" and entries[-1].speaker == "alpha"
    entries = svc.solo_send(code, "Here is a fair package.", {"A": "A3", "B": "B3"})
    state = svc.state(info.exercise_id)
    assert state.mode == "solo" and len(state.messages) == 4
    if not state.ended:
        view = svc.seat_view(code)
        assert view.current_proposal is not None
    other = ExerciseService(database_url=svc.store.url, agent_factory=stand_in_factory)
    assert len(other.state(info.exercise_id).messages) == len(state.messages)


def _with_personas(**personas):
    data = load_scenario(MINI).model_dump(mode="python")
    for party in data["parties"]:
        party["persona"] = personas.get(party["id"], party.get("persona"))
    return Scenario.model_validate(data)


def test_a_seat_whose_persona_cannot_load_is_a_one_line_error(svc):
    info = svc.create(_with_personas(alpha="no-such-persona"), [], seed=1)
    svc.start(info.facilitator_code)
    with pytest.raises(ExerciseError) as err:
        svc.advance(info.facilitator_code)
        svc.advance(info.facilitator_code)
    msg = str(err.value)
    assert "alpha" in msg and "no-such-persona" in msg and "\n" not in msg


def test_collaborators_reach_every_agent_and_votes_carry_the_clock(tmp_path):
    built, votes = [], []

    class Recording(StandInAgent):
        def vote(self, deal, *, round_=None, total_rounds=None):
            votes.append((self.party_id, round_, total_rounds))
            return super().vote(deal, round_=round_, total_rounds=total_rounds)

    def factory(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0):
        built.append((persona.id, party_id, retriever, realizer))
        return Recording(persona, scenario, party_id, seed=seed)

    retriever, realizer = object(), object()
    store = EventStore(f"sqlite:///{tmp_path / 'ex.db'}")
    svc = ExerciseService(store=store, agent_factory=factory, retriever=retriever, realizer=realizer)
    assert svc.store is store
    info = svc.create(MINI, [], seed=3, rounds=2)
    svc.run_to_end(info.exercise_id)
    assert {(p, r, z) for _, p, r, z in built} == {("alpha", retriever, realizer), ("beta", retriever, realizer)}
    assert {persona for persona, *_ in built} == {"alpha", "beta"}  # the plain persona of an unnamed seat
    state = svc.state(info.exercise_id)
    assert votes and all(total == state.total_rounds and 1 <= rnd <= total for _, rnd, total in votes)


def test_players_cannot_write_while_paused_but_the_facilitator_can(svc):
    info = svc.create(MINI, ["alpha", "beta"], seed=1)
    c, fc = _codes(info), info.facilitator_code
    svc.start(fc)
    svc.advance(fc)
    svc.pause(fc)
    before = len(svc.events(info.exercise_id))
    for act in (lambda: svc.post_message(c["alpha"], "Hello?"),
                lambda: svc.propose(c["alpha"], {"A": "A1", "B": "B1"})):
        with pytest.raises(ExerciseError, match="paused"):
            act()
    assert len(svc.events(info.exercise_id)) == before
    svc.post_message(fc, "We resume in five minutes.")
    svc.resume(fc)
    svc.post_message(c["alpha"], "Hello again.")
