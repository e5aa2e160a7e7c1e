"""The error every exercise module raises for an action that is not possible."""

from __future__ import annotations

from dialogue_engine.errors import QDError


class ExerciseError(QDError):
    """An exercise action was not possible (unknown code, wrong phase, invalid deal ...)."""
