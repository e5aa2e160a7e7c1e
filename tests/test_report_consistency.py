"""Reports of many runs of every shipped scenario never contradict themselves or the deal facts.

Each run is a real headless exercise (``run_exercise``, no knowledge base). Most seats are the fast
threshold-only stand-ins so every scenario gets several seeds; the two bilateral scenarios also run with
the real persona agents, and one run per scenario has stand-ins that vote against everything, so it
ends without a deal. Every statement is checked against facts recomputed here from the deal space, not from the report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.domain.objectives import (
    AgreementByRound,
    AgreementReached,
    DealExcludes,
    DealIncludes,
    PartyAboveMinimum,
    PartyVotesYes,
)
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import StandInAgent, stand_in_factory
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.headless import run_exercise
from dialogue_engine.report.objectives import FOR_FACILITATOR, MET, NOT_MET

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
BILATERAL = [p for p in SCENARIOS if p.stem.endswith("quiet-dialogue")]


class Refuser(StandInAgent):
    """A stand-in that proposes as usual but votes against every deal."""

    def vote(self, deal, *, round_=None, total_rounds=None) -> bool:
        return False


def refuser_factory(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0) -> Refuser:
    return Refuser(persona, scenario, party_id, retriever=retriever, realizer=realizer, seed=seed)


AGENTS = {"stand-ins": stand_in_factory, "refusers": refuser_factory, "personas": None}
RUNS = ([(p, seed, None, "stand-ins") for p in SCENARIOS for seed in (0, 1, 2)]
        + [(p, 3, 2, "refusers") for p in SCENARIOS]
        + [(p, seed, None, "personas") for p in BILATERAL for seed in (1,)])


def _expected(crit, result, votes) -> bool:
    """A criterion decided again from the result's plain facts."""
    deal = result.deal
    if isinstance(crit, AgreementReached):
        return result.agreement
    if deal is None:
        return False
    if isinstance(crit, AgreementByRound):
        return result.round <= crit.round
    if isinstance(crit, DealIncludes):
        return crit.option in deal.values()
    if isinstance(crit, DealExcludes):
        return crit.option not in deal.values()
    if isinstance(crit, PartyAboveMinimum):
        u, t = result.utilities[crit.party], result.thresholds[crit.party]
        return u > t + 1e-9 if crit.strict else u >= t - 1e-9
    if isinstance(crit, PartyVotesYes):
        return votes.get(crit.party) is True
    raise AssertionError(f"untested criterion {crit!r}")


def _check(scenario: Scenario, state, result) -> None:
    rep = build_report(state, result)
    md, html = to_markdown(rep), to_html(rep)
    out = rep.outcome
    space = DealSpace.from_scenario(state.scenario)
    passable = space.utilities[space.passes]

    # objectives: every status follows from the deal facts; no check, no verdict
    votes = {s.party: s.vote for s in result.seats}
    for obj, chk in zip(scenario.learning_objectives, rep.objectives, strict=True):
        assert chk.objective == obj.text
        if not obj.check:
            assert chk.status == FOR_FACILITATOR
            continue
        want = all(_expected(c, result, votes) for c in obj.check)
        assert chk.status == (MET if want else NOT_MET), (obj, chk, result.deal)

    # "best passable" is reached by a passable deal and beaten by none
    for s in out.seats:
        col = passable[:, space.party_index(s.party)]
        if not col.size:
            assert s.best_passable is None
            continue
        assert s.best_passable == pytest.approx(col.max()), s
        assert np.isclose(col, s.best_passable).any()

    tone, line = out.verdict()
    if not result.agreement:
        assert tone != "success" and "no agreement" in line
        assert "Pareto frontier" not in md and "Nash ratio" not in md and "Welfare ratio" not in md
        assert "reached a deal" not in md and "Agreement:" not in md
        assert out.pareto_optimal is None and out.nash_ratio is None
        return

    # a deal: the frontier statement, the Nash statement and "left on the table" agree with the metrics
    assert tone == "success"
    on_frontier = "is on the Pareto frontier" in md
    assert on_frontier == bool(result.metrics["pareto_optimal"])
    assert on_frontier != ("is not on the Pareto frontier" in md)
    left = [s.left_on_table for s in out.seats]
    if on_frontier:
        assert all(x == 0 for x in left)
        assert "short of the frontier" not in md
    elif all(x is not None for x in left):
        assert any(x > 0 for x in left) and all(x >= 0 for x in left)
        better = np.array([s.utility + s.left_on_table for s in out.seats])
        assert np.isclose(passable, better).all(axis=1).any(), "the better deal must be passable"
    ratio = result.metrics["nash_ratio"]
    if ratio is None:
        assert "Nash ratio is undefined" in md
        assert all(s.at_nash is None for s in out.seats), "no Nash point column beside an undefined Nash ratio"
    elif ratio == 0:
        assert "Nash ratio 0:" in md and any(s.margin <= 1e-9 for s in out.seats)
        assert any(f"{n} gain" in md for n in out.without_gain()), "a zero Nash ratio names who gains nothing"
    assert ("far from the Nash point" in md or "short of the frontier and of the Nash point" in md) == (
        ratio is not None and ratio < 0.8)
    assert "captured nearly all the joint value" not in md or result.metrics["welfare_ratio"] >= 0.95
    ending = [m for m in rep.timeline if m.what.startswith("Agreement:")]
    assert len(ending) == 1 and "voted for:" in ending[0].what
    assert "<svg" in html


@pytest.mark.parametrize("path, seed, rounds, agents", RUNS,
                         ids=lambda v: v.stem if isinstance(v, Path) else str(v))
def test_reports_agree_with_the_facts(tmp_path, path, seed, rounds, agents):
    scenario = load_scenario(path)
    url = f"sqlite:///{tmp_path / 'ex.db'}"
    run = run_exercise(scenario, seed, None, knowledge=False, rounds=rounds, database_url=url,
                       agent_factory=AGENTS[agents])
    if agents == "refusers":
        assert not run.result.agreement
    svc = ExerciseService(database_url=url, agent_factory=stand_in_factory)
    try:
        _check(scenario, svc.state(run.exercise_id), run.result)
    finally:
        svc.store.dispose()
