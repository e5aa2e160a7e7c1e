"""A solo dialogue as the page keeps it: the dialogue itself plus the turns shown in the chat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Scenario
from dialogue_engine.ui.views import Deal, deal_text, is_complete, party_name, utility


@dataclass(frozen=True)
class ChatTurn:
    """One line of the chat: who spoke, the words, and for the counterpart its move, proposal and citations."""

    speaker: str
    name: str
    text: str
    move: str | None = None
    proposal: Deal | None = None
    citations: tuple[Any, ...] = ()
    realizer: str = "builtin"
    fallback_reason: str | None = None


@dataclass
class SoloSession:
    """A human seat negotiating with one persona agent.

    Args:
        scenario: the scenario to play.
        human_party / counterpart_party: the two seats.
        retriever / realizer: passed to :class:`~dialogue_engine.agents.solo.SoloDialogue`.
    """

    scenario: Scenario
    human_party: str
    counterpart_party: str
    retriever: Any = None
    realizer: Any = None
    personas: dict[str, Persona] | None = None
    turns: list[ChatTurn] = field(default_factory=list)
    agreed: Deal | None = None
    ended: bool = False

    def __post_init__(self) -> None:
        from dialogue_engine.agents.solo import SoloDialogue

        kwargs: dict[str, Any] = {}
        if self.retriever is not None:
            kwargs["retriever"] = self.retriever
        if self.realizer is not None:
            kwargs["realizer"] = self.realizer
        self.dialogue = SoloDialogue(self.scenario, self.human_party, self.counterpart_party, **kwargs)
        self._loop = asyncio.new_event_loop()

    @property
    def counterpart_name(self) -> str:
        return party_name(self.scenario, self.counterpart_party, self.personas)

    @property
    def on_table(self) -> Deal | None:
        """The latest complete package anyone put forward."""
        for turn in reversed(self.turns):
            if turn.proposal and is_complete(self.scenario, turn.proposal):
                return turn.proposal
        return None

    def send(self, text: str | None = None, proposal: Deal | None = None) -> ChatTurn:
        """Say something and/or table a package; return the counterpart's turn."""
        words = (text or "").strip()
        if proposal and not words:
            words = "I propose: " + deal_text(self.scenario, proposal)
        self.turns.append(ChatTurn("you", "You", words or "…", proposal=proposal))
        reply = self._loop.run_until_complete(self.dialogue.send(text=words or None, proposal=proposal))
        turn = ChatTurn(self.counterpart_party, self.counterpart_name, reply.message, reply.move.value,
                        reply.proposal, tuple(reply.citations), reply.realizer, reply.fallback_reason)
        self.turns.append(turn)
        if reply.move.value == "accept":
            accepted = reply.proposal or proposal or self._last_human_proposal()
            if accepted and is_complete(self.scenario, accepted):
                self.agreed = dict(accepted)
        return turn

    def _last_human_proposal(self) -> Deal | None:
        for turn in reversed(self.turns):
            if turn.speaker == "you" and turn.proposal:
                return turn.proposal
        return None

    def my_utility(self, deal: Deal | None) -> float | None:
        """The human seat's points for a deal."""
        return utility(self.scenario, self.human_party, deal)

    def close(self) -> None:
        """End the dialogue and release the event loop."""
        self.ended = True
        if not self._loop.is_closed():
            self._loop.close()
