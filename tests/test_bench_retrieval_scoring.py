"""How the retrieval benchmarks score a ranking: the answer's rank, the extra fusion voice and the table row."""

from __future__ import annotations

import numpy as np
import pytest
from bench_scripts import bench_module


@pytest.fixture(scope="module")
def second_voice():
    with bench_module("bench_second_voice") as module:
        yield module


@pytest.fixture(scope="module")
def retrieval():
    with bench_module("bench_retrieval") as module:
        yield module


ITEM = {"source": "a.txt", "phrase": "the \u201cend\u201d  of history"}


def test_answer_rank_needs_the_right_source_and_the_phrase(retrieval):
    passages = [("b.txt", 'The "end" of history'), ("a.txt", "nothing here"), ("a.txt", 'So the "END" of\nhistory.')]
    assert retrieval.answer_rank(ITEM, passages) == 3  # quotes, case and whitespace aside; 1-based
    assert retrieval.answer_rank(ITEM, passages[:2]) is None
    assert retrieval.answer_rank(ITEM, iter(passages)) == 3  # any iterable, read once


def test_candidate_order_ranks_chunks_by_their_best_sentence(second_voice):
    sentences = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    owner = np.array([0, 0, 1])  # chunk c0 has sentences 0 and 1, chunk c1 has sentence 2
    assert second_voice.candidate_order(np.array([0.0, 1.0]), sentences, owner, ["c0", "c1"]) == ["c0", "c1"]
    assert second_voice.candidate_order(np.array([0.6, 0.8]), sentences, owner, ["c0", "c1"]) == ["c1", "c0"]


def test_fused_order_adds_the_voice_as_reciprocal_ranks(second_voice):
    shipped = {"a": 0.30, "b": 0.25}
    assert second_voice.fused_order(shipped, ["b", "c"], weight=0.0) == ["a", "b", "c"]
    # b gains 1.5/6 = 0.25 and passes a; c, never found by the shipped search, gains 1.5/7
    assert second_voice.fused_order(shipped, ["b", "c"], weight=1.5) == ["b", "a", "c"]
    assert second_voice.RRF_K == 5 and second_voice.VOICE_DEPTH == 50  # the shipped SearchConfig's


def test_table_row_counts_top5_and_either(second_voice):
    ranks = {"shipped": [1, 6, None, 5], "e5": [None, 2, 9, None], "fused": [2, 3, None, 7]}
    assert second_voice.table_row("s", "unseen", ranks) == ["s", "unseen", 4, "0.500", "0.250", "0.500", "0.750"]
