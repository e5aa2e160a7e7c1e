"""Determinism and crash-resume with the real persona agents and the built-in realizer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialogue_engine.report.headless import run_exercise
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.store import EventStore
from dialogue_engine.report.scoring import score

MINI = "tests/data/mini_scenario.yaml"
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios" / "pandemic-vaccine-partnership.yaml"


def _fingerprint(svc: ExerciseService, ex_id: str) -> list:
    return [(e.seq, e.kind.value, e.actor, json.dumps(e.payload, sort_keys=True)) for e in svc.events(ex_id)]


def test_same_seed_gives_identical_result_json(tmp_path):
    a = run_exercise(MINI, 11, tmp_path / "a", knowledge=False)
    b = run_exercise(MINI, 11, tmp_path / "b", knowledge=False)
    assert (tmp_path / "a" / "result.json").read_bytes() == (tmp_path / "b" / "result.json").read_bytes()
    assert (tmp_path / "a" / "report.md").read_text() == (tmp_path / "b" / "report.md").read_text()
    for name in ("events.jsonl", "result.json", "report.md", "report.html"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    assert a.exercise_id != b.exercise_id


def _uninterrupted(tmp_path, scenario, seed, **kw):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'whole.db'}")
    info = svc.create(scenario, [], seed, **kw)
    svc.run_to_end(info.exercise_id)
    return svc, info.exercise_id


@pytest.mark.parametrize("scenario,kw", [(MINI, {}), (str(SHIPPED), {"rounds": 3})])
def test_dropping_the_service_mid_round_resumes_exactly(tmp_path, scenario, kw):
    ref_svc, ref_id = _uninterrupted(tmp_path, scenario, 5, **kw)
    url = f"sqlite:///{tmp_path / 'resumed.db'}"
    first = ExerciseService(database_url=url)
    info = first.create(scenario, [], 5, **kw)
    fc = info.facilitator_code
    first.start(fc)
    while first.state(info.exercise_id).round < 2:
        first.advance(fc)
    first.advance(fc)  # into the middle of round 2
    assert not first.state(info.exercise_id).ended
    del first
    second = ExerciseService(database_url=url)  # a fresh process-like service: empty caches
    second.run_to_end(info.exercise_id)
    assert _fingerprint(second, info.exercise_id) == _fingerprint(ref_svc, ref_id)
    assert score(second.state(info.exercise_id)) == score(ref_svc.state(ref_id))


SCRIPT = """
import sys, time
from dialogue_engine.exercise.service import ExerciseService
svc = ExerciseService(database_url=sys.argv[1])
ex = sys.argv[2]
code = svc.info(ex).facilitator_code
svc.start(code)
while not svc.state(ex).ended:
    svc.advance(code)
    print(svc.state(ex).round, flush=True)
    time.sleep(0.3)
"""


@pytest.mark.slow
def test_killing_the_process_mid_round_loses_nothing(tmp_path):
    ref_svc, ref_id = _uninterrupted(tmp_path, MINI, 9)
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    svc = ExerciseService(database_url=url)
    ex = svc.create(MINI, [], 9).exercise_id
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, url, ex], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line or int(line) >= 2:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    before = svc.events(ex)
    assert not svc.state(ex).ended, "the run finished before it could be killed"
    assert [e.seq for e in before] == list(range(1, len(before) + 1))
    resumed = ExerciseService(EventStore(url))
    resumed.run_to_end(ex)
    after = _fingerprint(resumed, ex)
    assert after[: len(before)] == [(e.seq, e.kind.value, e.actor, json.dumps(e.payload, sort_keys=True))
                                    for e in before]
    assert after == _fingerprint(ref_svc, ref_id)
