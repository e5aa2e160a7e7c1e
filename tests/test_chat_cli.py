"""`dialogue-engine chat` through a subprocess, non-interactively, with --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


def run(args, stdin="", env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "dialogue_engine.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


def test_chat_json_one_object_per_line():
    out = run(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb", "--seed", "3"],
              "Hello, what do you need?\nI propose A2 and B2.\n\nWe accept.\n")
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 3
    for obj in lines:
        assert set(obj) >= {"persona", "message", "move", "proposal", "citations"}
        assert obj["persona"] == "beta" and obj["message"]
    assert lines[0]["proposal"] is None or set(lines[0]["proposal"]) == {"A", "B"}


def test_chat_is_deterministic_for_a_seed():
    args = ["chat", str(MINI), "--persona", "beta", "--json", "--no-kb", "--seed", "4"]
    a = run(args, "I propose A1 and B3.\nWhy not?\n").stdout
    b = run(args, "I propose A1 and B3.\nWhy not?\n").stdout
    assert a == b and a


def test_unknown_persona_or_seat_is_one_line_error():
    bad = run(["chat", str(MINI), "--persona", "nobody", "--no-kb"])
    assert bad.returncode == 1 and bad.stderr.strip().startswith("error:") and len(bad.stderr.strip().splitlines()) == 1
    seat = run(["chat", str(MINI), "--persona", "beta", "--as", "gamma", "--no-kb"])
    assert seat.returncode == 1 and "gamma" in seat.stderr and len(seat.stderr.strip().splitlines()) == 1
