"""Grounding: passages for the issue and move at hand, scoped to a persona's knowledge tags."""

from __future__ import annotations

import logging
import re
from typing import Any

from dialogue_engine.agents.types import Citation, MoveKind
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.knowledge.types import AUDIENCE_FACILITATOR, Retriever, criticises_tag

logger = logging.getLogger(__name__)

RELEVANCE_FLOOR = 2
"""Content words a passage must share with the turn's topic to be cited (no citation beats an irrelevant one)."""

_STOP = frozenset(
    "about above after again against also among because been before being below between both could does doing "
    "during each from further have having here into itself just more most much must only other over same should "
    "some such than that their them then there these they this those through under until very what when where "
    "which while whom with would your yours ours ourselves what's many how why who will shall".split())
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def content_words(text: str) -> set[str]:
    """Stemmed content words of ``text`` (5-letter prefixes of words of 4+ letters, stopwords out)."""
    return {w[:5] for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _STOP}


def relevance(passage_text: str, topic: str) -> int:
    """How many content words a passage shares with a topic."""
    return len(content_words(passage_text) & content_words(topic))

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
        self._cache: dict[tuple[str, str | None, str, str], tuple[Citation, ...]] = {}

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

    def topic(self, issue_id: str | None, text: str = "") -> str:
        """What a citation must be about: the issue in focus (title, description, options) and the player's line;
        the scenario's own summary only when no issue is in focus."""
        parts = [text]
        if issue_id:
            try:
                issue = self.scenario.issue(issue_id)
                parts += [issue.title, issue.description, *(o.label for o in issue.options)]
            except KeyError:
                pass
        else:
            parts += [self.scenario.title, self.scenario.summary]
        return " ".join(p for p in parts if p)

    def passages(self, issue_id: str | None, move: MoveKind, text: str = "") -> tuple[Citation, ...]:
        """Numbered passages ([1], [2], ...) about the issue, the move and the player's line.

        Only passages sharing at least :data:`RELEVANCE_FLOOR` content words with the topic are kept;
        () without a retriever, on failure, or when nothing relevant is found.
        """
        if self.retriever is None:
            return ()
        key = (self.persona.id, issue_id, MoveKind(move).value, text)
        if key in self._cache:
            return self._cache[key]
        query = f"{text} {self.query(issue_id, move)}".strip()
        hits = self._search(query, self.k * 3)
        topic = self.topic(issue_id, text)
        relevant = [h for h in hits if relevance(h.text, topic) >= RELEVANCE_FLOOR]
        out = tuple(Citation.from_hit(n, h) for n, h in enumerate(relevant[: self.k], start=1))
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[key] = out
        return out

    def fact(self, question: str, first_n: int = 1) -> tuple[str, Citation] | None:
        """A sentence from the knowledge base that answers a factual question, numbered ``first_n``; or None.

        The sentence must share at least :data:`RELEVANCE_FLOOR` content words with the question; a question
        about amounts, counts or dates prefers sentences with a figure.
        """
        wants_figure = bool(re.search(r"\b(how (many|much|long|often)|when|what year|figure|number|amount|since)\b",
                                      question, re.I))
        best: tuple[float, str, object] | None = None
        for hit in self._search(question, 6):
            for sentence in _SENTENCE.split(" ".join(hit.text.split())):
                score = float(relevance(sentence, question))
                if score < RELEVANCE_FLOOR or not 30 <= len(sentence) <= 320:
                    continue
                if wants_figure and not re.search(r"\d", sentence):
                    continue
                if wants_figure:
                    score += 1.5
                if best is None or score > best[0]:
                    best = (score, sentence.strip(), hit)
        if best is None:
            return None
        return best[1], Citation.from_hit(first_n, best[2])

    def _search(self, query: str, k: int) -> list[Any]:
        """Usable hits for ``query`` within the persona's scope (falling back to the whole library)."""
        if self.retriever is None:
            return []
        try:
            hits = self._usable(self.retriever.search(query, k=k, where=self.where()))
            if not hits and self.where() is not None:
                hits = self._usable(self.retriever.search(query, k=k, where=None))
            return hits
        except Exception as err:  # noqa: BLE001 - a failing store must not end the turn
            logger.warning("grounding: search failed for %s (%s); answering without passages", self.persona.id, err)
            return []
