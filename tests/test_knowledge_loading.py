"""Loading each format and the chunking invariants."""

from __future__ import annotations

import pytest

from dialogue_engine.knowledge.chunking import ChunkingConfig, chunk_document, split_sentences
from dialogue_engine.knowledge.loading import collect_files, load_document
from dialogue_engine.knowledge.types import Block, Document, KnowledgeError
from knowledge_helpers import DOCS, make_blank_pdf, make_text_pdf


def test_markdown_front_matter_and_sections():
    doc = load_document(DOCS / "harbour-compact.md")
    assert doc.title == "The Harbour Compact"
    assert doc.author == "Test Author"
    assert doc.date == "2023-05-01"
    assert doc.tags == ("enforcement", "security")
    sections = [b.section for b in doc.blocks]
    assert "Inspection regime" in sections and "Fee schedule" in sections
    assert any("snap-back clause" in b.text for b in doc.blocks if b.section == "Inspection regime")
    assert all("\n" not in b.text for b in doc.blocks)


def test_plain_text_title_from_first_line():
    doc = load_document(DOCS / "orchard-notes.txt")
    assert doc.title == "Orchard Cooperative Notes"
    assert doc.source == "orchard-notes.txt"
    assert len(doc.blocks) == 3
    assert doc.blocks[0].text.startswith("The valley growers")


def test_markdown_without_heading_uses_file_name(tmp_path):
    path = tmp_path / "loose-note.md"
    path.write_text("Just one paragraph of text.\n", encoding="utf-8")
    assert load_document(path).title == "loose-note"


def test_html_drops_scripts_and_keeps_headings():
    doc = load_document(DOCS / "lantern-festival.html")
    assert doc.title == "Lantern Festival Planning"
    assert doc.author == "Committee"
    assert doc.tags == ("city", "culture")
    texts = " ".join(b.text for b in doc.blocks)
    assert "var x" not in texts and "color" not in texts and "Home | About" not in texts
    budget = [b.text for b in doc.blocks if b.section == "Budget"]
    assert any("city grant" in t for t in budget)
    assert any("battery lights" in t for t in budget)


def test_pdf_text_layer(tmp_path):
    path = make_text_pdf(tmp_path / "memo.pdf", ["The ferry tariff rises in spring.", "Fishermen object."])
    doc = load_document(path)
    assert doc.title == "memo"
    text = " ".join(b.text for b in doc.blocks)
    assert "ferry tariff" in text
    assert doc.blocks[0].section == "page 1"


def test_pdf_without_text_layer(tmp_path):
    path = make_blank_pdf(tmp_path / "scan.pdf")
    with pytest.raises(KnowledgeError, match=r"scan\.pdf: .*no text layer"):
        load_document(path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("blob.txt", b"\x00\x01\x02binary", "binary"),
        ("latin.txt", "caf\xe9 cr\xe8me".encode("latin-1"), "UTF-8"),
        ("report.docx", b"PK\x03\x04", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 garbage", "PDF"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\nText.\n", "front matter"),
    ],
)
def test_bad_files_name_file_and_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(KnowledgeError) as info:
        load_document(path)
    message = str(info.value)
    assert name in message and reason in message and "\n" not in message


def test_collect_files_missing_path_and_folder(tmp_path):
    with pytest.raises(KnowledgeError, match="no such file"):
        collect_files([tmp_path / "nope.md"])
    with pytest.raises(KnowledgeError, match="no supported documents"):
        collect_files([tmp_path])
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    (tmp_path / "skip.docx").write_bytes(b"x")
    (tmp_path / ".hidden.md").write_text("# H\n\ntext\n")
    assert [p.name for p in collect_files([tmp_path])] == ["a.md"]


def _doc(paragraphs: list[tuple[str, str]]) -> Document:
    return Document("d.md", "/d.md", "D", tuple(Block(s, t) for s, t in paragraphs), "0" * 64)


def test_chunks_respect_size_sections_and_sentences():
    sentence = "The delegates weighed every clause of the draft with care and patience."  # 12 words
    long_para = " ".join([sentence] * 30)  # 360 words
    doc = _doc([("One", long_para), ("One", "A short closing remark."), ("Two", "Another section starts here.")])
    config = ChunkingConfig(max_words=100, min_words=30)
    chunks = chunk_document(doc, config)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    for c in chunks:
        assert len(c.text.split()) <= config.max_words * 1.1
        assert c.text.rstrip().endswith(".")  # never cut mid-sentence
    assert {c.section for c in chunks} == {"One", "Two"}
    assert chunks[-1].section == "Two" and chunks[-1].text == "Another section starts here."
    assert "".join(c.text for c in chunks if c.section == "One").count("clause") == 30


def test_overlong_sentence_is_cut_between_words():
    words = " ".join(f"w{i}" for i in range(250)) + "."
    chunks = chunk_document(_doc([("", words)]), ChunkingConfig(max_words=100, min_words=10))
    assert sum(len(c.text.split()) for c in chunks) == 250
    assert all(len(c.text.split()) <= 110 for c in chunks)


def test_chunk_ids_are_content_hashes():
    doc = load_document(DOCS / "harbour-compact.md")
    first = chunk_document(doc)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in chunk_document(doc)]
    tagged = chunk_document(doc, tags=("extra",))
    assert {c.chunk_id for c in tagged}.isdisjoint({c.chunk_id for c in first})
    assert all("extra" in c.tags and "enforcement" in c.tags for c in tagged)


def test_split_sentences():
    assert split_sentences("One two. Three four! “Five” six? 7 is odd.") == [
        "One two.", "Three four!", "“Five” six?", "7 is odd."
    ]


def test_links_pipes_and_devices_are_not_read(tmp_path):
    import os

    import pytest

    from dialogue_engine.knowledge.loading import collect_files
    from dialogue_engine.knowledge.types import KnowledgeError

    (tmp_path / "real.md").write_text("# Real\n\nA real note with enough words to count as a passage.\n")
    secret = tmp_path.parent / "outside.md"
    secret.write_text("# Outside\n\nNot for the knowledge base.\n")
    (tmp_path / "link.md").symlink_to(secret)
    os.mkfifo(tmp_path / "pipe.md")
    assert [p.name for p in collect_files([tmp_path])] == ["real.md"]
    for name in ("link.md", "pipe.md"):
        with pytest.raises(KnowledgeError, match="not a regular file"):
            collect_files([tmp_path / name])
    with pytest.raises(KnowledgeError):
        collect_files(["/dev/zero"])
