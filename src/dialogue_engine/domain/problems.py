"""What goes wrong with a persona or scenario file: one ``Problem`` per cause, raised as a ``DomainError``."""

from __future__ import annotations

from dataclasses import dataclass

from dialogue_engine.errors import QDError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file."""

    file: str
    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


class DomainError(QDError):
    """A persona or scenario could not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(str(problems[0]) if len(problems) == 1 else "; ".join(str(p) for p in problems))


def fail(file: str, reason: str, line: int | None = None, field: str = "") -> DomainError:
    """A ``DomainError`` with a single problem (to ``raise``)."""
    return DomainError([Problem(file, field, reason, line)])
