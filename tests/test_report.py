"""After-action reports and result files for every shipped scenario (and the imported base game)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dialogue_engine.report.headless import run_exercise
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.scoring import score

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "src/dialogue_engine/negotiation/data/harbour_sport_park.yaml"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_report_renders_for_every_shipped_scenario(tmp_path, path):
    run = run_exercise(path, 1, tmp_path, knowledge=False, rounds=2)
    res = json.loads((tmp_path / "result.json").read_text())
    assert set(res) >= {"agreement", "deal", "utilities", "metrics", "seats", "process"}
    assert res["process"]["threshold_violations"] == 0
    if res["agreement"]:
        assert all(s["above_threshold"] for s in res["seats"] if s["vote"])
    md = (tmp_path / "report.md").read_text()
    for heading in ("## 1. Overview", "## 2. Objectives", "## 3. Timeline", "## 4. Outcome",
                    "## 5. Strengths", "## 6. Areas for improvement", "## Improvement plan"):
        assert heading in md
    html = (tmp_path / "report.html").read_text()
    assert html.count("<svg") == 2 and "<script" not in html
    assert not re.search(r"(src|href)=['\"]?https?://", html), "the HTML report must be self-contained"
    assert run.result.scenario_id in md


def test_coaching_quotes_the_player_and_objectives_are_never_guessed_from_words(tmp_path):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    from dialogue_engine.domain import Scenario, load_scenario

    data = load_scenario("tests/data/mini_scenario.yaml").model_dump(mode="json")
    data["learning_objectives"] = ["Reach an agreement both sides can accept", "Explore the other side's interests",
                                   "Juggle teacups"]
    scen = Scenario.model_validate(data)
    info = svc.create(scen, ["beta"], seed=3)
    code = next(s.code for s in info.seats if s.code)
    fc = info.facilitator_code
    svc.start(fc)
    svc.advance(fc)
    svc.post_message(code, "This is our final offer, take it or leave it.")
    svc.post_message(code, "What matters most to you about timing?")
    svc.run_to_end(info.exercise_id)
    state = svc.state(info.exercise_id)
    result = score(state)
    rep = build_report(state, result)
    assert {o.status for o in rep.objectives} == {"for the facilitator"}, "no check, no verdict from keywords"
    md = to_markdown(rep)
    assert "take it or leave it" in md and "What matters most to you about timing?" in md
    crit = {c.id: c for c in result.coaching["beta"].criteria}
    assert not crit["avoided_ultimatums"].met
    assert crit["avoided_ultimatums"].quotes == ["This is our final offer, take it or leave it."]
    assert "alpha" not in result.coaching
    assert "<svg" in to_html(rep)
