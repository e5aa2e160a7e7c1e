"""Grounded knowledge base: load and chunk documents, embed offline, store in Chroma, hybrid search.

Public API: :class:`KnowledgeBase`, :class:`Hit`, :class:`Chunk`, :class:`IngestReport`,
:class:`Retriever`, :class:`KnowledgeError`, :func:`default_knowledge_base`, :func:`build_default_index`.
"""

from dialogue_engine.knowledge.base import KnowledgeBase
from dialogue_engine.knowledge.chunking import ChunkingConfig
from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base, index_status
from dialogue_engine.knowledge.search import SearchConfig, SearchMode
from dialogue_engine.knowledge.types import (
    Chunk,
    EmptyStoreError,
    Hit,
    IngestReport,
    KnowledgeError,
    Retriever,
    SourceChange,
)

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
