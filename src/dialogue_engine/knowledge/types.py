"""Values of the knowledge base: documents, chunks, hits, reports, the retriever seam and its error."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

from dialogue_engine.errors import QDError


class KnowledgeError(QDError):
    """A document, path or store problem; the message is one line naming the file and the reason."""


class EmptyStoreError(KnowledgeError):
    """A query was made against a store that holds no chunks."""


@dataclass(frozen=True)
class Block:
    """One paragraph of a loaded document and the heading it sits under."""

    section: str
    text: str


@dataclass(frozen=True)
class Document:
    """A loaded file: its metadata and its paragraphs in reading order."""

    source: str
    path: str
    title: str
    blocks: tuple[Block, ...]
    sha256: str
    author: str | None = None
    date: str | None = None
    tags: tuple[str, ...] = ()
    section_tags: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def tags_for(self, section: str) -> tuple[str, ...]:
        """The document's tags plus those its front matter gives ``section`` (audience, stance)."""
        extra = dict(self.section_tags).get(section, ())
        return tuple(sorted(set(self.tags) | set(extra)))


UPLOAD_NAMESPACE = "uploads"
"""Documents uploaded in the app get source ids ``uploads/<file name>``: a file name never holds a slash, so an
upload can never take the id of a shipped note (whose id is its bare file name)."""

AUDIENCE_FACILITATOR = "audience:facilitator"
"""Tag of passages written for facilitators (exercise design, teaching notes): never cited by a persona."""


def criticises_tag(actor: str) -> str:
    """Tag of a passage that argues against ``actor`` (a persona id): that persona never cites it."""
    return f"criticises:{actor}"


def supports_tag(actor: str) -> str:
    """Tag of a passage that argues for ``actor`` (a persona id)."""
    return f"supports:{actor}"


@dataclass(frozen=True)
class Chunk:
    """A passage ready to be stored: text plus where it came from."""

    chunk_id: str
    source: str
    title: str
    section: str
    text: str
    position: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Hit:
    """One search result. ``score`` is the fused relevance (higher is better)."""

    chunk_id: str
    source: str
    title: str
    section: str
    text: str
    score: float
    tags: tuple[str, ...] = ()
    position: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tags as a list)."""
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data


@dataclass(frozen=True)
class SourceChange:
    """What one ingest did to one source."""

    source: str
    added: int
    removed: int
    unchanged: int


@dataclass(frozen=True)
class IngestReport:
    """The outcome of :meth:`KnowledgeBase.ingest`."""

    changes: tuple[SourceChange, ...] = ()
    pruned: tuple[str, ...] = ()
    pruned_chunks: int = 0
    seconds: float = 0.0
    embedded: int = 0

    @property
    def added(self) -> int:
        return sum(c.added for c in self.changes)

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.changes) + self.pruned_chunks

    @property
    def unchanged_sources(self) -> tuple[str, ...]:
        return tuple(c.source for c in self.changes if not c.added and not c.removed)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{len(self.changes)} file(s): {self.added} chunk(s) added, {self.removed} removed, "
            f"{len(self.unchanged_sources)} file(s) unchanged"
            + (f", pruned {', '.join(self.pruned)}" if self.pruned else "")
        )


Where = dict[str, Any]


@runtime_checkable
class Retriever(Protocol):
    """What agents need from the knowledge base: ranked passages for a query."""

    def search(self, query: str, k: int = 5, where: Where | None = None) -> list[Hit]:
        """Return up to ``k`` hits; ``where`` may hold ``source`` and ``tags`` (a value or a list)."""
        ...
