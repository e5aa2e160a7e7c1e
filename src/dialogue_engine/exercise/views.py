"""Read-only views of an exercise for the app and the CLI (pydantic, JSON-ready).

A :class:`SeatView` holds only what that seat may see: the public transcript, its own private channel,
its own brief, scores and threshold. Other seats' private data is never copied into it.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Phase(str, Enum):
    """Where an exercise stands. Rounds cycle injects -> statements -> proposals -> responses."""

    SETUP = "setup"
    BRIEFING = "briefing"
    INJECTS = "injects"
    STATEMENTS = "statements"
    PROPOSALS = "proposals"
    RESPONSES = "responses"
    FINAL_VOTE = "final_vote"
    DEBRIEF = "debrief"


ROUND_PHASES = (Phase.INJECTS, Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES)


class Channel(str, Enum):
    """Who can read a message."""

    PUBLIC = "public"
    PRIVATE = "private"


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


class SeatInfo(View):
    """A seat (one party) and who holds it."""

    party: str
    name: str
    persona: str
    human: bool
    code: str | None = None
    joined: bool = False


class ExerciseInfo(View):
    """Identity of an exercise; right after ``create`` (or an import) also its plain join codes.

    Codes are stored hashed, so ``facilitator_code`` and each ``SeatInfo.code`` are None when read later.
    """

    exercise_id: str
    scenario_id: str
    title: str
    mode: str
    seed: int
    created: str
    facilitator_code: str | None = None
    seats: list[SeatInfo]
    forked_from: str | None = None
    forked_at: int | None = None


class JoinCodeView(View):
    """A seat's join code as the facilitator may list it: whether one is active, never the code itself."""

    party: str
    name: str
    active: bool
    issued: str = ""
    replaced: int = 0
    joined: bool = False


class Seat(View):
    """Who a join code belongs to: a party's seat or the facilitator (``party`` None)."""

    exercise_id: str
    role: str
    party: str | None = None

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


class CitationView(View):
    n: int
    source: str
    title: str = ""
    section: str = ""
    text: str = ""
    chunk_id: str = ""


class TranscriptEntry(View):
    """One line of the transcript."""

    seq: int
    ts: str
    round: int
    phase: Phase
    speaker: str
    speaker_name: str
    channel: Channel = Channel.PUBLIC
    recipients: list[str] = Field(default_factory=list)
    text: str
    move: str | None = None
    proposal: dict[str, str] | None = None
    citations: list[CitationView] = Field(default_factory=list)
    realizer: str | None = None
    understood: dict[str, Any] | None = None


class ProposalView(View):
    """A proposal and the votes cast on it so far (votes and their one-line reasons are public).

    ``status``: ``open``, ``passed``, ``failed``, ``closed`` or ``withdrawn`` (superseded by its proposer's
    newer package).
    """

    id: int
    round: int
    proposer: str
    deal: dict[str, str]
    lines: list[tuple[str, str]]
    number: int = 0
    """Its number in the order proposals were made (as the debrief charts number them); ``id`` is its event."""
    votes: dict[str, bool] = Field(default_factory=dict)
    reasons: dict[str, str] = Field(default_factory=dict)
    status: str = "open"
    final: bool = False


class InjectView(View):
    """An inject that fired (or, in the facilitator view, one still available)."""

    seq: int | None = None
    round: int = 0
    inject_id: str | None = None
    title: str
    text: str
    fired_by: str = "schedule"
    for_you: str | None = None
    """In a seat's view: what the inject changed in that seat's own brief (its minimum, its points), if anything."""


class Clock(View):
    """The round clock."""

    phase: Phase
    round: int
    total_rounds: int
    paused: bool = False
    ended: bool = False
    last_seq: int = 0
    chair: bool = False
    """Whether the chair seat tables a single negotiating text each round."""


class Brief(View):
    """A seat's private brief: its own scores and threshold only."""

    party: str
    name: str
    role: str
    persona: str
    private_brief: str
    threshold: float
    scores: dict[str, dict[str, float]]
    veto: bool = False


class Outcome(View):
    """How an exercise ended."""

    agreement: bool
    deal: dict[str, str] | None = None
    proposal_id: int | None = None
    round: int = 0
    reason: str = ""
    utilities: dict[str, float] = Field(default_factory=dict)
    revealed: bool = False


class SeatView(View):
    """Everything one seat may see now."""

    exercise_id: str
    title: str
    situation: str
    rule: str
    seat: SeatInfo
    clock: Clock
    brief: Brief
    seats: list[SeatInfo]
    transcript: list[TranscriptEntry]
    private: list[TranscriptEntry]
    proposals: list[ProposalView]
    current_proposal: ProposalView | None = None
    my_utility: float | None = None
    injects: list[InjectView]
    issues: list[dict[str, Any]]
    outcome: Outcome | None = None
    can_vote: bool = False
    can_propose: bool = False


class ScoreRow(View):
    """One party on the facilitator's live scoreboard."""

    party: str
    name: str
    human: bool
    threshold: float
    utility: float | None
    accepts: bool | None
    vote: bool | None = None
    walked_out: bool = False
    messages: int = 0
    proposals: int = 0


class FacilitatorView(View):
    """Everything the facilitator sees: every seat's view, the full log and a live scoreboard."""

    exercise_id: str
    title: str
    mode: str
    clock: Clock
    seats: list[SeatInfo]
    seat_views: dict[str, SeatView]
    transcript: list[TranscriptEntry]
    proposals: list[ProposalView]
    current_proposal: ProposalView | None = None
    scoreboard: list[ScoreRow]
    injects: list[InjectView]
    available_injects: list[InjectView]
    outcome: Outcome | None = None
    facilitator_notes: str = ""
    learning_objectives: list[str] = Field(default_factory=list)
