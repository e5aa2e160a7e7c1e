"""AI play: the AI seats' turns, the facilitator's *advance*, and headless play to the end.

The turn logic itself is in :mod:`dialogue_engine.exercise.runner`; this module drives it against the
journal, retrying when another process moved the log meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from dialogue_engine.domain import persona_for
from dialogue_engine.errors import QDError
from dialogue_engine.exercise import runner
from dialogue_engine.exercise.commands import open_briefing
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import EventKind, NewEvent
from dialogue_engine.exercise.journal import Journal
from dialogue_engine.exercise.projections import clock_view, outcome_view
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.exercise.store import SeqConflict
from dialogue_engine.exercise.views import Clock, Outcome, Phase

logger = logging.getLogger(__name__)

MAX_STEP_RETRIES = 200


class PersonaBook:
    """The personas playing AI seats, loaded once per persona id.

    A seat whose scenario names no persona gets the plain stand-in persona of
    :func:`~dialogue_engine.agents.solo.persona_for`; a seat naming a persona that cannot be loaded is
    an error (one line, naming the seat), whatever agent factory plays it.
    """

    def __init__(self) -> None:
        self._personas: dict[str, Any] = {}

    def __call__(self, party: Any) -> Any:
        if party.persona_id not in self._personas:
            try:
                self._personas[party.persona_id] = persona_for(party)
            except QDError as err:
                detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                raise ExerciseError(f"seat {party.id}: persona {party.persona_id!r} cannot be loaded "
                                    f"({detail})") from err
        return self._personas[party.persona_id]


class AIPlay:
    """Plays the AI seats of exercises in one journal.

    Args:
        journal: where logs are read and appended.
        agent_factory: builds an AI seat: ``factory(persona, scenario, party_id, *, retriever, realizer, seed)``.
        retriever: passed to every agent (None: no citations).
        realizer: passed to every agent (None: the agent's default).
    """

    def __init__(self, journal: Journal, agent_factory: runner.AgentFactory, *, retriever: Any = None,
                 realizer: Any = None):
        self.journal = journal
        self.seating = runner.Seating(factory=agent_factory, persona_for=PersonaBook(), retriever=retriever,
                                      realizer=realizer)
        self.agents = runner.AgentCache()

    def perceive(self, state: ExerciseState, party: str, speaker: str, text: str) -> Any:
        """How ``party``'s agent reads a line ``speaker`` is about to say (its perceiver, not its memory)."""
        agent = self.agents.base(state, party, self.seating)
        return agent.perceiver.perceive(text, None) if hasattr(agent, "perceiver") else None

    async def turns(self, state: ExerciseState, parties: list[str], *,
                    on_text: Callable[[str], object] | None = None) -> list[NewEvent]:
        """The events of ``parties``' turns in the current phase (not appended); ``on_text`` receives the
        reply's words as they become safe to show (one party)."""
        return await runner.ai_turns(state, self.seating, parties, self.agents, on_text=on_text)

    def step(self, exercise_id: str) -> int:
        """Play the AI seats owed a turn in the current phase; returns the number of events appended."""
        return asyncio.run(self.astep(exercise_id))

    async def astep(self, exercise_id: str) -> int:
        """Async :meth:`step`: AI seats of a phase respond concurrently (deliberation: one after another)."""
        total = 0
        for _ in range(10_000):
            state = self.journal.state(exercise_id)
            parties = runner.next_turns(state)
            if not parties:
                return total
            evs = await self.turns(state, parties)
            try:
                total += len(self.journal.append_checked(state, evs))
            except SeqConflict:
                logger.debug("log moved during an AI step of %s; recomputing", exercise_id)
        return total

    def advance(self, exercise_id: str) -> Clock:
        """Let the AI seats finish the current phase, then move to the next phase (or round, or the end)."""
        for _ in range(MAX_STEP_RETRIES):
            self.step(exercise_id)
            state = self.journal.state(exercise_id)
            if state.paused:
                raise ExerciseError("the exercise is paused")
            blocked = runner.blocking_human(state)
            if blocked is not None:
                try:
                    self.journal.append_checked(state, [NewEvent(EventKind.TURN_SKIPPED, blocked,
                                                                 {"round": state.round, "turn": True})])
                except SeqConflict:
                    pass
                continue
            evs = runner.transition(state)
            if not evs:
                return clock_view(state)
            try:
                self.journal.append_checked(state, evs)
                return clock_view(self.journal.state(exercise_id))
            except SeqConflict:
                continue
        raise ExerciseError(f"exercise {exercise_id} is too busy to advance; try again")

    def run_to_end(self, exercise_id: str, max_steps: int = 10_000) -> Outcome:
        """Play every phase until the exercise ends (headless play; human seats stay silent)."""
        for _ in range(max_steps):
            state = self.journal.state(exercise_id)
            if state.ended:
                return outcome_view(state)
            if state.phase == Phase.SETUP:
                open_briefing(self.journal, state)
            else:
                self.advance(exercise_id)
        raise ExerciseError(f"exercise {exercise_id} did not end within {max_steps} steps")
