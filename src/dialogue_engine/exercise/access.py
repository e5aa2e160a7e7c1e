"""Who may act on an exercise: opening it with its join codes, and resolving a code to a seat.

Join codes (``secrets.token_urlsafe``) identify a human seat or the facilitator; they live in the
exercise's record, never in its log.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import Any, Iterable

from dialogue_engine.domain import Protocol, Scenario
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import utc_now
from dialogue_engine.exercise.store import EventStore, ExerciseRecord
from dialogue_engine.exercise.views import Seat


def issue_codes(human_seats: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Fresh codes: one for the facilitator and one per human seat."""
    codes: dict[str, dict[str, Any]] = {secrets.token_urlsafe(12): {"role": "facilitator", "party": None}}
    for party in human_seats:
        codes[secrets.token_urlsafe(12)] = {"role": "seat", "party": party}
    return codes


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
                  exercise_id: str | None = None) -> str:
    """Store a new exercise (its record, codes and ``created`` event); returns its id."""
    ex_id = exercise_id or new_exercise_id()
    proto = Protocol(protocol) if protocol else scenario.protocol
    payload = {
        "scenario": scenario.model_dump(mode="json"), "seed": int(seed), "mode": mode, "protocol": proto.value,
        "rounds": int(rounds or scenario.rounds),
        "seats": [{"party": p, "human": p in humans} for p in scenario.party_ids],
    }
    rec = ExerciseRecord(ex_id, scenario.id, scenario.title, mode, int(seed), utc_now(),
                         json.dumps(payload["scenario"], sort_keys=True), issue_codes(humans))
    store.create_exercise(rec, payload)
    return ex_id


def seat_codes(record: ExerciseRecord) -> dict[str, str]:
    """Each human seat's code, by party id."""
    return {v["party"]: c for c, v in record.codes.items() if v["role"] == "seat"}


def facilitator_code(record: ExerciseRecord) -> str:
    """The facilitator's code."""
    return next(c for c, v in record.codes.items() if v["role"] == "facilitator")


def find_seat(store: EventStore, code: str) -> Seat:
    """The seat (or facilitator role) a code opens; raises :class:`ExerciseError` for an unknown code."""
    found = store.find_code(code or "")
    if found is None:
        raise ExerciseError("unknown join code")
    ex_id, data = found
    return Seat(exercise_id=ex_id, role=data["role"], party=data.get("party"))


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
