"""Built-in turn latency (perceive -> decide -> ground -> realize -> guard) with the default store.

Baseline in the same run: the same turn without retrieval. Target: p95 < 100 ms with the store.
Run: `.venv/bin/python bench/bench_turn.py [--turns N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dialogue_engine.agents import Observation, ObservationKind, PersonaAgent, TurnContext  # noqa: E402
from dialogue_engine.domain import persona_for  # noqa: E402
from dialogue_engine.domain import load_scenario  # noqa: E402

MESSAGES = ["What matters most to you on the money?", "We propose a smaller fund with direct access.",
            "We cannot accept that, it is unacceptable.", "We can be flexible on hosting if you move on access.",
            "Thank you, noted.", "If you do not move we will walk away."]


def timed_turns(scenario, retriever, turns: int, cold: bool = False) -> np.ndarray:
    party = scenario.parties[0]
    agent = PersonaAgent(persona_for(party), scenario, party.id, retriever=retriever, seed=1)
    other = scenario.parties[1].id
    out = []
    for n in range(turns):
        obs = Observation(round=n + 1, speaker=other, kind=ObservationKind.MESSAGE, text=MESSAGES[n % len(MESSAGES)])
        agent.observe(obs)
        if cold:
            agent.grounder._cache.clear()
        t0 = time.perf_counter()
        asyncio.run(agent.respond(TurnContext(round=n % scenario.rounds + 1, total_rounds=scenario.rounds, incoming=obs)))
        out.append((time.perf_counter() - t0) * 1000)
    return np.array(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=60)
    ap.add_argument("--scenario", default="loss-and-damage-facility")
    args = ap.parse_args()
    from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base

    kb = default_knowledge_base()
    build_default_index(kb)
    kb.search("warm-up", k=3)
    scenario = load_scenario(args.scenario)
    base = timed_turns(scenario, None, args.turns)
    full = timed_turns(scenario, kb, args.turns)
    cold = timed_turns(scenario, kb, args.turns, cold=True)
    print(f"scenario {scenario.id}, {args.turns} turns each (first turns include cache misses)")
    print(f"{'':28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, xs in (("without retrieval (baseline)", base), ("with the default store", full),
                     ("store, grounding cache off", cold)):
        print(f"{name:28} {np.percentile(xs, 50):8.1f} {np.percentile(xs, 95):8.1f} {xs.max():8.1f}")
    ratio = np.percentile(cold, 95) / max(np.percentile(base, 95), 1e-9)
    print(f"p95 ratio uncached store/baseline: {ratio:.1f}x; target p95 < 100 ms: "
          f"{'met' if max(np.percentile(full, 95), np.percentile(cold, 95)) < 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
