"""AppTest tests of the Library page: browse content, check uploaded YAML files."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"
DATA = Path(__file__).resolve().parent / "data"


def _library() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.switch_page("screens/library.py").run()
    assert not at.exception, at.exception
    return at


def test_home_page_renders():
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.title[0].value == "Quiet Dialogue"


def test_library_lists_content():
    at = _library()
    assert at.title[0].value == "Library"
    assert not at.error, [e.value for e in at.error]


def test_valid_scenario_upload_shows_analysis():
    at = _library()
    at.file_uploader(key="library_upload").set_value(
        ("mini.yaml", (DATA / "mini_scenario.yaml").read_bytes(), "application/x-yaml"))
    at.run()
    assert not at.exception
    assert any("valid scenario" in s.value for s in at.success)
    assert any("Mini test negotiation" in h.value for h in at.subheader)


def test_bad_yaml_upload_shows_one_line_error():
    at = _library()
    bad = b"id: broken\ntitle: Broken\nsituation: x\nparties: []\nissues: []\nsurprise: 1\n"
    at.file_uploader(key="library_upload").set_value(("broken.yaml", bad, "application/x-yaml"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1
    line = at.error[0].value
    assert "\n" not in line and "broken.yaml" in line and "Traceback" not in line
    listed = " ".join(m.value for m in at.markdown)
    assert "surprise" in listed and "unknown field" in listed


def test_upload_of_wrong_type_is_refused():
    at = _library()
    at.file_uploader(key="library_upload").set_value(("notes.yaml", b"\xff\xfe\x00bad", "application/x-yaml"))
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "not a UTF-8 text file" in at.error[0].value
