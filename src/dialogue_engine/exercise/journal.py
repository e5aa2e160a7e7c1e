"""The journal: an exercise's log read incrementally from the store and folded into state.

Every exercise action reads the log through a :class:`Journal`, folds it, acts and appends, so several
processes share one exercise consistently and a restarted process resumes exactly where the log ends.
"""

from __future__ import annotations

import threading
from typing import Callable

from dialogue_engine.exercise.admission import admit
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, NewEvent
from dialogue_engine.exercise.state import ExerciseState, fold
from dialogue_engine.exercise.store import EventStore, SeqConflict

MAX_COMMIT_RETRIES = 200
"""How often :meth:`Journal.commit` re-reads and decides again when other writers keep moving the log."""


class Journal:
    """Reads and appends exercise logs in one :class:`EventStore`, caching the immutable log prefix."""

    def __init__(self, store: EventStore):
        self.store = store
        self._logs: dict[str, list[Event]] = {}
        self._scenarios: dict = {}
        self._lock = threading.Lock()
        self._writers: dict[str, threading.RLock] = {}

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
        """Append ``evs`` only if they are admissible after ``state`` and the log still ends there.

        Raises:
            ExerciseError: an event is refused (:func:`~.admission.admit`); nothing is stored.
            SeqConflict: the log moved on since ``state`` was read; nothing is stored.
        """
        admit(state, evs, self._scenarios)
        return self.store.append_many(state.exercise_id, evs, expect_seq=state.last_seq)

    def commit(self, exercise_id: str, decide: Callable[[ExerciseState], list[NewEvent]]) -> list[Event]:
        """Read the state, let ``decide`` choose the events, check them and append them as one step.

        When another writer moved the log in between, the state is read again and ``decide`` runs again, so
        what is appended was decided, and checked, on the state it follows. ``decide`` raises
        :class:`ExerciseError` to refuse; then nothing is stored.

        Commits to one exercise from the threads of this process take turns (many seats acting at once
        would otherwise all decide on the same state and all but one start over); other processes still
        race optimistically, through the store's ``expect_seq``.
        """
        with self._writer(exercise_id):
            for _ in range(MAX_COMMIT_RETRIES):
                state = self.state(exercise_id)
                evs = decide(state)
                if not evs:
                    return []
                try:
                    return self.append_checked(state, evs)
                except SeqConflict:
                    continue
        raise ExerciseError(f"exercise {exercise_id} is too busy; try again")

    def _writer(self, exercise_id: str) -> threading.RLock:
        with self._lock:
            return self._writers.setdefault(exercise_id, threading.RLock())

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
