"""Self-play with strategies only on every shipped scenario: agreement rate and Nash ratio vs baselines.

The persona strategy plays each seat with its persona's style and relationships; the baselines (random,
hardliner, conceder) play every seat alike. Run: `.venv/bin/python bench/bench_selfplay.py [--seeds N]`.

Columns: agree (share of runs with a passed deal), nash (mean Nash ratio; no deal, or a deal leaving some
party without gain, counts 0; "n/a" where no passable deal gives every party a gain, so the ratio is
undefined), gain (mean share of parties strictly above their threshold, no deal counting 0).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from dialogue_engine.agents.agent import stances_for  # noqa: E402
from dialogue_engine.domain import persona_for  # noqa: E402
from dialogue_engine.domain import load_scenario  # noqa: E402
from dialogue_engine.negotiation.analysis import analyze  # noqa: E402
from dialogue_engine.negotiation.metrics import outcome_metrics  # noqa: E402
from dialogue_engine.negotiation.space import DealSpace  # noqa: E402
from dialogue_engine.negotiation.strategy import StrategyKind, self_play  # noqa: E402


def scenario_paths() -> list[Path]:
    paths = sorted((ROOT / "scenarios").glob("*.yaml"))
    extra = ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"
    return paths + ([extra] if extra.exists() else [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args()
    kinds = list(StrategyKind)
    totals = {k: {"runs": 0, "deals": 0, "nash": 0.0, "nash_runs": 0, "gain": 0.0} for k in kinds}
    below = 0
    start = time.perf_counter()
    print(f"{'scenario':34} " + " ".join(f"{k.value:>20}" for k in kinds))
    print(f"{'':34} " + " ".join(f"{'agree  nash  gain':>20}" for _ in kinds))
    for path in scenario_paths():
        scenario = load_scenario(path)
        space = DealSpace.from_scenario(scenario)
        analysis = analyze(scenario)
        styles, rels = {}, {}
        for party in scenario.parties:
            try:
                persona = persona_for(party)
            except Exception:  # noqa: BLE001 - a seat without a persona file plays the default style
                continue
            styles[party.id] = persona.style
            rels[party.id] = stances_for(persona, scenario, party.id)
        cells = []
        defined = analysis.nash_idx is not None and outcome_metrics(space, space.deal_at(analysis.nash_idx),
                                                                    analysis).nash_ratio is not None
        for kind in kinds:
            agree, nash, gain = 0, 0.0, 0.0
            for seed in range(args.seeds):
                if kind == StrategyKind.PERSONA:
                    res = self_play(scenario, kind, styles=styles, relationships=rels, seed=seed)
                else:
                    res = self_play(scenario, kind, seed=seed)
                below += res.below_threshold
                if res.deal is not None:
                    m = outcome_metrics(space, res.deal, analysis)
                    agree += 1
                    nash += m.nash_ratio or 0.0
                    u = space.utilities[space.index_of(res.deal)]
                    gain += float((u > space.thresholds + 1e-9).mean())
            totals[kind]["runs"] += args.seeds
            totals[kind]["deals"] += agree
            totals[kind]["gain"] += gain
            if defined:
                totals[kind]["nash"] += nash
                totals[kind]["nash_runs"] += args.seeds
            shown = f"{nash / args.seeds:>5.2f}" if defined else "  n/a"
            cells.append(f"{agree / args.seeds:>4.0%} {shown} {gain / args.seeds:>5.2f}")
        print(f"{scenario.id[:34]:34} " + " ".join(f"{c:>20}" for c in cells))
    print(f"{'ALL':34} " + " ".join(
        f"{t['deals'] / t['runs']:>4.0%} {t['nash'] / max(t['nash_runs'], 1):>5.2f} {t['gain'] / t['runs']:>5.2f}"
        for t in totals.values()))
    print("(agree: share of runs ending in a passed deal; nash: mean Nash ratio over the scenarios where it is "
          "defined, no deal and deals leaving any party without gain count 0; gain: mean share of parties "
          "strictly above threshold, no deal 0)")
    print(f"deals below a threshold: {below}")
    print(f"time: {time.perf_counter() - start:.1f} s")
    assert below == 0, "a strategy accepted a deal below its threshold"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
