"""An in-memory BM25 index (bm25s) over chunk texts, with a small English tokenizer and stemmer."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)

_WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")
@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """bm25s's English stop words plus a few more (also used to pick content word pieces)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"s", "t", "also", "would", "could", "should", "may", "might", "us", "one"}


_RULES = (
    ("ations", "at"), ("ation", "at"), ("ating", "at"), ("ated", "at"), ("ates", "at"), ("ate", "at"),
    ("ities", "ity"), ("ness", ""), ("ments", "ment"), ("ically", "ic"), ("ally", "al"),
    ("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("ly", ""),
    ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper that joins plural, -ing, -ed and -ation forms of a word."""
    if len(word) <= 4 or word.isdigit():
        return word
    for suffix, repl in _RULES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + repl
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed terms."""
    stop = stopwords()
    words = (w.replace("\u2019", "'").split("'")[0] for w in _WORD.findall(text.lower()))
    return [stem(w) for w in words if w and w not in stop]


class LexicalIndex:
    """BM25 scores for every chunk of a fixed list of texts."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.size = len(texts)
        self._retriever = bm25s.BM25(k1=k1, b=b)
        corpus = [tokenize(t) or ["\x00empty"] for t in texts]
        if corpus:
            self._retriever.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per indexed text (zeros when the query has no known term)."""
        terms = tokenize(query)
        if not self.size or not terms:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._retriever.vocab_dict
        known = [t for t in terms if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)
