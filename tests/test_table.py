"""Multi-party table tactics (negotiation/table.py), incentives, support signals in the runner, deal rates."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from dialogue_engine.agents.agent import PersonaAgent
from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import MoveKind
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.negotiation import table
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.negotiation.strategy import Strategy
from dialogue_engine.report.deal_rates import rate_text, run_figures, summarize, wilson
from dialogue_engine.report.headless import run_exercise

ROOT = Path(__file__).resolve().parent.parent
HARBOUR = ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"


def four_seats(**incentives) -> Scenario:
    """Four seats, quorum of 3 including the lead (veto); two issues of three options."""
    scores = {
        "lead": ({"x1": 50, "x2": 30, "x3": 0}, {"y1": 50, "y2": 20, "y3": 0}, 40),
        "b": ({"x1": 0, "x2": 30, "x3": 50}, {"y1": 40, "y2": 50, "y3": 0}, 40),
        "c": ({"x1": 10, "x2": 50, "x3": 40}, {"y1": 0, "y2": 30, "y3": 50}, 45),
        "d": ({"x1": 40, "x2": 10, "x3": 50}, {"y1": 10, "y2": 50, "y3": 20}, 50),
    }
    parties = []
    for pid, (x, y, thr) in scores.items():
        inc = incentives.get(pid, ("cooperative", None))
        parties.append({"id": pid, "name": pid.title(), "threshold": thr, "veto": pid == "lead",
                        "role": "p1" if pid == "lead" else "player", "scores": {"X": x, "Y": y},
                        "incentive": inc[0], "target": inc[1]})
    return Scenario.model_validate({
        "id": "four", "title": "Four seats", "situation": "A test table.", "parties": parties,
        "issues": [{"id": "X", "title": "Ex", "options": [{"id": o, "label": o} for o in ("x1", "x2", "x3")]},
                   {"id": "Y", "title": "Why", "options": [{"id": o, "label": o} for o in ("y1", "y2", "y3")]}],
        "rule": {"kind": "quorum", "min_parties": 3, "required": ["lead"]}, "rounds": 3,
        "protocol": "deliberation",
    })


def test_known_passing_counts_supporters_and_the_rule():
    s = four_seats()
    st = Strategy(s, "lead", seed=1)
    deal = Deal({"X": "x2", "Y": "y2"})  # lead 50, b 80, c 80, d 60: everyone
    row = np.array([st.space.index_of(deal)])
    assert not table.known_passing(st, row)[0]
    st.observe_proposal("b", deal)
    assert not table.known_passing(st, row)[0]  # lead + b: two of three
    st.observe_vote("c", deal, True, minimum=True)
    assert table.known_passing(st, row)[0]
    assert not table.known_passing(st, row, with_gain=True)[0]  # c only just
    assert not table.known_passing(st, row, robust=True)[0]  # needs both b and c
    st.observe_vote("d", deal, True)
    assert table.known_passing(st, row, robust=True)[0]


def test_final_word_puts_a_known_passing_package_to_the_vote():
    s = four_seats()
    st = Strategy(s, "lead", seed=3)
    sure = Deal({"X": "x2", "Y": "y2"})  # lead 50
    st.observe_proposal("b", sure)
    st.observe_vote("c", sure, True)
    move = st.decide(3, 3, None, final_word=True)
    assert move.proposal == sure and move.kind == MoveKind.ACCEPT
    assert st.utility(move.proposal) >= st.threshold


def test_supports_are_split_by_gain_and_never_below_the_minimum():
    s = four_seats()
    st = Strategy(s, "c", seed=2)
    for deal in ({"X": "x2", "Y": "y3"}, {"X": "x1", "Y": "y1"}, {"X": "x3", "Y": "y2"}):
        st.observe_proposal("b", Deal(deal))
    move = st.decide(3, 3, Deal({"X": "x3", "Y": "y2"}))
    for d in move.supports:
        assert st.utility(d) > st.threshold
    for d in move.tolerates:
        assert st.utility(d) == pytest.approx(st.threshold)
    assert Deal({"X": "x1", "Y": "y1"}) not in move.supports + move.tolerates  # c gets 10 < 45


def test_greedy_asks_more_but_votes_rationally_at_the_deadline():
    coop = Strategy(four_seats(), "d", seed=0)
    greedy = Strategy(four_seats(d=("greedy", None)), "d", seed=0)
    assert greedy.aspiration(1.0) > greedy.threshold and coop.aspiration(1.0) == pytest.approx(coop.threshold)
    at_min = Deal({"X": "x3", "Y": "y3"})  # d: 70
    low = Deal({"X": "x1", "Y": "y1"})  # d: 50 = its minimum
    assert not greedy.vote(low, 2, 3) and greedy.vote(low, 3, 3)
    assert greedy.vote(at_min, 3, 3)
    assert not greedy.vote(Deal({"X": "x2", "Y": "y1"}), 3, 3)  # 20: below its minimum


def test_saboteur_votes_no_and_its_support_stays_at_or_above_its_minimum():
    s = four_seats(d=("saboteur", None))
    st = Strategy(s, "d", seed=0)
    for deal in ({"X": "x3", "Y": "y2"}, {"X": "x1", "Y": "y1"}, {"X": "x2", "Y": "y1"}):
        st.observe_proposal("b", Deal(deal))
    move = st.decide(1, 3, None)
    backed = move.supports + move.tolerates
    assert Deal({"X": "x3", "Y": "y2"}) in backed and Deal({"X": "x2", "Y": "y1"}) not in backed
    assert all(st.utility(d) >= st.threshold for d in backed)
    assert not st.vote(Deal({"X": "x3", "Y": "y2"}), 3, 3)  # its best deal: still no


def test_targeted_adversary_needs_a_target():
    with pytest.raises(Exception, match="target"):
        four_seats(d=("targeted", None))
    with pytest.raises(Exception, match="not another party"):
        four_seats(d=("targeted", "d"))
    s = four_seats(d=("targeted", "b"))
    assert Strategy(s, "d").target == "b"


def test_support_signals_become_votes_that_other_seats_learn_from():
    run = run_exercise(four_seats(), 4, None, knowledge=False, agent_factory=PersonaAgent)
    votes = [e for e in run.state.events if e.kind == EventKind.VOTE and e.payload.get("support")]
    assert votes, "no seat said which packages it could accept"
    for e in votes:
        prop = run.state.proposals[int(e.payload["proposal"])]
        assert prop.proposer != e.actor and e.payload["support"] in ("gain", "minimum", "below")
        total = run.state.scenario.total(e.actor, prop.deal)
        threshold = run.state.scenario.party(e.actor).threshold
        assert e.payload["accept"] == (e.payload["support"] != "below")
        if e.payload["support"] == "below":  # a refusal says which issue sinks the package
            assert total < threshold and e.payload["issue"] in prop.deal
        else:
            assert total >= threshold
            assert (total > threshold) == (e.payload["support"] == "gain")
    assert {e.payload["support"] for e in votes} >= {"gain", "below"}
    assert run_figures(run.state, run.result)["violations"] == 0


def test_a_refusal_names_the_issue_and_the_others_learn_it_matters():
    s = four_seats()
    watcher = Strategy(s, "lead")
    deal = {i.id: i.options[0].id for i in s.issues}
    before = watcher.opponent.option_values("b", "Y")[deal["Y"]]
    weight = watcher.opponent.issue_weights("b")["Y"]
    watcher.observe_vote("b", Deal(deal), False, blocking="Y")
    assert watcher.opponent.option_values("b", "Y")[deal["Y"]] < before
    assert watcher.opponent.issue_weights("b")["Y"] > weight
    assert "b" in watcher.rejected[watcher.space.index_of(Deal(deal))]


@pytest.mark.parametrize("seed", [0, 1])
def test_base_game_closes_under_the_deliberation_protocol(seed):
    run = run_exercise(load_scenario(HARBOUR), seed, None, knowledge=False, agent_factory=PersonaAgent)
    figures = run_figures(run.state, run.result)
    assert figures["final"] and figures["any_round"] and figures["violations"] == 0
    assert 0 < figures["welfare"] <= 1


def test_previous_rule_stays_available_as_a_baseline():
    factory = functools.partial(PersonaAgent, table_tactics=False)
    run = run_exercise(load_scenario(HARBOUR), 0, None, knowledge=False, agent_factory=factory)
    assert not [e for e in run.state.events if e.kind == EventKind.VOTE and e.payload.get("support")]


def test_wilson_interval_and_rates():
    lo, hi = wilson(14, 50)
    assert (round(lo, 3), round(hi, 3)) == (0.175, 0.417)
    assert wilson(0, 0) == (0.0, 1.0)
    assert wilson(50, 50)[1] == 1.0 and wilson(0, 50)[0] == 0.0
    assert rate_text(14, 50) == "28% (14/50, 95% CI 17%-42%)"
    rows = [{"final": True, "strict": False, "any_round": True, "violations": 0, "welfare": 0.8},
            {"final": False, "strict": False, "any_round": True, "violations": 0, "welfare": 0.0}]
    s = summarize(rows)
    assert s["final_rate"] == 0.5 and s["any_round_rate"] == 1.0 and s["welfare"] == pytest.approx(0.4)


def test_run_figures_count_no_deal_as_zero_welfare():
    s = four_seats(b=("saboteur", None), c=("saboteur", None))  # two no votes: nothing can pass
    run = run_exercise(s, 0, None, knowledge=False, agent_factory=PersonaAgent)
    figures = run_figures(run.state, run.result)
    assert not figures["final"] and figures["welfare"] == 0.0 and not figures["strict"]
    space = DealSpace.from_scenario(s)
    assert space.passes.any()  # a deal existed; the saboteurs blocked it


def test_a_refusal_is_said_in_words_naming_the_seat_and_the_issue():
    run = run_exercise(four_seats(), 4, None, knowledge=False, agent_factory=PersonaAgent)
    events = run.state.events
    scenario = run.state.scenario
    said = 0
    for vote in (e for e in events if e.kind == EventKind.VOTE and e.payload.get("support") == "below"):
        before = [e for e in events if e.kind == EventKind.MESSAGE and e.actor == vote.actor and e.seq < vote.seq]
        text = before[-1].payload["text"]
        prop = run.state.proposals[int(vote.payload["proposal"])]
        if scenario.party_name(prop.proposer) in text and scenario.issue(vote.payload["issue"]).title in text:
            said += 1
    assert said > 0
