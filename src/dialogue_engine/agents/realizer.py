"""The realizer seam: words for a decided move. Implementations: built-in templates and an LLM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from dialogue_engine.agents.planning import DialoguePlan
from dialogue_engine.agents.types import Citation, Move, Observation
from dialogue_engine.domain.persona import Persona


@dataclass(frozen=True, kw_only=True, slots=True)
class RealizeRequest:
    """Everything a realizer may use. Private numbers are deliberately absent.

    Attributes:
        persona: who speaks (voice, worldview, public profile).
        scenario_title / situation: the public setting.
        move: the decided move, which the text must express.
        proposal_lines: the move's proposal as (issue title, option label) pairs, if any.
        passages: retrieved passages the text may cite as [n].
        incoming: the message being answered, if any.
        addressee: display name of whom the persona answers, if any.
        history: recent public lines ("Speaker: text"), oldest first.
        turn: how many replies this persona has given before (for variety).
        issue_title: the title of the issue in focus (``move.issue``), if any.
        plan: what the reply must answer before its move, and how the move relates to the table; None
            means "just express the move" (the built-in realizer then states it in full).
    """

    persona: Persona
    scenario_title: str
    situation: str
    move: Move
    proposal_lines: tuple[tuple[str, str], ...] = ()
    passages: tuple[Citation, ...] = ()
    incoming: Observation | None = None
    addressee: str | None = None
    history: tuple[str, ...] = ()
    turn: int = 0
    issue_title: str = ""
    plan: DialoguePlan | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Realization:
    """A realizer's output: the text, which passages it cites, and how it was produced."""

    text: str
    cited: tuple[int, ...] = ()
    source: str = "builtin"
    fallback_reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "cited", tuple(self.cited))


@runtime_checkable
class Realizer(Protocol):
    """Turns a decided move into words in the persona's voice."""

    async def realize(self, request: RealizeRequest) -> Realization:
        """Words for ``request.move``; cite passages as [n]."""
        ...
