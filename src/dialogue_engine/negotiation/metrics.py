"""How good one outcome (a deal, or no deal) is, measured against the deal space.

For a deal with utilities ``u`` and thresholds ``r`` (no deal counts as everyone getting ``r``, the BATNA):

- ``passes``: the agreement rule accepts it; ``individually_rational[p]``: ``u_p >= r_p``.
- ``pareto_optimal``: passable and no passable deal dominates it.
- ``distance_to_frontier``: smallest Euclidean distance from ``u`` to a frontier deal, each party's axis
  divided by its utility range over the whole space, the result divided by sqrt(parties): 0 on the
  frontier, at most 1.
- ``nash_ratio``: ``prod max(u_p - r_p, 0)`` over the same product at the Nash point; 0 when some party
  gains nothing; None when the Nash point's own product is 0 (no passable deal gives every party a gain).
- ``welfare_ratio``: total utility over the max-welfare total (None when that total is not positive).
- ``advantage[p]``: ``(u_p - r_p) / (M_p - r_p)``, ``M_p`` the party's best total over the whole space
  (None when ``M_p <= r_p``).
- ``surplus_shares[p]``: ``max(u_p - r_p, 0)`` over the sum of those surpluses (all 0 when there is none);
  ``gini``: Gini coefficient of the surpluses (0 = equal split, toward 1 = one party takes all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dialogue_engine.negotiation.analysis import Analysis
from dialogue_engine.negotiation.space import Deal, DealSpace


@dataclass(frozen=True)
class OutcomeMetrics:
    """Scores of one outcome; see the module docstring for each definition."""

    deal: Deal | None
    utilities: dict[str, float]
    passes: bool
    individually_rational: dict[str, bool]
    pareto_optimal: bool
    distance_to_frontier: float | None
    nash_ratio: float | None
    welfare: float
    welfare_ratio: float | None
    advantage: dict[str, float | None]
    surplus_shares: dict[str, float]
    gini: float

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready dict (floats rounded to 6 decimals)."""

        def r(x: float | None) -> float | None:
            return None if x is None else round(float(x), 6)

        return {
            "deal": dict(self.deal) if self.deal is not None else None,
            "utilities": {k: r(v) for k, v in self.utilities.items()},
            "passes": self.passes,
            "individually_rational": dict(self.individually_rational),
            "pareto_optimal": self.pareto_optimal,
            "distance_to_frontier": r(self.distance_to_frontier),
            "nash_ratio": r(self.nash_ratio),
            "welfare": r(self.welfare),
            "welfare_ratio": r(self.welfare_ratio),
            "advantage": {k: r(v) for k, v in self.advantage.items()},
            "surplus_shares": {k: r(v) for k, v in self.surplus_shares.items()},
            "gini": r(self.gini),
        }


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 when all are equal or all are zero)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n, total = x.size, float(x.sum())
    if n == 0 or total <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * x).sum()) / (n * total) - (n + 1) / n)


def nash_product(utilities: np.ndarray, thresholds: np.ndarray) -> float:
    """Product over parties of ``max(u - r, 0)``."""
    return float(np.prod(np.maximum(np.asarray(utilities) - thresholds, 0.0)))


def outcome_metrics(space: DealSpace, deal: Deal | None, analysis: Analysis | None = None) -> OutcomeMetrics:
    """Measure an outcome against the deal space.

    Args:
        space: the deal space (the scenario as it stood when the outcome was reached).
        deal: a complete deal ``{issue_id: option_id}``, or None for no agreement.
        analysis: ``analyze(space)`` when already computed (default: ``space.analysis``, computed once).

    Raises:
        KeyError: when the deal misses an issue or names an unknown option.
    """
    analysis = analysis or space.analysis
    ids = space.party_ids
    r = space.thresholds
    if deal is None:
        u = r.copy()
        passes = False
    else:
        row = space.index_of(deal)
        u = space.utilities[row].copy()
        passes = bool(space.passes[row])
    rational = u >= r - 1e-9
    frontier = analysis.pareto_utilities
    pareto = False
    distance = None
    if frontier.shape[0]:
        lo, hi = space.utilities.min(axis=0), space.utilities.max(axis=0)
        span = np.where(hi - lo > 1e-12, hi - lo, 1.0)
        d = np.sqrt((((frontier - u[None, :]) / span[None, :]) ** 2).sum(axis=1)).min()
        distance = float(d / math.sqrt(len(ids)))
        if passes:
            pareto = analysis.is_pareto(row)
            distance = 0.0 if pareto else distance
    nash_ratio = None
    if analysis.nash_idx is not None:
        best = nash_product(space.utilities[analysis.nash_idx], r)
        if best > 0:
            nash_ratio = nash_product(u, r) / best
    welfare = float(u.sum())
    welfare_ratio = None
    if analysis.welfare_idx is not None:
        top = float(space.utilities[analysis.welfare_idx].sum())
        welfare_ratio = welfare / top if top > 0 else None
    best_each = space.utilities.max(axis=0)
    advantage = {
        p: (float((u[j] - r[j]) / (best_each[j] - r[j])) if best_each[j] - r[j] > 1e-12 else None)
        for j, p in enumerate(ids)
    }
    surplus = np.maximum(u - r, 0.0)
    total_surplus = float(surplus.sum())
    shares = {p: (float(surplus[j] / total_surplus) if total_surplus > 0 else 0.0) for j, p in enumerate(ids)}
    return OutcomeMetrics(
        deal=dict(deal) if deal is not None else None,
        utilities={p: float(x) for p, x in zip(ids, u)},
        passes=passes,
        individually_rational={p: bool(x) for p, x in zip(ids, rational)},
        pareto_optimal=pareto,
        distance_to_frontier=distance,
        nash_ratio=nash_ratio,
        welfare=welfare,
        welfare_ratio=welfare_ratio,
        advantage=advantage,
        surplus_shares=shares,
        gini=gini(surplus),
    )
