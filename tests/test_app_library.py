"""AppTest tests of the Library page: browse content, check uploaded YAML files."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("shipped_index")  # the notes indexed once, not per test

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


def _analysis_lines(at: AppTest) -> tuple[list[str], list[str]]:
    """(the named deals shown, the per-party points captions) of the selected scenario."""
    deals = [m.value for m in at.markdown if m.value.startswith(("**Nash", "**Highest", "**Kalai"))]
    return deals, [c.value for c in at.caption]


def test_deal_space_points_are_hidden_while_an_exercise_plays_the_scenario():
    import re

    from dialogue_engine.config import get_settings
    from dialogue_engine.exercise.service import ExerciseService
    from dialogue_engine.exercise.testing import stand_in_factory

    at = _library()
    sid = at.selectbox(key="library_scenario").value
    deals, captions = _analysis_lines(at)
    assert deals and any(re.search(r"\d", c) for c in captions), "points are shown when no class plays it"
    assert not at.info

    svc = ExerciseService(database_url=get_settings().resolved_database_url, agent_factory=stand_in_factory)
    other = ExerciseService(database_url=get_settings().resolved_database_url, agent_factory=stand_in_factory)
    info = svc.create(sid, [])
    at.run()
    live_deals, live_captions = _analysis_lines(at)
    assert live_deals == deals, "the deals stay; only the points go"
    assert not any(re.search(r"\d", c) for c in live_captions), live_captions
    assert any("still running" in i.value for i in at.info)

    other.end(info.facilitator_code)
    at.run()
    _, captions_after = _analysis_lines(at)
    assert captions_after == captions and not at.info
