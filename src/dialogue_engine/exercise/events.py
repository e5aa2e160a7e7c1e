"""Event kinds and the immutable event record of the exercise log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any


class EventKind(str, Enum):
    """Everything that can happen in an exercise, in the order of the log."""

    CREATED = "created"
    SEAT_JOINED = "seat_joined"
    STARTED = "started"
    PHASE_CHANGED = "phase_changed"
    ROUND_STARTED = "round_started"
    INJECT_FIRED = "inject_fired"
    MESSAGE = "message"
    PROPOSAL = "proposal"
    VOTE = "vote"
    WALK_AWAY = "walk_away"
    PAUSED = "paused"
    RESUMED = "resumed"
    EXTENDED = "extended"
    ENDED = "ended"
    AGENT_FALLBACK = "agent_fallback"
    TURN_SKIPPED = "turn_skipped"
    CODE_REISSUED = "code_reissued"
    CODE_REVOKED = "code_revoked"
    FORKED = "forked"
    REVEALED = "revealed"
    CHAIR_SET = "chair_set"


FACILITATOR = "facilitator"
SYSTEM = "system"
CHAIR = "chair"


def utc_now() -> str:
    """Current time as an ISO-8601 UTC string."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Event:
    """One row of the append-only log.

    Attributes:
        exercise_id: which exercise.
        seq: 1-based position in that exercise's log (unique, gap-free).
        ts: ISO-8601 UTC time of the append.
        kind: what happened.
        actor: a party id, ``facilitator`` or ``system``.
        payload: kind-specific JSON data.
    """

    exercise_id: str
    seq: int
    ts: str
    kind: EventKind
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "exercise_id": self.exercise_id,
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind.value,
            "actor": self.actor,
            "payload": self.payload,
        }

    def to_line(self) -> str:
        """One JSONL line (keys sorted, so exports are byte-stable)."""
        return json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Event":
        return cls(
            exercise_id=str(data["exercise_id"]),
            seq=int(data["seq"]),
            ts=str(data["ts"]),
            kind=EventKind(data["kind"]),
            actor=str(data["actor"]),
            payload=dict(data.get("payload") or {}),
        )


@dataclass(frozen=True)
class NewEvent:
    """An event not yet in the log (no seq or time)."""

    kind: EventKind
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)
