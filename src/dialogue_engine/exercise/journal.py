"""The journal: an exercise's log read incrementally from the store and folded into state.

Every exercise action reads the log through a :class:`Journal`, folds it, acts and appends, so several
processes share one exercise consistently and a restarted process resumes exactly where the log ends.
"""

from __future__ import annotations

import threading

from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, NewEvent
from dialogue_engine.exercise.state import ExerciseState, fold
from dialogue_engine.exercise.store import EventStore


class Journal:
    """Reads and appends exercise logs in one :class:`EventStore`, caching the immutable log prefix."""

    def __init__(self, store: EventStore):
        self.store = store
        self._logs: dict[str, list[Event]] = {}
        self._scenarios: dict = {}
        self._lock = threading.Lock()

    def events(self, exercise_id: str) -> list[Event]:
        """The whole log, in order, straight from the store."""
        return self.store.events(exercise_id)

    def state(self, exercise_id: str) -> ExerciseState:
        """The folded state of an exercise (rebuilt from the database)."""
        events = self._log(exercise_id)
        if not events:
            self.store.get_exercise(exercise_id)
            raise ExerciseError(f"exercise {exercise_id} has an empty log")
        return fold(events, self._scenarios)

    def append_checked(self, state: ExerciseState, evs: list[NewEvent]) -> list[Event]:
        """Append ``evs`` only if the log still ends where ``state`` was read (else ``SeqConflict``)."""
        return self.store.append_many(state.exercise_id, evs, expect_seq=state.last_seq)

    def _log(self, exercise_id: str) -> list[Event]:
        """The log, read incrementally (events are immutable and seqs gap-free, so a prefix can be kept)."""
        with self._lock:
            cached = self._logs.get(exercise_id, [])
        new = self.store.events(exercise_id, after=cached[-1].seq if cached else 0)
        if new and cached and new[0].seq != cached[-1].seq + 1:
            cached, new = [], self.store.events(exercise_id)
        events = cached + new
        with self._lock:
            if len(events) >= len(self._logs.get(exercise_id, [])):
                self._logs[exercise_id] = events
        return events
