"""One outcome model of an exercise, from which every statement about the result is derived.

The Markdown and HTML reports, the objectives and the app's debrief read this model instead of the raw
metrics, so the frontier, the Nash point, welfare and "best passable" are described once, from the same
numbers, and a no-deal ending is never described as a success.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.frontier import dominating_gain
from dialogue_engine.report.scoring import ExerciseResult

EPS = 1e-9
NASH_SHORT = 0.8
WELFARE_HIGH = 0.95


@dataclass(frozen=True, kw_only=True)
class SeatOutcome:
    """How one seat came out.

    Attributes:
        utility, margin: its total for the deal and that total minus its minimum (None with no deal).
        at_nash: its total at the Nash point (None when no deal passes, or when no passable deal gives every party
            a gain, so that the Nash ratio is undefined).
        best_passable: its best total among deals that pass the rule on the minimums (None when none pass).
        left_on_table: what it would gain in the passable deal that dominates the outcome with the largest
            sum (0 on the frontier; None with no deal, or when no passable deal dominates a deal that is
            itself not passable).
        vote: its vote on the proposal that became the deal (None: no vote, or no deal).
    """

    party: str
    name: str
    utility: float | None
    threshold: float
    margin: float | None
    at_nash: float | None
    best_passable: float | None
    left_on_table: float | None
    surplus_share: float | None
    vote: bool | None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """The outcome of an exercise against its deal space; build it with :func:`outcome_of`.

    ``pareto_optimal``, ``nash_ratio``, ``welfare_ratio`` and ``gini`` are None without a deal: they
    measure a deal, and no deal is not one.
    """

    ended: bool
    agreement: bool
    deal: Deal | None
    deal_lines: tuple[tuple[str, str], ...]
    round: int | None
    reason: str
    proposer: str | None
    passes_on_minimums: bool | None
    pareto_optimal: bool | None
    nash_ratio: float | None
    welfare_ratio: float | None
    gini: float | None
    passable: int
    deals: int
    seats: tuple[SeatOutcome, ...]

    def seat(self, party: str) -> SeatOutcome:
        """The seat of ``party``."""
        return next(s for s in self.seats if s.party == party)

    def without_gain(self) -> list[str]:
        """Names of the seats whose total for the deal is not above their minimum."""
        return [s.name for s in self.seats if s.margin is not None and s.margin <= EPS]

    def below_minimum(self) -> list[str]:
        """Names of the seats whose total for the deal is below their minimum."""
        return [s.name for s in self.seats if s.margin is not None and s.margin < -EPS]

    def verdict(self) -> tuple[str, str]:
        """(tone, one line) for a status box: ``success`` only for an agreement, ``warning`` for an ending
        without one, ``info`` while the exercise runs."""
        if self.agreement:
            deal = "; ".join(f"{t}: {o}" for t, o in self.deal_lines)
            return "success", f"Agreement in round {self.round}: {deal}"
        if self.ended:
            return "warning", f"Ended — no agreement ({self.reason or 'no reason recorded'})"
        return "info", "Not finished yet: no deal has passed so far"

    def statements(self) -> list[str]:
        """The outcome in sentences: passability, the frontier, the Nash point and welfare."""
        if not self.agreement:
            could = (f"{self.passable} of {self.deals} packages would have passed the rule." if self.passable
                     else "No package could have passed the rule with these minimums.")
            return [f"No deal: every party falls back on its alternative (its minimum). {could}"]
        out = []
        if not self.passes_on_minimums:
            out.append("The deal passed on the votes cast, but " + _names(self.below_minimum())
                       + " accepted less than the minimum, so it is not one of the passable deals the frontier "
                       "and the Nash point are drawn from.")
        if self.pareto_optimal:
            out.append("The deal is on the Pareto frontier of passable deals: no passable deal is better for one "
                       "party without being worse for another.")
        else:
            gainers = [s.name for s in self.seats if (s.left_on_table or 0) > EPS]
            out.append("The deal is not on the Pareto frontier: " + (
                f"another passable deal gives {_names(gainers)} more and no party less (see 'Left on the table')."
                if gainers else "it is measured by its distance to the frontier."))
        out.append(self._nash_sentence())
        if self.welfare_ratio is not None:
            out.append(f"Welfare ratio {_num(self.welfare_ratio)}: the parties' totals add up to "
                       f"{self.welfare_ratio:.0%} of the largest sum a passable deal reaches; Gini of the gains over "
                       f"the minimums {_num(self.gini)} (0 is an even split).")
        return out

    def _nash_sentence(self) -> str:
        if self.nash_ratio is None:
            return ("The Nash ratio is undefined: no passable deal gives every party a gain over its minimum, so "
                    "there is no product of gains to compare with.")
        if self.nash_ratio <= EPS and self.without_gain():
            names = self.without_gain()
            verb = "gains nothing over its minimum" if len(names) == 1 else "gain nothing over their minimums"
            return (f"Nash ratio 0: {_names(names)} {verb} in this deal, so the product of the gains is zero, "
                    "while the Nash point gives every party a gain.")
        return (f"Nash ratio {_num(self.nash_ratio)}: the product of the parties' gains over their minimums is "
                f"{self.nash_ratio:.0%} of the product at the Nash point.")

    def short_of_nash(self) -> bool:
        """Whether a deal's Nash ratio is defined and below :data:`NASH_SHORT`."""
        return self.agreement and self.nash_ratio is not None and self.nash_ratio < NASH_SHORT

    def near_max_welfare(self) -> bool:
        """Whether a deal's welfare ratio is at least :data:`WELFARE_HIGH`."""
        return self.agreement and self.welfare_ratio is not None and self.welfare_ratio >= WELFARE_HIGH


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}".rstrip("0").rstrip(".")


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names) or "no party"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _left_on_table(space: DealSpace, deal: Deal, pareto: bool) -> np.ndarray | None:
    """Per party, the gain in the dominating passable deal with the largest sum (zeros on the frontier)."""
    if pareto:
        return np.zeros(len(space.party_ids))
    found = dominating_gain(space, deal)
    return None if found is None else found[0]


def outcome_of(state: ExerciseState, result: ExerciseResult, space: DealSpace | None = None) -> Outcome:
    """The outcome model of a scored exercise (``space``: the final scenario's deal space, if built)."""
    space = space or DealSpace.from_scenario(state.scenario)
    m = result.metrics
    deal = result.deal
    nash = m.get("nash") if isinstance(m.get("nash"), dict) else None
    # A Nash point means something only when it gives every party a gain (its product of gains is positive);
    # the metrics leave the ratio undefined otherwise, and then no column shows its totals.
    at_nash = (nash or {}).get("utilities", {}) if m.get("nash_ratio") is not None else {}
    passes = bool(space.passes[space.index_of(deal)]) if deal is not None else None
    pareto = bool(m.get("pareto_optimal")) if deal is not None else None
    left = _left_on_table(space, deal, bool(pareto)) if deal is not None else None
    proposal = state.proposals.get((state.outcome or {}).get("proposal") or -1)
    seats = tuple(
        SeatOutcome(party=s.party, name=s.name, utility=s.utility, threshold=s.threshold, margin=s.margin,
                    at_nash=at_nash.get(s.party), best_passable=s.best,
                    left_on_table=None if left is None else round(float(left[space.party_index(s.party)]), 9),
                    surplus_share=s.surplus_share if deal is not None else None,
                    vote=s.vote if deal is not None else None)
        for s in result.seats)
    return Outcome(
        ended=state.ended, agreement=deal is not None, deal=deal, deal_lines=tuple(result.deal_lines),
        round=result.round if deal is not None else None, reason=result.reason,
        proposer=proposal.proposer if proposal is not None and deal is not None else None,
        passes_on_minimums=passes, pareto_optimal=pareto,
        nash_ratio=m.get("nash_ratio") if deal is not None else None,
        welfare_ratio=m.get("welfare_ratio") if deal is not None else None,
        gini=m.get("gini") if deal is not None else None,
        passable=int(space.passes.sum()), deals=space.size, seats=seats)
