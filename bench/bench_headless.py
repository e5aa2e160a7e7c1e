"""Headless exercise speed: a 6-party, 10-round run with the built-in realizer (target < 10 s).

Uses the 6-party LLM-Deliberation base game (harbour-sport-park) and the 6-party dual-use-tech scenario,
both forced to 10 rounds, with PersonaAgent in every seat, no knowledge base, and a SQLite event log. The
baseline beside it is the same exercise with the threshold-only stand-in agent, measured in this run, so
the agent's share of the time is visible.

Run: `.venv/bin/python bench/bench_headless.py [--repeat N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SCENARIOS = [ROOT / "src/dialogue_engine/negotiation/data/harbour_sport_park.yaml",
             ROOT / "scenarios/dual-use-tech-guardrails.yaml"]
TARGET = 10.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    from dialogue_engine.report.headless import run_exercise
    from dialogue_engine.exercise.testing import stand_in_factory

    ok = True
    for path in SCENARIOS:
        if not path.exists():
            print(f"{path.name}: missing, skipped")
            continue
        timings: dict[str, list[float]] = {"PersonaAgent": [], "stand-in": []}
        info = None
        for rep in range(args.repeat):
            for label, factory in (("PersonaAgent", None), ("stand-in", stand_in_factory)):
                with tempfile.TemporaryDirectory() as tmp:
                    start = time.perf_counter()
                    run = run_exercise(path, rep, Path(tmp), knowledge=False, rounds=10, agent_factory=factory)
                    timings[label].append(time.perf_counter() - start)
                    if label == "PersonaAgent":
                        info = run.result
        med = statistics.median(timings["PersonaAgent"])
        base = statistics.median(timings["stand-in"])
        ok &= med < TARGET
        print(f"{info.scenario_id}: {len(info.seats)} parties, 10 rounds, {info.process.messages} messages, "
              f"{info.process.proposals} proposals; PersonaAgent median {med:.2f} s "
              f"(stand-in baseline {base:.2f} s, ratio {med / base:.1f}x); target < {TARGET:.0f} s: "
              f"{'met' if med < TARGET else 'MISSED'}; outcome: "
              f"{'agreement' if info.agreement else 'no agreement'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
