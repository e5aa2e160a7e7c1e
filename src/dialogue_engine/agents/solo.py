"""SoloDialogue: bilateral practice — a human seat talks with one persona seat of a scenario."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from dialogue_engine.agents.factory import agent_factory
from dialogue_engine.agents.grounding import Retriever
from dialogue_engine.agents.perception import Perception
from dialogue_engine.agents.realizer import Realizer
from dialogue_engine.agents.types import Deal, Intent, MoveKind, Observation, ObservationKind, Reply, TurnContext
from dialogue_engine.domain.persona import Persona, PersonaKind
from dialogue_engine.domain.scenario import AgreementRule, Party, Scenario
from dialogue_engine.errors import QDError

logger = logging.getLogger(__name__)


class SoloError(QDError):
    """A solo dialogue cannot be set up (unknown seat or persona)."""


@dataclass(frozen=True)
class Line:
    """One line of the transcript."""

    speaker: str
    text: str
    proposal: Deal | None = None
    move: str | None = None


def bilateral(scenario: Scenario, a: str, b: str) -> Scenario:
    """The scenario reduced to two seats that must both accept (thresholds and scores unchanged)."""
    parties = [p.model_copy(update={"veto": False}) for p in scenario.parties if p.id in (a, b)]
    return scenario.model_copy(update={"parties": parties, "rule": AgreementRule()})


def persona_for(party: Party) -> Persona:
    """The persona playing a seat: loaded by id, or a plain stand-in when the scenario names none."""
    from dialogue_engine.domain.loading import DomainError, load_persona

    try:
        return load_persona(party.persona_id)
    except DomainError:
        if party.persona is not None:
            raise
        return Persona(id=party.id, name=party.name or party.id, kind=PersonaKind.OTHER,
                       public_profile=f"The delegation holding the {party.id} seat.")


class SoloDialogue:
    """A practice dialogue: the human holds ``human_party``, a persona answers for ``counterpart_party``.

    Args:
        scenario: the scenario; with more than two parties, only the two seats count and both must accept.
        human_party: the human's seat.
        counterpart_party: the persona's seat.
        retriever: a knowledge base for citations (None: no citations).
        realizer: the counterpart's realizer (default built-in).
        seed: makes the counterpart deterministic.
        persona: the counterpart persona (default: the seat's persona).
    """

    def __init__(self, scenario: Scenario, human_party: str, counterpart_party: str, *,
                 retriever: Retriever | None = None, realizer: Realizer | None = None, seed: int = 0,
                 persona: Persona | None = None):
        ids = scenario.party_ids
        for seat in (human_party, counterpart_party):
            if seat not in ids:
                raise SoloError(f"scenario {scenario.id}: no seat {seat!r} (seats: {', '.join(ids)})")
        if human_party == counterpart_party:
            raise SoloError(f"scenario {scenario.id}: the human and the persona cannot hold the same seat {human_party!r}")
        self.full_scenario = scenario
        self.scenario = bilateral(scenario, human_party, counterpart_party)
        self.human_party = human_party
        self.counterpart_party = counterpart_party
        persona = persona or persona_for(scenario.party(counterpart_party))
        self.agent = agent_factory()(persona, self.scenario, counterpart_party, retriever=retriever,
                                     realizer=realizer, seed=seed)
        self.transcript: list[Line] = []
        self.round = 0
        self.on_table: Deal | None = None
        self.agreed_deal: Deal | None = None
        self.last_perception: Perception | None = None

    @property
    def persona(self) -> Persona:
        return self.agent.persona

    @property
    def total_rounds(self) -> int:
        return self.scenario.rounds

    def human_utility(self, deal: Deal) -> float:
        """The human seat's private total for a complete deal (for the UI; never shown to the persona)."""
        return self.agent.strategy.space.utility(self.human_party, deal)

    def _complete(self, deal: Deal | None) -> bool:
        return bool(deal) and all(i.id in deal for i in self.scenario.issues)

    async def send(self, text: str | None = None, proposal: Deal | None = None) -> Reply:
        """The human speaks (text and/or a structured proposal); returns the persona's reply."""
        self.round += 1
        kind = ObservationKind.PROPOSAL if proposal else ObservationKind.MESSAGE
        obs = Observation(round=self.round, speaker=self.human_party, kind=kind, text=text, proposal=dict(proposal) if proposal else None,
                          to=self.counterpart_party)
        perception = self.agent.perceive(obs)
        self.last_perception = perception
        human_accepts = perception.intent == Intent.ACCEPT and not perception.proposal
        self.transcript.append(Line(self.human_party, text or "", perception.proposal, perception.intent.value))
        if human_accepts and self.agent.last_proposal is not None:
            on_table = self.agent.last_proposal
        elif self._complete(perception.proposal):
            on_table = dict(perception.proposal)
        else:
            on_table = None
        self.agent.observe(obs)
        ctx = TurnContext(round=min(self.round, self.total_rounds), total_rounds=self.total_rounds, phase="negotiation", on_table=on_table, incoming=obs)
        reply = await self.agent.respond(ctx)
        if reply.move == MoveKind.ACCEPT and reply.proposal and self._complete(reply.proposal):
            self.agreed_deal = dict(reply.proposal)
        if reply.proposal:
            self.on_table = dict(reply.proposal)
        self.transcript.append(Line(self.counterpart_party, reply.message, reply.proposal, reply.move.value))
        return reply
