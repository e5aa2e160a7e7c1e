"""Moves: what a seat does on its turn, as decided by a strategy (the words come later)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from dialogue_engine.domain.deal import Deal


class MoveKind(str, Enum):
    """What a persona does on its turn."""

    PROPOSE = "propose"
    ACCEPT = "accept"
    REJECT = "reject"
    COUNTER = "counter"
    ASK = "ask"
    ACKNOWLEDGE = "acknowledge"
    WALK_AWAY = "walk_away"


@dataclass(frozen=True, kw_only=True, slots=True)
class Decline:
    """A package on the table a seat cannot accept, and the issue that sinks it (where it loses most)."""

    deal: Deal
    issue: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "deal", Deal.of(self.deal))


@dataclass(frozen=True, kw_only=True, slots=True)
class Move:
    """A decided move; a realizer must express it and never change it.

    Attributes:
        kind: what the seat does.
        proposal: the package proposed or accepted, if any.
        to: the party addressed, if any.
        issue: the issue in focus, if any.
        reason: why the strategy chose it (for traces and debriefs; never shown as the persona's words).
        supports: other packages already on the table the seat says it could also accept (multi-party
            tables: support that tells the others which packages can gather a majority).
        tolerates: other packages on the table the seat could accept only just (at its minimum).
        declines: packages on the table below the seat's minimum: it says it cannot accept them, so the
            others learn which parties bind and where.
    """

    kind: MoveKind
    proposal: Deal | None = None
    to: str | None = None
    issue: str | None = None
    reason: str = ""
    supports: tuple[Deal, ...] = ()
    tolerates: tuple[Deal, ...] = ()
    declines: tuple[Decline, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", MoveKind(self.kind))
        object.__setattr__(self, "proposal", Deal.of(self.proposal))
        object.__setattr__(self, "supports", tuple(Deal.of(d) for d in self.supports))
        object.__setattr__(self, "tolerates", tuple(Deal.of(d) for d in self.tolerates))
        object.__setattr__(self, "declines", tuple(self.declines))
