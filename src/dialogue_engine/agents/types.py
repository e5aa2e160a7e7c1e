"""Values that flow through one turn: observations, moves, citations and replies."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

Deal = dict[str, str]


class MoveKind(str, Enum):
    """What a persona does on its turn."""

    PROPOSE = "propose"
    ACCEPT = "accept"
    REJECT = "reject"
    COUNTER = "counter"
    ASK = "ask"
    ACKNOWLEDGE = "acknowledge"
    WALK_AWAY = "walk_away"


class Intent(str, Enum):
    """What an incoming message is trying to do (perception)."""

    PROPOSE = "propose"
    ASK = "ask"
    THREATEN = "threaten"
    CONCEDE = "concede"
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    REJECT = "reject"
    OFF_TOPIC = "off_topic"


class ObservationKind(str, Enum):
    """What another seat did, as seen by an agent."""

    MESSAGE = "message"
    PROPOSAL = "proposal"
    ACCEPT = "accept"
    REJECT = "reject"
    WALK_AWAY = "walk_away"
    INJECT = "inject"


@dataclass(frozen=True)
class Observation:
    """One thing an agent perceives: who did what, in which round, with any text or proposal."""

    round: int
    speaker: str
    kind: ObservationKind
    text: str | None = None
    proposal: Deal | None = None
    to: str | None = None


@dataclass(frozen=True)
class Move:
    """The strategy's decision; the realizer must express it, never change it."""

    kind: MoveKind
    proposal: Deal | None = None
    to: str | None = None
    issue: str | None = None


@dataclass(frozen=True)
class TurnContext:
    """Where the negotiation stands when an agent is asked to act."""

    round: int
    total_rounds: int
    phase: str = "statements"
    on_table: Deal | None = None
    incoming: Observation | None = None


class Citation(BaseModel):
    """A retrieved passage a reply cites as [n]."""

    model_config = ConfigDict(frozen=True)

    n: int
    chunk_id: str
    source: str
    title: str = ""
    section: str = ""
    text: str


class Reply(BaseModel):
    """A persona's turn: its words, the move they express, any proposal, and what it cites."""

    model_config = ConfigDict(frozen=True)

    persona: str
    party: str
    message: str
    move: MoveKind
    proposal: Deal | None = None
    citations: list[Citation] = Field(default_factory=list)
    realizer: str = "builtin"
    fallback_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``chat --json`` object: persona, message, move, proposal, citations ({source, text})."""
        return {
            "persona": self.persona,
            "party": self.party,
            "message": self.message,
            "move": self.move.value,
            "proposal": self.proposal,
            "citations": [{"n": c.n, "source": c.source, "text": c.text, "chunk_id": c.chunk_id} for c in self.citations],
            "realizer": self.realizer,
            "fallback_reason": self.fallback_reason,
        }
