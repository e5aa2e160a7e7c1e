"""Benchmark: full deal-space analysis (frontier, Nash, max welfare, Kalai-Smorodinsky).

Cases, each beside a baseline measured in the same run:

1. A random 10^6-deal space (6 issues x 10 options) with 7 parties, quorum of 6 including 2 veto
   holders, thresholds at each party's expected total (target < 1 s). Baseline: an all-pairs blocked
   numpy dominance check (O(n^2)) timed on a random sample of the passable deals and scaled by n^2.
2. The same space with every deal passable (thresholds 0): the hardest case for the frontier.
3. The LLM-Deliberation base game (720 deals, 6 parties; target < 20 ms). Baseline: a plain-Python
   analysis (loops over deals and pairs), timed directly.

Times are best-of-N; wall-clock for the full analysis and process CPU time everywhere (the CPU figure
is the stable one on a shared, loaded machine). Run: ``.venv/bin/python bench/bench_analysis.py [--quick]``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dialogue_engine.domain import Scenario, load_scenario  # noqa: E402
from dialogue_engine.negotiation.analysis import analyze  # noqa: E402
from dialogue_engine.negotiation.pareto import pareto_indexes  # noqa: E402
from dialogue_engine.negotiation.space import DealSpace  # noqa: E402

BASE = ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"


def random_scenario(issues: int, options: int, parties: int, seed: int, thresholds: str = "mean") -> Scenario:
    """A random scenario built through the domain model."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 101, size=(parties, issues, options))
    issue_list = [{"id": f"I{k}", "title": f"Issue {k}",
                   "options": [{"id": f"I{k}o{j}", "label": f"option {j}"} for j in range(options)]}
                  for k in range(issues)]
    party_list = []
    for p in range(parties):
        threshold = float(scores[p].mean(axis=1).sum().round()) if thresholds == "mean" else 0.0
        party_list.append({
            "id": f"p{p}", "veto": p < 2, "threshold": threshold,
            "scores": {f"I{k}": {f"I{k}o{j}": float(scores[p, k, j]) for j in range(options)} for k in range(issues)},
        })
    return Scenario.model_validate({
        "id": f"random-{seed}", "title": "Random", "situation": "Random benchmark space.",
        "parties": party_list, "issues": issue_list, "rule": {"kind": "quorum", "min_parties": parties - 1},
    })


def best_of(fn, repeat: int, clock=time.perf_counter) -> tuple[float, object]:
    """Best time of ``repeat`` runs (wall clock by default) and the last result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = clock()
        out = fn()
        best = min(best, clock() - t0)
    return best, out


def naive_pareto_seconds(values: np.ndarray, sample: int, seed: int = 0) -> float:
    """Seconds of an all-pairs blocked dominance check on ``sample`` rows, scaled to all rows by n^2."""
    rng = np.random.default_rng(seed)
    n = values.shape[0]
    k = min(sample, n)
    v = values[rng.choice(n, size=k, replace=False)]
    t0 = time.process_time()
    dominated = np.zeros(k, dtype=bool)
    for start in range(0, k, 256):
        c = v[start:start + 256]
        ge = np.ones((c.shape[0], k), dtype=bool)
        gt = np.zeros((c.shape[0], k), dtype=bool)
        for j in range(v.shape[1]):
            ge &= v[None, :, j] >= c[:, None, j]
            gt |= v[None, :, j] > c[:, None, j]
        dominated[start:start + 256] = (ge & gt).any(axis=1)
    return (time.process_time() - t0) * (n / k) ** 2


def plain_python_analysis(s: Scenario) -> dict:
    """The same facts with Python loops (the reference the tests use)."""
    issues = [[o.id for o in i.options] for i in s.issues]
    ids = [i.id for i in s.issues]
    rows = []
    for combo in itertools.product(*issues):
        u = [sum(p.scores[i][o] for i, o in zip(ids, combo)) for p in s.parties]
        ok = [x >= p.threshold for x, p in zip(u, s.parties)]
        must = set(s.rule.required) | set(s.veto_parties)
        passes = all(a for a, p in zip(ok, s.parties) if p.id in must) and sum(ok) >= (s.rule.min_parties or len(ok))
        rows.append((combo, u, passes, all(ok)))
    passable = [r for r in rows if r[2]]

    def dom(a, b):
        return all(x >= y for x, y in zip(a, b)) and any(x > y for x, y in zip(a, b))

    frontier = [r for r in passable if not any(dom(q[1], r[1]) for q in passable)]
    gains = [[x - p.threshold for x, p in zip(r[1], s.parties)] for r in passable]
    nash = max(range(len(passable)), key=lambda i: math.prod(max(g, 0) for g in gains[i]))
    welfare = max(passable, key=lambda r: sum(r[1]))
    return {"deals": len(rows), "passable": len(passable), "unanimous": sum(r[3] for r in rows),
            "pareto": len(frontier), "nash": passable[nash][0], "welfare": sum(welfare[1])}


def report_random(label: str, s: Scenario, repeat: int, sample: int) -> None:
    cpu = time.process_time
    t_space, space = best_of(lambda: DealSpace.from_scenario(s), repeat, cpu)
    t_all, a = best_of(lambda: analyze(s), repeat)
    t_cpu, _ = best_of(lambda: analyze(s), repeat, time.process_time)
    u = np.round(space.utilities[space.passes], 9)
    t_front, _ = best_of(lambda: pareto_indexes(u), repeat, cpu)
    naive = naive_pareto_seconds(u, sample)
    print(f"{label}: {a.deals:,} deals x {len(s.parties)} parties, {a.passable:,} passable, "
          f"{a.unanimous:,} unanimous, {a.pareto:,} Pareto-optimal")
    print(f"  full analysis (space + rule + frontier + Nash + welfare + KS): {t_all * 1000:8.1f} ms wall, "
          f"{t_cpu * 1000:.1f} ms CPU")
    print(f"    of which (CPU): build space {t_space * 1000:.1f} ms, frontier {t_front * 1000:.1f} ms")
    print(f"  baseline all-pairs blocked frontier (sample {min(sample, len(u)):,}, scaled n^2): "
          f"{naive * 1000:,.0f} ms CPU   -> frontier speed-up x{naive / t_front:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, smaller baseline sample")
    args = parser.parse_args()
    repeat = 1 if args.quick else 3
    sample = 5_000 if args.quick else 20_000

    report_random("random (thresholds at expected totals)", random_scenario(6, 10, 7, seed=1), repeat, sample)
    report_random("random, every deal passable (worst case)", random_scenario(6, 10, 7, seed=1, thresholds="zero"),
                  1, sample)
    print(f"(machine load average over the last minute: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")

    base = load_scenario(BASE)
    t_wall, a = best_of(lambda: analyze(base), 20)
    t_fast, _ = best_of(lambda: analyze(base), 20, time.process_time)
    t_slow, ref = best_of(lambda: plain_python_analysis(base), 1 if args.quick else 3, time.process_time)
    assert (ref["deals"], ref["passable"], ref["unanimous"], ref["pareto"]) == (a.deals, a.passable, a.unanimous, a.pareto)
    assert ref["welfare"] == a.max_welfare.total
    print(f"base game (Harbour Sport Park): {a.deals} deals, {a.passable} passable, {a.unanimous} unanimous, "
          f"{a.pareto} Pareto-optimal, max welfare {a.max_welfare.total:g} at {' '.join(a.max_welfare.deal.values())}")
    print(f"  full analysis: {t_wall * 1000:.2f} ms wall, {t_fast * 1000:.2f} ms CPU   "
          f"plain-Python reference: {t_slow * 1000:.1f} ms CPU   -> x{t_slow / t_fast:,.0f}")


if __name__ == "__main__":
    main()
