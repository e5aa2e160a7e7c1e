"""Typed payloads of the exercise log: one frozen, ``extra="forbid"`` model per event kind.

Every event is checked against its kind's model before it is stored (:func:`check_payload`, called by
:meth:`EventStore.append_many` and by the JSONL import), so no write can put a payload in the log that the
fold cannot read. Reading stays tolerant: :mod:`.state` folds stored events with defaults, so logs written
by earlier versions still load. The models accept exactly what this version writes: strict types (a round
is an integer, never ``"3"`` or ``true``), finite numbers, bounded text.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from dialogue_engine.domain import Effect
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import EventKind

MAX_TEXT = 20_000
"""Characters in any text field of an event (a human's message is capped lower, at ``commands.MAX_MESSAGE``)."""

MAX_ROUND = 10_000
"""The highest round number an event may carry."""

PHASES = Literal["setup", "briefing", "injects", "statements", "proposals", "responses", "final_vote", "debrief"]

Round = Field(default=0, ge=0, le=MAX_ROUND)
Text = Field(default="", max_length=MAX_TEXT)
Id = Field(min_length=1, max_length=128)

_EFFECTS = TypeAdapter(list[Effect])


class Payload(BaseModel):
    """Base of every payload model: frozen, strict, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Empty(Payload):
    """``seat_joined``, ``started``: no data."""


class SeatSpec(Payload):
    """One seat of a ``created`` event."""

    party: str = Id
    human: bool


class Created(Payload):
    """``created``: the scenario snapshot and how the exercise is played."""

    scenario: dict[str, Any]
    seed: int
    mode: Literal["exercise", "solo"] = "exercise"
    protocol: Literal["free", "deliberation"] = "free"
    rounds: int = Field(ge=1, le=MAX_ROUND)
    seats: list[SeatSpec] = Field(min_length=1)
    chair: bool = False


class PhaseChanged(Payload):
    phase: PHASES
    round: int = Round
    closed: list[int] = Field(default_factory=list)


class RoundStarted(Payload):
    round: int = Field(ge=1, le=MAX_ROUND)
    closed: list[int] = Field(default_factory=list)


class InjectFired(Payload):
    inject_id: str | None = None
    title: str = Field(max_length=MAX_TEXT)
    text: str = Field(max_length=MAX_TEXT)
    round: int = Round
    by: str = Field(default="schedule", max_length=32)
    effects: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("effects")
    @classmethod
    def _effects(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        _EFFECTS.validate_python(value)
        return value


class Message(Payload):
    text: str = Field(max_length=MAX_TEXT)
    channel: Literal["public", "private"] = "public"
    recipients: list[str] = Field(default_factory=list)
    round: int = Round
    phase: PHASES | None = None
    move: str | None = Field(default=None, max_length=32)
    proposal: dict[str, str] | None = None
    turn: bool = False
    citations: list[dict[str, Any]] = Field(default_factory=list)
    realizer: str | None = Field(default=None, max_length=200)
    understood: dict[str, Any] | None = None


class Proposal(Payload):
    deal: dict[str, str] = Field(min_length=1)
    round: int = Round
    with_message: bool = False
    turn: bool = False
    final: bool = False
    based_on: int | None = None
    proposer: str | None = None
    endorsed: bool = False
    supersedes: list[int] = Field(default_factory=list)
    chair: bool = False


class Vote(Payload):
    proposal: int = Field(ge=0)
    accept: bool
    round: int = Round
    turn: bool = False
    with_message: bool = False
    support: Literal["gain", "minimum", "below"] | None = None
    abstain: bool = False
    endorsed: bool = False
    reason: str | None = Field(default=None, max_length=500)
    issue: str | None = Field(default=None, max_length=200)


class WalkAway(Payload):
    round: int = Round
    text: str = Text
    turn: bool = False


class Clocked(Payload):
    """``paused``, ``resumed``, ``turn_skipped``: the round it happened in."""

    round: int = Round
    turn: bool = False


class Extended(Payload):
    rounds: int = Field(ge=1, le=100)


class Ended(Payload):
    agreement: bool
    deal: dict[str, str] | None = None
    proposal: int | None = None
    round: int = Round
    reason: str = Text
    utilities: dict[str, float] = Field(default_factory=dict)


class AgentFallback(Payload):
    reason: str = Text
    round: int = Round


class CodeChanged(Payload):
    """``code_reissued``, ``code_revoked``: whose code, never the code."""

    party: str = Id
    round: int = Round


class Forked(Payload):
    source: str = Id
    at: int = Field(ge=1)
    seed: int | None = None
    round: int = Round


class ChairSet(Payload):
    """``chair_set``: the facilitator switched the chair seat on or off."""

    on: bool
    round: int = Round


class Revealed(Payload):
    """``revealed``: the facilitator showed every seat the others' outcome utilities (debrief)."""

    round: int = Round


MODELS: dict[EventKind, type[Payload]] = {
    EventKind.CREATED: Created,
    EventKind.SEAT_JOINED: Empty,
    EventKind.STARTED: Empty,
    EventKind.PHASE_CHANGED: PhaseChanged,
    EventKind.ROUND_STARTED: RoundStarted,
    EventKind.INJECT_FIRED: InjectFired,
    EventKind.MESSAGE: Message,
    EventKind.PROPOSAL: Proposal,
    EventKind.VOTE: Vote,
    EventKind.WALK_AWAY: WalkAway,
    EventKind.PAUSED: Clocked,
    EventKind.RESUMED: Clocked,
    EventKind.EXTENDED: Extended,
    EventKind.ENDED: Ended,
    EventKind.AGENT_FALLBACK: AgentFallback,
    EventKind.TURN_SKIPPED: Clocked,
    EventKind.CODE_REISSUED: CodeChanged,
    EventKind.CODE_REVOKED: CodeChanged,
    EventKind.FORKED: Forked,
    EventKind.REVEALED: Revealed,
    EventKind.CHAIR_SET: ChairSet,
}


class PayloadError(ExerciseError):
    """A payload does not fit its event kind (the message is one line)."""


def check_payload(kind: EventKind, payload: Any) -> Payload:
    """The typed payload of a ``kind`` event.

    Raises:
        PayloadError: one line naming the kind, the field and the cause.
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"{kind.value} event: the payload must be an object, not {type(payload).__name__}")
    try:
        return MODELS[kind].model_validate(payload)
    except ValidationError as err:
        raise PayloadError(f"{kind.value} event: {describe(err)}") from None
    except (ValueError, TypeError, RecursionError) as err:
        raise PayloadError(f"{kind.value} event: {type(err).__name__}") from None


def describe(err: ValidationError) -> str:
    """The first problem of a validation error as ``field: message`` (one line)."""
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
    msg = " ".join(str(first.get("msg", "invalid")).split())
    return f"{where}: {msg}"

