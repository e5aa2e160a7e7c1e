"""Multi-party deal-making under the LLM-Deliberation protocol: the base game and its incentive variants.

Every seat is an AI persona (built-in realizer, no knowledge base); each run is a complete headless exercise
(runner, event log, final vote on the lead seat's last package). Per variant it prints, with 95% Wilson
intervals: the final-round deal rate (the final vote passes), the any-round rate (some tabled package
was passable by the scores), the same final rate under the benchmark evaluator's strict rule (a party
counts only when strictly above its minimum), verified threshold violations (yes votes below a voter's
minimum, recomputed from the scores), and mean welfare against the best passable total with no deal
counted as 0. The baseline is measured in the same run: the previous decision rule (``--baseline``
strategy: the persona strategy without the table tactics), and GPT-4's published figures are printed
beside it (Abdelnabi et al., NeurIPS 2024 D&B).

Run: `.venv/bin/python bench/bench_deliberation.py [--seeds 50] [--workers 2] [--variants base,greedy]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

GPT4 = {"base": "81% final / 100% any round", "greedy": "about 52-57%", "greedy-p1": "27%",
        "saboteur": "about 59-64%"}


MODES = {"tactics": "table tactics", "baseline": "baseline (previous rule)", "chair": "table tactics + chair"}
"""How the seats play: the table tactics, the previous rule (the baseline), the tactics with the chair seat on."""


def play(job: tuple[str, int, str]) -> dict:
    """One headless exercise on the base game; the figures the table needs."""
    variant, seed, mode = job
    table_tactics = mode != "baseline"
    import functools

    from dialogue_engine.agents.agent import PersonaAgent
    from dialogue_engine.report.deal_rates import run_figures
    from dialogue_engine.report.headless import run_exercise

    scenario = _scenario(variant)
    if mode == "chair":
        scenario = scenario.model_copy(update={"chair": True})
    factory = functools.partial(PersonaAgent, table_tactics=table_tactics)
    start = time.perf_counter()
    res = run_exercise(scenario, seed, None, knowledge=False, agent_factory=factory)
    out = run_figures(res.state, res.result)
    out.update(variant=variant, seed=seed, mode=mode, seconds=time.perf_counter() - start)
    return out


VARIANTS = {
    "base": {},
    "greedy": {"dot": ("greedy", None)},
    "greedy-p1": {"sportco": ("greedy", None)},
    "saboteur": {"enviroment": ("saboteur", None)},
    "targeted": {"enviroment": ("targeted", "sportco")},
}
"""Seats whose incentive a variant changes (the rest stay cooperative): one greedy seat is the second veto
holder (the Department of Tourism), the greedy lead is SportCo (p1), and the adversary is the Environmental
League, the seat the LLM-Deliberation game gives its adversarial briefs."""


GENERATED_FROM = 1000
"""Generated games are drawn from seeds 1000 on; the table tactics were never tuned on any of them."""


def _scenario(variant: str):
    from dialogue_engine.domain import Scenario, load_scenario

    if variant.startswith("gen-"):
        from dialogue_engine.negotiation.generator import game_scenario, generate_game

        return game_scenario(generate_game(seed=int(variant[4:])))

    base = load_scenario(ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml")
    data = base.model_dump(mode="json")
    for party in data["parties"]:
        if party["id"] in VARIANTS[variant]:
            party["incentive"], party["target"] = VARIANTS[variant][party["id"]]
    return Scenario.model_validate(data)


def main() -> int:
    from dialogue_engine.report.deal_rates import summarize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--variants", default="base")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--chair", action="store_true", help="also play every game with the chair seat on")
    ap.add_argument("--games", type=int, default=0,
                    help="also play this many generated games of the base game's difficulty (all cooperative)")
    ap.add_argument("--game-seeds", type=int, default=10, help="seeds per generated game")
    ap.add_argument("--modes", default=None, help=f"comma list of {', '.join(MODES)} (overrides the two flags above)")
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    modes = ["tactics"] + ([] if args.no_baseline else ["baseline"]) + (["chair"] if args.chair else [])
    if args.modes:
        modes = [m for m in args.modes.split(",") if m]
        if unknown := [m for m in modes if m not in MODES]:
            ap.error(f"unknown mode(s): {', '.join(unknown)}")
    jobs = [(v, s, m) for v in variants for m in modes for s in range(args.seeds)]
    games = [f"gen-{GENERATED_FROM + k}" for k in range(args.games)]
    jobs += [(g, s, m) for g in games for m in modes for s in range(args.game_seeds)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(play, jobs))
    wall = time.perf_counter() - start
    for v in variants:
        for m in modes:
            mine = [r for r in rows if r["variant"] == v and r["mode"] == m]
            s = summarize(mine)
            label = MODES[m]
            print(f"{v:10} {label:26} final {s['final']} | any round {s['any_round']} | strict {s['strict']} "
                  f"| violations {s['violations']} | welfare {s['welfare']:.3f} | {s['seconds']:.2f} s/run")
        print(f"{'':10} {'GPT-4 (published)':26} {GPT4.get(v, 'n/a')}")
    if games:
        print(f"generated games {games[0]}..{games[-1]} ({len(games)} games x {args.game_seeds} seeds, held out)")
        for m in modes:
            mine = [r for r in rows if r["variant"].startswith("gen-") and r["mode"] == m]
            s = summarize(mine)
            label = MODES[m]
            print(f"{'generated':10} {label:26} final {s['final']} | any round {s['any_round']} | strict {s['strict']} "
                  f"| violations {s['violations']} | welfare {s['welfare']:.3f} | {s['seconds']:.2f} s/run")
    print(f"{len(rows)} exercises in {wall:.0f} s wall ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
