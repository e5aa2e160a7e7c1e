"""Grounding: passages for the issue and move at hand, scoped to a persona's knowledge tags."""

from __future__ import annotations

import logging
from typing import Any

from dialogue_engine.agents.types import Citation, MoveKind
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR, Retriever, criticises_tag

logger = logging.getLogger(__name__)

MOVE_WORDS = {
    MoveKind.PROPOSE: "proposal offer package",
    MoveKind.COUNTER: "counter-proposal compromise trade-off",
    MoveKind.ACCEPT: "agreement benefits",
    MoveKind.REJECT: "objection risks costs",
    MoveKind.ASK: "priorities concerns",
    MoveKind.ACKNOWLEDGE: "position rationale",
    MoveKind.WALK_AWAY: "alternatives no agreement",
}


class Grounder:
    """Retrieves numbered passages for one persona, cached per (issue, move kind).

    Args:
        persona: whose knowledge tags scope the search.
        scenario: gives issue titles and descriptions for the query.
        retriever: a knowledge base or any object with ``search(query, k, where)``; None = no passages.
        k: passages per turn.
    """

    def __init__(self, persona: Persona, scenario: Scenario, retriever: Retriever | None = None, k: int = 3):
        self.persona = persona
        self.scenario = scenario
        self.retriever = retriever
        self.k = k
        self._cache: dict[tuple[str, str | None, str], tuple[Citation, ...]] = {}

    def update_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def where(self) -> dict[str, Any] | None:
        """The metadata filter: the persona's tags, else its sources, else none."""
        if self.persona.knowledge.tags:
            return {"tags": list(self.persona.knowledge.tags)}
        if self.persona.knowledge.sources:
            return {"source": list(self.persona.knowledge.sources)}
        return None

    def query(self, issue_id: str | None, move: MoveKind) -> str:
        """The search text: the issue, the move, and the persona's leading interests."""
        parts: list[str] = []
        if issue_id:
            try:
                issue = self.scenario.issue(issue_id)
                parts += [issue.title, issue.description]
            except KeyError:
                pass
        else:
            parts.append(self.scenario.title)
        parts.append(MOVE_WORDS.get(move, ""))
        parts += [i.name for i in self.persona.interests[:2]]
        return " ".join(p for p in parts if p).strip()

    def usable(self, hit: Any) -> bool:
        """Whether this persona may cite ``hit``: not facilitator guidance, not an argument against itself."""
        tags = set(getattr(hit, "tags", ()) or ())
        return AUDIENCE_FACILITATOR not in tags and criticises_tag(self.persona.id) not in tags

    def _usable(self, hits: list[Any]) -> list[Any]:
        return [h for h in hits if self.usable(h)]

    def passages(self, issue_id: str | None, move: MoveKind) -> tuple[Citation, ...]:
        """Numbered passages ([1], [2], ...) for the issue and move; [] without a retriever or on failure."""
        if self.retriever is None:
            return ()
        key = (self.persona.id, issue_id, MoveKind(move).value)
        if key in self._cache:
            return self._cache[key]
        query = self.query(issue_id, move)
        try:
            hits = self._usable(self.retriever.search(query, k=self.k * 3, where=self.where()))
            if not hits and self.where() is not None:
                hits = self._usable(self.retriever.search(query, k=self.k * 3, where=None))
        except Exception as err:  # noqa: BLE001 - a failing store must not end the turn
            logger.warning("grounding: search failed for %s (%s); answering without passages", self.persona.id, err)
            return ()
        out = tuple(Citation.from_hit(n, h) for n, h in enumerate(hits[: self.k], start=1))
        self._cache[key] = out
        return out
