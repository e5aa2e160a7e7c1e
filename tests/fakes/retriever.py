"""A small in-memory retriever with the knowledge base's search signature (tests only)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dialogue_engine.knowledge.types import Hit

DOCS = [
    ("finance.md", "Climate finance", "Money", ("finance", "climate", "global-south"),
     "Pledges have lagged far behind needs for years. Countries that pay in want to see how money is spent. "
     "Grants reach budgets faster than loans do."),
    ("trust.md", "Trust and partnership", "Partners", ("partnership", "great-powers"),
     "Partners who share values tend to settle sooner and more generously. Verification makes promises "
     "credible between rivals."),
    ("timing.md", "Timing of agreements", "Deadlines", ("negotiation",),
     "Deadlines concentrate minds, and most concessions arrive near the end. A later start can still "
     "deliver results if the money is ready."),
]


@dataclass
class FakeRetriever:
    """Word-overlap search over a few fixed passages; records every call."""

    docs: list = field(default_factory=lambda: list(DOCS))
    calls: list = field(default_factory=list)

    def search(self, query: str, k: int = 5, where: dict | None = None) -> list[Hit]:
        self.calls.append((query, k, where))
        words = set(re.findall(r"[a-z]+", query.lower()))
        tags = set((where or {}).get("tags") or [])
        hits = []
        for n, (src, title, section, dtags, text) in enumerate(self.docs):
            if tags and not tags & set(dtags):
                continue
            score = len(words & set(re.findall(r"[a-z]+", text.lower()))) + 0.01 * (len(self.docs) - n)
            hits.append(Hit(f"{src}#{n}", src, title, section, text, float(score), dtags, 0))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]
