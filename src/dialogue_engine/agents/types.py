"""Values that flow through one turn: observations, moves, citations and replies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import Decline, Move, MoveKind

__all__ = ["Citation", "Deal", "Decline", "Move", "MoveKind", "Observation", "ObservationKind", "Reply",
           "TurnContext"]

class ObservationKind(str, Enum):
    """What another seat did, as seen by an agent."""

    MESSAGE = "message"
    PROPOSAL = "proposal"
    ACCEPT = "accept"
    REJECT = "reject"
    WALK_AWAY = "walk_away"
    INJECT = "inject"


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """One thing an agent perceives: who did what, in which round, with any text or proposal."""

    round: int
    speaker: str
    kind: ObservationKind
    text: str | None = None
    proposal: Deal | None = None
    to: str | None = None
    minimum: bool = False
    """For an acceptance: the seat said the package is the least it can take."""
    blocking: str | None = None
    """For a refusal: the issue the seat said sinks the package."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "proposal", Deal.of(self.proposal))


@dataclass(frozen=True, kw_only=True, slots=True)
class TurnContext:
    """Where the negotiation stands when an agent is asked to act."""

    round: int
    total_rounds: int
    phase: str = "statements"
    on_table: Deal | None = None
    incoming: Observation | None = None
    final_word: bool = False
    """This turn's package is the one the final vote is held on (the lead seat's last turn under deliberation)."""
    may_table: bool = True
    """Whether the seat may table a new package this turn (table discipline: one per seat per round)."""
    live: tuple[Deal, ...] = ()
    """Packages other seats have live on the table: putting one forward again means supporting it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "on_table", Deal.of(self.on_table))
        object.__setattr__(self, "live", tuple(Deal.of(d) for d in self.live))


@dataclass(frozen=True, kw_only=True, slots=True)
class Citation:
    """A retrieved passage numbered for citation as [n]: what a realizer may cite and a reply does cite."""

    n: int
    chunk_id: str
    source: str
    title: str = ""
    section: str = ""
    text: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return {"n": self.n, "chunk_id": self.chunk_id, "source": self.source, "title": self.title,
                "section": self.section, "text": self.text}

    @classmethod
    def from_hit(cls, n: int, hit: Any) -> "Citation":
        """Number a knowledge-base hit (anything with ``chunk_id, source, title, section, text``)."""
        return cls(n=n, chunk_id=hit.chunk_id, source=hit.source, title=getattr(hit, "title", "") or "",
                   section=getattr(hit, "section", "") or "", text=hit.text)


class Reply(BaseModel):
    """A persona's turn: its words, the move they express, any proposal, and what it cites."""

    model_config = ConfigDict(frozen=True)

    persona: str
    party: str
    message: str
    move: MoveKind
    proposal: Deal | None = None
    citations: tuple[Citation, ...] = ()
    realizer: str = "builtin"
    fallback_reason: str | None = None
    understood: Any = None
    supports: tuple[Deal, ...] = ()
    """Other packages on the table the seat said it could also accept."""
    tolerates: tuple[Deal, ...] = ()
    """Other packages on the table the seat said it could accept only just."""
    declines: tuple[Decline, ...] = ()
    """Packages on the table the seat said it cannot accept (below its minimum), with the issue that sinks each."""

    def to_json(self) -> dict[str, Any]:
        """The ``chat --json`` object: persona, message, move, proposal, citations ({source, text})."""
        return {
            "persona": self.persona,
            "party": self.party,
            "message": self.message,
            "move": self.move.value,
            "proposal": dict(self.proposal) if self.proposal is not None else None,
            "citations": [{"n": c.n, "source": c.source, "text": c.text, "chunk_id": c.chunk_id} for c in self.citations],
            "realizer": self.realizer,
            "fallback_reason": self.fallback_reason,
            "understood": self.understood.to_json() if self.understood is not None else None,
        }
