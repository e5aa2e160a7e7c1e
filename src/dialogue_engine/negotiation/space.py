"""The deal space of a scenario as arrays: every deal, every party's utility, who accepts, what passes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from dialogue_engine.domain.checks import MAX_DEAL_CELLS
from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.scenario import RuleKind, Scenario
from dialogue_engine.errors import QDError

MAX_DEALS = 20_000_000


class DealSpaceTooLarge(QDError):
    """The scenario has more deals than can be enumerated in memory."""


@dataclass(frozen=True, eq=False)
class DealSpace:
    """All deals of a scenario, vectorized.

    Attributes:
        scenario: the scenario (its current state, after any injects).
        deals: int array (n_deals, n_issues): the option index chosen on each issue.
        utilities: float array (n_deals, n_parties): each party's total score for each deal.
        thresholds: float array (n_parties,).
    """

    scenario: Scenario
    deals: np.ndarray = field(repr=False)
    utilities: np.ndarray = field(repr=False)
    thresholds: np.ndarray

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> "DealSpace":
        """Enumerate the whole space (no Python loop per deal).

        Raises:
            DealSpaceTooLarge: above ``MAX_DEALS`` deals, or deals x parties above ``MAX_DEAL_CELLS``
                (checked before anything is allocated).
        """
        sizes = [len(i.options) for i in scenario.issues]
        n_deals = math.prod(sizes)
        if n_deals > MAX_DEALS:
            raise DealSpaceTooLarge(f"scenario {scenario.id}: {n_deals:,} possible deals is more than the "
                                    f"{MAX_DEALS:,} that can be analysed; use fewer issues or options")
        if n_deals * len(scenario.parties) > MAX_DEAL_CELLS:
            raise DealSpaceTooLarge(f"scenario {scenario.id}: {n_deals * len(scenario.parties):,} deals x parties "
                                    f"is over the analysis budget of {MAX_DEAL_CELLS:,}; use fewer options, "
                                    "issues or parties")
        grids = np.indices(sizes, dtype=np.int32).reshape(len(sizes), -1).T
        n_parties = len(scenario.parties)
        utilities = np.zeros((1, n_parties), dtype=np.float64)
        for issue in scenario.issues:
            table = np.array([[p.scores[issue.id][o.id] for p in scenario.parties] for o in issue.options],
                             dtype=np.float64)
            utilities = (utilities[:, None, :] + table[None, :, :]).reshape(-1, n_parties)
        thresholds = np.array([p.threshold for p in scenario.parties], dtype=np.float64)
        return cls(scenario, grids, utilities, thresholds)

    @property
    def size(self) -> int:
        return int(self.deals.shape[0])

    @property
    def party_ids(self) -> list[str]:
        return self.scenario.party_ids

    @cached_property
    def accepts(self) -> np.ndarray:
        """Bool (n_deals, n_parties): utility at or above threshold."""
        return self.utilities >= self.thresholds[None, :] - 1e-9

    @cached_property
    def passes(self) -> np.ndarray:
        """Bool (n_deals,): the agreement rule accepts the deal."""
        return passes_rule(self.scenario, self.accepts)

    @cached_property
    def unanimous(self) -> np.ndarray:
        return self.accepts.all(axis=1)

    @cached_property
    def analysis(self):
        """``analyze(self)``, computed once per space (frontier, Nash, welfare, KS)."""
        from dialogue_engine.negotiation.analysis import analyze

        return analyze(self)

    def party_index(self, party_id: str) -> int:
        return self.party_ids.index(party_id)

    def index_of(self, deal: Deal) -> int:
        """Row of a complete deal ``{issue_id: option_id}``.

        Raises:
            KeyError: when an issue is missing or an option unknown.
        """
        idx = 0
        for issue in self.scenario.issues:
            opts = [o.id for o in issue.options]
            if issue.id not in deal:
                raise KeyError(f"deal has no option for issue {issue.id}")
            if deal[issue.id] not in opts:
                raise KeyError(f"no option {deal[issue.id]!r} on issue {issue.id}")
            idx = idx * len(opts) + opts.index(deal[issue.id])
        return idx

    def deal_at(self, index: int) -> Deal:
        """The deal ``{issue_id: option_id}`` at a row."""
        row = self.deals[int(index)]
        return Deal({issue.id: issue.options[int(k)].id for issue, k in zip(self.scenario.issues, row)})

    def utility(self, party_id: str, deal: Deal) -> float:
        """One party's total for a complete deal."""
        return float(self.utilities[self.index_of(deal), self.party_index(party_id)])

    def utilities_of(self, deal: Deal) -> dict[str, float]:
        row = self.utilities[self.index_of(deal)]
        return {pid: float(u) for pid, u in zip(self.party_ids, row)}


def passes_rule(scenario: Scenario, accepts: np.ndarray) -> np.ndarray:
    """Which rows of an acceptance matrix (n_deals, n_parties) the scenario's rule lets pass."""
    rule = scenario.rule
    n = accepts.shape[1]
    count = accepts.sum(axis=1)
    must = set(rule.required) | set(scenario.veto_parties)
    must_idx = [scenario.party_ids.index(p) for p in must]
    must_ok = accepts[:, must_idx].all(axis=1) if must_idx else np.ones(accepts.shape[0], dtype=bool)
    if rule.kind == RuleKind.UNANIMITY:
        return accepts.all(axis=1)
    if rule.kind == RuleKind.QUORUM:
        return (count >= rule.min_parties) & must_ok
    return (count * 2 > n) & must_ok


def pass_probability(scenario: Scenario, voters: list[str], p: np.ndarray, *, sure_yes: tuple[str, ...] = (),
                     spare: int = 0) -> np.ndarray:
    """Chance that the rule passes each row, given each voter's chance of a yes (independent voters).

    Args:
        voters: the parties of the columns of ``p`` (len(rows), len(voters)).
        sure_yes: parties taken to vote yes (e.g. the seat doing the estimating); not among ``voters``.
        spare: yes votes needed beyond the rule's count, so the row still passes if that many voters the
            rule does not require vote no (a package with a vote to spare survives one defector).
    """
    rule = scenario.rule
    if rule.kind == RuleKind.UNANIMITY:
        return p.prod(axis=1)
    must = set(rule.required) | set(scenario.veto_parties)
    p_must = np.ones(p.shape[0])
    free = []
    for j, o in enumerate(voters):
        if o in must:
            p_must = p_must * p[:, j]
        else:
            free.append(j)
    have = len(sure_yes) + sum(1 for o in voters if o in must)
    n = len(scenario.parties)
    need = rule.min_parties if rule.kind == RuleKind.QUORUM else n // 2 + 1
    dist = np.zeros((p.shape[0], len(free) + 1))
    dist[:, 0] = 1.0
    for k, j in enumerate(free, start=1):
        q = p[:, j][:, None]
        dist[:, 1:k + 1] = dist[:, 1:k + 1] * (1 - q) + dist[:, 0:k] * q
        dist[:, 0] = dist[:, 0] * (1 - q[:, 0])
    extra = max(0, need + spare - have)
    return p_must * dist[:, extra:].sum(axis=1)
