"""Full-exercise self-play tournament: every shipped scenario and the imported LLM-Deliberation base game.

Each run is a complete headless exercise (runner, event log, injects, votes under the scenario's rule) with
PersonaAgent in every seat and the built-in realizer. The persona strategy is compared with baselines
measured in the same run: every seat playing the random, hardliner or conceder strategy of
`negotiation/strategy.py`. Reported per scenario and overall: agreement rate, mean Nash ratio (no deal
counts 0, for welfare too; scenarios whose Nash point gives some party no gain have no Nash ratio and are left out of that
mean) and threshold violations (AI votes for a deal below the voter's threshold; must be 0). Agreement rates
carry a 95% Wilson interval. ``--baseline-seeds`` plays the three baselines on fewer seeds than the persona.

Run: `.venv/bin/python bench/bench_tournament.py [--seeds N] [--baseline-seeds M] [--workers W] [--rounds R]`.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

KINDS = ["persona", "random", "hardliner", "conceder"]


def scenario_paths() -> list[Path]:
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    extra = ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"
    return paths + ([extra] if extra.exists() else [])


def play(job: tuple[str, str, int, int | None]) -> dict:
    """One headless exercise; returns the figures the table needs."""
    path, kind, seed, rounds = job
    from dialogue_engine.agents.agent import PersonaAgent
    from dialogue_engine.report.headless import run_exercise
    from dialogue_engine.negotiation.strategy import StrategyKind

    factory = functools.partial(PersonaAgent, strategy_kind=StrategyKind(kind))
    start = time.perf_counter()
    res = run_exercise(path, seed, None, knowledge=False, agent_factory=factory, rounds=rounds).result
    return {"scenario": res.scenario_id, "kind": kind, "seed": seed, "agreement": res.agreement,
            "nash": res.metrics.get("nash_ratio"),
            "welfare": res.metrics.get("welfare_ratio") if res.agreement else 0.0,
            "rounds": res.process.rounds_to_agreement, "violations": res.process.threshold_violations,
            "seconds": time.perf_counter() - start}


def _mean(vals: list[float]) -> float | None:
    return statistics.fmean(vals) if vals else None


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.2f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--baseline-seeds", type=int, default=None, help="seeds for the baselines (default: --seeds)")
    ap.add_argument("--rounds", type=int, default=None, help="override every scenario's rounds")
    args = ap.parse_args()
    from dialogue_engine.report.deal_rates import wilson

    paths = scenario_paths()
    seeds = {k: args.seeds if k == "persona" or args.baseline_seeds is None else args.baseline_seeds for k in KINDS}
    jobs = [(str(p), k, s, args.rounds) for p in paths for k in KINDS for s in range(seeds[k])]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(play, jobs))
    wall = time.perf_counter() - start
    print(f"{'scenario':30} " + " ".join(f"{k:>20}" for k in KINDS))
    print(f"{'':30} " + " ".join(f"{'deals  nash  welf':>20}" for _ in KINDS))
    for scen in dict.fromkeys(r["scenario"] for r in rows):
        cells = []
        for k in KINDS:
            mine = [r for r in rows if r["scenario"] == scen and r["kind"] == k]
            deals = sum(r["agreement"] for r in mine)
            nash = [r["nash"] or 0.0 for r in mine if r["nash"] is not None or not r["agreement"]]
            has_nash = any(r["nash"] is not None for r in mine)
            welf = _mean([r["welfare"] or 0.0 for r in mine])
            cells.append(f"{deals:>2}/{len(mine):<2} {_fmt(_mean(nash) if has_nash else None)} {_fmt(welf)}")
        print(f"{scen:30} " + " ".join(f"{c:>20}" for c in cells))
    print()
    base = {}
    for k in KINDS:
        mine = [r for r in rows if r["kind"] == k]
        scen_with_nash = {r["scenario"] for r in rows if r["nash"] is not None}
        nash = [r["nash"] or 0.0 for r in mine if r["scenario"] in scen_with_nash]
        base[k] = (sum(r["agreement"] for r in mine) / len(mine), _mean(nash), _mean([r["welfare"] or 0.0 for r in mine]))
        lo, hi = wilson(sum(r["agreement"] for r in mine), len(mine))
        print(f"{k:>10}: agreement rate {base[k][0]:.0%} ({sum(r['agreement'] for r in mine)}/{len(mine)}, "
              f"95% CI {lo:.0%}-{hi:.0%}), "
              f"mean Nash ratio {_fmt(base[k][1]).strip()}, mean welfare ratio {_fmt(base[k][2]).strip()}, "
              f"mean rounds to agreement {_fmt(_mean([r['rounds'] for r in mine if r['agreement']])).strip()}")
    p = base["persona"]
    for k in KINDS[1:]:
        b = base[k]
        ratio = f"{p[0] / b[0]:.2f}x" if b[0] else "inf"
        print(f"persona vs {k}: agreement {ratio}, Nash ratio "
              f"{(p[1] or 0) - (b[1] or 0):+.2f}")
    base_game = [r for r in rows if r["scenario"] == "harbour-sport-park" and r["kind"] == "persona"]
    if base_game:
        rate = sum(r["agreement"] for r in base_game) / len(base_game)
        lo, hi = wilson(sum(r["agreement"] for r in base_game), len(base_game))
        print(f"LLM-Deliberation base game (harbour-sport-park): persona agreement {rate:.0%} (95% CI {lo:.0%}-{hi:.0%}) "
              f"(published GPT-4 cooperative runs: about 2/3 of sessions)")
    print(f"threshold violations: {sum(r['violations'] for r in rows)}")
    print(f"{len(rows)} exercises in {wall:.0f} s wall ({args.workers} workers), "
          f"{statistics.fmean(r['seconds'] for r in rows):.2f} s per exercise")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
