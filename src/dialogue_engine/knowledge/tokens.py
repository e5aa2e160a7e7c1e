"""Token-level matching (MaxSim) as a rerank of the best candidates.

A paraphrased question often shares with its answer a few words in context ("modesty" / "humility",
"repugnant" / "abhorrent") that the pooled sentence vector dilutes. At ingest the forward pass that embeds a
chunk's sentences also gives MiniLM's contextual vector of every word piece; the content pieces (no special
tokens, punctuation or stop words) are kept as sign bits, 384 bits a piece (48 bytes), stored with the chunk
as one metadata string (``token_codes``). At search the query's content pieces (real-valued, normalised) are
matched against the ``token_rerank`` best fused candidates only:
``maxsim(q, chunk) = mean over query pieces of max over chunk pieces of cos(q_piece, sign(chunk_piece))``,
and the order by that score joins the reciprocal-rank fusion as a third voice.
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


def pack_codes(states: list[TokenStates]) -> str:
    """The content pieces of a chunk's sentences as sign bits: ``"n:"`` then base64 of ``n x 48`` bytes."""
    blocks = [content_vectors(s) for s in states]
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, DIMENSIONS), np.float32)
    bits = np.packbits(vectors > 0, axis=1) if len(vectors) else np.zeros((0, _BYTES), np.uint8)
    return f"{len(bits)}:" + base64.b64encode(bits.tobytes()).decode("ascii")


def _packed_bits(value: object) -> np.ndarray | None:
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


def _signs(bits: np.ndarray) -> np.ndarray:
    return (np.unpackbits(bits, axis=1).astype(np.float32) * 2.0 - 1.0) / np.sqrt(DIMENSIONS)


def unpack_codes(value: object) -> np.ndarray | None:
    """The ``(n, 384)`` matrix of +-1/sqrt(384) that :func:`pack_codes` encoded, or None when missing or malformed."""
    bits = _packed_bits(value)
    return None if bits is None else _signs(bits)


def maxsim(query: np.ndarray, codes: np.ndarray) -> float:
    """Mean over the query's piece vectors of their best cosine with the chunk's pieces."""
    if not len(query) or not len(codes):
        return 0.0
    return float((codes @ query.T).max(axis=0).mean())


def maxsim_many(query: np.ndarray, values: list[object]) -> list[float | None]:
    """:func:`maxsim` of the query against each packed value (None for a missing or malformed one).

    One small product per chunk: stacking the 30 candidates into one product was 5x slower on the shared
    2-core machine (the BLAS library splits a product that size over threads that then wait for the cores).
    """
    scores: list[float | None] = []
    for value in values:
        bits = _packed_bits(value)
        scores.append(None if bits is None else maxsim(query, _signs(bits)))
    return scores
