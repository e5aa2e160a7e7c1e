"""The knowledge base: ingest documents into the store and search them (the public Python API)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from dialogue_engine.config import get_settings
from dialogue_engine.knowledge.chunking import ChunkingConfig, chunk_document
from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction, TokenStates
from dialogue_engine.knowledge.loading import collect_files, load_document, normalize_tags
from dialogue_engine.knowledge.search import HybridSearcher, SearchConfig
from dialogue_engine.knowledge.sentences import METADATA_KEY, chunk_sentences, pack
from dialogue_engine.knowledge.store import ChunkStore
from dialogue_engine.knowledge.tokens import METADATA_KEY as TOKENS_KEY
from dialogue_engine.knowledge.tokens import pack_codes
from dialogue_engine.knowledge.types import (
    Chunk,
    Document,
    Hit,
    IngestReport,
    KnowledgeError,
    SourceChange,
    Where,
)

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` with stage ``"read"``, ``"embed"`` or ``"write"``."""

EMBED_BATCH = 64


def embedding_text(chunk: Chunk) -> str:
    """A chunk as one text for the dense model: its section heading, then its text.

    Ingest embeds a chunk's sentences instead (see ``KnowledgeBase._embed``); the benchmarks use this to
    reproduce the previous whole-passage embedding.
    """
    return f"{chunk.section}. {chunk.text}" if chunk.section else chunk.text


class KnowledgeBase:
    """Documents chunked into a Chroma collection and searched by hybrid (dense + BM25) retrieval.

    Args:
        store_dir: folder of the embedded store (default: ``QD_STORE_DIR`` or ``<QD_DATA_DIR>/store``).
        chroma_url: a Chroma server (default: ``QD_CHROMA_URL``); when set, ``store_dir`` is not used.
        collection: the collection name.
        chunking: chunk size limits.
        search_config: fusion settings.
    """

    def __init__(
        self,
        store_dir: str | Path | None = None,
        *,
        chroma_url: str | None = None,
        collection: str = "knowledge",
        chunking: ChunkingConfig = ChunkingConfig(),
        search_config: SearchConfig = SearchConfig(),
    ) -> None:
        settings = get_settings()
        if store_dir is None and chroma_url is None:
            chroma_url = settings.chroma_url
        self.chroma_url = chroma_url
        self.store_dir = Path(store_dir) if store_dir is not None else settings.resolved_store_dir
        self.collection = collection
        self.chunking = chunking
        self.search_config = search_config
        self.embedder = MiniLMEmbeddingFunction()
        self._store: ChunkStore | None = None
        self._searcher: HybridSearcher | None = None

    @property
    def location(self) -> str:
        """The server URL or the store folder, for messages."""
        return self.chroma_url or str(self.store_dir)

    @property
    def store(self) -> ChunkStore:
        if self._store is None:
            self._store = ChunkStore(None if self.chroma_url else self.store_dir, self.chroma_url, self.collection, self.embedder)
        return self._store

    @property
    def searcher(self) -> HybridSearcher:
        if self._searcher is None:
            self._searcher = HybridSearcher(self.store, self.embedder, self.search_config)
        return self._searcher

    def with_search_config(self, config: SearchConfig) -> "KnowledgeBase":
        """A view of the same store with other fusion settings (shares the open store)."""
        other = KnowledgeBase(self.store_dir, chroma_url=self.chroma_url, collection=self.collection,
                              chunking=self.chunking, search_config=config)
        other._store = self.store
        return other

    def load(
        self, paths: Iterable[str | Path], tags: Iterable[str] = (), progress: Progress | None = None,
        namespace: str = "",
    ) -> list[tuple[Document, list[Chunk]]]:
        """Read and chunk files without touching the store (raises on the first bad file).

        With a ``namespace``, each source id is ``<namespace>/<file name>``.
        """
        if isinstance(paths, (str, Path)):
            paths = [paths]
        files = collect_files(paths)
        names = Counter(f.name for f in files)
        dupes = sorted(n for n, c in names.items() if c > 1)
        if dupes:
            raise KnowledgeError(f"{dupes[0]}: two files share this name; sources are identified by file name")
        extra = normalize_tags([tags] if isinstance(tags, str) else list(tags))
        loaded = []
        for i, f in enumerate(files):
            if progress:
                progress("read", i, len(files))
            doc = load_document(f)
            if namespace:
                doc = dataclasses.replace(doc, source=f"{namespace}/{doc.source}")
            loaded.append((doc, chunk_document(doc, self.chunking, extra)))
        if progress:
            progress("read", len(files), len(files))
        return loaded

    def ingest(
        self,
        paths: Iterable[str | Path],
        tags: Iterable[str] = (),
        prune: bool = False,
        progress: Progress | None = None,
        *,
        namespace: str = "",
        library: bool = False,
    ) -> IngestReport:
        """Add or update documents; idempotent.

        Every file is read, chunked and embedded before anything is written, so a bad file leaves the
        store as it was. A changed file's new chunks are added before its stale ones are deleted.

        The notes ``kb build`` indexed into this store (its manifest) are owned by it: any other ingest that
        would replace one with different content is refused, and pruning never removes one.

        Args:
            paths: files and folders, or one path (folders are searched for .md, .txt, .html, .pdf).
            tags: tags added to every chunk (besides the documents' own front-matter tags).
            prune: also remove sources that are not among the given files (within ``namespace`` when one is
                given; never a library note, unless ``library``, which prunes only library notes).
            progress: optional callback ``(stage, done, total)``.
            namespace: source ids become ``<namespace>/<file name>`` (the app's uploads use ``uploads``).
            library: this is ``kb build`` indexing the shipped notes (it owns them).

        Returns:
            What was added, removed and left unchanged per file.

        Raises:
            KnowledgeError: a path, file or the store is unusable (one line naming it).
        """
        from dialogue_engine.knowledge.defaults import library_sources

        started = time.perf_counter()
        loaded = self.load(paths, tags, progress, namespace)
        owned = library_sources(self)
        if not library:
            for doc, _ in loaded:
                if doc.source in owned and owned[doc.source] != doc.sha256:
                    raise KnowledgeError(f"{doc.path}: {doc.source} is a note of the shipped library (kb build owns "
                                         "it); rename the file to add it")
        existing = self.store.ids_by_source()
        to_add: list[Chunk] = []
        stale: list[str] = []
        changes: list[SourceChange] = []
        for doc, chunks in loaded:
            old = existing.get(doc.source, set())
            new_ids = {c.chunk_id for c in chunks}
            fresh = [c for c in chunks if c.chunk_id not in old]
            gone = old - new_ids
            to_add.extend(fresh)
            stale.extend(sorted(gone))
            changes.append(SourceChange(doc.source, len(fresh), len(gone), len(chunks) - len(fresh)))
        given = {doc.source for doc, _ in loaded}
        pruned = sorted(s for s in existing if s not in given and self._prunable(s, owned, namespace, library)) \
            if prune else []
        pruned_ids = [cid for s in pruned for cid in sorted(existing[s])]
        embeddings, sentence_meta = self._embed(to_add, progress)
        extra = {
            doc.source: {"path": doc.path, "file_sha256": doc.sha256, "author": doc.author, "date": doc.date}
            for doc, _ in loaded
        }
        self._write(to_add, embeddings, extra, stale + pruned_ids, progress, sentence_meta)
        report = IngestReport(
            changes=tuple(changes),
            pruned=tuple(pruned),
            pruned_chunks=len(pruned_ids),
            seconds=time.perf_counter() - started,
            embedded=len(to_add),
        )
        log.info("ingest into %s: %s", self.location, report.summary())
        return report

    @staticmethod
    def _prunable(source: str, owned: dict[str, str], namespace: str, library: bool) -> bool:
        """Whether ``ingest(prune=True)`` may remove a stored source that is not among the given files."""
        if library:
            return source in owned
        if source in owned:
            return False
        return not namespace or source.startswith(f"{namespace}/")

    def _embed(self, chunks: list[Chunk], progress: Progress | None) -> tuple[np.ndarray, dict[str, dict[str, str]]]:
        """Per chunk: the embeddings of its sentences and its content word pieces' sign bits (both packed, by
        chunk id), and the sentences' normalised mean.

        The mean stands for the chunk in Chroma's index and in the chunk term of the dense score; it ranked
        as well as embedding the whole passage on the tuning sets and halves the embedding work at ingest.
        The word pieces come from the same forward pass (see :mod:`dialogue_engine.knowledge.tokens`).
        """
        sentences = [chunk_sentences(c.text) or [embedding_text(c)] for c in chunks]
        texts = [s for group in sentences for s in group]
        parts = []
        states: list[TokenStates] = []
        for start in range(0, len(texts), EMBED_BATCH):
            if progress:
                progress("embed", start, len(texts))
            vectors_part, states_part = self.embedder.embed_with_tokens(texts[start : start + EMBED_BATCH])
            parts.append(vectors_part)
            states.extend(states_part)
        if progress:
            progress("embed", len(texts), len(texts))
        vectors = np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)
        chunk_vectors = np.zeros((len(chunks), vectors.shape[1]), dtype=np.float32)
        per_chunk: dict[str, dict[str, str]] = {}
        offset = 0
        for i, (chunk, group) in enumerate(zip(chunks, sentences)):
            block = vectors[offset : offset + len(group)]
            offset += len(group)
            mean = block.mean(axis=0)
            chunk_vectors[i] = mean / max(float(np.linalg.norm(mean)), 1e-12)
            per_chunk[chunk.chunk_id] = {
                METADATA_KEY: pack(block),
                TOKENS_KEY: pack_codes(states[offset - len(group) : offset]),
            }
        return chunk_vectors, per_chunk

    def _write(
        self,
        chunks: list[Chunk],
        embeddings: np.ndarray,
        extra: dict[str, dict],
        delete_ids: list[str],
        progress: Progress | None,
        per_chunk: dict[str, dict[str, str]] | None = None,
    ) -> None:
        total = len(chunks) + len(delete_ids)
        if progress:
            progress("write", 0, total)
        try:
            self.store.add(chunks, embeddings, extra, per_chunk)
        except Exception as err:
            try:
                self.store.delete(c.chunk_id for c in chunks)
            except Exception:  # best effort: the original failure is the one to report
                log.exception("rollback after a failed write also failed")
            raise KnowledgeError(f"{self.location}: writing chunks failed, store left as it was ({type(err).__name__})") from None
        try:
            self.store.delete(delete_ids)
        except Exception as err:
            raise KnowledgeError(f"{self.location}: removing old chunks failed ({type(err).__name__})") from None
        if self._searcher:
            self._searcher.invalidate()
        if progress:
            progress("write", total, total)

    def reset(self) -> None:
        """Forget the open store and search index (the next use opens the store again)."""
        self._store = None
        self._searcher = None

    def remove(self, source: str) -> int:
        """Delete every chunk of ``source`` (a file name); returns how many were removed."""
        ids = self.store.ids_by_source().get(source, set())
        self.store.delete(sorted(ids))
        if self._searcher:
            self._searcher.invalidate()
        return len(ids)

    def search(self, query: str, k: int = 5, where: Where | None = None) -> list[Hit]:
        """The ``k`` passages most relevant to ``query``.

        Args:
            query: free text.
            k: how many hits.
            where: optional filters: ``source`` (a file name or a list) and ``tags`` (a tag or a list;
                a chunk matches when it has any of them).

        Returns:
            Hits, best first; an empty list when the store is empty (a warning is logged).
        """
        if not query or not query.strip():
            raise KnowledgeError("search: the query is empty")
        return self.searcher.search(query, k, where)

    def count(self) -> int:
        """Number of chunks in the store."""
        return self.store.count()

    def sources(self) -> list[str]:
        """File names of the stored documents."""
        return sorted(self.store.ids_by_source())

    def chunks(self, source: str) -> list[Chunk]:
        """A source's chunks in reading order."""
        got = self.store.get({"source": source})
        chunks = [
            Chunk(
                chunk_id=cid,
                source=str(m.get("source", "")),
                title=str(m.get("title", "")),
                section=str(m.get("section", "")),
                text=text,
                position=int(m.get("position", 0)),
                tags=tuple(m.get("tags") or ()),
            )
            for cid, text, m in zip(got.ids, got.texts, got.metadatas)
        ]
        return sorted(chunks, key=lambda c: c.position)
