"""Deal-making at a multi-party table under an agreement rule (quorum, veto holders, unanimity).

What a seat knows about the table: every complete package tabled so far, and who is known to support each
one (its proposer, and every seat that accepted it or said it could live with it). Aspirations only fall
until the deadline and nobody supports a package below its own minimum, so a known supporter still
supports the package when the final vote comes. From that ledger a seat can tell:

- which tabled packages are **known to pass**: their supporters, with this seat, satisfy the rule;
- how likely any package is to pass **at the final vote**, when every seat votes at its minimum: known
  supporters count as certain, the others by the opponent model's estimate of their reservation level.

The move at a multi-party table (:func:`decide`):

1. support every tabled package the seat can accept now (an informative signal: it tells the others which
   packages can gather a quorum, and which parties bind);
2. when a tabled package is known to pass and the seat can accept it, accept it: the table has a deal;
3. when the seat has the final word (the lead seat's last turn under the deliberation protocol), table the
   package most likely to pass the final vote among those at or above its own minimum;
4. otherwise propose, preferring packages the rule is estimated to pass (:meth:`Strategy.propose`).

Never below the seat's own minimum: every package passes through ``Strategy._checked``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import Decline, Move, MoveKind
from dialogue_engine.domain.scenario import Incentive
from dialogue_engine.negotiation.space import passes_rule

if TYPE_CHECKING:
    from dialogue_engine.negotiation.strategy import Strategy

EPS = 1e-9
FINAL_SPREAD = 0.08  # logistic spread of the estimated utility around the estimated reservation level
FINAL_NASH_WEIGHT = 0.15  # tie-break among packages about as likely to pass: the estimated Nash product
FINAL_OWN_WEIGHT = 0.05  # and the seat's own gain
GAIN_WEIGHT = 0.3  # preference for packages known to pass with every counted party above its minimum
ROBUST_WEIGHT = 0.3  # preference for packages known to pass even if one supporter votes the other way
GREEDY_OWN_WEIGHT = 0.6  # a greedy seat's weight on its own gain
SPARE_WEIGHT = 0.5  # credit for passing with a vote to spare, so that one seat going back on its word cannot sink it
KEPT_WORD = 0.9  # chance that a seat which said it supports a package votes for it
UNKNOWN_CAP = 0.8  # an estimate is never surer than a seat's own word: a yes nobody has said is at most this likely
FINAL_REJECTED = 0.1  # a seat that said no to a package votes yes on it at the final vote this much less likely


def tabled_rows(strategy: Strategy) -> np.ndarray:
    """Rows of the complete packages other seats tabled or accepted (sorted)."""
    return np.array(sorted(strategy.support), dtype=np.int64)


def known_passing(strategy: Strategy, rows: np.ndarray, *, with_gain: bool = False,
                  robust: bool = False) -> np.ndarray:
    """Whether each row passes the rule with its known supporters and this seat voting yes.

    ``with_gain``: count only supporters that gain from it (not those at their bare minimum), so the row
    also passes when a party counts only strictly above its minimum. ``robust``: the row still passes if
    any one other supporter the rule does not require turns out not to mean it (a saboteur's support is
    cheap talk; a required party that defects sinks every package alike).
    """
    if rows.size == 0:
        return np.zeros(0, dtype=bool)
    ids = strategy.scenario.party_ids

    def yes(party: str, row: int) -> bool:
        if party == strategy.party_id:
            return not with_gain or bool(strategy.own[row] > strategy.threshold + EPS)
        return party in strategy.support.get(row, ()) and not (with_gain and party in strategy.at_minimum.get(row, ()))

    accepts = np.array([[yes(p, int(r)) for p in ids] for r in rows])
    ok = passes_rule(strategy.scenario, accepts)
    if robust:
        must = set(strategy.scenario.rule.required) | set(strategy.scenario.veto_parties)
        for j, p in enumerate(ids):
            if p != strategy.party_id and p not in must:
                less = accepts.copy()
                less[:, j] = False
                ok &= passes_rule(strategy.scenario, less)
    return ok


def final_accept_probabilities(strategy: Strategy, rows: np.ndarray) -> np.ndarray:
    """(len(rows), n_others) chance that each other seat votes yes at the final vote (at its minimum).

    A known supporter counts as ``KEPT_WORD`` (not certain: support is talk, and a saboteur's is cheap), so
    packages with support to spare beat packages that need every supporter to keep its word.
    """
    est = strategy._others_estimates(rows)
    if est.shape[1] == 0:
        return est
    res = np.array([strategy.opponent.reservation(o) for o in strategy.others])
    p = UNKNOWN_CAP / (1.0 + np.exp(-(est - res[None, :]) / FINAL_SPREAD))
    return strategy.apply_known(rows, p, supported=KEPT_WORD, rejected_factor=FINAL_REJECTED)


def final_choice(strategy: Strategy) -> int:
    """The row to put to the final vote: the best chance to pass among rows at or above own minimum.

    Ties go to the estimated Nash product, then own gain. A greedy seat takes the package known to pass
    that pays it most when there is one (a sure gain), else the best expected gain.
    """
    rows = np.flatnonzero(strategy.feasible)
    p = final_accept_probabilities(strategy, rows)
    chance = _final_chance(strategy, p)
    if strategy.incentive == Incentive.GREEDY:
        sure = known_passing(strategy, rows)
        gain = strategy.own[rows] - strategy.threshold
        if sure.any():
            return int(rows[sure][int(np.argmax(gain[sure]))])
        return int(rows[int(np.argmax(chance * (gain + EPS)))])
    return int(rows[int(np.argmax(chance + _table_score(strategy, rows)))])


def _final_chance(strategy: Strategy, p: np.ndarray) -> np.ndarray:
    """Chance to pass the final vote, with credit for a vote to spare (one defector cannot sink it)."""
    if p.shape[1] == 0:
        return np.ones(p.shape[0])
    return strategy.pass_probability(p) + SPARE_WEIGHT * strategy.pass_probability(p, spare=1)


def _table_score(strategy: Strategy, rows: np.ndarray) -> np.ndarray:
    """Among packages about as likely to pass: passing even if one supporter defects, passing with a margin
    for every counted party, the estimated Nash product, then own gain (much more for a greedy seat)."""
    span = max(strategy.best - strategy.threshold, EPS)
    own = (GREEDY_OWN_WEIGHT if strategy.incentive == Incentive.GREEDY else FINAL_OWN_WEIGHT)
    return (ROBUST_WEIGHT * known_passing(strategy, rows, robust=True)
            + GAIN_WEIGHT * known_passing(strategy, rows, with_gain=True)
            + FINAL_NASH_WEIGHT * strategy.nash_estimate(rows)
            + own * (strategy.own[rows] - strategy.threshold) / span)


def _split(strategy: Strategy, rows: list[int], skip: int) -> dict[str, tuple]:
    """``supports`` (a real gain), ``tolerates`` (the bare minimum) and ``declines`` for a Move.

    ``declines``: packages others tabled that are below this seat's minimum and that it has not declined
    yet. Saying so is honest at any time (the seat will never accept them) and tells the table which
    parties bind; without it a seat's silence cannot be told from indifference.
    """
    gain = [r for r in rows if r != skip and strategy.own[r] > strategy.threshold + EPS]
    bare = [r for r in rows if r != skip and strategy.own[r] <= strategy.threshold + EPS]
    below = [int(r) for r in tabled_rows(strategy) if int(r) != skip and int(r) not in strategy.own_declined
             and strategy.own[int(r)] < strategy.threshold - EPS]
    strategy.own_declined.update(below)
    return {"supports": tuple(strategy.space.deal_at(r) for r in gain),
            "tolerates": tuple(strategy.space.deal_at(r) for r in bare),
            "declines": tuple(Decline(deal=deal, issue=strategy.focus_issue(deal))
                              for deal in map(strategy.space.deal_at, below))}


def binding_vote(strategy: Strategy, deal: Deal | None, t: float) -> bool:
    """A cooperative seat's vote when the vote decides: yes at its aspiration, or for any package that gives
    it a real gain over its minimum (never at or below it before the end, never below it at all)."""
    if not strategy._complete(deal):
        return False
    return strategy.acceptable(deal, t) or strategy.utility(deal) > strategy.threshold + EPS


# ---- adversaries ---------------------------------------------------------------------------------


def _target_margin(strategy: Strategy, rows: np.ndarray) -> np.ndarray:
    """How far below its estimated reservation level the target is estimated to end (positive: it loses)."""
    j = strategy.others.index(strategy.target)
    est = strategy._others_estimates(rows)[:, j]
    return strategy.opponent.reservation(strategy.target) - est


def adversarial_vote(strategy: Strategy, deal: Deal | None, t: float) -> bool:
    """The vote of a greedy, sabotaging or targeting seat (never yes below its own minimum)."""
    if not strategy._complete(deal) or strategy.utility(deal) < strategy.threshold - EPS:
        return False
    if strategy.incentive == Incentive.SABOTEUR:
        return False
    if strategy.incentive == Incentive.TARGETED and strategy.target is not None:
        row = np.array([strategy.space.index_of(deal)])
        return bool(_target_margin(strategy, row)[0] > 0)
    return strategy.acceptable(deal, t) or t >= 1.0 - EPS


def _adversary_move(strategy: Strategy, t: float, on_table: Deal | None, issue: str | None) -> Move:
    """A saboteur or targeted adversary: look cooperative, steer the table where it wants it.

    It backs tabled packages at or above its own minimum (a saboteur all of them, cheap talk; a targeted
    adversary those that hurt its target) and proposes packages at its aspiration that a saboteur expects
    to fail and a targeted adversary expects to pass without its target's gain.
    """
    space = strategy.space
    tabled = [int(r) for r in tabled_rows(strategy) if strategy.feasible[int(r)] and int(r) not in strategy.own_support]
    rows = strategy.candidates(t)
    if rows.size == 0:
        rows = np.flatnonzero(strategy.feasible)
    _est, p = strategy.accept_probabilities(rows)
    chance = strategy.pass_probability(p) if p.shape[1] else np.ones(rows.size)
    looks = p.mean(axis=1) if p.shape[1] else np.zeros(rows.size)
    if strategy.incentive == Incentive.TARGETED and strategy.target is not None:
        backed = [r for r in tabled if _target_margin(strategy, np.array([r]))[0] > 0]
        score = chance + _target_margin(strategy, rows)
    else:
        backed = tabled
        score = 0.5 * looks - chance
    score = score + strategy.rng.uniform(0.0, 1e-3, size=rows.size)
    deal = strategy._checked(space.deal_at(int(rows[int(np.argmax(score))])))
    strategy.proposed.append(deal)
    kind = MoveKind.COUNTER if on_table is not None else MoveKind.PROPOSE
    return Move(kind=kind, proposal=deal, issue=issue or strategy.focus_issue(deal), reason="tables a package",
                **_split(strategy, backed, space.index_of(deal)))


# ---- the move -----------------------------------------------------------------------------------


def decide(strategy: Strategy, t: float, on_table: Deal | None, *, final_word: bool = False,
           mentioned_issue: str | None = None, keep: Deal | None = None) -> Move:
    """The move of a seat at a multi-party table (see the module docstring)."""
    if strategy.incentive in (Incentive.SABOTEUR, Incentive.TARGETED):
        return _adversary_move(strategy, t, on_table, mentioned_issue)
    space = strategy.space
    acceptable_now = np.array([int(r) for r in tabled_rows(strategy)
                               if strategy.acceptable(space.deal_at(int(r)), t)], dtype=np.int64)
    can = [int(r) for r in acceptable_now if int(r) not in strategy.own_support]
    passing = acceptable_now[known_passing(strategy, acceptable_now)] if acceptable_now.size else acceptable_now
    if passing.size and not final_word:
        best = int(passing[int(np.argmax(_table_score(strategy, passing)))])
        deal = strategy._checked(space.deal_at(best))
        return Move(kind=MoveKind.ACCEPT, proposal=deal, issue=mentioned_issue or strategy.focus_issue(deal),
                    reason="a package on the table has the support it needs", **_split(strategy, can, best))
    if final_word:
        row = final_choice(strategy)
        deal = strategy._checked(space.deal_at(row))
        strategy.proposed.append(deal)
        kind = MoveKind.ACCEPT if row in strategy.support else MoveKind.COUNTER if on_table else MoveKind.PROPOSE
        return Move(kind=kind, proposal=deal, issue=mentioned_issue or strategy.focus_issue(deal),
                    reason="puts to the vote the package most likely to pass", **_split(strategy, can, row))
    deal = strategy.propose(t, keep=keep)
    strategy.proposed.append(deal)
    issue = mentioned_issue or strategy.focus_issue(deal)
    signals = _split(strategy, can, space.index_of(deal))
    if on_table is not None and deal == on_table:
        return Move(kind=MoveKind.ACCEPT, proposal=deal, issue=issue, reason="the package on the table is the best bet",
                    **signals)
    kind = MoveKind.COUNTER if on_table is not None else MoveKind.PROPOSE
    return Move(kind=kind, proposal=deal, issue=issue, reason="tables a package the rule can pass", **signals)
