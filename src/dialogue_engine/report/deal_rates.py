"""Deal rates of many runs, recomputed from the scores: the figures research-scale batches report.

Per run (:func:`run_figures`), from the event log and the scenario's scores, independently of what the
agents believed:

- ``final``: the final vote (or any vote) produced an agreement;
- ``strict``: the agreed deal also passes when a party counts only if strictly above its minimum (the
  LLM-Deliberation evaluator's rule); the usual rule counts a party at or above it;
- ``any_round``: some package tabled during the run was passable by the scores (at or above);
- ``violations``: yes votes by a seat on a package below its own minimum;
- ``welfare``: the agreed deal's total over the best passable total; no deal counts 0.

:func:`summarize` turns runs into rates with 95% Wilson score intervals.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import numpy as np

from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace, passes_rule

EPS = 1e-9
Z95 = 1.959963984540054


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a rate ``k / n`` (95% by default); (0, 1) when ``n`` is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (0.0 if k == 0 else max(0.0, mid - half)), (1.0 if k == n else min(1.0, mid + half))


def rate_text(k: int, n: int) -> str:
    """``"72% (36/50, 95% CI 58-83%)"``."""
    lo, hi = wilson(k, n)
    return f"{k / n:.0%} ({k}/{n}, 95% CI {lo:.0%}-{hi:.0%})" if n else "n/a (0 runs)"


def run_figures(state: ExerciseState, result: Any) -> dict[str, Any]:
    """The per-run figures (see the module docstring) of a finished exercise."""
    space = DealSpace.from_scenario(state.scenario)
    best_passable = float(space.utilities[space.passes].sum(axis=1).max()) if space.passes.any() else 0.0
    deal = result.deal if result.agreement else None
    strict = False
    welfare = 0.0
    if deal is not None:
        u = np.array([space.utility(p, deal) for p in space.party_ids])
        strict = bool(passes_rule(state.scenario, (u > space.thresholds + EPS)[None, :])[0])
        welfare = float(u.sum()) / best_passable if best_passable > 0 else 0.0
    any_round = False
    for prop in state.proposals.values():
        try:
            any_round = any_round or bool(space.passes[space.index_of(prop.deal)])
        except KeyError:
            continue
    violations = 0
    for prop in state.proposals.values():
        for party, yes in prop.votes.items():
            total = state.scenario.total(party, prop.deal)
            if yes and total is not None and total < state.scenario.party(party).threshold - EPS:
                violations += 1
    return {"final": deal is not None, "strict": strict, "any_round": any_round, "violations": violations,
            "welfare": welfare}


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates with intervals over runs from :func:`run_figures` (plus ``seconds`` when the rows carry it)."""
    n = len(rows)
    count = lambda key: sum(1 for r in rows if r[key])  # noqa: E731
    return {
        "runs": n,
        "final": rate_text(count("final"), n),
        "any_round": rate_text(count("any_round"), n),
        "strict": rate_text(count("strict"), n),
        "final_rate": count("final") / n if n else 0.0,
        "final_ci": wilson(count("final"), n),
        "any_round_rate": count("any_round") / n if n else 0.0,
        "strict_rate": count("strict") / n if n else 0.0,
        "violations": sum(r["violations"] for r in rows),
        "welfare": statistics.fmean(r["welfare"] for r in rows) if rows else 0.0,
        "seconds": statistics.fmean(r["seconds"] for r in rows) if rows and "seconds" in rows[0] else 0.0,
    }
