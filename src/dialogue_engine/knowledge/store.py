"""One persistent Chroma collection of chunks (embedded ``PersistentClient`` or a Chroma server)."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlparse

import numpy as np

from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction
from dialogue_engine.knowledge.types import Chunk, KnowledgeError, Where

log = logging.getLogger(__name__)

WRITE_BATCH = 1000


def _client(store_dir: Path | None, chroma_url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        parsed = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        if not parsed.hostname:
            raise KnowledgeError(f"QD_CHROMA_URL {chroma_url!r}: not a URL like http://host:8000")
        try:
            return chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as err:  # chromadb raises plain ValueError/ConnectionError variants
            raise KnowledgeError(f"Chroma server {chroma_url}: cannot connect ({type(err).__name__})") from None
    assert store_dir is not None
    check_store_dir(store_dir)
    try:
        return chromadb.PersistentClient(path=str(store_dir), settings=chroma_settings)
    except Exception as err:
        raise KnowledgeError(f"{store_dir}: cannot open the knowledge store ({type(err).__name__}: {err})".splitlines()[0]) from None


def check_store_dir(store_dir: Path) -> None:
    """Fail with one line when the store folder cannot be created, read or written."""
    if store_dir.exists() and not store_dir.is_dir():
        raise KnowledgeError(f"{store_dir}: the store path exists but is not a directory")
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise KnowledgeError(f"{store_dir}: cannot create the store directory ({err.strerror or err})") from None
    if not os.access(store_dir, os.R_OK | os.W_OK | os.X_OK):
        raise KnowledgeError(f"{store_dir}: the store directory is not readable and writable")
    db = store_dir / "chroma.sqlite3"
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        raise KnowledgeError(f"{db}: the store database is not readable and writable")


def to_chroma_where(where: Where | None) -> dict[str, Any] | None:
    """Translate ``{"source": ..., "tags": ...}`` into a Chroma ``where`` filter."""
    if not where:
        return None
    unknown = set(where) - {"source", "tags"}
    if unknown:
        raise KnowledgeError(f"search filter: unknown key(s) {', '.join(sorted(unknown))} (use source, tags)")
    clauses: list[dict[str, Any]] = []
    sources = _as_list(where.get("source"))
    if sources:
        clauses.append({"source": sources[0]} if len(sources) == 1 else {"source": {"$in": sources}})
    tags = _as_list(where.get("tags"))
    if tags:
        tag_clauses = [{"tags": {"$contains": t}} for t in tags]
        clauses.append(tag_clauses[0] if len(tag_clauses) == 1 else {"$or": tag_clauses})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


@dataclass(frozen=True)
class StoredChunks:
    """All chunks of the collection, column by column (for the lexical index)."""

    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    embeddings: np.ndarray | None = None


class ChunkStore:
    """The Chroma collection: add, delete, get and nearest-neighbour query of chunks.

    Args:
        store_dir: folder of the embedded store (ignored when ``chroma_url`` is given).
        chroma_url: ``http://host:port`` of a Chroma server.
        collection: the collection name.
        embedding_function: the registered function the collection is created with.
    """

    def __init__(
        self,
        store_dir: Path | None,
        chroma_url: str | None,
        collection: str,
        embedding_function: MiniLMEmbeddingFunction,
    ) -> None:
        self.location = chroma_url or str(store_dir)
        self.name = collection
        self._client = _client(store_dir, chroma_url)
        try:
            self._col = self._client.get_or_create_collection(
                collection,
                embedding_function=embedding_function,
                configuration={"hnsw": {"space": "cosine", "ef_search": 64}},
            )
        except KnowledgeError:
            raise
        except Exception as err:
            raise KnowledgeError(
                f"{self.location}: cannot open collection {collection!r} ({type(err).__name__}: {err})".splitlines()[0]
            ) from None

    def count(self) -> int:
        return self._col.count()

    def revision(self) -> str:
        """Changes whenever a writer of this collection (any process) changes its chunks."""
        meta = self._client.get_collection(self.name).metadata or {}
        return str(meta.get("revision", ""))

    def _bump_revision(self) -> None:
        self._col.modify(metadata={"revision": uuid.uuid4().hex})

    def ids_by_source(self) -> dict[str, set[str]]:
        """Every source's chunk ids."""
        result: dict[str, set[str]] = {}
        got = self._col.get(include=["metadatas"])
        for cid, meta in zip(got["ids"], got["metadatas"] or []):
            result.setdefault(str((meta or {}).get("source", "")), set()).add(cid)
        return result

    def source_summary(self) -> dict[str, tuple[int, set[str]]]:
        """Every source's chunk count and the file hashes its chunks were made from."""
        result: dict[str, tuple[int, set[str]]] = {}
        got = self._col.get(include=["metadatas"])
        for meta in got["metadatas"] or []:
            meta = meta or {}
            source = str(meta.get("source", ""))
            count, hashes = result.get(source, (0, set()))
            hashes.add(str(meta.get("file_sha256", "")))
            result[source] = (count + 1, hashes)
        return result

    def add(
        self,
        chunks: list[Chunk],
        embeddings: np.ndarray,
        extra: dict[str, dict[str, Any]] | None = None,
        per_chunk: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Write chunks with their embeddings (in batches); ``extra`` adds metadata per source, ``per_chunk`` per chunk id."""
        extra = extra or {}
        per_chunk = per_chunk or {}
        for start in range(0, len(chunks), WRITE_BATCH):
            part = chunks[start : start + WRITE_BATCH]
            self._col.add(
                ids=[c.chunk_id for c in part],
                embeddings=embeddings[start : start + WRITE_BATCH],
                documents=[c.text for c in part],
                metadatas=[_metadata(c, {**extra.get(c.source, {}), **per_chunk.get(c.chunk_id, {})}) for c in part],
            )
        if chunks:
            self._bump_revision()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for start in range(0, len(ids), WRITE_BATCH):
            self._col.delete(ids=ids[start : start + WRITE_BATCH])
        if ids:
            self._bump_revision()

    def all_chunks(self, embeddings: bool = False) -> StoredChunks:
        include = ["documents", "metadatas"] + (["embeddings"] if embeddings else [])
        got = self._col.get(include=include)
        vectors = None
        if embeddings:
            raw = got.get("embeddings")
            vectors = np.asarray(raw, dtype=np.float32) if raw is not None and len(raw) else np.zeros((0, 384), np.float32)
        return StoredChunks(
            list(got["ids"]), list(got["documents"] or []), [m or {} for m in got["metadatas"] or []], vectors
        )

    def get(self, where: Where | None = None) -> StoredChunks:
        got = self._col.get(where=to_chroma_where(where), include=["documents", "metadatas"])
        return StoredChunks(list(got["ids"]), list(got["documents"] or []), [m or {} for m in got["metadatas"] or []])

    def query(self, embedding: np.ndarray, n: int, where: Where | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids and cosine similarities, best first."""
        n = min(n, self.count())
        if n <= 0:
            return []
        got = self._col.query(
            query_embeddings=[embedding], n_results=n, where=to_chroma_where(where), include=["distances"]
        )
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], got["distances"][0])]


def _metadata(chunk: Chunk, extra: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": chunk.source,
        "title": chunk.title,
        "section": chunk.section,
        "position": chunk.position,
    }
    if chunk.tags:
        meta["tags"] = list(chunk.tags)
    meta.update({k: v for k, v in extra.items() if v is not None})
    return meta
