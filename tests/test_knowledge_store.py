"""Ingest, idempotence, replacement, prune/remove, filters, bad input and the embedding function."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from dialogue_engine.knowledge import Hit, KnowledgeBase, KnowledgeError, Retriever
from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction, default_model_path
from knowledge_helpers import DOCS, make_blank_pdf


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(DOCS, folder)
    return folder


@pytest.fixture
def kb(tmp_path):
    return KnowledgeBase(tmp_path / "store")


def _snapshot(kb: KnowledgeBase) -> dict[str, set[str]]:
    return kb.store.ids_by_source()


def test_ingest_is_idempotent(kb, docs):
    first = kb.ingest([docs])
    assert first.added == kb.count() > 0
    assert kb.sources() == ["harbour-compact.md", "lantern-festival.html", "orchard-notes.txt"]
    again = kb.ingest([docs])
    assert again.added == 0 and again.removed == 0 and again.embedded == 0
    assert set(again.unchanged_sources) == set(kb.sources())


def test_search_finds_the_right_passage(kb, docs):
    kb.ingest([docs])
    hits = kb.search("which members get a discount on berthing fees?", k=3)
    assert isinstance(hits[0], Hit)
    assert hits[0].source == "harbour-compact.md" and "half rates" in hits[0].text
    assert hits[0].title == "The Harbour Compact" and hits[0].section == "Fee schedule"
    assert hits[0].score >= hits[-1].score
    assert isinstance(kb, Retriever)


def test_changed_file_replaces_its_chunks(kb, docs):
    kb.ingest([docs])
    before = _snapshot(kb)
    note = docs / "orchard-notes.txt"
    note.write_text(note.read_text() + "\nHail insurance is bought collectively since the storm of the plum year.\n")
    report = kb.ingest([docs])
    after = _snapshot(kb)
    assert after["harbour-compact.md"] == before["harbour-compact.md"]
    assert after["orchard-notes.txt"] != before["orchard-notes.txt"]
    change = {c.source: c for c in report.changes}["orchard-notes.txt"]
    assert change.added >= 1 and change.removed >= 1
    assert kb.search("hail insurance", k=1)[0].source == "orchard-notes.txt"
    texts = " ".join(c.text for c in kb.chunks("orchard-notes.txt"))
    assert texts.count("valley growers") == 1


def test_remove_and_prune(kb, docs):
    kb.ingest([docs])
    assert kb.remove("lantern-festival.html") > 0
    assert "lantern-festival.html" not in kb.sources()
    assert kb.remove("lantern-festival.html") == 0
    (docs / "orchard-notes.txt").unlink()
    report = kb.ingest([docs], prune=True)
    assert report.pruned == ("orchard-notes.txt",)
    assert kb.sources() == ["harbour-compact.md", "lantern-festival.html"]


def test_filters_by_source_and_any_tag(kb, docs):
    kb.ingest([docs / "harbour-compact.md"])
    kb.ingest([docs / "orchard-notes.txt"], tags=["farming", "local"])
    kb.ingest([docs / "lantern-festival.html"])
    only = kb.search("shared rules and penalties", k=10, where={"source": "orchard-notes.txt"})
    assert only and {h.source for h in only} == {"orchard-notes.txt"}
    both = kb.search("shared rules", k=10, where={"source": ["orchard-notes.txt", "lantern-festival.html"]})
    assert {h.source for h in both} == {"orchard-notes.txt", "lantern-festival.html"}
    tagged = kb.search("inspections", k=10, where={"tags": ["local", "security"]})
    assert {h.source for h in tagged} == {"orchard-notes.txt", "harbour-compact.md"}
    assert all(set(h.tags) & {"local", "security"} for h in tagged)
    assert {h.source for h in kb.search("lanterns", k=10, where={"tags": "culture"})} == {"lantern-festival.html"}
    assert kb.search("lanterns", k=10, where={"tags": "absent-tag"}) == []
    with pytest.raises(KnowledgeError, match="unknown key"):
        kb.search("x", where={"author": "me"})


def test_chunks_in_reading_order(kb, docs):
    kb.ingest([docs])
    chunks = kb.chunks("harbour-compact.md")
    assert [c.position for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize("bad", ["empty", "binary", "unsupported", "blank_pdf", "missing"])
def test_bad_input_leaves_store_unchanged(kb, docs, tmp_path, bad):
    kb.ingest([docs])
    before = _snapshot(kb)
    (docs / "orchard-notes.txt").write_text("Completely new orchard text that would replace the old chunks.\n")
    target = {
        "empty": tmp_path / "empty.md",
        "binary": tmp_path / "blob.txt",
        "unsupported": tmp_path / "sheet.xlsx",
        "blank_pdf": tmp_path / "scan.pdf",
        "missing": tmp_path / "missing.md",
    }[bad]
    if bad == "empty":
        target.write_text("")
    elif bad == "binary":
        target.write_bytes(b"\x00\x9f\x00binary")
    elif bad == "unsupported":
        target.write_bytes(b"x")
    elif bad == "blank_pdf":
        make_blank_pdf(target)
    with pytest.raises(KnowledgeError) as info:
        kb.ingest([docs, target], prune=True)
    assert target.name in str(info.value)
    assert _snapshot(kb) == before


def test_store_path_that_is_a_file(tmp_path, docs):
    blocker = tmp_path / "store-file"
    blocker.write_text("not a folder")
    with pytest.raises(KnowledgeError, match="store-file: .*not a directory"):
        KnowledgeBase(blocker).ingest([docs])
    assert blocker.read_text() == "not a folder"


def test_empty_store_search_returns_nothing(kb, caplog):
    assert kb.search("anything") == []
    assert "empty" in caplog.text


def test_store_reloads_with_registered_embedding_function(tmp_path, docs):
    import chromadb
    from chromadb.config import Settings

    KnowledgeBase(tmp_path / "store").ingest([docs / "harbour-compact.md"])
    client = chromadb.PersistentClient(path=str(tmp_path / "store"), settings=Settings(anonymized_telemetry=False))
    col = client.get_collection("knowledge")
    assert isinstance(col.configuration["embedding_function"], MiniLMEmbeddingFunction)
    got = col.query(query_texts=["berthing fee vote"], n_results=1)
    assert "two-thirds" in got["documents"][0][0]


def test_embeddings_are_normalised_and_meaningful():
    ef = MiniLMEmbeddingFunction()
    vecs = ef.embed(["The cat sat on the mat.", "A kitten rested on the rug.", "Quarterly bond yields fell."])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    long = ef.embed(["word " * 2000])
    assert long.shape == (1, 384)
    assert len(ef(["a", "b"])) == 2


def test_sha256_mismatch_is_a_clear_error(tmp_path):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(default_model_path().read_bytes()[:1000])
    ef = MiniLMEmbeddingFunction(model_path=fake)
    with pytest.raises(KnowledgeError) as info:
        ef.embed(["hello"])
    assert "model.onnx" in str(info.value) and "sha256" in str(info.value)


def test_single_path_and_default_instance(docs):
    from dialogue_engine.config import get_settings
    from dialogue_engine.knowledge import default_knowledge_base

    kb = default_knowledge_base()
    assert kb is default_knowledge_base()
    assert kb.store_dir == get_settings().resolved_store_dir
    report = kb.ingest(str(docs / "harbour-compact.md"), tags="extra")
    assert report.added == kb.count() > 0
    assert all("extra" in c.tags for c in kb.chunks("harbour-compact.md"))


def test_filtered_dense_matches_chroma_filter(kb, docs):
    from dialogue_engine.knowledge import SearchConfig

    kb.ingest([docs / "harbour-compact.md", docs / "lantern-festival.html"])
    kb.ingest([docs / "orchard-notes.txt"], tags=["farming"])
    searcher = kb.with_search_config(SearchConfig.legacy()).searcher  # chunk embeddings only, as Chroma ranks
    state = searcher._lexical_state()
    query = kb.embedder.embed(["shared costs"])[0]
    for where in ({"tags": ["farming", "culture"]}, {"source": "harbour-compact.md"}):
        exact = searcher._dense(state, query, 10, where, searcher._mask(state, where))
        chroma = [cid for cid, _ in kb.store.query(query, 10, where)]
        assert exact == chroma


def test_pdf_and_html_are_searchable(kb, tmp_path):
    from knowledge_helpers import make_text_pdf

    pdf = make_text_pdf(tmp_path / "ferry-memo.pdf", ["The ferry tariff rises in spring.", "Fishermen object to it."])
    kb.ingest([pdf, DOCS / "lantern-festival.html"])
    assert kb.search("ferry ticket prices", k=1)[0].source == "ferry-memo.pdf"
    assert kb.search("battery lights instead of candles", k=1)[0].source == "lantern-festival.html"
