"""Word-piece MaxSim rerank: content pieces, packing, ingest, the fusion's third voice and old stores."""

from __future__ import annotations

import numpy as np
import pytest

from dialogue_engine.knowledge import KnowledgeBase, SearchConfig
from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction, TokenStates
from dialogue_engine.knowledge.sentences import METADATA_KEY as SENTENCES_KEY
from dialogue_engine.knowledge.sentences import chunk_sentences
from dialogue_engine.knowledge.tokens import (
    METADATA_KEY,
    codes,
    content_mask,
    content_vectors,
    maxsim,
    maxsim_many,
    pack_codes,
    unpack_codes,
)

from test_knowledge_sentences import HARBOUR, harbour_kb  # noqa: F401 - the same ingested store serves both files


def test_content_pieces_drop_special_tokens_punctuation_stop_and_question_words():
    pieces = ("[CLS]", "what", "did", "the", "keeper", "##s", "receive", "?", ",", "2021", "[SEP]")
    assert content_mask(pieces).tolist() == [False, False, False, False, True, True, True, False, False, True, False]


def test_codes_round_trip_as_sign_bits_and_malformed_values_are_none():
    rng = np.random.default_rng(5)
    states = [TokenStates(pieces=("[CLS]", "harbour", "fees", "[SEP]"), vectors=rng.normal(size=(4, 384))),
              TokenStates(pieces=("[CLS]", "the", "lamp", "[SEP]"), vectors=rng.normal(size=(4, 384)))]
    packed = pack_codes(states)
    bits = unpack_codes(packed)
    assert bits is not None and bits.shape == (3, 48)  # harbour, fees, lamp
    expected = np.concatenate([states[0].vectors[1:3], states[1].vectors[2:3]])
    assert np.array_equal(np.unpackbits(bits, axis=1).astype(bool), expected > 0)
    assert np.array_equal(bits, codes(states))
    body = packed.split(":")[1]
    for bad in (None, 7, "", "junk", "3:not base64!!", "4:" + body, "0:"):
        assert unpack_codes(bad) is None


def _signs(bits):
    return np.unpackbits(bits, axis=1).astype(np.float32) * 2 - 1


def test_maxsim_is_the_mean_of_each_query_pieces_best_sign_cosine():
    rng = np.random.default_rng(2)
    query = np.packbits(rng.normal(size=(4, 384)) > 0, axis=1)
    chunk = np.packbits(rng.normal(size=(7, 384)) > 0, axis=1)
    cosines = _signs(query) @ _signs(chunk).T / 384
    assert maxsim(query, chunk) == pytest.approx(float(cosines.max(axis=1).mean()), abs=1e-6)
    assert maxsim(chunk[:2], chunk) == pytest.approx(1.0)  # its own pieces match exactly
    assert maxsim(query, np.zeros((0, 48), np.uint8)) == 0.0


def test_maxsim_many_scores_each_packed_chunk_as_maxsim_does():
    rng = np.random.default_rng(9)
    packed = [pack_codes([TokenStates(pieces=("[CLS]",) + ("word",) * n + ("[SEP]",), vectors=rng.normal(size=(n + 2, 384)))])
              for n in (3, 1, 5)]
    query = codes([TokenStates(pieces=("[CLS]", "fees", "lamp", "[SEP]"), vectors=rng.normal(size=(4, 384)))])
    values = [packed[0], None, packed[1], "junk", packed[2]]
    scores = maxsim_many(query, values)
    assert scores[1] is None and scores[3] is None
    for got, value in zip([scores[0], scores[2], scores[4]], packed):
        assert got == pytest.approx(maxsim(query, unpack_codes(value)), abs=1e-6)
    assert maxsim_many(query, [None]) == [None]


def test_token_states_come_from_the_same_forward_pass_as_the_embedding():
    embedder = MiniLMEmbeddingFunction()
    texts = ["The harbour board sets mooring fees every spring.", "Fees?", "A much longer sentence about the lamp."]
    vectors, states = embedder.embed_with_tokens(texts)
    assert np.allclose(vectors, embedder.embed(texts), atol=1e-5)
    for vector, state in zip(vectors, states):
        assert state.pieces[0] == "[CLS]" and state.pieces[-1] == "[SEP]" and "[PAD]" not in state.pieces
        mean = state.vectors.mean(axis=0)
        assert np.allclose(vector, mean / np.linalg.norm(mean), atol=1e-4)


def test_ingest_stores_the_sign_bits_of_each_chunks_content_pieces(harbour_kb):
    stored = harbour_kb.store.all_chunks()
    for text, meta in zip(stored.texts, stored.metadatas):
        _, states = harbour_kb.embedder.embed_with_tokens(chunk_sentences(text))
        expected = np.concatenate([content_vectors(s) for s in states]) > 0
        bits = unpack_codes(meta[METADATA_KEY])
        assert bits is not None and len(bits) == len(expected)
        assert np.mean(np.unpackbits(bits, axis=1).astype(bool) == expected) > 0.99  # batching moves values near 0
    hit = harbour_kb.search("mooring fees", k=1)[0]
    assert METADATA_KEY not in hit.text


def test_the_rerank_adds_a_third_reciprocal_rank_voice(harbour_kb):
    from knowledge_helpers import DOCS

    harbour_kb.ingest([DOCS / "harbour-compact.md", DOCS / "lantern-festival.html", DOCS / "orchard-notes.txt"])
    question = "Who settles quarrels over what boats are charged?"
    cfg = SearchConfig(token_rerank=4)
    total = harbour_kb.count()
    before = {h.chunk_id: h.score for h in
              harbour_kb.with_search_config(SearchConfig(token_weight=0.0)).search(question, k=total)}
    after = {h.chunk_id: h.score for h in harbour_kb.with_search_config(cfg).search(question, k=total)}
    state = harbour_kb.searcher._lexical_state()
    candidates = sorted(before, key=lambda cid: (-before[cid], cid))[: cfg.token_rerank]
    _, states = harbour_kb.embedder.embed_with_tokens([question])
    pieces = codes(states)
    sims = {cid: maxsim(pieces, unpack_codes(state.chunks.metadatas[state.position[cid]][METADATA_KEY]))
            for cid in candidates}
    order = sorted(candidates, key=lambda cid: (-sims[cid], cid))
    for cid in before:
        bonus = cfg.token_weight / (cfg.rrf_k + order.index(cid) + 1) if cid in order else 0.0
        assert after[cid] == pytest.approx(before[cid] + bonus, abs=2e-6)
    assert len(set(order)) == 4 and any(after[c] != before[c] for c in order)


def test_a_store_without_token_codes_searches_as_before(tmp_path, monkeypatch):
    path = tmp_path / "harbour-town.md"
    path.write_text(HARBOUR, encoding="utf-8")
    real_embed = KnowledgeBase._embed

    def sentences_only(self, chunks, progress):
        vectors, meta = real_embed(self, chunks, progress)
        return vectors, {cid: {SENTENCES_KEY: m[SENTENCES_KEY]} for cid, m in meta.items()}

    monkeypatch.setattr(KnowledgeBase, "_embed", sentences_only)
    kb = KnowledgeBase(tmp_path / "store")
    kb.ingest([path])
    assert all(METADATA_KEY not in m for m in kb.store.all_chunks().metadatas)
    question = "What present did the man who kept the beacon get when he stopped working?"
    with_rerank = kb.search(question, k=2)
    without = kb.with_search_config(SearchConfig.sentence_level()).search(question, k=2)
    assert [(h.chunk_id, h.score) for h in with_rerank] == [(h.chunk_id, h.score) for h in without]
    assert with_rerank[0].section == "Harbour fees"
