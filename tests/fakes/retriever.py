"""A few fixed passages behind the knowledge layer's shipped fake retriever (tests only)."""

from __future__ import annotations

from dialogue_engine.knowledge.testing import FakeRetriever as _Fake
from dialogue_engine.knowledge.types import Hit

DOCS = [
    ("finance.md", "Climate finance", "Money", ("finance", "climate", "global-south"),
     "Pledges have lagged far behind needs for years. Countries that pay in want to see how money is spent. "
     "Grants reach budgets faster than loans do, and money paid soon counts for more than money promised later."),
    ("trust.md", "Trust and partnership", "Partners", ("partnership", "great-powers"),
     "Partners who share values tend to settle sooner and more generously. Verification makes promises "
     "credible between rivals."),
    ("timing.md", "Timing of agreements", "Deadlines", ("negotiation",),
     "Deadlines concentrate minds, and most concessions arrive near the end. A later start can still "
     "deliver results if the money is ready, and time bought early is rarely wasted."),
]


def FakeRetriever() -> _Fake:  # noqa: N802 - reads like the class it builds
    """The shipped fake retriever over :data:`DOCS`."""
    return _Fake(Hit(chunk_id=f"{src}#{n}", source=src, title=title, section=section, text=text, score=1.0,
                     tags=tags) for n, (src, title, section, tags, text) in enumerate(DOCS))
