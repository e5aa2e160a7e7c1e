"""The per-persona decision core: aspiration over time, package proposals, acceptance, walking away.

Aspiration (Faratin et al. 1998): from an opening level ``opening_ambition`` of the way from the threshold
to the party's best total, down toward the threshold as ``t ** (1 / e)`` with ``e = style.concession``
(e < 1 Boulware, e > 1 Conceder) and ``t = round / total_rounds``. Proposals are packages from the deal
space whose own utility is at or above the aspiration. Among those the persona prefers, in this order of
weight: deals every other party is expected to accept (known acceptances count as certain), deals the
agreement rule is expected to pass, and a large estimated Nash product (own gain over the threshold times
each other party's estimated gain over its estimated reservation level). Logrolling falls out of this:
concede on what others value and oneself does not. Deals others already proposed or accepted are
remembered with who supports them, so later proposals move toward what is known to be acceptable and
proposals meet. Trust and commonality toward the parties at the table make a persona concede earlier
and deeper and weigh those parties' estimated gains more.

Hard rule, asserted: a strategy never proposes or accepts a deal below its own threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import Move, MoveKind
from dialogue_engine.domain.persona import NegotiationStyle
from dialogue_engine.domain.scenario import Incentive, RuleKind, Scenario
from dialogue_engine.negotiation import table
from dialogue_engine.negotiation.opponent import OpponentModel, apply_ledger
from dialogue_engine.negotiation.space import DealSpace, pass_probability, passes_rule

EPS = 1e-9
WALK_AWAY_BELOW = 0.1  # at the deadline, walk away when no feasible deal is estimated this acceptable
NEAR_END = 0.85  # from this share of the time on, anything at or above the threshold is accepted and proposed
REJECTED_FACTOR = 0.2  # a party that rejected a deal is this much less likely to accept it later
SUPPORTED_P = 0.8  # a party that proposed or accepted a deal accepts it again at least this likely
ALL_ACCEPT_WEIGHT = 0.5  # weight of "every other party accepts" in acceptability
NASH_WEIGHT = 1.5  # weight of the estimated Nash product in proposal choice
GREEDY_CONCESSION = 0.3  # a greedy seat's concession exponent (Boulware)
GREEDY_FLOOR = 0.3  # a greedy seat backs nothing paying less than this share of the way from minimum to best


class StrategyKind(str, Enum):
    """The persona strategy and the baselines used in benches."""

    PERSONA = "persona"
    RANDOM = "random"
    HARDLINER = "hardliner"
    CONCEDER = "conceder"


@dataclass(frozen=True, kw_only=True, slots=True)
class Stance:
    """Trust and commonality toward one other party, each in [-1, 1]."""

    trust: float = 0.0
    commonality: float = 0.0

    @property
    def warmth(self) -> float:
        """One number in [-1, 1]: how partnered the relationship is."""
        return max(-1.0, min(1.0, 0.5 * (self.trust + self.commonality)))


@dataclass
class _Clock:
    """Time as a fraction of the negotiation, clipped to [0, 1]."""

    t: float = 0.0

    @staticmethod
    def of(round_: int, total_rounds: int) -> float:
        return max(0.0, min(1.0, round_ / max(1, total_rounds)))


class BelowThresholdError(AssertionError):
    """Raised if a strategy is ever about to propose or accept a deal below its threshold (a bug)."""


class Strategy:
    """One party's negotiation strategy over a scenario.

    Args:
        scenario: the scenario (current state).
        party_id: the seat this strategy plays.
        style: the persona's negotiation style.
        relationships: party id -> Stance toward that party.
        seed: seeds the numpy Generator used to break ties and vary proposals.
        kind: the persona strategy or a baseline.
        table_tactics: play tables of more than two seats by the rule (:mod:`.table`); off gives the
            earlier decision rule, kept as a bench baseline.
    """

    def __init__(
        self,
        scenario: Scenario,
        party_id: str,
        style: NegotiationStyle | None = None,
        relationships: dict[str, Stance] | None = None,
        *,
        seed: int = 0,
        kind: StrategyKind = StrategyKind.PERSONA,
        table_tactics: bool = True,
    ):
        self.party_id = party_id
        self.table_tactics = table_tactics
        self.style = style or NegotiationStyle()
        self.kind = StrategyKind(kind)
        self.relationships: dict[str, Stance] = dict(relationships or {})
        self.rng = np.random.default_rng(seed)
        self.opponent = OpponentModel(scenario, party_id)
        self.proposed: list[Deal] = []
        self.support: dict[int, set[str]] = {}
        self.rejected: dict[int, set[str]] = {}
        self.at_minimum: dict[int, set[str]] = {}
        self.own_support: set[int] = set()
        self.own_declined: set[int] = set()
        self._set_scenario(scenario)

    def _set_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.space = DealSpace.from_scenario(scenario)
        self.me = self.space.party_index(self.party_id)
        self.own = self.space.utilities[:, self.me]
        self.threshold = float(self.space.thresholds[self.me])
        self.best = float(self.own.max())
        self.worst = float(self.own.min())
        self.feasible = self.own >= self.threshold - EPS
        self.others = [p for p in scenario.party_ids if p != self.party_id]
        party = scenario.party(self.party_id)
        self.incentive = party.incentive if self.kind == StrategyKind.PERSONA else Incentive.COOPERATIVE
        self.target = party.target if party.target in self.others else None

    # ---- scenario and relationships -------------------------------------------------------------

    def update_scenario(self, scenario: Scenario) -> None:
        """Play on under a changed scenario (an inject changed scores, thresholds or options)."""
        self.opponent.update_scenario(scenario)
        self._set_scenario(scenario)
        self.proposed = [d for d in self.proposed if self._complete(d)]
        self.support.clear()  # utilities changed: earlier acceptances say nothing about the new space
        self.rejected.clear()
        self.at_minimum.clear()
        self.own_support.clear()

    def shift_relationship(self, other: str, trust_delta: float = 0.0, commonality_delta: float = 0.0) -> None:
        """Move trust and commonality toward ``other`` (clipped to [-1, 1])."""
        s = self.relationships.get(other, Stance())
        clip = lambda x: max(-1.0, min(1.0, x))  # noqa: E731
        self.relationships[other] = Stance(trust=clip(s.trust + trust_delta), commonality=clip(s.commonality + commonality_delta))

    def warmth(self, others: list[str] | None = None) -> float:
        """Mean warmth toward ``others`` (default: everyone else at the table)."""
        others = self.others if others is None else others
        if not others:
            return 0.0
        return float(np.mean([self.relationships.get(o, Stance()).warmth for o in others]))

    # ---- aspiration -----------------------------------------------------------------------------

    def opening_level(self) -> float:
        """Own utility the strategy opens at."""
        if self.kind in (StrategyKind.HARDLINER, StrategyKind.CONCEDER) or self.incentive != Incentive.COOPERATIVE:
            return self.best
        return self.threshold + self.style.opening_ambition * (self.best - self.threshold)

    def exponent(self) -> float:
        """The concession exponent e after relationship effects (warmer -> larger e -> earlier concession).

        A greedy seat concedes late (Boulware) whatever the relationship.
        """
        if self.incentive == Incentive.GREEDY:
            return GREEDY_CONCESSION
        return self.style.concession * float(np.exp(0.8 * self.warmth()))

    def floor(self) -> float:
        """The lowest aspiration reached at the deadline: the threshold, or above it when relations are cold
        (or the seat is greedy)."""
        if self.incentive == Incentive.GREEDY:
            return self.threshold + GREEDY_FLOOR * (self.best - self.threshold)
        cold = max(0.0, -self.warmth())
        return self.threshold + 0.3 * cold * (self.opening_level() - self.threshold)

    def aspiration(self, t: float) -> float:
        """Own utility the strategy asks for at time ``t`` in [0, 1]; never below the threshold."""
        t = max(0.0, min(1.0, t))
        if self.kind == StrategyKind.RANDOM:
            return self.threshold
        if self.kind == StrategyKind.HARDLINER:
            return max(self.threshold, self.threshold + 0.9 * (self.best - self.threshold))
        if self.kind == StrategyKind.CONCEDER:
            return self.best - min(1.0, 2.0 * t) * (self.best - self.threshold)
        start, end = self.opening_level(), self.floor()
        return max(self.threshold, start - (start - end) * t ** (1.0 / self.exponent()))

    # ---- evaluation -----------------------------------------------------------------------------

    def _complete(self, deal: Deal | None) -> bool:
        return deal is not None and self.scenario.deal_problem(deal) is None

    def utility(self, deal: Deal) -> float:
        """Own utility of a complete deal (raises ``KeyError`` for an incomplete or unknown one)."""
        return self.space.utility(self.party_id, deal)

    def acceptable(self, deal: Deal | None, t: float) -> bool:
        """Whether the strategy accepts ``deal`` at time ``t`` (never below its threshold)."""
        if not self._complete(deal):
            return False
        u = self.utility(deal)
        if u < self.threshold - EPS:
            return False
        if self.kind == StrategyKind.RANDOM:
            return True
        if u >= self.aspiration(t) - EPS:
            return True
        return t >= NEAR_END and self.kind == StrategyKind.PERSONA and self.incentive == Incentive.COOPERATIVE

    def _others_estimates(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_others) estimated normalised utility of each other party."""
        if not self.others:
            return np.zeros((rows.shape[0], 0))
        deals = self.space.deals[rows]
        return np.stack([self.opponent.estimated_utilities(o, deals) for o in self.others], axis=1)

    def _weights(self) -> np.ndarray:
        """Weight of each other party: warmer relationships and parties the rule needs weigh more."""
        weights = np.array([1.0 + self.relationships.get(o, Stance()).warmth for o in self.others]) + 0.05
        must = set(self.scenario.rule.required) | set(self.scenario.veto_parties)
        return weights * np.array([2.0 if o in must else 1.0 for o in self.others])

    def accept_probabilities(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimated utilities and acceptance probabilities (len(rows), n_others) of the others.

        A party known to accept a row (it proposed or accepted it; aspirations only fall) is taken to accept
        it at least with ``SUPPORTED_P`` (not certainty: an inject may have moved it); a known rejection
        scales the estimate down by ``REJECTED_FACTOR``.
        """
        est = self._others_estimates(rows)
        if est.shape[1] == 0:
            return est, est
        levels = np.array([self.opponent.accept_level(o) for o in self.others])
        p = 1.0 / (1.0 + np.exp(-(est - levels[None, :]) / 0.1))
        return est, self.apply_known(rows, p, supported=SUPPORTED_P, rejected_factor=REJECTED_FACTOR)

    def apply_known(self, rows: np.ndarray, p: np.ndarray, *, supported: float, rejected_factor: float) -> np.ndarray:
        """``p`` (len(rows), n_others) adjusted in place for what is known: a known rejection scales a party's
        estimate by ``rejected_factor``, then known support raises it to at least ``supported``."""
        return apply_ledger(rows, p, self.others, self.support, self.rejected, supported=supported,
                            rejected_factor=rejected_factor)

    def pass_probability(self, p: np.ndarray, *, spare: int = 0) -> np.ndarray:
        """Chance that the agreement rule passes each row, given the others' acceptance probabilities ``p``.

        This party is taken to accept; the others are taken as independent (a Poisson-binomial count).
        ``spare``: yes votes needed beyond the rule's count, so the row still passes if that many voters
        who are not required turn out to vote no (a package with a vote to spare survives one defector).
        """
        return pass_probability(self.scenario, self.others, p, sure_yes=(self.party_id,), spare=spare)

    def acceptability(self, rows: np.ndarray) -> np.ndarray:
        """Estimated acceptability of candidate rows to the others (higher is better), vectorized.

        The chance that the agreement rule passes, plus ``ALL_ACCEPT_WEIGHT`` times the chance that every other
        party accepts, plus half the warmth-weighted mean of acceptance probability and estimated utility.
        """
        est, p = self.accept_probabilities(rows)
        if est.shape[1] == 0:
            return np.zeros(rows.shape[0])
        weights = self._weights()
        mean = ((0.5 * p + 0.5 * est) * weights[None, :]).sum(axis=1) / weights.sum()
        spare = table.SPARE_WEIGHT * self.pass_probability(p, spare=1) if self.multilateral else 0.0
        return self.pass_probability(p) + spare + ALL_ACCEPT_WEIGHT * p.prod(axis=1) + 0.5 * mean

    def nash_estimate(self, rows: np.ndarray) -> np.ndarray:
        """Estimated Nash product of candidate rows as a weighted geometric mean of gains in [0.01, 1].

        Own gain is exact (over the threshold, as a share of the best possible gain); each other party's is
        its estimated utility over its estimated reservation level.
        """
        span = max(self.best - self.threshold, EPS)
        own_gain = np.clip((self.own[rows] - self.threshold) / span, 0.01, 1.0)
        if not self.others:
            return own_gain
        est = self._others_estimates(rows)
        res = np.array([self.opponent.reservation(o) for o in self.others])
        gains = np.clip(est - res[None, :], 0.01, 1.0)
        weights = self._weights()
        logs = np.log(own_gain) + (np.log(gains) * weights[None, :]).sum(axis=1)
        return np.exp(logs / (1.0 + weights.sum()))

    # ---- proposals ------------------------------------------------------------------------------

    def candidates(self, t: float) -> np.ndarray:
        """Rows at or above both the aspiration at ``t`` and the threshold.

        Near the deadline the persona proposes from what it would accept: anything at or above the threshold.
        """
        if self.kind == StrategyKind.PERSONA and t >= NEAR_END:
            return np.flatnonzero(self.feasible)
        level = self.aspiration(t)
        return np.flatnonzero((self.own >= level - EPS) & self.feasible)

    def propose(self, t: float, *, keep: Deal | None = None) -> Deal:
        """A complete package at or above the aspiration (and threshold) at ``t``.

        Args:
            t: time in [0, 1].
            keep: a partial deal the package should match where it can (e.g. a counterpart's options).
        """
        if self.kind == StrategyKind.HARDLINER:
            top = np.flatnonzero(self.own >= self.best - EPS)
            return self._checked(self.space.deal_at(int(self.rng.choice(top))))
        rows = self.candidates(t)
        if rows.size == 0:
            rows = np.flatnonzero(self.feasible)
        if self.kind == StrategyKind.RANDOM:
            return self._checked(self.space.deal_at(int(self.rng.choice(rows))))
        if self.kind == StrategyKind.CONCEDER:
            gap = self.own[rows] - self.aspiration(t)
            near = rows[gap <= gap.min() + EPS]
            return self._checked(self.space.deal_at(int(self.rng.choice(near))))
        span = max(self.best - self.threshold, EPS)
        own_share = 0.15 * (1.0 - max(0.0, self.warmth()))
        score = (self.acceptability(rows) + NASH_WEIGHT * self.nash_estimate(rows)
                 + own_share * (self.own[rows] - self.threshold) / span)
        if keep:
            score = score + 0.2 * self._matches(rows, keep)
        score = score + self.rng.uniform(0.0, 1e-3, size=rows.size)
        if self.proposed:
            last = self.space.index_of(self.proposed[-1]) if self._complete(self.proposed[-1]) else -1
            score = score - 0.05 * (rows == last)
        return self._checked(self.space.deal_at(int(rows[int(np.argmax(score))])))

    def _matches(self, rows: np.ndarray, partial: Deal) -> np.ndarray:
        """Share of the issues of ``partial`` on which each row agrees with it."""
        hits = np.zeros(rows.size)
        n = 0
        for k, issue in enumerate(self.scenario.issues):
            if issue.id in partial:
                ids = [o.id for o in issue.options]
                if partial[issue.id] in ids:
                    hits += self.space.deals[rows, k] == ids.index(partial[issue.id])
                    n += 1
        return hits / max(n, 1)

    def best_completion(self, partial: Deal, t: float) -> Deal | None:
        """The best package for this party that keeps ``partial`` and meets the aspiration, if any."""
        rows = self.candidates(t)
        if rows.size == 0 or not partial:
            return None
        match = self._matches(rows, partial)
        rows = rows[match >= 1.0 - EPS]
        if rows.size == 0:
            return None
        return self._checked(self.space.deal_at(int(rows[int(np.argmax(self.own[rows]))])))

    def _checked(self, deal: Deal) -> Deal:
        u = self.utility(deal)
        if u < self.threshold - EPS:
            raise BelowThresholdError(f"{self.party_id} about to propose a deal below its threshold")
        return deal

    def can_anything_pass(self) -> bool:
        """Whether some deal at or above own threshold is estimated to pass."""
        rows = np.flatnonzero(self.feasible)
        if rows.size == 0:
            return False
        if not self.others:
            return True
        _est, p = self.accept_probabilities(rows)
        return bool((p.mean(axis=1) >= WALK_AWAY_BELOW).any())

    # ---- the move -------------------------------------------------------------------------------

    def focus_issue(self, deal: Deal | None = None) -> str:
        """The issue to talk about: where the package gives most away, else the one this party cares most about."""
        spans = {}
        for issue in self.scenario.issues:
            row = self.scenario.party(self.party_id).scores[issue.id]
            spans[issue.id] = max(row.values()) - min(row.values())
        if deal:
            gaps = {}
            for issue in self.scenario.issues:
                if issue.id in deal:
                    row = self.scenario.party(self.party_id).scores[issue.id]
                    gaps[issue.id] = max(row.values()) - row.get(deal[issue.id], 0.0)
            if gaps and max(gaps.values()) > 0:
                return max(gaps, key=lambda k: (gaps[k], spans[k]))
        return max(spans, key=lambda k: spans[k])

    @property
    def multilateral(self) -> bool:
        """Whether this persona plays a table of more than two seats by the rule (see :mod:`.table`)."""
        return self.kind == StrategyKind.PERSONA and self.table_tactics and len(self.scenario.parties) > 2

    def decide(self, round_: int, total_rounds: int, on_table: Deal | None = None, *,
               partial: Deal | None = None, mentioned_issue: str | None = None,
               question: bool = False, final_word: bool = False) -> Move:
        """The move for this turn.

        Args:
            round_, total_rounds: the clock.
            on_table: the complete deal currently proposed by someone else, if any.
            partial: an incomplete proposal from the incoming message, if any.
            mentioned_issue: an issue the incoming message is about, if any.
            question: the incoming message asks something without proposing.
            final_word: this turn's package is the one the final vote is held on.
        """
        t = _Clock.of(round_, total_rounds)
        if self.multilateral and not question:
            if t >= 1.0 - EPS and not final_word and not self.can_anything_pass():
                return Move(kind=MoveKind.WALK_AWAY, issue=mentioned_issue or self.focus_issue(), reason="time is out")
            if partial:
                completion = self.best_completion(partial, t)
                if completion is not None:
                    self.proposed.append(completion)
                    return Move(kind=MoveKind.COUNTER, proposal=completion, reason="completes the partial proposal",
                                issue=mentioned_issue or self.focus_issue(completion))
            complete = on_table if on_table is not None and self._complete(on_table) else None
            return table.decide(self, t, complete, final_word=final_word, mentioned_issue=mentioned_issue,
                                keep=partial or None)
        if on_table is not None and self._complete(on_table) and self.acceptable(on_table, t):
            return Move(kind=MoveKind.ACCEPT, proposal=self._checked(Deal(on_table)),
                        issue=mentioned_issue or self.focus_issue(on_table), reason="the deal meets the current aspiration")
        if t >= 1.0 - EPS and not self.can_anything_pass():
            return Move(kind=MoveKind.WALK_AWAY, issue=mentioned_issue or self.focus_issue(), reason="time is out")
        if partial:
            completion = self.best_completion(partial, t)
            if completion is not None:
                self.proposed.append(completion)
                return Move(kind=MoveKind.COUNTER, proposal=completion,
                            issue=mentioned_issue or self.focus_issue(completion), reason="completes the partial proposal")
        keep = partial or None
        deal = self.propose(t, keep=keep)
        self.proposed.append(deal)
        issue = mentioned_issue or self.focus_issue(deal)
        if on_table is not None or partial:
            return Move(kind=MoveKind.COUNTER, proposal=deal, issue=issue, reason="counters the proposal on the table")
        if question:
            return Move(kind=MoveKind.ACKNOWLEDGE, proposal=deal, issue=issue, reason="answers and restates its position")
        return Move(kind=MoveKind.PROPOSE, proposal=deal, issue=issue, reason="opens or restates a package")

    def vote(self, deal: Deal | None, round_: int, total_rounds: int, *, binding: bool = False) -> bool:
        """Yes or no on a complete deal (never yes below the threshold).

        At the deadline a greedy seat takes any deal at or above its minimum (it is greedy, not irrational);
        a saboteur votes no; a targeted adversary votes yes only when it expects its target to lose out.
        ``binding``: the vote decides whether the package passes now (an exercise's responses phase or final
        vote). A cooperative seat at a multi-party table then also takes a package that gains it something
        over its minimum although its aspiration is higher: a package that can close now, whoever tabled it,
        beats holding out for one that may never gather a quorum (:func:`.table.binding_vote`).
        """
        t = _Clock.of(round_, total_rounds)
        if self.incentive != Incentive.COOPERATIVE and self.multilateral:
            ok = table.adversarial_vote(self, deal, t)
        elif binding and self.multilateral:
            ok = table.binding_vote(self, deal, t)
        else:
            ok = self.acceptable(deal, t)
        if ok and self.utility(deal) < self.threshold - EPS:
            raise BelowThresholdError(f"{self.party_id} about to accept a deal below its threshold")
        return ok

    # ---- learning -------------------------------------------------------------------------------

    def _est(self, party: str, deal: Deal) -> float | None:
        if not self._complete(deal) or party not in self.opponent.estimates:
            return None
        row = self.space.deals[[self.space.index_of(deal)]]
        return float(self.opponent.estimated_utilities(party, row)[0])

    def _remember(self, party: str, deal: Deal, accepted: bool, minimum: bool = False) -> None:
        """Record that ``party`` supports (or rejected) a complete deal (``minimum``: only just)."""
        row = self.space.index_of(deal)
        if accepted:
            self.support.setdefault(row, set()).add(party)
            self.rejected.get(row, set()).discard(party)
            if minimum:
                self.at_minimum.setdefault(row, set()).add(party)
        elif party not in self.support.get(row, ()):
            self.rejected.setdefault(row, set()).add(party)

    def observe_proposal(self, party: str, deal: Deal) -> None:
        """Another party proposed a (possibly partial) deal."""
        if party != self.party_id and self.scenario.deal_problem(deal, partial=True) is None:
            self.opponent.observe_proposal(party, deal)
            if self._complete(deal):
                self._remember(party, deal, True)

    def note_support(self, deal: Deal) -> None:
        """This party has said it can accept ``deal`` (it is not said again)."""
        if self._complete(deal):
            self.own_support.add(self.space.index_of(deal))

    def observe_vote(self, party: str, deal: Deal, accepted: bool, *, minimum: bool = False,
                     blocking: str | None = None) -> None:
        """Another party voted on a complete deal (``minimum``: it said the deal is the least it can take;
        ``blocking``: for a no, the issue it said sinks the deal)."""
        if party == self.party_id or not self._complete(deal):
            return
        self._remember(party, deal, accepted, minimum)
        est = self._est(party, deal)
        if accepted:
            self.opponent.observe_accept(party, deal, estimated_utility=est)
        else:
            self.opponent.observe_reject(party, deal, estimated_utility=est)
            if blocking in deal:
                self.opponent.observe_decline(party, deal)
                self.opponent.observe_blocking(party, Deal({blocking: deal[blocking]}))

    def observe_red_line(self, party: str, options: Deal) -> None:
        """Another party declared these options unacceptable (the opponent model learns it)."""
        if party != self.party_id and self.scenario.deal_problem(options, partial=True) is None:
            self.opponent.observe_red_line(party, options)

    def observe_statement(self, party: str, options: Deal, issues: list[str] = ()) -> None:
        """Another party spoke for some options and about some issues."""
        if party != self.party_id and self.scenario.deal_problem(options, partial=True) is None:
            self.opponent.observe_statement(party, options, list(issues))


@dataclass
class SelfPlayResult:
    """Outcome of one self-play run."""

    deal: Deal | None
    rounds_used: int
    proposals: int
    below_threshold: int = 0
    history: list[tuple[int, str, Deal]] = field(default_factory=list)


def self_play(scenario: Scenario, kinds: dict[str, StrategyKind] | StrategyKind = StrategyKind.PERSONA, *,
              styles: dict[str, NegotiationStyle] | None = None,
              relationships: dict[str, dict[str, Stance]] | None = None,
              seed: int = 0, rounds: int | None = None) -> SelfPlayResult:
    """Play a scenario with strategies only: in turn, each party proposes and every other party votes.

    Returns:
        The passed deal (or None), and a count of accepted votes below a voter's threshold (always 0).
    """
    if not isinstance(kinds, dict):
        kinds = {p: kinds for p in scenario.party_ids}
    styles = styles or {}
    relationships = relationships or {}
    players = {
        p: Strategy(scenario, p, styles.get(p), relationships.get(p), seed=seed * 1009 + n, kind=kinds[p])
        for n, p in enumerate(scenario.party_ids)
    }
    space = players[scenario.party_ids[0]].space
    total = rounds or scenario.rounds
    result = SelfPlayResult(None, 0, 0)
    for r in range(1, total + 1):
        result.rounds_used = r
        for proposer in scenario.party_ids:
            deal = players[proposer].decide(r, total).proposal
            if deal is None:
                continue
            result.proposals += 1
            result.history.append((r, proposer, deal))
            votes = {proposer: True}
            for p, strat in players.items():
                strat.observe_proposal(proposer, deal)
                if p != proposer:
                    votes[p] = strat.vote(deal, r, total)
            idx = space.index_of(deal)
            for p, ok in votes.items():
                if ok and space.utilities[idx, space.party_index(p)] < space.thresholds[space.party_index(p)] - EPS:
                    result.below_threshold += 1
                for q, strat in players.items():
                    if q != p:
                        strat.observe_vote(p, deal, ok)
            accepts = np.array([[votes[p] for p in scenario.party_ids]])
            if bool(passes_rule(scenario, accepts)[0]):
                result.deal = deal
                return result
    return result
