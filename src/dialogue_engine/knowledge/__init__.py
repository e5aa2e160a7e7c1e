"""Grounded knowledge base: load and chunk documents, embed offline, store in Chroma, hybrid search.

Public API: :class:`KnowledgeBase`, :class:`Hit`, :class:`Chunk`, :class:`IngestReport`,
:class:`Retriever`, :class:`KnowledgeError`, :func:`default_knowledge_base`, :func:`build_default_index`.
Names are imported on first use so that ``import dialogue_engine.knowledge`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from dialogue_engine.knowledge.types import (
    Chunk,
    EmptyStoreError,
    Hit,
    IngestReport,
    KnowledgeError,
    Retriever,
    SourceChange,
)

_LAZY = {
    "KnowledgeBase": "dialogue_engine.knowledge.base",
    "ChunkingConfig": "dialogue_engine.knowledge.chunking",
    "SearchConfig": "dialogue_engine.knowledge.search",
    "SearchMode": "dialogue_engine.knowledge.search",
    "build_default_index": "dialogue_engine.knowledge.defaults",
    "default_knowledge_base": "dialogue_engine.knowledge.defaults",
    "index_status": "dialogue_engine.knowledge.defaults",
}

__all__ = [
    "Chunk",
    "ChunkingConfig",
    "EmptyStoreError",
    "Hit",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeError",
    "Retriever",
    "SearchConfig",
    "SearchMode",
    "SourceChange",
    "build_default_index",
    "default_knowledge_base",
    "index_status",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
