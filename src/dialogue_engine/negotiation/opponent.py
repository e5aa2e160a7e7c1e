"""Opponent model: what each other party seems to value, learned from what it proposes, accepts and says.

Frequency-based (in the spirit of the "HardHeaded" ANAC agent): options a party keeps proposing are
valued, issues on which it holds its option fixed between proposals matter more to it. Acceptances add
weak evidence for the options of the accepted deal; rejections take a little away from the rejected
deal's options. Statements ("we need A2") add evidence like a partial proposal at half strength.

Each party's reservation level (its threshold, on the estimated 0-1 scale) is bounded above by the least it
ever asked for or accepted: nobody proposes or accepts below its own threshold. The estimate sits a margin
under that bound, and starts at a neutral prior before any complete deal is seen.

Once a party has refused a whole package as below its minimum, both estimates are refitted to everything it
said about whole packages (:mod:`.ledger_fit`): proposed and supported packages above its reservation level,
refused ones below it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.negotiation.ledger_fit import fit_ledger


PROPOSAL_WEIGHT = 1.0
ACCEPT_WEIGHT = 0.6
STATEMENT_WEIGHT = 0.5
REJECT_WEIGHT = 0.3
RED_LINE_WEIGHT = 2.0
BLOCKING_WEIGHT = 4.0  # a named blocking option is strong evidence: the party said that is what sinks it
FIXED_ISSUE_BONUS = 0.25
RESERVATION_PRIOR = 0.35
RESERVATION_MARGIN = 0.15
USE_LEDGER_FIT = True  # refit to the ledger once a party has refused a package (off: the frequency model alone)


@dataclass
class PartyEstimate:
    """The running estimate for one other party.

    Attributes:
        counts: issue id -> option id -> signed evidence that the party likes the option.
        weights: issue id -> unnormalised importance (starts at 1).
        last_proposal: the last (possibly partial) deal it proposed.
        accept_level: estimated normalised utility at which it accepts (starts at 0.5).
        observations: how many pieces of evidence were seen.
        accepted: complete deals it accepted.
        proposed: complete deals it proposed.
    """

    counts: dict[str, dict[str, float]]
    weights: dict[str, float]
    last_proposal: Deal | None = None
    accept_level: float = 0.5
    observations: int = 0
    accepted: list[Deal] = field(default_factory=list)
    proposed: list[Deal] = field(default_factory=list)
    declined: list[Deal] = field(default_factory=list)
    fitted: tuple[int, np.ndarray, float] | None = None


def apply_ledger(rows: np.ndarray, p: np.ndarray, parties: list[str], support: dict[int, set[str]],
                 rejected: dict[int, set[str]], *, supported: float, rejected_factor: float) -> np.ndarray:
    """``p`` (len(rows), len(parties)) adjusted in place for what parties said about tabled rows.

    A stated refusal scales a party's chance by ``rejected_factor``; then stated support raises it to at
    least ``supported``. Used by a seat's strategy and by the chair, with their own ledgers.
    """
    col = {party: j for j, party in enumerate(parties)}
    for ledger, known in ((rejected, False), (support, True)):
        for row, who in ledger.items():
            pos = np.flatnonzero(rows == row)
            if not pos.size:
                continue
            for party in who:
                j = col.get(party)
                if j is not None:
                    p[pos, j] = np.maximum(supported, p[pos, j]) if known else rejected_factor * p[pos, j]
    return p


class OpponentModel:
    """Estimates of every other party's preferences over a scenario's deal space."""

    def __init__(self, scenario: Scenario, own_party: str):
        self.own_party = own_party
        self._scenario = scenario
        self.estimates: dict[str, PartyEstimate] = {}
        for pid in scenario.party_ids:
            if pid != own_party:
                self.estimates[pid] = self._fresh(scenario)

    @staticmethod
    def _fresh(scenario: Scenario) -> PartyEstimate:
        return PartyEstimate(
            counts={i.id: {o.id: 0.0 for o in i.options} for i in scenario.issues},
            weights={i.id: 1.0 for i in scenario.issues},
        )

    def update_scenario(self, scenario: Scenario) -> None:
        """Keep what was learned for options that still exist; new options start with no evidence."""
        self._scenario = scenario
        for pid in scenario.party_ids:
            if pid == self.own_party:
                continue
            old = self.estimates.get(pid) or self._fresh(scenario)
            fresh = self._fresh(scenario)
            for iid, row in fresh.counts.items():
                for oid in row:
                    row[oid] = old.counts.get(iid, {}).get(oid, 0.0)
                fresh.weights[iid] = old.weights.get(iid, 1.0)
            fresh.last_proposal = old.last_proposal
            fresh.accept_level = old.accept_level
            fresh.observations = old.observations
            fresh.accepted = [d for d in old.accepted if self._indexes(d) is not None]
            fresh.proposed = [d for d in old.proposed if self._indexes(d) is not None]
            fresh.declined = [d for d in old.declined if self._indexes(d) is not None]
            self.estimates[pid] = fresh

    def _add(self, party: str, deal: Deal, amount: float) -> PartyEstimate | None:
        est = self.estimates.get(party)
        if est is None:
            return None
        for iid, oid in deal.items():
            row = est.counts.get(iid)
            if row is not None and oid in row:
                row[oid] += amount
        est.observations += 1
        return est

    def observe_proposal(self, party: str, deal: Deal) -> None:
        """A (possibly partial) proposal by ``party``: its options are what it wants."""
        est = self._add(party, deal, PROPOSAL_WEIGHT)
        if est is None:
            return
        if self._indexes(deal) is not None:
            est.proposed.append(dict(deal))
        if est.last_proposal is not None:
            for iid, oid in deal.items():
                if est.last_proposal.get(iid) == oid:
                    est.weights[iid] = est.weights.get(iid, 1.0) + FIXED_ISSUE_BONUS
        est.last_proposal = dict(deal)

    def observe_accept(self, party: str, deal: Deal, *, estimated_utility: float | None = None) -> None:
        """``party`` accepted ``deal``: weak evidence for its options, and an upper bound on its accept level."""
        est = self._add(party, deal, ACCEPT_WEIGHT)
        if est is None:
            return
        if self._indexes(deal) is not None:
            est.accepted.append(dict(deal))
        if estimated_utility is not None:
            est.accept_level = min(est.accept_level, estimated_utility)

    def observe_reject(self, party: str, deal: Deal, *, estimated_utility: float | None = None) -> None:
        """``party`` rejected ``deal``: weak evidence against its options, and a lower bound on its accept level."""
        est = self._add(party, deal, -REJECT_WEIGHT)
        if est is not None and estimated_utility is not None:
            est.accept_level = min(0.95, max(est.accept_level, estimated_utility + 0.02))

    def observe_decline(self, party: str, deal: Deal) -> None:
        """``party`` said a complete package is below its minimum (an inequality for :func:`fit_ledger`)."""
        est = self.estimates.get(party)
        if est is not None and self._indexes(deal) is not None:
            est.declined.append(dict(deal))
            est.observations += 1

    def observe_blocking(self, party: str, options: Deal) -> None:
        """``party`` named these options as what sinks a package for it: evidence against them, and the issue
        matters to it (a milder red line: the option may pass in another package)."""
        self._against(party, options, BLOCKING_WEIGHT)

    def observe_red_line(self, party: str, options: Deal) -> None:
        """``party`` declared these options unacceptable: strong evidence against them, and their issues matter."""
        self._against(party, options, RED_LINE_WEIGHT)

    def _against(self, party: str, options: Deal, weight: float) -> None:
        """Evidence of ``weight`` against ``options``; their issues matter more to ``party``."""
        est = self._add(party, options, -weight)
        if est is None:
            return
        for iid in options:
            if iid in est.weights:
                est.weights[iid] += FIXED_ISSUE_BONUS

    def observe_statement(self, party: str, options: Deal, issues: list[str] = ()) -> None:
        """``party`` spoke for some options and about some issues."""
        est = self._add(party, options, STATEMENT_WEIGHT)
        if est is None:
            return
        for iid in issues:
            if iid in est.weights:
                est.weights[iid] += FIXED_ISSUE_BONUS / 2

    def issue_weights(self, party: str) -> dict[str, float]:
        """Normalised issue weights (sum 1) of ``party``."""
        w = self.estimates[party].weights
        total = sum(w.values()) or 1.0
        return {k: v / total for k, v in w.items()}

    def option_values(self, party: str, issue_id: str) -> dict[str, float]:
        """Estimated value in [0, 1] of each option of an issue to ``party`` (0.5 when nothing is known).

        Evidence is signed (rejections count against); values are the evidence rescaled between the least
        and the most favoured option, with unseen options in between.
        """
        row = self.estimates[party].counts[issue_id]
        if not row:
            return {}
        hi, lo = max(max(row.values()), 0.0), min(min(row.values()), 0.0)
        if hi - lo <= 1e-9:
            return {k: 0.5 for k in row}
        return {k: 0.05 + 0.95 * (v - lo) / (hi - lo) for k, v in row.items()}

    def estimated_utilities(self, party: str, deals: np.ndarray) -> np.ndarray:
        """Estimated normalised utility in [0, 1] of each row of ``deals`` (option indexes) to ``party``.

        With declined packages on record, the frequency estimate is refitted to everything the party said
        about whole packages (:func:`fit_ledger`)."""
        fit = self._fit(party)
        if fit is not None:
            return fit[1][deals + self._offsets()[None, :]].sum(axis=1)
        return self._frequency_utilities(party, deals)

    def _offsets(self) -> np.ndarray:
        sizes = [len(i.options) for i in self._scenario.issues]
        return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)

    def _fit(self, party: str) -> tuple[int, np.ndarray, float] | None:
        """(observations, option values, reservation) fitted to the ledger, or None without declines."""
        est = self.estimates[party]
        if not USE_LEDGER_FIT or not est.declined:
            return None
        if est.fitted is not None and est.fitted[0] == est.observations:
            return est.fitted
        values = self._value_vector(party)
        offsets = self._offsets()

        def onehot(deals: list[Deal]) -> np.ndarray:
            out = np.zeros((len(deals), values.size))
            for k, ix in enumerate(map(self._indexes, deals)):
                if ix is not None:
                    out[k, np.array(ix) + offsets] = 1.0
            return out

        fit = fit_ledger(values=values, reservation=self._frequency_reservation(party),
                         above=onehot(est.proposed + est.accepted), below=onehot(est.declined))
        est.fitted = (est.observations, fit.values, fit.reservation)
        return est.fitted

    def _value_vector(self, party: str) -> np.ndarray:
        """The frequency estimate as one value per option column: the issue's weight times the option's value."""
        weights = self.issue_weights(party)
        columns = []
        for issue in self._scenario.issues:
            values = self.option_values(party, issue.id)
            columns.append(weights[issue.id] * np.array([values[o.id] for o in issue.options], dtype=np.float64))
        return np.concatenate(columns)

    def _frequency_utilities(self, party: str, deals: np.ndarray) -> np.ndarray:
        return self._value_vector(party)[deals + self._offsets()[None, :]].sum(axis=1)

    def accept_level(self, party: str) -> float:
        """Estimated normalised utility at which ``party`` currently accepts."""
        return self.estimates[party].accept_level

    def _indexes(self, deal: Deal) -> list[int] | None:
        """Option indexes of a complete deal under the current scenario, or None."""
        out = []
        for issue in self._scenario.issues:
            ids = [o.id for o in issue.options]
            if deal.get(issue.id) not in ids:
                return None
            out.append(ids.index(deal[issue.id]))
        return out

    def reservation(self, party: str) -> float:
        """Estimated reservation level of ``party`` (fitted to its ledger when it has declined packages)."""
        fit = self._fit(party)
        if fit is not None:
            return min(fit[2], self.estimates[party].accept_level)
        return self._frequency_reservation(party)

    def _frequency_reservation(self, party: str) -> float:
        """Estimated reservation level of ``party`` on the normalised 0-1 scale.

        A margin below the least estimated utility among the complete deals it proposed or accepted (each
        an upper bound on its threshold), and never above its current accept level.
        """
        est = self.estimates[party]
        rows = [ix for ix in map(self._indexes, est.proposed + est.accepted) if ix is not None]
        if not rows:
            return min(RESERVATION_PRIOR, est.accept_level)
        least = float(self._frequency_utilities(party, np.array(rows, dtype=np.int64)).min())
        return max(0.0, min(least, est.accept_level) - RESERVATION_MARGIN)

    def favourite(self, party: str, issue_id: str) -> str | None:
        """The option ``party`` seems to want most on an issue, or None without evidence."""
        row = self.estimates[party].counts[issue_id]
        if not row or max(row.values()) <= 0:
            return None
        return max(row, key=lambda k: row[k])
