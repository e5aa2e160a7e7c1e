"""Exercises: the turn-based runner, the event-sourced store, seats, injects and facilitator actions.

Entry point: :class:`dialogue_engine.exercise.service.ExerciseService`, a facade over ``access`` (exercises
and join codes), ``commands`` (seat and facilitator actions), ``play`` (AI turns), ``solo`` (solo mode),
``projections`` (views) and ``transfer`` (JSONL). ``runner`` holds the turn logic, ``journal`` reads logs,
``runtime`` builds the settings-dependent parts once, and ``chat_cli`` is ``dialogue-engine chat``.
"""

from dialogue_engine.exercise.events import Event, EventKind
from dialogue_engine.exercise.store import EventStore
from dialogue_engine.exercise.views import Phase

__all__ = ["Event", "EventKind", "EventStore", "ExerciseService", "Phase"]


def __getattr__(name: str):
    if name == "ExerciseService":
        from dialogue_engine.exercise.service import ExerciseService

        return ExerciseService
    raise AttributeError(name)
