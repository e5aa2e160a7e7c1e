"""Learning objectives of a scenario and the small, closed set of criteria a report can check.

An objective is a sentence for the facilitator and, optionally, a ``check``: one criterion or a list of
criteria that must all hold. Each criterion is decided from the outcome of an exercise alone (the deal,
the round it passed, the votes on it and the parties' totals), never from the wording of the transcript.
Every criterion except ``agreement`` and ``agreement_by_round`` is about the deal, so with no agreement
it is not met.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator

from dialogue_engine.domain.persona import Strict


class DealIncludes(Strict):
    """The agreed deal settles an issue on ``option``."""

    kind: Literal["deal_includes"]
    option: str = Field(min_length=1)


class DealExcludes(Strict):
    """An agreed deal that does not contain ``option``."""

    kind: Literal["deal_excludes"]
    option: str = Field(min_length=1)


class PartyAboveMinimum(Strict):
    """``party``'s total for the agreed deal is at or above its threshold (``strict``: above it)."""

    kind: Literal["party_above_minimum"]
    party: str = Field(min_length=1)
    strict: bool = False


class PartyVotesYes(Strict):
    """``party`` voted for the proposal that became the deal."""

    kind: Literal["party_votes_yes"]
    party: str = Field(min_length=1)


class AgreementReached(Strict):
    """Some deal passed."""

    kind: Literal["agreement"]


class AgreementByRound(Strict):
    """A deal passed in round ``round`` or earlier."""

    kind: Literal["agreement_by_round"]
    round: int = Field(ge=1)


Criterion = Annotated[
    Union[DealIncludes, DealExcludes, PartyAboveMinimum, PartyVotesYes, AgreementReached, AgreementByRound],
    Field(discriminator="kind"),
]
CRITERION_KINDS = ("deal_includes", "deal_excludes", "party_above_minimum", "party_votes_yes", "agreement",
                   "agreement_by_round")


class Objective(Strict):
    """A learning objective: its text and the criteria that decide it (none: the facilitator decides).

    In YAML ``check`` is one criterion or a list of them; it is kept as a list, all of which must hold.
    """

    text: str = Field(min_length=1)
    check: list[Criterion] = Field(default_factory=list)

    @field_validator("check", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value is None:
            return []
        return [value] if isinstance(value, dict) else value

    @property
    def checkable(self) -> bool:
        """Whether the report can decide this objective from the outcome."""
        return bool(self.check)


def as_objective(value: Any) -> Any:
    """A plain string as ``{"text": value}`` (the older form of an objective); anything else unchanged."""
    return {"text": value} if isinstance(value, str) else value
