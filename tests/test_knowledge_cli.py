"""The ingest/search/kb commands through typer's runner and one real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dialogue_engine.cli import app
from knowledge_helpers import DOCS

runner = CliRunner()


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


def _invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=True)


def test_ingest_then_search_json(store):
    result = _invoke("ingest", str(DOCS), "--store", str(store), "--tag", "fixture")
    assert result.exit_code == 0, result.output
    assert "chunk(s) added" in result.output
    again = _invoke("ingest", str(DOCS), "--store", str(store), "--tag", "fixture")
    assert "0 chunk(s) added" in again.output
    result = _invoke("search", "how are berthing fees decided", "--store", str(store), "--k", "2", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert len(hits) == 2
    for key in ("source", "title", "section", "text", "score", "chunk_id"):
        assert key in hits[0]
    assert hits[0]["source"] == "harbour-compact.md"
    assert "fixture" in hits[0]["tags"]
    only = json.loads(_invoke("search", "fees", "--store", str(store), "--source", "orchard-notes.txt", "--json").output)
    assert {h["source"] for h in only} == {"orchard-notes.txt"}
    table = _invoke("search", "lantern budget", "--store", str(store))
    assert table.exit_code == 0 and "lantern-festival.html" in table.output


def test_errors_are_one_line_and_nonzero(store, tmp_path):
    empty = subprocess.run(
        [sys.executable, "-m", "dialogue_engine.cli", "search", "anything", "--store", str(store)],
        capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert empty.returncode == 1
    assert "empty" in empty.stderr and "Traceback" not in empty.stderr
    bad = tmp_path / "empty.md"
    bad.write_text("")
    missing = subprocess.run(
        [sys.executable, "-m", "dialogue_engine.cli", "ingest", str(DOCS), str(bad), "--store", str(store)],
        capture_output=True, text=True,
    )
    assert missing.returncode == 1
    lines = [ln for ln in missing.stderr.splitlines() if ln.startswith("error:")]
    assert lines == [f"error: {bad}: the file is empty"]
    assert "Traceback" not in missing.stderr


def test_kb_build_status_and_remove(tmp_path, monkeypatch):
    from dialogue_engine.config import get_settings

    content = tmp_path / "content"
    shutil.copytree(DOCS, content / "knowledge")
    monkeypatch.setenv("QD_CONTENT_DIR", str(content))
    get_settings.cache_clear()
    first = _invoke("kb", "build")
    assert first.exit_code == 0, first.output
    assert "added" in first.output
    assert "up to date" in _invoke("kb", "build").output
    status = json.loads(_invoke("kb", "status", "--json").output)
    assert status["up_to_date"] is True and status["chunks"] > 0 and len(status["sources"]) == 3
    (content / "knowledge" / "orchard-notes.txt").unlink()
    rebuilt = _invoke("kb", "build")
    assert "pruned orchard-notes.txt" in rebuilt.output
    removed = _invoke("kb", "remove", "lantern-festival.html", "--store", str(get_settings().resolved_store_dir))
    assert removed.exit_code == 0 and "removed" in removed.output
