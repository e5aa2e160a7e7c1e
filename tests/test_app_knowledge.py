"""AppTest tests of the Knowledge page: search the shipped notes, ingest an upload, refuse a bad type."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("shipped_index")  # the notes indexed once, not per test

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"


def _knowledge() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("screens/knowledge.py").run()
    assert not at.exception, at.exception
    return at


def test_ingest_then_search_with_a_source_filter():
    at = _knowledge()
    at.file_uploader(key="kb_upload").set_value(
        ("harbour.md", b"# Harbour pact\n\nThe harbour pact splits dredging costs between the two towns.\n",
         "text/markdown"))
    at.run()
    at.button(key="kb_ingest").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("added" in s.value for s in at.success)
    at.text_input(key="kb_query").set_value("dredging costs")
    at.multiselect(key="kb_sources").set_value(["uploads/upload-harbour.md"])
    [b for b in at.button if b.label == "Search"][0].click().run()
    assert not at.error, [e.value for e in at.error]
    hits = at.session_state["kb_hits"]
    assert hits and all(h.source == "uploads/upload-harbour.md" for h in hits)


def test_wrong_upload_type_never_shows_a_traceback():
    """The browser refuses other types before upload; a forged one is refused by Streamlit with details hidden."""
    at = _knowledge()
    at.file_uploader(key="kb_upload").set_value(("tool.exe", b"MZ", "application/octet-stream"))
    at.run()
    shown = " ".join(e.message for e in at.exception) + " ".join(e.value for e in at.error)
    assert shown, "the forged upload was accepted"
    assert "Traceback" not in shown and ".py" not in shown


def test_an_upload_never_replaces_a_shipped_note_nor_writes_through_a_link(tmp_path):
    from dialogue_engine.ui.knowledge import save_upload

    target = tmp_path / "outside.txt"
    target.write_text("untouched")
    (tmp_path / "upload-quiet-dialogue.md").symlink_to(target)
    path = save_upload("quiet-dialogue.md", b"# Mine\n\nMy own note about quiet talks between rivals.\n", tmp_path)
    assert path.name == "upload-quiet-dialogue.md" and not path.is_symlink()
    assert target.read_text() == "untouched" and "My own note" in path.read_text()
