"""Checkable learning objectives: loading, one-line validation errors, and decisions from the outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogue_engine.domain import DomainError, Scenario, load_scenario, load_scenarios
from dialogue_engine.domain.objectives import DealIncludes, Objective, PartyAboveMinimum
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.solo import bilateral
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.objectives import FOR_FACILITATOR, MET, NOT_MET
from dialogue_engine.report.scoring import score

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests/data/mini_scenario.yaml"

OBJECTIVES = [
    "Listen before proposing.",
    {"text": "Settle money in the middle.", "check": {"kind": "deal_includes", "option": "A2"}},
    {"text": "Get the high money option.", "check": {"kind": "deal_includes", "option": "A3"}},
    {"text": "Never agree to 'never'.", "check": {"kind": "deal_excludes", "option": "B3"}},
    {"text": "Alpha keeps its minimum.", "check": {"kind": "party_above_minimum", "party": "alpha"}},
    {"text": "Alpha gains something.", "check": {"kind": "party_above_minimum", "party": "alpha", "strict": True}},
    {"text": "Beta backs it and gains.", "check": [{"kind": "party_votes_yes", "party": "beta"},
                                                   {"kind": "party_above_minimum", "party": "beta", "strict": True}]},
    {"text": "Close in round one.", "check": {"kind": "agreement_by_round", "round": 1}},
    {"text": "Reach a deal.", "check": {"kind": "agreement"}},
]


def _mini(objectives=OBJECTIVES) -> Scenario:
    data = load_scenario(MINI).model_dump(mode="json")
    data["learning_objectives"] = objectives
    return Scenario.model_validate(data)


def _write(tmp_path: Path, objectives_yaml: str) -> Path:
    text = MINI.read_text(encoding="utf-8") + "learning_objectives:\n" + objectives_yaml
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plain_strings_and_checked_objectives_load(tmp_path):
    path = _write(tmp_path, "  - Plain words stay plain.\n"
                            "  - text: One check.\n    check: {kind: deal_includes, option: A2}\n"
                            "  - text: Two checks.\n    check:\n      - {kind: agreement}\n"
                            "      - {kind: party_above_minimum, party: beta, strict: true}\n")
    objs = load_scenario(path).learning_objectives
    assert objs[0] == Objective(text="Plain words stay plain.") and not objs[0].checkable
    assert objs[1].check == [DealIncludes(kind="deal_includes", option="A2")]
    assert objs[2].check[1] == PartyAboveMinimum(kind="party_above_minimum", party="beta", strict=True)
    again = Scenario.model_validate(load_scenario(path).model_dump(mode="json"))
    assert again.learning_objectives == objs, "an event log's copy of the scenario loads back the same"


@pytest.mark.parametrize("yaml_text, expected", [
    ("  - text: X\n    check: {kind: deal_includes, option: Z9}\n",
     "mini.yaml:34: learning_objectives[0].check[0].option: no option 'Z9'"),
    ("  - ok\n  - text: X\n    check:\n      - {kind: agreement}\n      - {kind: party_votes_yes, party: gamma}\n",
     "mini.yaml:37: learning_objectives[1].check[1].party: no party 'gamma'"),
    ("  - text: X\n    check: {kind: agreement_by_round, round: 9}\n",
     "mini.yaml:34: learning_objectives[0].check[0].round: round 9 is after the last round (4)"),
    ("  - text: X\n    check: {kind: deal_includes, opton: A2}\n",
     "mini.yaml:34: learning_objectives[0].check[0].opton: unknown field"),
    ("  - text: X\n    check: {kind: deal_is_nice}\n",
     "mini.yaml:34: learning_objectives[0].check[0]: Input tag 'deal_is_nice'"),
])
def test_bad_checks_are_one_line_problems_with_file_line_and_field(tmp_path, yaml_text, expected):
    with pytest.raises(DomainError) as err:
        load_scenario(_write(tmp_path, yaml_text))
    lines = [str(p) for p in err.value.problems]
    assert not any("\n" in line for line in lines)
    assert any(line.split("/")[-1].startswith(expected) for line in lines), lines


def test_an_option_an_inject_adds_can_be_checked():
    data = _mini([]).model_dump(mode="json")
    data["injects"].append({"id": "new", "title": "New", "text": "A new option.", "at_round": 3, "effects": [
        {"kind": "add_option", "issue": "A", "option": {"id": "A4", "label": "Huge"},
         "scores": {"alpha": 1, "beta": 1}}]})
    data["learning_objectives"] = [{"text": "X", "check": {"kind": "deal_excludes", "option": "A4"}}]
    assert Scenario.model_validate(data).learning_objectives[0].checkable


def test_every_shipped_scenario_has_checked_objectives_and_keeps_the_rest_for_the_facilitator():
    for sid, scen in load_scenarios(ROOT / "scenarios").items():
        checked = [o for o in scen.learning_objectives if o.checkable]
        assert checked, f"{sid}: no objective has a check"
        assert all(o.text.strip() for o in scen.learning_objectives)


def test_solo_drops_checks_that_name_a_seat_left_out():
    scen = load_scenario(ROOT / "scenarios/refugee-burden-sharing.yaml")
    two = bilateral(scen, "jordan", "european-union")
    by_text = {o.text: o for o in two.learning_objectives}
    assert [o.text for o in two.learning_objectives] == [o.text for o in scen.learning_objectives]
    assert not by_text["Give non-state seats real weight in a state-led compact."].checkable
    assert not any(o.checkable for o in two.learning_objectives), "the red-line check names Türkiye"


def _play(tmp_path, *, agree: bool):
    """alpha proposes A2/B2 (alpha exactly at its minimum of 50, beta 60); beta accepts it or not."""
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    info = svc.create(_mini(), ["alpha", "beta"], seed=1)
    fc, codes = info.facilitator_code, {s.party: s.code for s in info.seats if s.code}
    svc.start(fc)
    svc.advance(fc)
    svc.advance(fc)
    prop = svc.propose(codes["alpha"], {"A": "A2", "B": "B2"})
    svc.advance(fc)
    svc.vote(codes["alpha"], True, prop.id)
    svc.vote(codes["beta"], agree, prop.id)
    svc.advance(fc)
    if not svc.state(info.exercise_id).ended:
        svc.end(fc)
    state = svc.state(info.exercise_id)
    result = score(state)
    return state, result, build_report(state, result)


def test_objectives_are_decided_from_the_deal_with_evidence_from_facts(tmp_path):
    state, result, rep = _play(tmp_path, agree=True)
    assert result.agreement and result.deal == {"A": "A2", "B": "B2"}
    got = {o.objective: (o.status, o.evidence) for o in rep.objectives}
    assert got["Listen before proposing."][0] == FOR_FACILITATOR
    assert got["Settle money in the middle."] == (MET, "The deal contains A2 (Mid).")
    assert got["Get the high money option."] == (NOT_MET, "The deal settles Money on A2 (Mid), not A3 (High).")
    assert got["Never agree to 'never'."] == (MET, "The deal leaves out B3 (Never): it settles Time on B2 (Later).")
    assert got["Alpha keeps its minimum."] == (MET, "Alpha ends at 50, exactly at its minimum of 50.")
    assert got["Alpha gains something."] == (NOT_MET, "Alpha ends at 50, exactly at its minimum of 50, not above it.")
    assert got["Beta backs it and gains."] == (MET, "Beta voted for the deal; beta ends at 60, above its minimum of 50.")
    assert got["Close in round one."] == (MET, f"The deal passed in round {result.round}, by round 1.")
    assert got["Reach a deal."][0] == MET
    md, html = to_markdown(rep), to_html(rep)
    assert "| Alpha gains something. | not met |" in md and "class='na'>for the facilitator<" in html
    plan_areas = [a for a, *_ in rep.plan]
    assert "Alpha gains something." in plan_areas and "Settle money in the middle." not in plan_areas


def test_without_a_deal_no_deal_criterion_is_met(tmp_path):
    state, result, rep = _play(tmp_path, agree=False)
    assert not result.agreement
    got = {o.objective: (o.status, o.evidence) for o in rep.objectives}
    assert got["Listen before proposing."][0] == FOR_FACILITATOR
    assert all(status == NOT_MET for text, (status, _) in got.items() if text != "Listen before proposing.")
    assert got["Never agree to 'never'."][1].startswith("No deal was reached")
    assert got["Alpha keeps its minimum."][1].endswith(": alpha falls back on its alternative.")
