"""Sentence-level dense scoring: packing, the chunk score formula, ingest, search and old stores."""

from __future__ import annotations

import numpy as np
import pytest

from dialogue_engine.knowledge import KnowledgeBase, SearchConfig, SearchMode
from dialogue_engine.knowledge.sentences import METADATA_KEY, SentenceMatrix, chunk_sentences, pack, unpack

HARBOUR = """# Harbour town notes

## Harbour fees

The harbour board sets mooring fees every spring after a public meeting in the town hall. Fishing boats
pay a reduced rate when they land their catch at the municipal market, and visiting yachts pay a daily
charge that doubles in August. The board publishes the fees on the harbour office door and in the local
paper. When the old lighthouse keeper retired after forty years, the board gave him a silver compass
engraved with the town's crest. Disputes about fees go to the board's monthly session, where skippers may
speak for five minutes each.

## Lighthouse maintenance

The lighthouse lamp is serviced twice a year by a crew from the regional maritime authority. Its lens is
cleaned, the rotating mechanism is greased and the backup generator is tested under load. Storm damage to
the lantern room is repaired before the winter season, and the paint on the tower is renewed every five
years so that ships can see it by day.
"""


def test_pack_round_trip_and_malformed_values():
    vectors = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)
    back = unpack(pack(vectors), 8)
    assert back is not None and back.shape == (3, 8)
    assert np.allclose(back, vectors, atol=1e-2)
    assert unpack(pack(vectors), 16) is None  # other dimensions
    for bad in (None, 3, "", "nonsense", "3,8:not-base64!!", "2,8:" + pack(vectors).split(":")[1]):
        assert unpack(bad, 8) is None


def test_chunk_sentences_follow_paragraphs_and_sentence_ends():
    text = "First point. Second point follows!\n\nA new paragraph without an end"
    assert chunk_sentences(text) == ["First point.", "Second point follows!", "A new paragraph without an end"]
    assert chunk_sentences("") == []


def test_chunk_score_is_best_sentence_plus_neighbour_share():
    eye = np.eye(4, dtype=np.float32)
    chunk_vectors = np.array([[0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.float32)
    metadatas = [
        {METADATA_KEY: pack(np.array([eye[0], 0.5 * eye[0] + 0.5 * eye[1], eye[2]]))},
        {},  # stored without sentence vectors: its own embedding stands in
    ]
    matrix = SentenceMatrix.build(metadatas, chunk_vectors)
    assert matrix.vectors.shape == (4, 4) and list(matrix.starts) == [0, 3]
    query = eye[0]
    # chunk 0: sentence 0 scores 1 with neighbour 0.5; sentence 1 scores 0.5 with neighbour 1 -> 1 + 0.2 * 0.5
    scores = matrix.chunk_scores(query, neighbour_weight=0.2)
    assert scores[0] == pytest.approx(1.1, abs=1e-3)
    assert scores[1] == pytest.approx(0.0, abs=1e-6)
    assert matrix.chunk_scores(eye[2], 0.2)[1] == pytest.approx(1.0, abs=1e-6)  # the fallback row, no neighbour


@pytest.fixture
def harbour_kb(tmp_path):
    path = tmp_path / "harbour-town.md"
    path.write_text(HARBOUR, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "store")
    kb.ingest([path])
    return kb


def test_ingest_stores_each_chunks_sentence_vectors(harbour_kb):
    stored = harbour_kb.store.all_chunks(embeddings=True)
    assert len(stored.ids) == 2
    for text, meta in zip(stored.texts, stored.metadatas):
        sentences = chunk_sentences(text)
        vectors = unpack(meta[METADATA_KEY], 384)
        assert vectors is not None and len(vectors) == len(sentences) >= 3
        expected = harbour_kb.embedder.embed(sentences)
        assert np.allclose(vectors, expected, atol=2e-3)
    for vector, meta in zip(stored.embeddings, stored.metadatas):  # the chunk's vector: its sentences' mean
        mean = unpack(meta[METADATA_KEY], 384).mean(axis=0)
        assert np.allclose(vector, mean / np.linalg.norm(mean), atol=2e-3)
    hit = harbour_kb.search("mooring fees", k=1)[0]
    assert METADATA_KEY not in hit.text and not any(METADATA_KEY in t for t in hit.tags)


def test_dense_ranking_follows_the_documented_formula(harbour_kb):
    searcher = harbour_kb.searcher
    state = searcher._lexical_state()
    query = harbour_kb.embedder.embed(["What gift did the retiring lighthouse keeper receive?"])[0]
    cfg = SearchConfig()
    expected = []
    for i, text in enumerate(state.chunks.texts):
        sims = harbour_kb.embedder.embed(chunk_sentences(text)) @ query
        boosted = [s + cfg.neighbour_weight * max(sims[j - 1] if j else -9, sims[j + 1] if j + 1 < len(sims) else -9)
                   for j, s in enumerate(sims)]
        chunk_sim = float(state.chunks.embeddings[i] @ query)
        expected.append((1 - cfg.sentence_weight) * chunk_sim + cfg.sentence_weight * max(boosted))
    order = [state.chunks.ids[i] for i in np.argsort(expected)[::-1]]
    assert searcher._dense(state, query, 2, None, None) == order


def test_a_question_about_one_buried_sentence_finds_its_passage(harbour_kb):
    question = "What present did the man who kept the beacon get when he stopped working?"
    hits = harbour_kb.search(question, k=2)
    assert hits[0].section == "Harbour fees"
    dense = harbour_kb.with_search_config(SearchConfig(mode=SearchMode.DENSE)).search(question, k=1)
    assert dense[0].section == "Harbour fees"
    # the chunk vector alone (its sentences' mean, no word-piece rerank) is drawn to the passage about the lighthouse
    chunk_only = harbour_kb.with_search_config(SearchConfig(mode=SearchMode.DENSE, sentence_weight=0.0, token_weight=0.0))
    assert chunk_only.search(question, k=1)[0].section == "Lighthouse maintenance"


def test_filtered_sentence_ranking_is_the_unfiltered_one_restricted(tmp_path):
    from knowledge_helpers import DOCS

    kb = KnowledgeBase(tmp_path / "store")
    kb.ingest([DOCS / "harbour-compact.md", DOCS / "lantern-festival.html"])
    kb.ingest([DOCS / "orchard-notes.txt"], tags=["farming"])
    searcher = kb.searcher
    state = searcher._lexical_state()
    query = kb.embedder.embed(["who pays for shared costs"])[0]
    everything = searcher._dense(state, query, len(state.chunks.ids), None, None)
    where = {"tags": ["farming"]}
    allowed = {state.chunks.ids[i] for i in np.flatnonzero(searcher._mask(state, where))}
    assert allowed and len(allowed) < len(everything)
    filtered = searcher._dense(state, query, 50, where, searcher._mask(state, where))
    assert filtered == [cid for cid in everything if cid in allowed]


def test_a_store_without_sentence_vectors_still_searches(tmp_path, monkeypatch):
    path = tmp_path / "harbour-town.md"
    path.write_text(HARBOUR, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "store")
    real_embed = KnowledgeBase._embed
    monkeypatch.setattr(KnowledgeBase, "_embed", lambda self, chunks, progress: (real_embed(self, chunks, progress)[0], {}))
    kb.ingest([path])
    assert all(METADATA_KEY not in m for m in kb.store.all_chunks().metadatas)
    state = kb.searcher._lexical_state()
    query = kb.embedder.embed(["lighthouse lamp servicing"])[0]
    chunk_only = [cid for cid, _ in kb.store.query(query, 2)]
    # each chunk's own embedding stands in for its sentences: the ranking is the chunk embeddings'
    assert kb.searcher._dense(state, query, 2, None, None) == chunk_only
    assert kb.search("lighthouse lamp servicing", k=1)[0].section == "Lighthouse maintenance"


def test_scoring_a_subset_of_chunks_matches_scoring_all():
    rng = np.random.default_rng(3)
    chunk_vectors = rng.normal(size=(6, 8)).astype(np.float32)
    metadatas = [{METADATA_KEY: pack(rng.normal(size=(size, 8)))} for size in (1, 3, 2, 4)] + [{}, {}]
    matrix = SentenceMatrix.build(metadatas, chunk_vectors)
    query = rng.normal(size=8).astype(np.float32)
    everything = matrix.chunk_scores(query, 0.2)
    for subset in ([3, 0, 5], [1], [4, 2, 1, 0]):
        assert np.allclose(matrix.chunk_scores(query, 0.2, np.array(subset)), everything[subset])


def test_large_stores_score_sentences_of_the_closest_chunks_only(tmp_path):
    from knowledge_helpers import DOCS

    kb = KnowledgeBase(tmp_path / "store", search_config=SearchConfig(sentence_pool=3))
    kb.ingest([DOCS / "harbour-compact.md", DOCS / "lantern-festival.html", DOCS / "orchard-notes.txt"])
    searcher = kb.searcher
    state = searcher._lexical_state()
    assert len(state.chunks.ids) > 3
    query = kb.embedder.embed(["who pays for shared costs"])[0]
    closest = {state.chunks.ids[i] for i in np.argsort(-(state.chunks.embeddings @ query))[:3]}
    ranked = searcher._dense(state, query, 3, None, None)
    assert set(ranked) == closest
