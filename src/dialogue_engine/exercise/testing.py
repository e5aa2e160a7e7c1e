"""A small deterministic stand-in agent with the ``PersonaAgent`` interface (for tests and benchmarks only).

It concedes linearly from its best deal toward its threshold over the rounds, only ever proposes deals
it accepts, prefers deals the others accept too, and votes by its threshold.
"""

from __future__ import annotations

import random

import numpy as np

from dialogue_engine.agents.types import MoveKind, Observation, ObservationKind, Reply, TurnContext
from dialogue_engine.domain import Deal, Scenario
from dialogue_engine.negotiation.space import DealSpace



class StandInAgent:
    """Threshold-respecting stand-in for :class:`PersonaAgent` (no retrieval, template words)."""

    def __init__(self, persona, scenario: Scenario, party_id: str, *, retriever=None, realizer=None, seed: int = 0):
        self.persona = persona
        self.party_id = party_id
        self.rng = random.Random(seed)
        self.observations: list[Observation] = []
        self.update_scenario(scenario)

    def update_scenario(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.space = DealSpace.from_scenario(scenario)
        self.j = self.space.party_index(self.party_id)

    def shift_relationship(self, other: str, trust_delta: float, commonality_delta: float) -> None:
        """Stand-ins have no relationships."""

    def observe(self, obs: Observation) -> None:
        self.observations.append(obs)

    def vote(self, deal: Deal, *, round_: int | None = None, total_rounds: int | None = None) -> bool:
        """Accept a deal worth at least the threshold (the round does not matter to a stand-in)."""
        try:
            return self.space.utility(self.party_id, deal) >= self.scenario.party(self.party_id).threshold - 1e-9
        except KeyError:
            return False

    def _target(self, ctx: TurnContext) -> Deal:
        own = self.space.utilities[:, self.j]
        ok = self.space.accepts[:, self.j]
        frac = min(1.0, ctx.round / max(1, ctx.total_rounds))
        best, floor = float(own.max()), float(self.space.thresholds[self.j])
        aspiration = best - (best - floor) * frac
        cand = np.flatnonzero(ok & (own >= aspiration - 1e-9))
        if cand.size == 0:
            cand = np.flatnonzero(ok) if ok.any() else np.array([int(own.argmax())])
        others = self.space.accepts[cand].sum(axis=1)
        top = cand[others == others.max()]
        return self.space.deal_at(int(self.rng.choice(list(top))))

    async def respond(self, ctx: TurnContext) -> Reply:
        name = self.party_id
        acceptable = ctx.on_table and self.vote(ctx.on_table, round_=ctx.round, total_rounds=ctx.total_rounds)
        if acceptable and ctx.phase in ("proposals", "responses"):
            return Reply(persona=name, party=name, message="We can accept the package on the table.",
                         move=MoveKind.ACCEPT, proposal=ctx.on_table)
        if ctx.phase == "statements":
            return Reply(persona=name, party=name, message="We want a balanced package that covers every issue.",
                         move=MoveKind.ACKNOWLEDGE)
        deal = self._target(ctx)
        lines = "; ".join(f"{t}: {o}" for t, o in self.scenario.describe_deal(deal))
        return Reply(persona=name, party=name, message=f"We propose: {lines}.", move=MoveKind.PROPOSE, proposal=deal)


def stand_in_factory(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0) -> StandInAgent:
    """An agent factory building stand-ins (persona may be None)."""
    return StandInAgent(persona, scenario, party_id, retriever=retriever, realizer=realizer, seed=seed)


__all__ = ["StandInAgent", "stand_in_factory", "ObservationKind"]
