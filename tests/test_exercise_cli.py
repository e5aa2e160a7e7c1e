"""``dialogue-engine exercise`` commands: run, batch, export, import, errors."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from dialogue_engine.cli import app

MINI = "tests/data/mini_scenario.yaml"
runner = CliRunner()


def test_run_writes_the_files_and_prints_json(tmp_path):
    res = runner.invoke(app, ["exercise", "run", MINI, "--seed", "3", "--out", str(tmp_path), "--json",
                              "--no-knowledge"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert {"agreement", "deal", "utilities", "metrics", "files"} <= set(data)
    for name in ("events.jsonl", "result.json", "report.md", "report.html"):
        assert (tmp_path / name).is_file()
    db = f"sqlite:///{tmp_path / 'imp.db'}"
    res = runner.invoke(app, ["exercise", "import", str(tmp_path / "events.jsonl"), "--db", db])
    assert res.exit_code == 0, res.output
    ex_id = res.output.split()[1]
    res = runner.invoke(app, ["exercise", "export", ex_id, "--out", str(tmp_path / "again.jsonl"), "--db", db])
    assert res.exit_code == 0, res.output
    strip = [{k: v for k, v in json.loads(line).items() if k != "exercise_id"}
             for line in (tmp_path / "again.jsonl").read_text().splitlines()]
    orig = [{k: v for k, v in json.loads(line).items() if k != "exercise_id"}
            for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert strip == orig


def test_batch_over_processes_writes_json_and_csv(tmp_path):
    res = runner.invoke(app, ["exercise", "batch", MINI, "--runs", "3", "--workers", "2", "--out", str(tmp_path),
                              "--no-knowledge", "--json"])
    assert res.exit_code == 0, res.output
    agg = json.loads(res.output)
    assert agg["runs"] == 3 and 0 <= agg["agreement_rate"] <= 1 and agg["threshold_violations"] == 0
    rows = list(csv.DictReader((tmp_path / "runs.csv").open()))
    assert [int(r["seed"]) for r in rows] == [0, 1, 2]
    assert json.loads((tmp_path / "summary.json").read_text())["runs"] == 3
    assert (tmp_path / "run-0002" / "report.md").is_file()


def test_unknown_scenario_is_one_line(tmp_path):
    res = runner.invoke(app, ["exercise", "run", "no-such-scenario", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert res.stderr.startswith("error: ") and res.stderr.count("\n") == 1 and "no-such-scenario" in res.stderr


def test_export_of_an_unknown_exercise_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "x.jsonl"
    res = runner.invoke(app, ["exercise", "export", "no-such-id", "--out", str(out), "--db",
                              f"sqlite:///{tmp_path / 'ex.db'}"])
    assert res.exit_code != 0 and res.stderr.count("\n") == 1 and "no-such-id" in res.stderr
    assert not out.exists()


def test_resume_plays_a_stored_exercise_to_its_end(tmp_path):
    from dialogue_engine.exercise.service import ExerciseService

    db = f"sqlite:///{tmp_path / 'ex.db'}"
    svc = ExerciseService(database_url=db)
    info = svc.create(MINI, [], seed=4)
    svc.start(info.facilitator_code)
    svc.advance(info.facilitator_code)  # stopped early, as if the process had been killed
    svc.store.dispose()
    res = runner.invoke(app, ["exercise", "resume", info.exercise_id, "--db", db, "--out", str(tmp_path / "out"),
                              "--json", "--no-knowledge"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["exercise_id"] == info.exercise_id and (tmp_path / "out" / "report.md").is_file()
    assert ExerciseService(database_url=db).state(info.exercise_id).ended
    again = runner.invoke(app, ["exercise", "resume", "nope", "--db", db, "--no-knowledge"])
    assert again.exit_code != 0 and again.stderr.startswith("error: ") and "nope" in again.stderr


def test_run_with_out_pointing_at_a_file_is_one_line(tmp_path):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    res = runner.invoke(app, ["exercise", "run", MINI, "--out", str(target), "--no-knowledge"])
    assert res.exit_code != 0 and res.stderr.count("\n") == 1 and "not a folder" in res.stderr
    assert target.read_text() == "keep me"
