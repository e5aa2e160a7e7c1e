"""The chair seat: a neutral single negotiating text, revised from objections, switched by scenario or facilitator."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogue_engine.agents.agent import PersonaAgent
from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import CHAIR, EventKind, NewEvent
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.negotiation.chair import Chair, ChairMethod
from dialogue_engine.report.deal_rates import run_figures
from dialogue_engine.report.headless import run_exercise

HARBOUR = Path(__file__).resolve().parent.parent / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"


@pytest.fixture(scope="module")
def harbour() -> Scenario:
    return load_scenario(HARBOUR)


def _heard(scenario: Scenario, method: str = "nash") -> Chair:
    chair = Chair(scenario, method=method)
    chair.observe_proposal("sportco", {"A": "A1", "B": "B1", "C": "C4", "D": "D1", "E": "E5"})
    chair.observe_proposal("union", {"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E3"})
    chair.observe_vote("dot", {"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E3"}, False, blocking="D")
    chair.observe_vote("mayor", {"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E3"}, True)
    return chair


def test_the_chair_is_neutral_its_text_depends_only_on_what_was_said(harbour):
    text = _heard(harbour).text()
    secret = harbour.model_dump(mode="json")
    for party in secret["parties"]:  # every private number changes; what was said does not
        party["threshold"] = 1.0
        for row in party["scores"].values():
            for option in row:
                row[option] = 100.0 - row[option]
    assert _heard(Scenario.model_validate(secret)).text().deal == text.deal


def test_a_package_a_veto_holder_declined_is_never_tabled_again(harbour):
    chair = _heard(harbour)
    first = chair.text()
    chair.observe_vote("sportco", first.deal, False, blocking="A")  # sportco holds a veto
    second = chair.text()
    assert second.deal != first.deal and second.revised
    for _ in range(5):
        chair.observe_vote("dot", chair.text().deal, False)
    assert first.deal not in chair.texts[2:]


def test_support_makes_a_text_stick_and_both_fairness_rules_draft(harbour):
    for method in ChairMethod:
        chair = _heard(harbour, method.value)
        text = chair.text()
        assert 0.0 <= text.pass_chance <= 1.0 and 0.0 < text.fairness <= 1.0
        for party in harbour.party_ids:
            chair.observe_vote(party, text.deal, True)
        again = chair.text()
        assert again.deal == text.deal and not again.revised
        assert again.pass_chance > text.pass_chance


def test_ignores_strangers_partial_and_unknown_packages(harbour):
    chair = Chair(harbour)
    chair.observe_proposal("facilitator", {"A": "A1"})
    chair.observe_vote("nobody", {"A": "A1", "B": "B1", "C": "C1", "D": "D1", "E": "E1"}, False)
    chair.observe_vote("dot", {"A": "A9"}, False)
    assert not chair.support and not chair.rejected


def test_an_exercise_with_the_chair_gets_one_live_text_per_round_from_round_two(harbour):
    run = run_exercise(harbour.model_copy(update={"chair": True}), 1, None, knowledge=False,
                       agent_factory=PersonaAgent)
    state = run.state
    texts = sorted((p for p in state.proposals.values() if p.proposer == CHAIR), key=lambda p: p.id)
    assert texts and min(p.round for p in texts) == 2
    assert len({p.round for p in texts}) == len(texts), "at most one text per round"
    assert sum(p.status == "open" for p in texts) <= 1
    assert all(p.status in ("withdrawn", "closed", "open", "failed") for p in texts)
    assert any(p.votes for p in texts), "the seats answered the chair's text"
    assert CHAIR not in {v for p in state.proposals.values() for v in p.votes}, "the chair never votes"
    said = [m for m in state.messages if m.speaker == CHAIR]
    assert len(said) == len(texts) and all("single text" in m.text for m in said)
    assert run_figures(state, run.result)["violations"] == 0


def test_the_facilitator_switches_the_chair_and_a_stray_chair_text_is_refused(tmp_path, harbour):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=PersonaAgent)
    info = svc.create(harbour, [], seed=2)
    code = info.facilitator_code
    state = svc.state(info.exercise_id)
    stray = NewEvent(EventKind.PROPOSAL, CHAIR, {"deal": dict(harbour.initial_deal or {}), "chair": True, "round": 0})
    with pytest.raises(ExerciseError, match="chair"):
        svc.journal.append_checked(state, [stray])
    assert not svc.state(info.exercise_id).chair
    svc.start(code)
    assert svc.set_chair(code, True).chair
    svc.set_chair(code, True)  # already on: nothing stored
    kinds = [e.kind for e in svc.state(info.exercise_id).events]
    assert kinds.count(EventKind.CHAIR_SET) == 1
    svc.run_to_end(info.exercise_id)
    state = svc.state(info.exercise_id)
    assert any(p.proposer == CHAIR for p in state.proposals.values())
    assert state.base.party_name(CHAIR) == "Chair"


def test_the_chair_survives_export_and_import(tmp_path, harbour):
    from dialogue_engine.exercise.transfer import export_jsonl, import_jsonl

    run = run_exercise(harbour.model_copy(update={"chair": True}), 3, tmp_path / "out", knowledge=False,
                       agent_factory=PersonaAgent)
    assert any(p.proposer == CHAIR for p in run.state.proposals.values())
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'in.db'}")
    new_id, _codes = import_jsonl(svc.store, tmp_path / "out" / "events.jsonl", exercise_id="copy")
    assert svc.state(new_id).outcome == run.state.outcome
    assert export_jsonl(svc.store, new_id).count('"chair"') >= 2
