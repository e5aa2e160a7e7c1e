"""A chair seat: an optional neutral mediator that tables one single negotiating text per round.

The single negotiating text is the classic mediation device (Fisher's one-text procedure, used at Camp David):
one draft that every party criticises and the chair revises, instead of a package per party. The chair is
neutral and knows only what any observer knows: the scenario's issues and rule, and what each party says and
does in public (its proposals, which tabled packages it supports, and which it declines, with the issue it
names). It never sees a party's scores or minimum.

From that record it keeps, per party, an estimate of its preferences (:class:`.OpponentModel`) and a ledger
of what it said it can and cannot accept. The text of the round is the package that maximises

    chance to pass the rule  +  ``SPARE_WEIGHT`` x chance to pass with a vote to spare
                             +  ``FAIRNESS_WEIGHT`` x estimated fairness

where fairness is the estimated Nash product (``method="nash"``) or the least relative gain of any party
(``method="ks"``, Kalai-Smorodinsky), among packages the refusals still leave a way to pass. Revision comes from objections: a
package declined by a party the rule needs is never tabled again, the option a refusal names counts against that party's estimate,
and the text changes when the estimates do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.negotiation.opponent import OpponentModel, apply_ledger
from dialogue_engine.negotiation.space import DealSpace, pass_probability, passes_rule

CHAIR = "chair"
"""The chair's actor id (never a party id)."""

SPREAD = 0.08  # logistic spread of an estimated utility around the estimated reservation level
UNKNOWN_CAP = 0.8  # an unstated yes is never surer than this
SUPPORTED = 0.9  # a party that said it can accept a package votes yes at least this likely
REJECTED_FACTOR = 0.1  # a party that declined a package is this much less likely to accept it
SPARE_WEIGHT = 0.5
FAIRNESS_WEIGHT = 0.3


class ChairMethod(str, Enum):
    """How the chair weighs fairness among packages about as likely to pass."""

    NASH = "nash"
    KS = "ks"


@dataclass(frozen=True, kw_only=True, slots=True)
class ChairText:
    """The chair's text for a round and the estimates behind it (for traces and reports)."""

    deal: Deal
    pass_chance: float
    fairness: float
    revised: bool
    """Whether the text differs from the chair's previous one."""


class Chair:
    """A neutral chair that drafts one negotiating text per round from what the parties say in public."""

    def __init__(self, scenario: Scenario, *, method: ChairMethod | str = ChairMethod.NASH):
        self.method = ChairMethod(method)
        self.support: dict[int, set[str]] = {}
        self.rejected: dict[int, set[str]] = {}
        self.texts: list[Deal] = []
        self.opponent = OpponentModel(scenario, CHAIR)
        self._set_scenario(scenario)

    def _set_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.space = DealSpace.from_scenario(scenario)  # only the list of packages is used, never utilities
        self.parties = list(scenario.party_ids)

    def update_scenario(self, scenario: Scenario) -> None:
        """An inject changed the scenario: keep what was learned for packages that still exist."""
        old = {r: self.space.deal_at(r) for r in set(self.support) | set(self.rejected)}
        support, rejected = self.support, self.rejected
        self._set_scenario(scenario)
        self.opponent.update_scenario(scenario)
        self.support, self.rejected = {}, {}
        for ledger, new in ((support, self.support), (rejected, self.rejected)):
            for row, who in ledger.items():
                deal = old[row]
                if scenario.deal_problem(deal) is None:
                    new[self.space.index_of(deal)] = set(who)

    # ---- what the parties say ---------------------------------------------------------------------

    def _row(self, deal: Deal | dict | None) -> int | None:
        if not deal or self.scenario.deal_problem(Deal(deal)) is not None:
            return None
        return self.space.index_of(Deal(deal))

    def observe_proposal(self, party: str, deal: Deal | dict) -> None:
        """``party`` tabled a (possibly partial) package: it wants those options and can accept a complete one."""
        if party not in self.parties or self.scenario.deal_problem(Deal(deal), partial=True) is not None:
            return
        self.opponent.observe_proposal(party, Deal(deal))
        row = self._row(deal)
        if row is not None:
            self.support.setdefault(row, set()).add(party)

    def observe_vote(self, party: str, deal: Deal | dict, accepted: bool, *, blocking: str | None = None) -> None:
        """``party`` said it can (or cannot) accept a complete package; ``blocking``: the issue it said sinks it."""
        row = self._row(deal)
        if party not in self.parties or row is None:
            return
        if accepted:
            self.support.setdefault(row, set()).add(party)
            self.rejected.get(row, set()).discard(party)
            self.opponent.observe_accept(party, Deal(deal))
        else:
            self.rejected.setdefault(row, set()).add(party)
            self.support.get(row, set()).discard(party)
            self.opponent.observe_reject(party, Deal(deal))
            if blocking and blocking in deal:
                self.opponent.observe_blocking(party, Deal({blocking: deal[blocking]}))

    # ---- the text -----------------------------------------------------------------------------------

    def _estimates(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(len(rows), n_parties) estimated utilities and reservation levels broadcast to the same shape."""
        deals = self.space.deals[rows]
        est = np.stack([self.opponent.estimated_utilities(p, deals) for p in self.parties], axis=1)
        res = np.array([self.opponent.reservation(p) for p in self.parties])
        return est, np.broadcast_to(res, est.shape)

    def accept_probabilities(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_parties) estimated chance that each party votes yes on each row."""
        est, res = self._estimates(rows)
        p = UNKNOWN_CAP / (1.0 + np.exp(-(est - res) / SPREAD))
        return apply_ledger(rows, p, self.parties, self.support, self.rejected, supported=SUPPORTED,
                            rejected_factor=REJECTED_FACTOR)

    def fairness(self, rows: np.ndarray) -> np.ndarray:
        """Estimated fairness of each row in [0, 1]: Nash (geometric mean of gains) or KS (least relative gain)."""
        est, res = self._estimates(rows)
        gains = np.clip(est - res, 0.01, 1.0)
        if self.method == ChairMethod.KS:
            room = np.clip(1.0 - res, 0.01, 1.0)
            return (gains / room).min(axis=1)
        return np.exp(np.log(gains).mean(axis=1))

    def text(self) -> ChairText | None:
        """The single negotiating text for this round, or None when the refusals leave no package a way to pass."""
        could = np.ones((self.space.deals.shape[0], len(self.parties)), dtype=bool)
        for row, who in self.rejected.items():
            for party in who:
                could[row, self.parties.index(party)] = False
        rows = np.flatnonzero(passes_rule(self.scenario, could))  # the refusals leave it a way to pass
        if rows.size == 0:
            return None
        p = self.accept_probabilities(rows)
        chance = pass_probability(self.scenario, self.parties, p)
        spare = pass_probability(self.scenario, self.parties, p, spare=1)
        fair = self.fairness(rows)
        score = chance + SPARE_WEIGHT * spare + FAIRNESS_WEIGHT * fair
        best = int(np.argmax(score))
        deal = self.space.deal_at(int(rows[best]))
        revised = not self.texts or self.texts[-1] != deal
        self.texts.append(deal)
        return ChairText(deal=deal, pass_chance=float(chance[best]), fairness=float(fair[best]), revised=revised)
