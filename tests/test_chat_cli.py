"""`dialogue-engine chat` non-interactively, with --json: through a subprocess where the process boundary matters
(determinism across runs, one-line errors from the entry point), in process otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


def run_here(args, stdin=""):
    """The chat command in this process (same code path below the entry point; much faster)."""
    from typer.testing import CliRunner

    from dialogue_engine.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], input=stdin)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def run(args, stdin="", env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "dialogue_engine.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, env=env)


def test_chat_json_one_object_per_line():
    out = run_here(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb", "--seed", "3"],
                   "Hello, what do you need?\nI propose A2 and B2.\n\nWe accept.\n")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    offer_worth_enough = out.returncode == 0
    assert len(lines) == (3 if offer_worth_enough else 2), out.stderr
    if not offer_worth_enough:  # "we accept" of a package below one's minimum asks for confirmation, one line
        assert out.returncode == 1 and "below your minimum" in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    for obj in lines:
        assert set(obj) >= {"persona", "message", "move", "proposal", "citations", "agreed"}
        assert obj["persona"] == "beta" and obj["message"]
    assert [obj["agreed"] for obj in lines[:2]] == [False, False]
    assert lines[0]["proposal"] is None or set(lines[0]["proposal"]) == {"A", "B"}
    assert lines[0]["understood"]["acts"] == ["greet", "ask_priorities"]
    assert lines[1]["understood"]["proposal"] == {"A": "A2", "B": "B2"}
    if offer_worth_enough:  # an explicit "we accept" takes the package on the table: the standing offer
        assert lines[2]["understood"]["acts"] == ["accept"]
        assert lines[2]["agreed"] is (lines[1]["offer"] is not None)


def test_a_question_is_never_an_acceptance():
    out = run_here(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb", "--seed", "3"],
                   "What do you propose?\nDo we have a deal?\nCan you live with that?\nSo we're agreed?\n")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(lines) == 4 and not any(obj["agreed"] for obj in lines)
    assert all("accept" not in obj["understood"]["acts"] for obj in lines[1:])
    assert "accept it" in lines[1]["message"] or "Our offer" in lines[1]["message"]


def test_chat_agreement_stands_once_both_sides_accept_and_ends_the_chat():
    script = "Hello, what do you need?\n/propose A=A1 B=B3 This one suits us.\n/accept!\nStill there?\n"
    out = run(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--json", "--no-kb", "--seed", "5"], script)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [obj["agreed"] for obj in lines] == [False, False, True]  # the line after the end is not played
    assert lines[1]["offer"] is not None and lines[2]["party"] == "alpha"
    assert lines[2]["proposal"] == lines[1]["proposal"]
    text = run(["chat", str(MINI), "--persona", "beta", "--as", "alpha", "--no-kb", "--seed", "5"], script)
    assert "(agreement reached:" in text.stdout and "Still there" not in text.stdout


def test_accept_without_an_offer_is_a_one_line_error_and_the_chat_goes_on():
    out = run(["chat", str(MINI), "--persona", "beta", "--json", "--no-kb"], "/accept\nHello.\n")
    assert out.returncode == 1 and out.stderr.strip().startswith("error:") and "offer" in out.stderr
    assert len(out.stdout.splitlines()) == 1


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
