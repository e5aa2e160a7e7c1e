"""Scoring a finished (or running) exercise: outcome metrics, per-seat results, process metrics, coaching."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialogue_engine.domain.deal import Deal
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.coaching import Coaching, PlayerLine, coach

logger = logging.getLogger(__name__)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class SeatResult(_Model):
    """How one party came out.

    ``best`` is the party's best total among the deals that pass the rule on every party's minimum (None
    when no deal passes): what it could have had, not the best cell of its own score sheet.
    """

    party: str
    name: str
    human: bool
    utility: float | None
    threshold: float
    above_threshold: bool | None
    margin: float | None
    best: float | None
    advantage: float | None = None
    surplus_share: float | None = None
    vote: bool | None = None


class ProcessMetrics(_Model):
    """How the exercise was played."""

    rounds_played: int
    total_rounds: int
    rounds_to_agreement: int | None
    messages: int
    proposals: int
    proposals_by_party: dict[str, int]
    concessions_by_party: dict[str, int]
    citations_used: int
    citations_by_party: dict[str, int]
    injects_fired: int
    walkouts: list[str]
    fallbacks: int
    threshold_violations: int


class ExerciseResult(_Model):
    """Everything ``result.json`` holds (no ids or times, so a seed reproduces it byte for byte)."""

    scenario_id: str
    title: str
    seed: int
    protocol: str
    mode: str
    agreement: bool
    deal: Deal | None
    deal_lines: list[tuple[str, str]] = Field(default_factory=list)
    reason: str = ""
    round: int = 0
    utilities: dict[str, float] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)
    seats: list[SeatResult]
    metrics: dict[str, Any]
    process: ProcessMetrics
    trajectories: dict[str, list[float | None]]
    coaching: dict[str, Coaching] = Field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def outcome_metrics(space: DealSpace, deal: Deal | None) -> dict[str, Any]:
    """``negotiation.metrics.outcome_metrics`` as JSON, plus the Nash and max-welfare points of the space."""
    from dialogue_engine.negotiation.analysis import analyze
    from dialogue_engine.negotiation.metrics import outcome_metrics as metrics_fn

    analysis = analyze(space)
    out = metrics_fn(space, deal, analysis).to_json()
    facts = analysis.to_json(pareto_cap=0)
    out["nash"] = facts.get("nash")
    out["max_welfare"] = facts.get("max_welfare")
    out["passable"] = facts.get("passable")
    out["pareto"] = facts.get("pareto")
    return out


def trajectories(state: ExerciseState, space: DealSpace) -> dict[str, list[float | None]]:
    """Per party, the utility of the proposal on the table at the end of each round (final scenario)."""
    out: dict[str, list[float | None]] = {p: [] for p in state.party_ids}
    last_round = max(state.round, 1)
    props = sorted((p for p in state.proposals.values() if not p.final), key=lambda p: p.id)
    for r in range(1, last_round + 1):
        on = [p for p in props if p.round <= r]
        deal = on[-1].deal if on else None
        for party in state.party_ids:
            out[party].append(space.scenario.total(party, deal))
    return out


def _concessions(state: ExerciseState, space: DealSpace) -> dict[str, int]:
    out = {}
    for party in state.party_ids:
        own = [p.deal for p in sorted(state.proposals.values(), key=lambda p: p.id)
               if p.proposer == party and not p.final]
        vals = [space.scenario.total(party, d) for d in own]
        out[party] = sum(1 for a, b in zip(vals, vals[1:]) if a is not None and b is not None and b < a - 1e-9)
    return out


def _coaching_for(state: ExerciseState, party: str) -> Coaching:
    lines = [PlayerLine(m.text, m.round, m.proposal, m.channel.value == "private")
             for m in state.messages if m.speaker == party]
    ordered = sorted((p for p in state.proposals.values() if not p.final), key=lambda p: p.id)
    own = [p for p in ordered if p.proposer == party]
    lines += [PlayerLine("", p.round, p.deal) for p in own if not any(ln.proposal == p.deal for ln in lines)]
    before = []
    for p in own:
        prev = [q for q in ordered if q.id < p.id]
        before.append(prev[-1].deal if prev else None)
    proposal_lines = [ln for ln in lines if ln.proposal]
    outcome = state.outcome or {}
    agreed = Deal.of(outcome.get("deal")) if outcome.get("agreement") and outcome.get("deal") else None
    passed = state.proposals.get(int(outcome["proposal"])) if agreed and outcome.get("proposal") is not None else None
    accepted = passed is None or bool(passed.votes.get(party)) or passed.proposer == party
    return coach(state.scenario, party, [ln for ln in lines if not ln.proposal] + proposal_lines,
                 proposals_before=before, walked_away=party in state.walked_out, agreed=agreed, accepted=accepted)


def score(state: ExerciseState) -> ExerciseResult:
    """Score an exercise from its folded state (final effective scenario)."""
    space = DealSpace.from_scenario(state.scenario)
    outcome = state.outcome or {}
    deal = outcome.get("deal") if outcome.get("agreement") else None
    if deal is not None:
        try:
            space.index_of(deal)
        except KeyError:
            logger.warning("the agreed deal is no longer in the deal space (an option was removed)")
            deal = None
    metrics = outcome_metrics(space, deal)
    utilities = space.utilities_of(deal) if deal else {}
    adv = metrics.get("advantage") or {}
    shares = metrics.get("surplus_shares") or {}
    passed = state.proposals.get(outcome.get("proposal") or -1)
    best = space.utilities[space.passes].max(axis=0) if space.passes.any() else None
    seats = []
    for p in state.scenario.parties:
        u = utilities.get(p.id)
        seats.append(SeatResult(
            party=p.id, name=p.name or p.id, human=state.humans.get(p.id, False), utility=u, threshold=p.threshold,
            above_threshold=None if u is None else u >= p.threshold - 1e-9,
            margin=None if u is None else round(u - p.threshold, 9),
            best=None if best is None else float(best[space.party_index(p.id)]),
            advantage=adv.get(p.id) if isinstance(adv, dict) else None,
            surplus_share=shares.get(p.id) if isinstance(shares, dict) else None,
            vote=passed.votes.get(p.id) if passed else None,
        ))
    violations = len(state.below_threshold_votes)
    cites = {p: sum(len(m.citations) for m in state.messages if m.speaker == p) for p in state.party_ids}
    real_props = [p for p in state.proposals.values() if not p.final]
    process = ProcessMetrics(
        rounds_played=state.round, total_rounds=state.total_rounds,
        rounds_to_agreement=int(outcome.get("round", state.round)) if deal else None,
        messages=len(state.messages), proposals=len(real_props),
        proposals_by_party={p: sum(1 for q in real_props if q.proposer == p) for p in state.party_ids},
        concessions_by_party=_concessions(state, space), citations_used=sum(cites.values()),
        citations_by_party=cites, injects_fired=len(state.injects), walkouts=sorted(state.walked_out),
        fallbacks=sum(1 for e in state.events if e.kind == EventKind.AGENT_FALLBACK),
        threshold_violations=violations,
    )
    return ExerciseResult(
        scenario_id=state.base.id, title=state.base.title, seed=state.seed, protocol=state.protocol.value,
        mode=state.mode, agreement=deal is not None, deal=deal,
        deal_lines=state.scenario.describe_deal(deal) if deal else [], reason=outcome.get("reason", ""),
        round=int(outcome.get("round", state.round)),
        utilities={k: round(v, 9) for k, v in utilities.items()},
        thresholds={p.id: p.threshold for p in state.scenario.parties},
        seats=seats, metrics=metrics, process=process, trajectories=trajectories(state, space),
        coaching={p: _coaching_for(state, p) for p in state.party_ids if state.humans.get(p)},
    )
