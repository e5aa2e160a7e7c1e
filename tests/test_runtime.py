"""One runtime from settings: QD_LLM applies to every entry point, and a missing key is the same one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dialogue_engine.agents.perception import RulePerceiver
from dialogue_engine.config import get_settings
from dialogue_engine.domain import load_scenario
from dialogue_engine.errors import ConfigError
from dialogue_engine.exercise.runtime import build_runtime
from dialogue_engine.llm.testing import FakeOpenAIServer

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"
MISSING = "QD_LLM=openai needs OPENAI_API_KEY"


def _cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dialogue_engine.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def test_offline_runtime_uses_rules_and_builtin_words():
    runtime = build_runtime(knowledge=False)
    assert runtime.realizer is None and runtime.retriever is None and not runtime.uses_llm
    assert isinstance(runtime.perceiver_for(load_scenario(MINI)), RulePerceiver)


def test_llm_without_key_or_base_url_is_one_line_from_every_entry_point(monkeypatch):
    monkeypatch.setenv("QD_LLM", "openai")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match=MISSING):
        build_runtime(knowledge=False)
    for args, stdin in ((["exercise", "run", str(MINI), "--no-knowledge", "--rounds", "1"], ""),
                        (["chat", str(MINI), "--persona", "beta", "--no-kb"], "hello\n")):
        run = _cli(*args, stdin=stdin)
        assert run.returncode == 1 and MISSING in run.stderr
        assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_exercise_run_honours_qd_llm_against_a_loopback_server(tmp_path):
    with FakeOpenAIServer(delay=0.0, text="We hear you, and we hold to our package.") as server:
        env = {"QD_LLM": "openai", "OPENAI_BASE_URL": server.base_url, "QD_LLM_TIMEOUT": "10"}
        run = _cli("exercise", "run", str(MINI), "--no-knowledge", "--rounds", "1", "--out", str(tmp_path), "--json",
                   env=env)
        assert run.returncode == 0, run.stderr
        assert server.requests, "no request reached the language model"
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    realizers = {e["payload"].get("realizer") for e in events if e["kind"] == "message" and e["actor"] != "system"}
    assert "llm" in realizers
