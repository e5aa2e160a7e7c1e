"""The shipped library belongs to ``kb build``: uploads live in their own namespace, ``--prune`` keeps the
library, ``kb status`` checks the store itself, and ``kb build`` repairs a pruned or damaged index."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.config import get_settings
from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base, index_status
from dialogue_engine.knowledge.types import KnowledgeError
from dialogue_engine.ui.knowledge import ingest_uploads, save_upload
from knowledge_helpers import DOCS

runner = CliRunner()
SHIPPED = sorted(p.name for p in DOCS.iterdir() if p.is_file())
NOTE = "orchard-notes.txt"


@pytest.fixture
def library(tmp_path, monkeypatch):
    """A content folder whose knowledge/ holds the fixture notes, built into the default store."""
    content = tmp_path / "content"
    shutil.copytree(DOCS, content / "knowledge")
    monkeypatch.setenv("QD_CONTENT_DIR", str(content))
    get_settings.cache_clear()
    kb = default_knowledge_base()
    build_default_index(kb)
    return kb


def _texts(kb, source: str) -> list[str]:  # noqa: ANN001
    return [c.text for c in kb.chunks(source)]


def _status() -> dict:
    res = runner.invoke(app, ["kb", "status", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_an_upload_named_like_a_shipped_note_lives_beside_it(library, tmp_path):
    before = _texts(library, NOTE)
    path = save_upload(NOTE, b"Orchard notes, rewritten by a visitor.\n\nNothing here is from the library.\n",
                       folder=tmp_path)
    report = ingest_uploads(library, [path])
    assert report.added > 0
    assert _texts(library, NOTE) == before
    assert f"uploads/upload-{NOTE}" in library.sources()
    assert set(SHIPPED) <= set(library.sources())
    assert index_status(library)["up_to_date"] is True
    assert build_default_index(library) is None  # nothing to repair: the library is intact


def test_uploads_prune_only_uploads(library, tmp_path):
    a = save_upload("a.md", b"# A\n\nThe first uploaded note about orchards.\n", folder=tmp_path)
    b = save_upload("b.md", b"# B\n\nThe second uploaded note about lanterns.\n", folder=tmp_path)
    ingest_uploads(library, [a, b])
    report = library.ingest([a], prune=True, namespace="uploads")
    assert report.pruned == ("uploads/upload-b.md",)
    assert set(SHIPPED) <= set(library.sources())


def test_ingest_prune_never_removes_the_library(library, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "own.md").write_text("# Own\n\nA note of my own about harbour fees and berths.\n", encoding="utf-8")
    chunks = library.count()
    res = runner.invoke(app, ["ingest", str(mine), "--prune"])
    assert res.exit_code == 0, res.output
    assert set(SHIPPED) <= set(library.sources()) and library.count() > chunks
    assert _status()["up_to_date"] is True


def test_ingest_of_another_file_with_a_library_name_is_refused(library, tmp_path):
    impostor = tmp_path / NOTE
    impostor.write_text("Not the orchard notes at all, but words enough to be a passage.\n", encoding="utf-8")
    before = _texts(library, NOTE)
    res = runner.invoke(app, ["ingest", str(impostor)])
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "shipped library" in res.stderr and NOTE in res.stderr
    assert _texts(library, NOTE) == before
    same = runner.invoke(app, ["ingest", str(DOCS / NOTE)])  # the shipped file itself changes nothing
    assert same.exit_code == 0 and _texts(library, NOTE) == before


def test_kb_status_tells_the_truth_and_kb_build_repairs(library):
    full = library.count()
    assert _status()["up_to_date"] is True
    removed = library.remove(NOTE)
    assert removed > 0
    status = _status()
    assert status["up_to_date"] is False and any(NOTE in p for p in status["problems"])
    res = runner.invoke(app, ["kb", "build"])
    assert res.exit_code == 0 and "added" in res.output
    assert library.count() == full and _status()["up_to_date"] is True


def test_a_partly_deleted_note_is_noticed(library):
    ids = sorted(library.store.ids_by_source()["lantern-festival.html"])
    if len(ids) < 2:
        pytest.skip("the fixture note has a single passage")
    library.store.delete(ids[:1])
    status = index_status(library)
    assert not status["up_to_date"] and any("passages stored" in p for p in status["problems"])
    build_default_index(library)
    assert index_status(library)["up_to_date"]


def test_kb_build_keeps_uploads(library, tmp_path):
    path = save_upload("visitor.md", b"# Visitor\n\nA visitor's note about the harbour and its fees.\n",
                       folder=tmp_path)
    ingest_uploads(library, [path])
    library.remove(NOTE)
    build_default_index(library, force=True)
    assert "uploads/upload-visitor.md" in library.sources() and NOTE in library.sources()


def test_a_damaged_store_is_set_aside_and_rebuilt(library):
    store = library.store_dir
    db = store / "chroma.sqlite3"
    library.reset()
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    db.write_bytes(b"this is not a database" * 100)
    status = _status()
    assert status["up_to_date"] is False and status["problems"]
    res = runner.invoke(app, ["kb", "build"])
    assert res.exit_code == 0, res.output
    assert _status()["up_to_date"] is True
    assert any(p.name.startswith(f"{store.name}.damaged-") for p in store.parent.iterdir())


def test_status_of_an_unreadable_store_is_one_line(tmp_path, monkeypatch):
    store = tmp_path / "store-file"
    store.write_text("a file, not a folder")
    monkeypatch.setenv("QD_STORE_DIR", str(store))
    get_settings.cache_clear()
    res = runner.invoke(app, ["kb", "status", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["up_to_date"] is False
    with pytest.raises(KnowledgeError):
        build_default_index()
