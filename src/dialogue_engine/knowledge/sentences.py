"""Sentence-level dense scoring: each chunk's sentences are embedded too, and a chunk scores by its best one.

A question worded unlike the text usually matches one sentence of the answering passage, and that match is
diluted in the embedding of a whole 140-word passage. At ingest every sentence of a chunk is embedded and
stored with the chunk (one metadata string, float16, base64), so a chunk and its sentence vectors are
written and deleted together. At search a chunk's dense score is
``(1 - sentence_weight) * cos(query, chunk) + sentence_weight * max_s (cos(query, s) + neighbour_weight *
max(cos(query, s's neighbours in the chunk)))``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from dialogue_engine.knowledge.chunking import split_sentences

METADATA_KEY = "sentence_vectors"
"""The chunk metadata field holding its sentence embeddings."""


def chunk_sentences(text: str) -> list[str]:
    """The sentences of a chunk's text, paragraph by paragraph (never empty for a non-empty text)."""
    sentences = [s for paragraph in text.split("\n\n") for s in split_sentences(paragraph)]
    return sentences or ([text] if text.strip() else [])


def pack(vectors: np.ndarray) -> str:
    """A (n, d) float array as a compact metadata string: ``"n,d:"`` then base64 of float16 values."""
    vectors = np.asarray(vectors, dtype=np.float16)
    n, d = vectors.shape
    return f"{n},{d}:" + base64.b64encode(vectors.tobytes()).decode("ascii")


def unpack(value: object, dimensions: int) -> np.ndarray | None:
    """The (n, d) float32 array :func:`pack` wrote, or None for a missing or malformed value."""
    if not isinstance(value, str) or ":" not in value:
        return None
    head, _, body = value.partition(":")
    try:
        n, d = (int(x) for x in head.split(","))
        raw = np.frombuffer(base64.b64decode(body, validate=True), dtype=np.float16)
    except ValueError:
        return None
    if d != dimensions or n <= 0 or raw.size != n * d:
        return None
    return raw.reshape(n, d).astype(np.float32)


@dataclass(frozen=True)
class SentenceMatrix:
    """Every chunk's sentence vectors stacked in chunk order.

    ``starts[i]`` is the first row of chunk ``i`` (every chunk has at least one row: a chunk stored without
    sentence vectors is represented by its own embedding). ``same_prev[r]`` / ``same_next[r]`` say whether
    row ``r - 1`` / ``r + 1`` belongs to the same chunk as row ``r``.
    """

    vectors: np.ndarray
    starts: np.ndarray
    same_prev: np.ndarray
    same_next: np.ndarray

    @classmethod
    def build(cls, metadatas: list[dict], chunk_vectors: np.ndarray) -> "SentenceMatrix":
        """Decode each chunk's stored sentence vectors (falling back to its own embedding)."""
        dims = chunk_vectors.shape[1] if chunk_vectors.ndim == 2 else 0
        blocks = []
        for i, meta in enumerate(metadatas):
            block = unpack(meta.get(METADATA_KEY), dims)
            blocks.append(block if block is not None else chunk_vectors[i : i + 1])
        sizes = np.array([len(b) for b in blocks], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if len(sizes) else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(len(blocks)), sizes)
        vectors = np.concatenate(blocks) if blocks else np.zeros((0, dims), np.float32)
        same_prev = np.zeros(len(owner), dtype=bool)
        same_prev[1:] = owner[1:] == owner[:-1]
        same_next = np.zeros(len(owner), dtype=bool)
        same_next[:-1] = same_prev[1:]
        return cls(vectors.astype(np.float32, copy=False), starts.astype(np.int64), same_prev, same_next)

    def chunk_scores(self, query: np.ndarray, neighbour_weight: float, chunks: np.ndarray | None = None) -> np.ndarray:
        """Per chunk: its best sentence's similarity plus ``neighbour_weight`` x that sentence's best neighbour's.

        ``chunks`` (indices) limits the work to those chunks; the result then follows their order.
        """
        if not len(self.starts):
            return np.zeros(0, dtype=np.float32)
        if chunks is None:
            rows, starts = slice(None), self.starts
        else:
            chunks = np.asarray(chunks, dtype=np.int64)
            if not len(chunks):
                return np.zeros(0, dtype=np.float32)
            ends = np.append(self.starts[1:], len(self.vectors))
            sizes = ends[chunks] - self.starts[chunks]
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            rows = np.repeat(self.starts[chunks] - starts, sizes) + np.arange(int(sizes.sum()))
        sims = self.vectors[rows] @ query
        prev = np.where(self.same_prev[rows], np.roll(sims, 1), -np.inf)
        nxt = np.where(self.same_next[rows], np.roll(sims, -1), -np.inf)
        neighbour = np.maximum(prev, nxt)
        boosted = np.where(np.isfinite(neighbour), sims + neighbour_weight * neighbour, sims)
        return np.maximum.reduceat(boosted, starts)
