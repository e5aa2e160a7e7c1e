"""``dialogue-engine validate`` and ``dialogue-engine schema``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.domain import Persona, Scenario

DATA = Path(__file__).parent / "data"
runner = CliRunner()

PERSONA = {
    "id": "cli-test-state",
    "name": "Republic of Clitest",
    "kind": "state",
    "public_profile": "A state used by tests.",
    "relationships": {"no-such-persona-xyz": {"trust": 0.1, "commonality": 0.2}},
}


def _mini(**changes) -> dict:
    data = yaml.safe_load((DATA / "mini_scenario.yaml").read_text())
    data.update(changes)
    return data


def _dump(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_validate_valid_file_exits_zero(tmp_path):
    f = _dump(tmp_path / "ok.yaml", _mini())
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 0, result.output
    assert "all valid" in result.stdout


def test_validate_reports_one_line_per_problem(tmp_path):
    bad = _mini()
    bad["parties"][1]["threshold"] = 1000
    bad["parties"][0]["colour"] = "red"
    f1 = _dump(tmp_path / "unknown.yaml", bad)
    bad2 = _mini()
    bad2["parties"][0]["persona"] = "no-such-persona-xyz"
    f2 = _dump(tmp_path / "persona.yaml", bad2)
    f3 = tmp_path / "broken.yaml"
    f3.write_text("id: x\n  title: : bad\n")
    result = subprocess.run([sys.executable, "-m", "dialogue_engine.cli", "validate", str(f1), str(f2), str(f3)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3, lines
    assert any(str(f1) in ln and "parties[0].colour: unknown field" in ln for ln in lines)
    assert any(str(f2) in ln and "parties[0].persona: unknown persona 'no-such-persona-xyz'" in ln for ln in lines)
    assert any(str(f3) in ln and "invalid YAML" in ln for ln in lines)


def test_validate_json_lists_problems(tmp_path):
    bad = _mini()
    bad["parties"][1]["threshold"] = 1000
    f = _dump(tmp_path / "thr.yaml", bad)
    result = runner.invoke(app, ["validate", "--json", str(f)])
    assert result.exit_code == 1
    [p] = json.loads(result.stdout)
    line = f.read_text().splitlines().index("  threshold: 1000") + 1
    assert p["file"] == str(f) and p["field"] == "parties[1] (beta).threshold" and p["line"] == line
    assert "no deal can satisfy it" in p["reason"]


def test_validate_folder_with_persona_and_scenario(tmp_path):
    personas = tmp_path / "personas"
    scenarios = tmp_path / "scenarios"
    personas.mkdir()
    scenarios.mkdir()
    _dump(personas / "cli-test-state.yaml", PERSONA)
    data = _mini()
    data["parties"][0]["persona"] = "cli-test-state"
    _dump(scenarios / "mini.yaml", data)
    result = runner.invoke(app, ["validate", str(personas), str(scenarios)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "relationships.no-such-persona-xyz: unknown persona" in lines[0]
    persona = dict(PERSONA, relationships={})
    _dump(personas / "cli-test-state.yaml", persona)
    assert runner.invoke(app, ["validate", str(personas), str(scenarios)]).exit_code == 0


def test_validate_duplicate_persona_ids(tmp_path):
    p = dict(PERSONA, relationships={})
    _dump(tmp_path / "a.yaml", p)
    _dump(tmp_path / "b.yaml", p)
    result = runner.invoke(app, ["validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert result.exit_code == 1
    assert "duplicate persona id 'cli-test-state'" in result.stderr


def test_validate_missing_path(tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.stderr


@pytest.mark.parametrize("kind,model", [("persona", Persona), ("scenario", Scenario)])
def test_schema_prints_json_schema(kind, model):
    result = runner.invoke(app, ["schema", kind])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == model.model_json_schema()
    assert schema["type"] == "object" and "properties" in schema and "$defs" in schema


def test_schema_rejects_unknown_kind():
    assert runner.invoke(app, ["schema", "widget"]).exit_code != 0
