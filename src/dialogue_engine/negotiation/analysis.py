"""Deal-space facts of a scenario: passable and unanimous deals, Pareto frontier, Nash, welfare, KS.

Definitions (``u_i`` a party's utility for a deal, ``r_i`` its threshold, gains ``g_i = u_i - r_i``):

- *passable*: the scenario's agreement rule accepts the deal (thresholds compare at or above).
- *Pareto-optimal*: a passable deal no other passable deal dominates (``>=`` for every party, ``>`` for
  one). Acceptance is monotone in utility, so a deal dominating a passable deal is passable too: the
  frontier among passable deals is the passable part of the whole space's frontier.
- *Nash point*: the passable deal with the largest key (unanimous?, number of parties with ``g_i > 0``,
  sum of ``log g_i`` over those parties, total utility), lowest deal index on a full tie. Whenever some
  passable deal gives every party a positive gain this is the classic maximum of the product of gains
  over all parties, taken among unanimous deals. Under a quorum or majority rule a passable deal can
  leave a party below its threshold; the key then prefers deals that satisfy every party, then deals
  where more parties gain, then the larger product of the positive gains. Each part of the key is
  monotone in every utility and the total is strictly larger for a dominating deal, so the Nash point
  is always passable and Pareto-optimal.
- *Max welfare*: the passable deal with the largest sum of utilities (lowest index on a tie).
- *Kalai-Smorodinsky*: the passable deal maximizing ``min_i (u_i - r_i) / (M_i - r_i)``, ``M_i`` the
  party's best utility among passable deals; parties with ``M_i <= r_i`` (no passable deal gives them a
  gain) are left out of the minimum; ties go to the larger total. Also passable and Pareto-optimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np

from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.negotiation.pareto import pareto_indexes
from dialogue_engine.negotiation.space import Deal, DealSpace

PARETO_LIST_CAP = 1000
_DECIMALS = 9


@dataclass(frozen=True)
class Point:
    """One notable deal: its row, the deal and each party's utility."""

    index: int
    deal: Deal
    utilities: dict[str, float]

    @property
    def total(self) -> float:
        return float(sum(self.utilities.values()))

    def to_json(self, with_total: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"deal": dict(self.deal), "utilities": {k: _num(v) for k, v in self.utilities.items()}}
        if with_total:
            out["total"] = _num(self.total)
        return out


def _num(x: float) -> float | int:
    """Whole numbers as ints in JSON, others rounded to 6 decimals."""
    return int(round(x)) if abs(x - round(x)) < 1e-9 else round(float(x), 6)


Key = Callable[[np.ndarray], np.ndarray]


def _best(n: int, keys: list[Key]) -> int:
    """Row (of ``n``) with the lexicographically largest key, lowest row on ties.

    Each key maps an array of candidate rows to their values; it is evaluated only on the rows still
    tied after the more significant keys.
    """
    cand = np.arange(n)
    for key in keys:
        values = key(cand)
        cand = cand[values == values.max()]
        if cand.size == 1:
            break
    return int(cand[0])


def nash_keys(gains: np.ndarray, unanimous: np.ndarray, totals: np.ndarray) -> list[Key]:
    """The Nash ordering keys (most significant first) over rows of ``gains`` (see the module docstring)."""

    def logs(rows: np.ndarray) -> np.ndarray:
        g = gains[rows]
        positive = g > 0
        return np.where(positive, np.log(np.where(positive, g, 1.0)), 0.0).sum(axis=1)

    return [lambda rows: unanimous[rows], lambda rows: (gains[rows] > 0).sum(axis=1), logs,
            lambda rows: totals[rows]]


@dataclass(frozen=True, eq=False)
class Analysis:
    """Facts of one deal space; build it with :func:`analyze`.

    Attributes:
        space: the deal space analysed.
        passable_idx: rows of passable deals (ascending).
        pareto_idx: rows of Pareto-optimal passable deals (ascending).
        nash_idx, welfare_idx, ks_idx: rows of the Nash point, the max-welfare deal and the
            Kalai-Smorodinsky point (None when no deal is passable).
    """

    space: DealSpace
    passable_idx: np.ndarray
    pareto_idx: np.ndarray
    nash_idx: int | None
    welfare_idx: int | None
    ks_idx: int | None

    @property
    def deals(self) -> int:
        return self.space.size

    @property
    def passable(self) -> int:
        return int(self.passable_idx.size)

    @cached_property
    def unanimous(self) -> int:
        return int(self.space.unanimous.sum())

    @property
    def pareto(self) -> int:
        return int(self.pareto_idx.size)

    def point(self, index: int | None) -> Point | None:
        """The :class:`Point` at a row (None passes through)."""
        if index is None:
            return None
        return Point(int(index), self.space.deal_at(index), dict(zip(self.space.party_ids,
                                                                     map(float, self.space.utilities[index]))))

    @property
    def nash(self) -> Point | None:
        return self.point(self.nash_idx)

    @property
    def max_welfare(self) -> Point | None:
        return self.point(self.welfare_idx)

    @property
    def kalai_smorodinsky(self) -> Point | None:
        return self.point(self.ks_idx)

    @cached_property
    def pareto_utilities(self) -> np.ndarray:
        """Utilities (n_pareto, n_parties) of the frontier deals."""
        return self.space.utilities[self.pareto_idx]

    def is_pareto(self, index: int) -> bool:
        """Whether a row is a Pareto-optimal passable deal."""
        pos = np.searchsorted(self.pareto_idx, index)
        return bool(pos < self.pareto_idx.size and self.pareto_idx[pos] == index)

    def to_json(self, pareto_cap: int = PARETO_LIST_CAP) -> dict[str, Any]:
        """The ``scenario analyze --json`` object (DESIGN.md); ``pareto_deals`` lists at most ``pareto_cap``."""
        nash, welfare, ks = self.nash, self.max_welfare, self.kalai_smorodinsky
        shown = self.pareto_idx[:pareto_cap]
        return {
            "scenario": self.space.scenario.id,
            "parties": self.space.party_ids,
            "thresholds": {p: _num(t) for p, t in zip(self.space.party_ids, self.space.thresholds)},
            "rule": self.space.scenario.rule.describe(len(self.space.party_ids), self.space.scenario.veto_parties),
            "deals": self.deals,
            "passable": self.passable,
            "unanimous": self.unanimous,
            "pareto": self.pareto,
            "pareto_deals": [self.point(int(i)).to_json() for i in shown],
            "pareto_deals_truncated": bool(self.pareto_idx.size > pareto_cap),
            "nash": nash.to_json() if nash else None,
            "max_welfare": welfare.to_json(with_total=True) if welfare else None,
            "kalai_smorodinsky": ks.to_json() if ks else None,
        }


def analyze(scenario_or_space: Scenario | DealSpace) -> Analysis:
    """Analyse a scenario's deal space (vectorized; no Python loop per deal).

    Args:
        scenario_or_space: a scenario, or a :class:`DealSpace` already built from one.

    Returns:
        The :class:`Analysis` (see the module docstring for the definitions).
    """
    space = scenario_or_space if isinstance(scenario_or_space, DealSpace) else DealSpace.from_scenario(scenario_or_space)
    passable_idx = np.flatnonzero(space.passes)
    if passable_idx.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Analysis(space, passable_idx, empty, None, None, None)
    u = np.round(space.utilities[passable_idx], _DECIMALS)
    pareto_idx = passable_idx[pareto_indexes(u)]
    totals = u.sum(axis=1)
    gains = u - space.thresholds[None, :]
    n = passable_idx.size
    nash = _best(n, nash_keys(gains, space.unanimous[passable_idx], totals))
    welfare = _best(n, [lambda rows: totals[rows]])
    ideal = u.max(axis=0)
    span = ideal - space.thresholds
    counted = span > 1e-12
    if counted.any():
        norm_min = (gains[:, counted] / span[counted][None, :]).min(axis=1)
        ks = _best(n, [lambda rows: norm_min[rows], lambda rows: totals[rows]])
    else:
        ks = welfare
    return Analysis(space, passable_idx, pareto_idx, int(passable_idx[nash]), int(passable_idx[welfare]),
                    int(passable_idx[ks]))
