"""Token-level matching (MaxSim) as a rerank of the best candidates.

A paraphrased question often shares with its answer a few words in context ("modesty" / "humility",
"repugnant" / "abhorrent") that the pooled sentence vector dilutes. At ingest the forward pass that embeds a
chunk's sentences also gives MiniLM's contextual vector of every word piece; the content pieces (no special
tokens, punctuation, stop words or question words) are kept as sign bits, 384 bits a piece (48 bytes), stored
with the chunk as one metadata string (``token_codes``). At search the query's content pieces get the same
codes and are matched against the ``token_rerank`` best fused candidates only:
``maxsim(q, chunk) = mean over query pieces of max over chunk pieces of (1 - 2 * hamming / 384)``
(the cosine of the two sign vectors), and the order by that score joins the reciprocal-rank fusion as a third
voice. Hamming distances are XOR and bit counts on 64-bit words: no BLAS call, which matters because the
search runs in a worker thread beside the ONNX model, where OpenBLAS's threads made a float product of the
same size 10x slower.
"""

from __future__ import annotations

import base64
import re

import numpy as np

from dialogue_engine.knowledge.embedding import DIMENSIONS, TokenStates
from dialogue_engine.knowledge.lexical import stopwords

METADATA_KEY = "token_codes"
"""The chunk metadata field holding the sign bits of its content word pieces."""

_BYTES = DIMENSIONS // 8
_SPECIAL = frozenset({"[CLS]", "[SEP]", "[PAD]", "[UNK]"})
_ALNUM = re.compile(r"[a-z0-9]")
_QUESTION_WORDS = frozenset(
    {"what", "which", "who", "whom", "whose", "why", "how", "when", "where", "do", "does", "did", "is", "are", "was", "were"}
)


def content_mask(pieces: tuple[str, ...] | list[str]) -> np.ndarray:
    """Which word pieces carry content: not special, not punctuation, not a stop or question word."""
    stop = stopwords() | _QUESTION_WORDS
    return np.array(
        [p not in _SPECIAL and bool(_ALNUM.search(p)) and (p.startswith("##") or p not in stop) for p in pieces],
        dtype=bool,
    )


def content_vectors(states: TokenStates) -> np.ndarray:
    """A text's content-piece vectors, L2-normalised (all pieces when none is content)."""
    mask = content_mask(states.pieces)
    vectors = states.vectors[mask] if mask.any() else states.vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def codes(states: list[TokenStates]) -> np.ndarray:
    """The sign bits of the texts' content pieces, one ``48``-byte row a piece (``uint8``)."""
    blocks = [content_vectors(s) for s in states]
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, DIMENSIONS), np.float32)
    return np.packbits(vectors > 0, axis=1) if len(vectors) else np.zeros((0, _BYTES), np.uint8)


def pack_codes(states: list[TokenStates]) -> str:
    """:func:`codes` of a chunk's sentences as a metadata string: ``"n:"`` then base64 of ``n x 48`` bytes."""
    bits = codes(states)
    return f"{len(bits)}:" + base64.b64encode(bits.tobytes()).decode("ascii")


def unpack_codes(value: object) -> np.ndarray | None:
    """The ``(n, 48)`` bytes :func:`pack_codes` encoded, or None when missing or malformed."""
    if not isinstance(value, str) or ":" not in value:
        return None
    head, _, body = value.partition(":")
    try:
        n = int(head)
        raw = np.frombuffer(base64.b64decode(body, validate=True), dtype=np.uint8)
    except ValueError:
        return None
    if n <= 0 or raw.size != n * _BYTES:
        return None
    return raw.reshape(n, _BYTES)


def _distances(query: np.ndarray, chunk: np.ndarray) -> np.ndarray:
    """Hamming distances, ``(len(query), len(chunk))``."""
    q = np.ascontiguousarray(query).view(np.uint64)
    c = np.ascontiguousarray(chunk).view(np.uint64)
    return np.bitwise_count(q[:, None, :] ^ c[None, :, :]).sum(axis=2, dtype=np.int32)


def maxsim(query: np.ndarray, chunk: np.ndarray) -> float:
    """Mean over the query's pieces of their best sign-vector cosine with the chunk's pieces (codes of both)."""
    if not len(query) or not len(chunk):
        return 0.0
    return float(1.0 - 2.0 * _distances(query, chunk).min(axis=1).mean() / DIMENSIONS)


def maxsim_many(query: np.ndarray, values: list[object]) -> list[float | None]:
    """:func:`maxsim` of the query's codes against each packed value (None for a missing or malformed one)."""
    blocks = [unpack_codes(v) for v in values]
    present = [b for b in blocks if b is not None]
    if not present:
        return [None] * len(blocks)
    if not len(query):
        return [None if b is None else 0.0 for b in blocks]
    starts = np.cumsum([0] + [len(b) for b in present[:-1]])
    best = np.minimum.reduceat(_distances(query, np.concatenate(present)), starts, axis=1).mean(axis=0)
    scores = iter((1.0 - 2.0 * best / DIMENSIONS).tolist())
    return [None if b is None else next(scores) for b in blocks]
