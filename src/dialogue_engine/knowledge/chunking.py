"""Split a :class:`Document` into passages that follow its sections and paragraphs.

A chunk holds whole paragraphs of one section, up to ``max_words``; a longer paragraph is cut at
sentence ends, and only a sentence longer than ``max_words`` on its own is cut between words. A chunk
shorter than ``min_words`` joins its neighbour in the same section when the two fit together.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from dialogue_engine.knowledge.types import Chunk, Document

# 4: chunks carry their sentence embeddings (metadata "sentence_vectors"); 5: and the sign bits of their content
# word pieces (metadata "token_codes"), so older stores are rebuilt.
CHUNKER_VERSION = "5"
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")


@dataclass(frozen=True)
class ChunkingConfig:
    """Size limits in words (MiniLM reads at most 256 word-pieces, about 190 words).

    140/50 scored best on the evaluation set among sizes that fit the model's window (see
    ``bench/bench_retrieval.py --sweep``).
    """

    max_words: int = 140
    min_words: int = 50


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (a light rule: end punctuation, space, capital or digit)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _words(text: str) -> int:
    return len(text.split())


def _pieces(paragraph: str, max_words: int) -> list[str]:
    """A paragraph as pieces of at most ``max_words``, cut at sentence ends when possible."""
    if _words(paragraph) <= max_words:
        return [paragraph]
    pieces: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in split_sentences(paragraph):
        n = _words(sentence)
        if n > max_words:
            if current:
                pieces.append(" ".join(current))
                current, count = [], 0
            words = sentence.split()
            pieces.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words))
            continue
        if count + n > max_words and current:
            pieces.append(" ".join(current))
            current, count = [], 0
        current.append(sentence)
        count += n
    if current:
        pieces.append(" ".join(current))
    return _balance(pieces, max_words)


def _balance(pieces: list[str], max_words: int) -> list[str]:
    """Avoid a tiny last piece by moving sentences from the one before it."""
    if len(pieces) < 2 or _words(pieces[-1]) * 3 >= max_words:
        return pieces
    prev = split_sentences(pieces[-2])
    last = pieces[-1]
    while len(prev) > 1 and _words(last) + _words(prev[-1]) <= max_words and _words(last) < _words(" ".join(prev[:-1])):
        last = prev.pop() + " " + last
    return pieces[:-2] + [" ".join(prev), last]


def chunk_id(source: str, position: int, section: str, text: str, tags: tuple[str, ...]) -> str:
    """A content hash: the same passage at the same place with the same tags keeps its id."""
    key = "\x1f".join([CHUNKER_VERSION, source, str(position), section, text, ",".join(tags)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def chunk_document(doc: Document, config: ChunkingConfig = ChunkingConfig(), tags: tuple[str, ...] = ()) -> list[Chunk]:
    """Chunks of one document in reading order; ``tags`` are added to the document's own tags."""
    all_tags = tuple(sorted(set(doc.tags) | set(tags)))
    groups: list[tuple[str, list[str]]] = []
    for block in doc.blocks:
        for piece in _pieces(block.text, config.max_words):
            if groups and groups[-1][0] == block.section and _words(" ".join(groups[-1][1] + [piece])) <= config.max_words:
                groups[-1][1].append(piece)
            else:
                groups.append((block.section, [piece]))
    merged: list[tuple[str, str]] = []
    for section, parts in groups:
        text = "\n\n".join(parts)
        if merged and merged[-1][0] == section and (
            _words(text) < config.min_words or _words(merged[-1][1]) < config.min_words
        ) and _words(merged[-1][1]) + _words(text) <= config.max_words * 1.1:
            merged[-1] = (section, merged[-1][1] + "\n\n" + text)
        else:
            merged.append((section, text))
    return [
        Chunk(
            chunk_id=chunk_id(doc.source, i, section, text, tuple(sorted(set(all_tags) | set(doc.tags_for(section))))),
            source=doc.source,
            title=doc.title,
            section=section,
            text=text,
            position=i,
            tags=tuple(sorted(set(all_tags) | set(doc.tags_for(section)))),
        )
        for i, (section, text) in enumerate(merged)
    ]
