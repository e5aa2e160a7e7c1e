"""What-if branching: fork an exercise at an event of its log and play on from there.

A fork is a new exercise whose log is a copy of the source's events ``1..at`` (same kinds, actors, payloads
and times, under the new id), followed by one ``forked`` event (source id, seq, and an optional new seed for
what follows) and, optionally, an inject fired right at the fork point. Folding the copied events gives the
source's state at ``at``; the source is never touched. Human seats get new join codes (and the facilitator a
new code); AI seats are rebuilt from the fork's own log, so nothing is shared with the source's agents.

Events appended in one transaction share their time stamp (``EventStore.append_many``): such a group (a
round's opening with its injects, a message with its proposal, several AI seats' turns) is atomic, and a
fork may not cut inside one (:func:`check_cut`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from dialogue_engine.exercise.access import IssuedCodes, find_seat, issue_codes, new_exercise_id
from dialogue_engine.exercise.admission import admit
from dialogue_engine.exercise.commands import inject_now
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, EventKind, NewEvent, utc_now
from dialogue_engine.exercise.state import ExerciseState, fold
from dialogue_engine.exercise.store import EventStore, ExerciseRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ForkInject:
    """An inject to fire at the fork point: a scenario inject by id (with its effects), or free text."""

    inject_id: str | None = None
    title: str = ""
    text: str = ""


def group_bounds(events: list[Event], seq: int) -> tuple[int, int]:
    """First and last seq of the group of events written together with event ``seq`` (same time stamp)."""
    i = seq - 1
    lo = hi = i
    while lo > 0 and events[lo - 1].ts == events[i].ts:
        lo -= 1
    while hi + 1 < len(events) and events[hi + 1].ts == events[i].ts:
        hi += 1
    return events[lo].seq, events[hi].seq


def check_cut(events: list[Event], at: int) -> None:
    """Raise :class:`ExerciseError` (one line) unless the log can be cut after event ``at``.

    The seq must exist, must not be the end of the exercise, and must not fall inside a group of events
    written in one transaction.
    """
    last = len(events)
    if not isinstance(at, int) or isinstance(at, bool) or not 1 <= at <= last:
        raise ExerciseError(f"no event {at!r} to fork at: exercise {events[0].exercise_id} has events 1..{last}")
    if events[at - 1].kind == EventKind.ENDED:
        raise ExerciseError(f"event {at} ends the exercise: fork at an earlier event")
    lo, hi = group_bounds(events, at)
    if hi != at:
        raise ExerciseError(f"event {at} was written together with events {lo}..{hi}: fork at {lo - 1} or {hi}")


def cut_points(events: list[Event]) -> list[int]:
    """Every seq a fork may cut after, in order."""
    out = []
    for ev in events:
        if ev.kind == EventKind.ENDED:
            break
        if ev.seq == len(events) or events[ev.seq].ts != ev.ts:
            out.append(ev.seq)
    return out


def round_start(state: ExerciseState, rnd: int) -> int:
    """The last seq before round ``rnd`` (last) started: where to fork to replay that round and what follows.

    Raises:
        ExerciseError: the round has not started in this exercise.
    """
    starts = [e.seq for e in state.events if e.kind == EventKind.ROUND_STARTED and int(e.payload["round"]) == rnd]
    if not starts:
        raise ExerciseError(f"round {rnd} has not started in exercise {state.exercise_id} "
                            f"(rounds so far: 1..{state.round})" if state.round else
                            f"exercise {state.exercise_id} has not started a round yet")
    return starts[-1] - 1


def retry_round(state: ExerciseState, rounds: int = 3) -> int:
    """The first round of "retry the last ``rounds`` rounds": ``current - rounds + 1``, at least 1."""
    if state.round < 1:
        raise ExerciseError(f"exercise {state.exercise_id} has not started a round yet: nothing to retry")
    return max(1, state.round - max(1, int(rounds)) + 1)


def fork(store: EventStore, exercise_id: str, at: int, *, seed: int | None = None,
         inject: ForkInject | None = None, actor: str = "facilitator") -> tuple[str, IssuedCodes]:
    """Store a fork of ``exercise_id`` cut after event ``at``; returns the new id and its new join codes.

    Args:
        seed: the seed for what follows the fork (default: the source's).
        inject: fired right after the fork point (checked as the facilitator's *fire inject* would be).
        actor: who forked (the ``forked`` event's actor).
    Raises:
        StoreError: no such exercise.  ExerciseError: a seq that cannot be cut, a bad seed or inject.
        Nothing is stored when either is raised.
    """
    record = store.get_exercise(exercise_id)
    events = store.events(exercise_id)
    check_cut(events, at)
    state = fold(events[:at])
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ExerciseError(f"a seed is a whole number >= 0, not {seed!r}")
    new = [NewEvent(EventKind.FORKED, actor, {"source": exercise_id, "at": at, "seed": seed, "round": state.round})]
    if inject is not None:
        new.append(inject_now(state, inject.inject_id, title=inject.title, text=inject.text))
    new_id = new_exercise_id()
    now = utc_now()
    log = [Event(new_id, e.seq, e.ts, e.kind, e.actor, e.payload) for e in events[:at]]
    log += [Event(new_id, at + i + 1, now, e.kind, e.actor, e.payload) for i, e in enumerate(new)]
    after = admit(state, new)  # checked like any append: a fork whose inject breaks the scenario stores nothing
    rec = ExerciseRecord(new_id, record.scenario_id, record.title, record.mode, after.seed, now,
                         json.dumps(json.loads(record.scenario_json), sort_keys=True))
    issued, rows = issue_codes(store, new_id, [p for p in after.party_ids if after.humans.get(p)])
    store.import_events(rec, log, rows)
    logger.info("forked exercise %s at seq %d into %s (seed %s%s)", exercise_id, at, new_id, after.seed,
                ", with an inject" if inject else "")
    return new_id, issued


def forker(store: EventStore, code: str) -> tuple[str, str]:
    """(exercise id, actor) for a code that may fork its exercise: the facilitator's, or a solo learner's seat.

    Raises:
        ExerciseError: a seat code of a multi-seat exercise (a fork hands out the facilitator's code), or an
        unknown code.
    """
    seat = find_seat(store, code)
    if seat.is_facilitator:
        return seat.exercise_id, "facilitator"
    if store.get_exercise(seat.exercise_id).mode == "solo":
        return seat.exercise_id, str(seat.party)
    raise ExerciseError("only the facilitator can fork this exercise")
