"""Admission of events: what may be appended to a log, checked against the state it would follow.

:func:`admit` runs before anything is stored. Each candidate event's payload must fit its kind
(:mod:`.payloads`), its actor must be allowed to do it (a seat may vote, only the system opens rounds, ...),
it must make sense in the state before it (a vote on a proposal that exists, by a seat that has not voted on
it; an agreement only for a proposal whose votes pass the rule), and folding it must succeed. A command
whose events fail any of this is refused with one line, so no sequence of valid-looking commands can leave a
log that no longer folds. The JSONL import runs the same checks over a whole log.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np
from pydantic import ValidationError

from dialogue_engine.domain import Scenario

from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import CHAIR, FACILITATOR, SYSTEM, Event, EventKind, NewEvent
from dialogue_engine.exercise.payloads import check_payload, describe
from dialogue_engine.exercise.state import ExerciseState, apply, fold
from dialogue_engine.negotiation.space import DealSpace, passes_rule

SEAT_KINDS = {EventKind.SEAT_JOINED, EventKind.PROPOSAL, EventKind.VOTE, EventKind.WALK_AWAY,
              EventKind.TURN_SKIPPED, EventKind.AGENT_FALLBACK}
"""Kinds only a seat (a party of the scenario) does (a final-vote proposal is the system's)."""

ACTORS: dict[EventKind, frozenset[str]] = {
    EventKind.STARTED: frozenset({SYSTEM, FACILITATOR}),
    EventKind.PHASE_CHANGED: frozenset({SYSTEM}),
    EventKind.ROUND_STARTED: frozenset({SYSTEM}),
    EventKind.INJECT_FIRED: frozenset({SYSTEM, FACILITATOR}),
    EventKind.PAUSED: frozenset({FACILITATOR}),
    EventKind.RESUMED: frozenset({FACILITATOR}),
    EventKind.EXTENDED: frozenset({FACILITATOR}),
    EventKind.ENDED: frozenset({SYSTEM, FACILITATOR}),
    EventKind.CODE_REISSUED: frozenset({FACILITATOR}),
    EventKind.CODE_REVOKED: frozenset({FACILITATOR}),
    EventKind.REVEALED: frozenset({FACILITATOR}),
    EventKind.CHAIR_SET: frozenset({FACILITATOR}),
}
"""Kinds done by the system or the facilitator, and by whom."""

AFTER_END = {EventKind.SEAT_JOINED, EventKind.CODE_REISSUED, EventKind.CODE_REVOKED, EventKind.REVEALED}
"""What may still happen once an exercise has ended (the debrief)."""

TOLERANCE = 1e-6


def admit(state: ExerciseState, new: Iterable[NewEvent], memo: dict | None = None) -> ExerciseState:
    """Check ``new`` as the next events after ``state``; returns the state they would lead to.

    ``state`` itself is not changed (the log is folded afresh, ``memo`` caching scenarios as in
    :func:`~.state.fold`).

    Raises:
        ExerciseError: one line naming the first event that cannot be appended and why.
    """
    new = list(new)
    if not new:
        return state
    trial = fold(state.events, memo)
    for i, e in enumerate(new, 1):
        ev = Event(state.exercise_id, state.last_seq + i, "pending", e.kind, e.actor, e.payload)
        step(trial, ev)
    return trial


def opening(ev: Event) -> ExerciseState:
    """Check a log's first event (``created``: the system's, with a valid scenario and one seat per party).

    Raises:
        ExerciseError: one line naming the problem.
    """
    if ev.kind != EventKind.CREATED:
        raise ExerciseError(f"an exercise log starts with a created event, not {ev.kind.value}")
    check_payload(ev.kind, ev.payload)
    if ev.actor != SYSTEM:
        raise ExerciseError(f"refused created event by {ev.actor}: only the system creates an exercise")
    try:
        scenario = Scenario.model_validate(ev.payload["scenario"])
    except ValidationError as err:
        raise ExerciseError(f"created event: the scenario is not valid ({describe(err)})") from None
    seats = [s["party"] for s in ev.payload["seats"]]
    if sorted(seats) != sorted(scenario.party_ids):
        raise ExerciseError(f"created event: the seats ({', '.join(seats)}) are not the scenario's parties "
                            f"({', '.join(scenario.party_ids)}), each once")
    try:
        return fold([ev])
    except Exception as err:  # noqa: BLE001 - one line, whatever the fold raises
        raise ExerciseError(f"created event: {_first_line(err)}") from None


def step(state: ExerciseState, ev: Event) -> None:
    """Check one event against ``state`` and fold it in (in place).

    Raises:
        ExerciseError: one line, when the event is malformed, not allowed for its actor, out of place, or
            does not fold.
    """
    check_payload(ev.kind, ev.payload)
    problem = _problem(state, ev)
    if problem:
        raise ExerciseError(f"refused {ev.kind.value} event by {ev.actor}: {problem}")
    try:
        apply(state, ev)
    except Exception as err:  # noqa: BLE001 - whatever the fold raises, the event is refused in one line
        raise ExerciseError(f"refused {ev.kind.value} event by {ev.actor}: the exercise could not go on after it "
                            f"({_first_line(err)})") from None


def _problem(state: ExerciseState, ev: Event) -> str | None:
    k, p, actor = ev.kind, ev.payload, ev.actor
    if k == EventKind.CREATED:
        return "an exercise is created once, at the start of its log"
    parties = state.party_ids
    if actor == CHAIR and k not in (EventKind.MESSAGE, EventKind.PROPOSAL):
        return "the chair seat only speaks and tables its text"
    if actor == CHAIR and not state.chair:
        return "the chair seat is off"
    if actor not in parties and actor not in (SYSTEM, FACILITATOR, CHAIR):
        return f"unknown actor {actor!r} (seats: {', '.join(parties)})"
    if state.ended and k not in AFTER_END:
        return "the exercise has ended"
    if k in ACTORS and actor not in ACTORS[k]:
        return f"only {' or '.join(sorted(ACTORS[k]))} may do that"
    chair_text = k == EventKind.PROPOSAL and actor == CHAIR and p.get("chair")
    if k in SEAT_KINDS and actor not in parties and not (k == EventKind.PROPOSAL and p.get("final")) and not chair_text:
        return "only a seat may do that"
    if k == EventKind.MESSAGE:
        strangers = [r for r in p.get("recipients", []) if r not in parties]
        if strangers:
            return f"unknown recipient {strangers[0]!r}"
        if actor == SYSTEM:
            return "only a seat or the facilitator may speak"
    if k == EventKind.PROPOSAL:
        return _proposal_problem(state, ev)
    if k == EventKind.VOTE:
        return _vote_problem(state, ev)
    if k == EventKind.ROUND_STARTED and p["round"] < state.round:
        return f"round {p['round']} cannot start after round {state.round}"
    if k == EventKind.INJECT_FIRED and p.get("inject_id") is not None:
        if p["inject_id"] not in {i.id for i in state.base.injects}:
            return f"scenario {state.base.id} has no inject {p['inject_id']!r}"
        if p["inject_id"] in state.fired_inject_ids:
            return f"inject {p['inject_id']!r} has already fired"
    if k in (EventKind.CODE_REISSUED, EventKind.CODE_REVOKED) and not state.humans.get(p["party"], False):
        return f"seat {p['party']!r} is not a human seat"
    if k == EventKind.REVEALED and not state.ended:
        return "outcomes are revealed in the debrief, after the exercise has ended"
    if k == EventKind.ENDED:
        return _ended_problem(state, ev)
    return None


def _proposal_problem(state: ExerciseState, ev: Event) -> str | None:
    p = ev.payload
    problem = state.scenario.deal_problem(p["deal"])
    if problem:
        return problem
    if p.get("chair") and (ev.actor != CHAIR or not state.chair):
        return "only the chair seat, when it is on, tables a chair's text"
    if p.get("final"):
        if ev.actor != SYSTEM:
            return "only the system opens a final vote"
        if p.get("based_on") not in state.proposals:
            return f"the final vote is based on no proposal #{p.get('based_on')}"
    return None


def _vote_problem(state: ExerciseState, ev: Event) -> str | None:
    p = ev.payload
    if p.get("abstain"):
        return None if p["proposal"] == 0 and not p["accept"] else "an abstention is on no proposal and accepts nothing"
    prop = state.proposals.get(p["proposal"])
    if prop is None:
        return f"no proposal #{p['proposal']}"
    if ev.actor in prop.votes:
        return f"{ev.actor} has already voted on proposal #{prop.id}"
    return None


def _ended_problem(state: ExerciseState, ev: Event) -> str | None:
    p = ev.payload
    if not p["agreement"]:
        if p.get("deal") is not None or p.get("proposal") is not None or p.get("utilities"):
            return "an end without agreement has no deal, proposal or utilities"
        return None
    if ev.actor != SYSTEM:
        return "only the votes make an agreement"
    prop = state.proposals.get(p.get("proposal") if p.get("proposal") is not None else -1)
    if prop is None:
        return f"the agreement names no proposal #{p.get('proposal')}"
    if p.get("deal") != prop.deal:
        return f"the agreement's deal is not proposal #{prop.id}'s"
    votes = [[bool(prop.votes.get(q, False)) and q not in state.walked_out for q in state.party_ids]]
    if not bool(passes_rule(state.scenario, np.array(votes))[0]):
        return f"proposal #{prop.id} does not pass the rule with the votes cast"
    real = DealSpace.from_scenario(state.scenario).utilities_of(prop.deal)
    given = p.get("utilities") or {}
    if set(given) != set(real) or any(not math.isclose(given[q], real[q], abs_tol=TOLERANCE) for q in real):
        return "the agreement's utilities are not the deal's"
    return None


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    text = lines[0] if lines else type(err).__name__
    if len(lines) > 1 and "validation error" in text:
        text = f"{lines[1].strip()}: {lines[2].strip()}" if len(lines) > 2 else lines[1].strip()
    return f"{type(err).__name__}: {text}"[:300]
