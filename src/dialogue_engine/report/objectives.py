"""Learning objectives decided from the outcome: each check met or not, with evidence built from facts.

An objective without a check is not guessed: it is listed "for the facilitator". The criteria are the
closed set of :mod:`dialogue_engine.domain.objectives`; their facts come from the outcome model.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogue_engine.domain.objectives import (
    AgreementByRound,
    AgreementReached,
    DealExcludes,
    DealIncludes,
    Objective,
    PartyAboveMinimum,
    PartyVotesYes,
)
from dialogue_engine.domain.scenario import AddOption, Scenario
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.report.outcome import EPS, Outcome

MET = "met"
NOT_MET = "not met"
FOR_FACILITATOR = "for the facilitator"
NO_CHECK = "No check decides this from the outcome; judge it from the transcript and the debrief."


@dataclass(frozen=True, kw_only=True)
class ObjectiveCheck:
    """One learning objective, its status (:data:`MET`, :data:`NOT_MET`, :data:`FOR_FACILITATOR`) and the
    evidence for it."""

    objective: str
    status: str
    evidence: str


class _Facts:
    """What the criteria read: the outcome, option labels and issue titles (including injected options)."""

    def __init__(self, state: ExerciseState, outcome: Outcome):
        self.outcome = outcome
        self.walked_out = set(state.walked_out)
        self.options: dict[str, tuple[str, str]] = {}
        self.issues: dict[str, str] = {}
        for scen in (state.base, state.scenario):
            self._index(scen)

    def _index(self, scen: Scenario) -> None:
        for issue in scen.issues:
            self.issues[issue.id] = issue.title
            for o in issue.options:
                self.options[o.id] = (issue.id, o.label)
        for inj in scen.injects:
            for e in inj.effects:
                if isinstance(e, AddOption):
                    self.options.setdefault(e.option.id, (e.issue, e.option.label))

    def option(self, option_id: str) -> str:
        """``id (label)`` of an option."""
        label = self.options.get(option_id, ("", ""))[1]
        return f"{option_id} ({label})" if label else option_id

    def settled(self, option_id: str) -> str:
        """How the deal settles the issue of ``option_id``: ``Issue on id (label)``."""
        issue = self.options.get(option_id, ("", ""))[0]
        chosen = (self.outcome.deal or {}).get(issue)
        return f"{self.issues.get(issue, issue)} on {self.option(chosen)}" if chosen else "that issue otherwise"


def _no_deal(o: Outcome) -> str:
    return f"no deal was reached ({o.reason})" if o.reason else "no deal was reached"


def _decide(crit: object, f: _Facts) -> tuple[bool, str]:
    """(met, evidence) for one criterion."""
    o = f.outcome
    if isinstance(crit, AgreementReached):
        return (True, f"a deal passed in round {o.round} ({o.reason})") if o.agreement else (False, _no_deal(o))
    if not o.agreement:
        who = getattr(crit, "party", None)
        tail = f": {o.seat(who).name} falls back on its alternative" if who else ""
        return False, _no_deal(o) + tail
    if isinstance(crit, AgreementByRound):
        when = "by" if o.round <= crit.round else "after"
        return o.round <= crit.round, f"the deal passed in round {o.round}, {when} round {crit.round}"
    if isinstance(crit, DealIncludes):
        if crit.option in o.deal.values():
            return True, f"the deal contains {f.option(crit.option)}"
        return False, f"the deal settles {f.settled(crit.option)}, not {f.option(crit.option)}"
    if isinstance(crit, DealExcludes):
        if crit.option in o.deal.values():
            return False, f"the deal contains {f.option(crit.option)}"
        return True, f"the deal leaves out {f.option(crit.option)}: it settles {f.settled(crit.option)}"
    if isinstance(crit, PartyAboveMinimum):
        seat = o.seat(crit.party)
        margin = seat.margin or 0.0
        where = ("above" if margin > EPS else "exactly at" if margin >= -EPS else "below")
        met = margin > EPS if crit.strict else margin >= -EPS
        tail = ", not above it" if crit.strict and where == "exactly at" else ""
        return met, f"{seat.name} ends at {seat.utility:g}, {where} its minimum of {seat.threshold:g}{tail}"
    if isinstance(crit, PartyVotesYes):
        seat = o.seat(crit.party)
        if seat.vote is None:
            why = " (it walked out)" if crit.party in f.walked_out else ""
            return False, f"{seat.name} did not vote on the deal{why}"
        return seat.vote, f"{seat.name} voted {'for' if seat.vote else 'against'} the deal"
    raise TypeError(f"unknown criterion {crit!r}")


def evaluate(objective: Objective, facts: _Facts) -> ObjectiveCheck:
    """One objective decided: met when every criterion holds; no criteria: for the facilitator."""
    if not objective.check:
        return ObjectiveCheck(objective=objective.text, status=FOR_FACILITATOR, evidence=NO_CHECK)
    decided = [_decide(c, facts) for c in objective.check]
    evidence = "; ".join(e for _, e in decided)
    return ObjectiveCheck(objective=objective.text, status=MET if all(m for m, _ in decided) else NOT_MET,
                          evidence=evidence[:1].upper() + evidence[1:] + ".")


def objective_checks(state: ExerciseState, outcome: Outcome) -> list[ObjectiveCheck]:
    """Every learning objective of the exercise's scenario, decided from ``outcome``."""
    facts = _Facts(state, outcome)
    return [evaluate(obj, facts) for obj in state.base.learning_objectives]
