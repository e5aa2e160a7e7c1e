"""What a seat is told: after a pass, the deal on the table is that one; the acceptance criterion judges only the
seat's own yes; an inject says what it changed in the seat's brief; proposals carry the number the charts print."""

from __future__ import annotations

from pathlib import Path

from dialogue_engine.domain import Deal, load_scenario
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.report.coaching import PlayerLine, coach
from dialogue_engine.report.scoring import score
from dialogue_engine.ui.coaching import seat_debrief

MINI = Path(__file__).resolve().parent / "data" / "mini_scenario.yaml"
RUSSIA = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "us-russia-quiet-dialogue.yaml")
BAD = Deal({"arms": "arm-defence-link", "energy": "en-relief", "region": "rg-none", "verification": "ver-notify"})


def _started(tmp_path):
    """The two-seat mini scenario, both seats human, started: (service, created info, facilitator code, codes)."""
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    info = svc.create(load_scenario(MINI), ["alpha", "beta"], seed=1)
    fc, codes = info.facilitator_code, {s.party: s.code for s in info.seats if s.code}
    svc.start(fc)
    return svc, info, fc, codes


def _crit(**kw):
    got = coach(RUSSIA, "united-states", [PlayerLine("We would rather keep talking.")], **kw)
    return got, next(c for c in got.criteria if c.id == "accepted_above_minimum")


def test_a_deal_passed_without_the_seats_yes_is_not_called_its_mistake():
    assert RUSSIA.party("united-states").utility(BAD) < RUSSIA.party("united-states").threshold
    coaching, crit = _crit(agreed=BAD, accepted=False)
    assert not crit.applies and "without your yes" in crit.feedback and "below your minimum" in crit.feedback
    assert "Next time" in crit.feedback and not crit.quotes
    assert coaching.applicable == len(coaching.criteria) - 1  # neither met nor missed
    _, own = _crit(agreed=BAD, accepted=True)
    assert own.applies and not own.met and own.feedback.startswith("Mistake:")


def test_without_a_deal_the_acceptance_criterion_does_not_apply():
    coaching, crit = _crit()
    assert not crit.applies and crit.met
    assert coaching.met == sum(1 for c in coaching.criteria if c.met and c.applies)


def test_the_passed_proposal_stays_on_the_table_and_the_debrief_marks_what_does_not_apply(tmp_path):
    svc, info, fc, codes = _started(tmp_path)
    svc.advance(fc)
    svc.advance(fc)
    passed = svc.propose(codes["alpha"], {"A": "A2", "B": "B2"})
    svc.advance(fc)
    svc.vote(codes["alpha"], True, passed.id)
    svc.vote(codes["beta"], True, passed.id)
    later = svc.propose(codes["beta"], {"A": "A1", "B": "B1"})  # tabled before the pass is counted
    svc.advance(fc)
    state = svc.state(info.exercise_id)
    assert state.ended and state.outcome["agreement"] and state.outcome["proposal"] == passed.id
    assert later.id > passed.id and state.current_proposal.id == passed.id
    view = svc.seat_view(codes["alpha"])
    assert view.current_proposal.id == passed.id
    assert view.my_utility == state.scenario.total("alpha", {"A": "A2", "B": "B2"})
    crit = {c.id: c for c in score(state).coaching["alpha"].criteria}["accepted_above_minimum"]
    assert crit.applies and crit.met  # alpha said yes, to a deal at its minimum
    text = seat_debrief(svc, info.exercise_id, "alpha")
    assert "criteria met" in text and "✗ **Accepted only" not in text


def test_an_inject_tells_the_seat_it_touches_its_new_minimum(tmp_path):
    svc, _info, fc, codes = _started(tmp_path)
    svc.fire_inject(fc, "shock")  # beta's minimum: 50 - 5
    beta, alpha = svc.seat_view(codes["beta"]), svc.seat_view(codes["alpha"])
    assert beta.injects[-1].for_you == "For you: your minimum is now 45 (it was 50)."
    assert beta.brief.threshold == 45
    assert alpha.injects[-1].title == "A shock" and alpha.injects[-1].for_you is None


def test_proposals_carry_the_number_the_debrief_charts_print(tmp_path):
    from dialogue_engine.report.dealplot import own_plot

    svc, info, fc, codes = _started(tmp_path)
    svc.advance(fc)
    svc.advance(fc)
    first = svc.propose(codes["alpha"], {"A": "A2", "B": "B2"})
    second = svc.propose(codes["beta"], {"A": "A1", "B": "B1"})
    view = svc.seat_view(codes["alpha"])
    assert [(p.id, p.number) for p in view.proposals] == [(first.id, 1), (second.id, 2)]
    assert first.id > 1  # ids are event numbers (the log began with 'created'), so the pages show both
    state = svc.state(info.exercise_id)
    plot = own_plot(state, "alpha")
    assert [s.number for s in plot.steps] == [1, 2]
