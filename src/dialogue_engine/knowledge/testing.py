"""A shipped fake of the knowledge seam: an in-memory :class:`~dialogue_engine.knowledge.types.Retriever`."""

from __future__ import annotations

import re
from collections.abc import Iterable

from dialogue_engine.knowledge.types import Hit, Where

_WORD = re.compile(r"[a-z0-9]+")


class FakeRetriever:
    """Ranks fixed hits by the words they share with the query; honours ``where`` like the real store.

    Ties keep the order the hits were given in. Every call is recorded in :attr:`calls` as
    ``(query, k, where)``.
    """

    def __init__(self, hits: Iterable[Hit]) -> None:
        self.hits = tuple(hits)
        self.calls: list[tuple[str, int, Where | None]] = []

    @property
    def queries(self) -> list[str]:
        """The queries searched so far, oldest first."""
        return [q for q, _k, _w in self.calls]

    def search(self, query: str, k: int = 5, where: Where | None = None) -> list[Hit]:
        """Up to ``k`` hits sharing the most words with ``query``, filtered by ``source`` and ``tags``."""
        self.calls.append((query, k, where))
        words = set(_WORD.findall(query.lower()))
        pool = [h for h in self.hits if _matches(h, where or {})]
        pool.sort(key=lambda h: -len(words & set(_WORD.findall(h.text.lower()))))
        return pool[:k]


def _as_set(value: object) -> set[str]:
    return {value} if isinstance(value, str) else set(value)  # type: ignore[arg-type]


def _matches(hit: Hit, where: Where) -> bool:
    if where.get("source") is not None and hit.source not in _as_set(where["source"]):
        return False
    if where.get("tags") is not None and not _as_set(where["tags"]) & set(hit.tags):
        return False
    return True
