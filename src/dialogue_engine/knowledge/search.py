"""Hybrid retrieval: dense (chunk and sentence embeddings) and lexical (BM25) candidates fused by reciprocal rank,
the best of them reranked by word-piece matching (a third voice in the fusion)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction
from dialogue_engine.knowledge.lexical import LexicalIndex
from dialogue_engine.knowledge.sentences import SentenceMatrix
from dialogue_engine.knowledge.store import ChunkStore, StoredChunks, _as_list, to_chroma_where
from dialogue_engine.knowledge.tokens import METADATA_KEY as TOKENS_KEY
from dialogue_engine.knowledge.tokens import codes, maxsim_many
from dialogue_engine.knowledge.types import Hit, Where

log = logging.getLogger(__name__)


class SearchMode(str, Enum):
    """Which rankers take part (the baselines exist for the benchmarks)."""

    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


@dataclass(frozen=True)
class SearchConfig:
    """Fusion settings (tuned on ``bench/eval/questions.yaml``, the ``tune`` part of
    ``bench/eval/retrieval_paraphrased.yaml`` and ``bench/eval/retrieval_tune_extra.yaml``).

    ``score = dense_weight / (rrf_k + dense_rank) + lexical_weight / (rrf_k + lexical_rank)``, ranks from 1,
    over the top ``candidates`` of each ranker. The dense ranking orders chunks by
    ``(1 - sentence_weight) * cos(query, chunk) + sentence_weight * best sentence`` (see
    :mod:`dialogue_engine.knowledge.sentences`; ``neighbour_weight`` adds a share of the best sentence's
    best neighbour). Sentences are scored for every chunk of a store of up to ``sentence_pool`` chunks, else
    for the ``sentence_pool`` chunks whose own vector is closest (reading every sentence vector of 10,000
    chunks cost ~20 ms a query). With ``sentence_weight=0`` the dense ranking is the chunk vector's alone.

    The ``token_rerank`` best chunks of that fusion are then matched word piece by word piece (MaxSim over sign
    bits, see :mod:`dialogue_engine.knowledge.tokens`) and their order by it adds ``token_weight / (rrf_k + rank)``;
    ``token_weight=0`` skips it (chunks stored without word-piece codes take no part in that voice).
    """

    rrf_k: int = 5
    dense_weight: float = 1.0
    lexical_weight: float = 0.35
    candidates: int = 50
    mode: SearchMode = SearchMode.HYBRID
    sentence_weight: float = 0.7
    neighbour_weight: float = 0.2
    sentence_pool: int = 400
    token_weight: float = 1.0
    token_rerank: int = 30

    @classmethod
    def legacy(cls) -> "SearchConfig":
        """The settings before sentence-level scoring (chunk embeddings only, RRF k=60, equal weights)."""
        return cls(rrf_k=60, lexical_weight=1.0, sentence_weight=0.0, neighbour_weight=0.0, token_weight=0.0)

    @classmethod
    def sentence_level(cls) -> "SearchConfig":
        """The settings before the word-piece rerank (sentence-level dense scoring and BM25 only)."""
        return cls(token_weight=0.0)


def lexical_text(title: str, section: str, text: str) -> str:
    """What the BM25 index reads for a chunk: its section heading and its text."""
    return f"{section}\n{text}" if section else text


@dataclass
class _LexicalState:
    revision: str
    chunks: StoredChunks
    index: LexicalIndex
    position: dict[str, int]
    sources: np.ndarray
    tag_masks: dict[str, np.ndarray]
    sentences: SentenceMatrix | None


class HybridSearcher:
    """Ranks a store's chunks for a query; keeps the BM25 index until the store's revision changes.

    Dense search scores chunks exactly against the vectors cached with the BM25 index: every chunk vector,
    and the sentence vectors of all chunks (of the ``sentence_pool`` closest ones in a larger store); only
    the chunk-vector-only setting (``sentence_weight=0``) without a filter asks Chroma's HNSW index. Chroma's metadata pre-filter (``$or`` of ``$contains`` for "any of these tags")
    costs tens of milliseconds at 10,000 chunks, a masked matrix-vector product well under one.
    """

    def __init__(self, store: ChunkStore, embedder: MiniLMEmbeddingFunction, config: SearchConfig = SearchConfig()):
        self.store = store
        self.embedder = embedder
        self.config = config
        self._lexical: _LexicalState | None = None
        self._lock = threading.Lock()
        self._checked_at = 0.0

    REVISION_TTL = 1.0
    """Seconds a revision check stays valid: other processes' writes show within this delay (own writes at once)."""

    def invalidate(self) -> None:
        self._lexical = None

    def _lexical_state(self) -> _LexicalState:
        now = time.monotonic()
        if self._lexical is not None and now - self._checked_at < self.REVISION_TTL:
            return self._lexical
        revision = self.store.revision()
        self._checked_at = now
        with self._lock:
            if self._lexical is None or self._lexical.revision != revision:
                chunks = self.store.all_chunks(embeddings=True)
                texts = [
                    lexical_text(str(m.get("title", "")), str(m.get("section", "")), t)
                    for t, m in zip(chunks.texts, chunks.metadatas)
                ]
                tag_masks: dict[str, np.ndarray] = {}
                for i, meta in enumerate(chunks.metadatas):
                    for tag in meta.get("tags") or ():
                        tag_masks.setdefault(tag, np.zeros(len(chunks.ids), dtype=bool))[i] = True
                self._lexical = _LexicalState(
                    revision=revision,
                    chunks=chunks,
                    index=LexicalIndex(texts),
                    position={cid: i for i, cid in enumerate(chunks.ids)},
                    sources=np.array([str(m.get("source", "")) for m in chunks.metadatas], dtype=object),
                    tag_masks=tag_masks,
                    sentences=self._sentence_matrix(chunks),
                )
                log.debug("BM25 index rebuilt over %d chunks", len(chunks.ids))
            return self._lexical

    @staticmethod
    def _sentence_matrix(chunks: StoredChunks) -> SentenceMatrix | None:
        vectors = chunks.embeddings
        if vectors is None or len(vectors) != len(chunks.ids) or not len(vectors):
            return None
        return SentenceMatrix.build(chunks.metadatas, vectors)

    def _mask(self, state: _LexicalState, where: Where | None) -> np.ndarray | None:
        if not where:
            return None
        mask = np.ones(len(state.chunks.ids), dtype=bool)
        sources = _as_list(where.get("source"))
        if sources:
            mask &= np.isin(state.sources, sources)
        tags = _as_list(where.get("tags"))
        if tags:
            any_tag = np.zeros(len(state.chunks.ids), dtype=bool)
            for tag in tags:
                if tag in state.tag_masks:
                    any_tag |= state.tag_masks[tag]
            mask &= any_tag
        return mask

    def search(self, query: str, k: int = 5, where: Where | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query`` that pass ``where``."""
        cfg = self.config
        to_chroma_where(where)  # validates the filter keys
        state = self._lexical_state()
        if not state.chunks.ids:
            log.warning("knowledge store %s is empty; run `dialogue-engine ingest PATH` first", self.store.location)
            return []
        if k <= 0:
            return []
        n = max(cfg.candidates, k)
        fused: dict[str, float] = {}
        mask = self._mask(state, where)
        if cfg.mode in (SearchMode.HYBRID, SearchMode.LEXICAL):
            scores = state.index.scores(query)
            if mask is not None:
                scores = np.where(mask, scores, 0.0)
            top = np.argsort(-scores, kind="stable")[:n]
            for rank, i in enumerate((i for i in top if scores[i] > 0), start=1):
                cid = state.chunks.ids[i]
                fused[cid] = fused.get(cid, 0.0) + cfg.lexical_weight / (cfg.rrf_k + rank)
        query_pieces: np.ndarray | None = None
        if cfg.mode in (SearchMode.HYBRID, SearchMode.DENSE):
            if cfg.token_weight > 0:
                vectors, states = self.embedder.embed_with_tokens([query])
                embedding, query_pieces = vectors[0], codes(states)
            else:
                embedding = self.embedder.embed([query])[0]
            for rank, cid in enumerate(self._dense(state, embedding, n, where, mask), start=1):
                fused[cid] = fused.get(cid, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank)
        if query_pieces is not None and fused:
            self._token_voice(state, query_pieces, fused)
        best = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [self._hit(state, cid, score) for cid, score in best if cid in state.position]

    def _token_voice(self, state: _LexicalState, query_pieces: np.ndarray, fused: dict[str, float]) -> None:
        """Add the word-piece MaxSim order of the fusion's ``token_rerank`` best chunks to ``fused`` (in place)."""
        cfg = self.config
        candidates = [cid for cid, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.token_rerank]]
        values = [state.chunks.metadatas[state.position[cid]].get(TOKENS_KEY) if cid in state.position else None
                  for cid in candidates]
        scored = sorted((-sim, cid) for sim, cid in zip(maxsim_many(query_pieces, values), candidates) if sim is not None)
        for rank, (_, cid) in enumerate(scored, start=1):
            fused[cid] += cfg.token_weight / (cfg.rrf_k + rank)

    def _dense(self, state: _LexicalState, embedding: np.ndarray, n: int, where: Where | None,
               mask: np.ndarray | None) -> list[str]:
        vectors = state.chunks.embeddings
        in_memory = vectors is not None and len(vectors) == len(state.chunks.ids)
        sentences = state.sentences if self.config.sentence_weight > 0 else None
        if not in_memory or (mask is None and sentences is None):
            return [cid for cid, _ in self.store.query(embedding, n, where)]
        assert vectors is not None
        total = len(state.chunks.ids)
        allowed = total if mask is None else int(mask.sum())
        if not allowed:
            return []
        pool = min(allowed, max(self.config.sentence_pool, n))
        # Reading 10,000 chunk vectors in memory (~2 ms) beat asking Chroma's HNSW index for 400 (~10 ms).
        sims = vectors @ embedding
        if mask is not None:
            sims = np.where(mask, sims, -np.inf)
        chosen = np.arange(total) if pool == total else np.argpartition(-sims, pool - 1)[:pool]
        chosen = chosen[np.isfinite(sims[chosen])]
        chunk_sims = sims[chosen]
        if sentences is not None and len(chosen):
            weight = self.config.sentence_weight
            scores = (1.0 - weight) * chunk_sims + weight * sentences.chunk_scores(
                embedding, self.config.neighbour_weight, chosen)
        else:
            scores = chunk_sims
        order = np.argsort(-scores, kind="stable")[: min(n, len(chosen))]
        return [state.chunks.ids[i] for i in chosen[order]]

    @staticmethod
    def _hit(state: _LexicalState, cid: str, score: float) -> Hit:
        i = state.position[cid]
        meta: dict[str, Any] = state.chunks.metadatas[i]
        return Hit(
            chunk_id=cid,
            source=str(meta.get("source", "")),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            text=state.chunks.texts[i],
            score=round(float(score), 6),
            tags=tuple(meta.get("tags") or ()),
            position=int(meta.get("position", 0)),
        )
