"""Who may act on an exercise: opening it with its join codes, and resolving a code to a seat.

Join codes (:mod:`.codes`: ``K7QF-M3XD`` for a seat, three groups for the facilitator) are shown once, when
issued, and stored only as keyed hashes in the ``join_codes`` table; they never enter the log. A code the
facilitator replaced or revoked is refused with its own line.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Iterable

from dialogue_engine.domain import Protocol, Scenario
from dialogue_engine.exercise import codes
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import utc_now
from dialogue_engine.exercise.store import CodeRow, EventStore, ExerciseRecord, StoreError
from dialogue_engine.exercise.views import Seat

logger = logging.getLogger(__name__)

FACILITATOR_ROLE = "facilitator"
SEAT_ROLE = "seat"


@dataclass(frozen=True, kw_only=True)
class IssuedCodes:
    """Plain codes just issued (held in memory to show once; the database keeps only their hashes)."""

    facilitator: str | None = None
    seats: dict[str, str] = field(default_factory=dict)


def issue_codes(store: EventStore, exercise_id: str, human_seats: Iterable[str]) -> tuple[IssuedCodes, list[CodeRow]]:
    """Fresh codes, one for the facilitator and one per human seat, with the rows that store their hashes."""
    now = utc_now()
    fac = codes.new_code(codes.FACILITATOR_LENGTH)
    seats = {party: codes.new_code(codes.SEAT_LENGTH) for party in dict.fromkeys(human_seats)}
    rows = [code_row(store, exercise_id, fac, FACILITATOR_ROLE, None, now)]
    rows += [code_row(store, exercise_id, c, SEAT_ROLE, party, now) for party, c in seats.items()]
    return IssuedCodes(facilitator=fac, seats=seats), rows


def code_row(store: EventStore, exercise_id: str, code: str, role: str, party: str | None, issued: str) -> CodeRow:
    """The row that stores ``code`` (a fresh code of this format) as its hash."""
    flat = codes.normalize(code)
    assert flat is not None, "only codes of the current format are issued"
    return CodeRow(code_hash=codes.digest(store.code_key, flat), exercise_id=exercise_id, role=role, party=party,
                   issued=issued)


def new_exercise_id() -> str:
    """A fresh random exercise id."""
    return uuid.uuid4().hex[:12]


def check_human_seats(scenario: Scenario, human_seats: Iterable[str]) -> list[str]:
    """The human seats, deduplicated in order; raises :class:`ExerciseError` for a seat the scenario lacks."""
    humans = list(dict.fromkeys(human_seats))
    for h in humans:
        if h not in scenario.party_ids:
            raise ExerciseError(f"unknown seat {h!r}: scenario {scenario.id} has {', '.join(scenario.party_ids)}")
    return humans


def open_exercise(store: EventStore, scenario: Scenario, humans: list[str], seed: int, *, mode: str,
                  rounds: int | None = None, protocol: Protocol | str | None = None,
                  exercise_id: str | None = None) -> tuple[str, IssuedCodes]:
    """Store a new exercise (its record, hashed codes and ``created`` event); returns its id and the codes."""
    proto = Protocol(protocol) if protocol else scenario.protocol
    payload = {
        "scenario": scenario.model_dump(mode="json"), "seed": int(seed), "mode": mode, "protocol": proto.value,
        "rounds": int(rounds or scenario.rounds),
        "seats": [{"party": p, "human": p in humans} for p in scenario.party_ids],
    }
    for attempt in range(3):  # a fresh id and fresh codes if either is taken (ids and codes are random)
        ex_id = exercise_id or new_exercise_id()
        rec = ExerciseRecord(ex_id, scenario.id, scenario.title, mode, int(seed), utc_now(),
                             json.dumps(payload["scenario"], sort_keys=True))
        issued, rows = issue_codes(store, ex_id, humans)
        try:
            store.create_exercise(rec, payload, rows)
            return ex_id, issued
        except StoreError:
            if exercise_id is not None or attempt == 2:
                raise
            logger.warning("exercise id or join code taken; issuing fresh ones")
    raise AssertionError("unreachable")


def find_seat(store: EventStore, code: str) -> Seat:
    """The seat (or facilitator role) a code opens, typed in any case and with or without spaces and dashes.

    Raises:
        ExerciseError: one line, for an unknown, revoked, empty or overlong code (never a database error).
    """
    row = store.find_code(codes.candidates(store.code_key, code))
    if row is None:
        raise ExerciseError("unknown join code")
    if not row.active:
        raise ExerciseError("this join code was replaced by the facilitator; ask them for the current one")
    return Seat(exercise_id=row.exercise_id, role=row.role, party=row.party)


def active_codes(store: EventStore, exercise_id: str) -> dict[str | None, CodeRow]:
    """Each holder's active code row, by party id (None: the facilitator)."""
    return {r.party: r for r in store.codes(exercise_id) if r.active}


def require_seat(store: EventStore, code: str) -> Seat:
    """The seat a code opens; the facilitator's code is refused."""
    seat = find_seat(store, code)
    if seat.party is None:
        raise ExerciseError("this action needs a seat code, not the facilitator code")
    return seat


def require_facilitator(store: EventStore, code: str) -> Seat:
    """The facilitator role a code opens; a seat's code is refused."""
    seat = find_seat(store, code)
    if not seat.is_facilitator:
        raise ExerciseError("only the facilitator can do that")
    return seat
