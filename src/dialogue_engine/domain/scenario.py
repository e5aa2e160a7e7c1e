"""Scenario: a multi-party, multi-issue negotiation with private scores, a rule, rounds and injects."""

from __future__ import annotations

from enum import Enum
from collections.abc import Mapping
from typing import Annotated, Literal, Union

from pydantic import Field, field_validator, model_validator

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.objectives import Objective, as_objective
from dialogue_engine.errors import QDError
from dialogue_engine.domain.persona import ID_PATTERN, Strict

OPTION_ID = r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"


class Option(Strict):
    """One way an issue can be settled."""

    id: str = Field(pattern=OPTION_ID)
    label: str = Field(min_length=1)
    description: str = ""


class Issue(Strict):
    """A question on the table with its options."""

    id: str = Field(pattern=OPTION_ID)
    title: str = Field(min_length=1)
    description: str = ""
    options: list[Option] = Field(min_length=1)

    def option(self, option_id: str) -> Option:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        raise KeyError(option_id)


class Incentive(str, Enum):
    """What an AI seat is out to achieve (the incentive column of an LLM-Deliberation game).

    ``cooperative`` seeks a deal good for itself that the table can pass; ``greedy`` asks high, concedes
    late and backs only packages that pay it well, yet still votes for any deal at or above its minimum
    at the end; ``saboteur`` wants no deal while appearing cooperative; ``targeted`` wants a deal that leaves
    its ``target`` party below that party's minimum.
    """

    COOPERATIVE = "cooperative"
    GREEDY = "greedy"
    SABOTEUR = "saboteur"
    TARGETED = "targeted"


class Party(Strict):
    """A seat at the table: which persona plays it, its private brief, scores and threshold.

    ``scores[issue_id][option_id]`` are private points; a deal's utility is their sum over issues. The
    party accepts a deal whose utility is at or above ``threshold`` (its BATNA / minimum total).
    ``incentive`` (and ``target`` for a targeted adversary) set how an AI plays the seat.
    """

    id: str = Field(pattern=ID_PATTERN)
    persona: str | None = Field(default=None, pattern=ID_PATTERN)
    name: str = ""
    role: str = "player"
    veto: bool = False
    private_brief: str = ""
    threshold: float
    scores: dict[str, dict[str, float]]
    incentive: Incentive = Incentive.COOPERATIVE
    target: str | None = Field(default=None, pattern=ID_PATTERN)

    @property
    def persona_id(self) -> str:
        return self.persona or self.id

    @property
    def display_name(self) -> str:
        """The seat's name as people should read it (its name, else its id)."""
        return self.name or self.id

    def utility(self, deal: Mapping[str, str]) -> float:
        """This party's private total for a deal: the sum of its scores over the issues the deal settles.

        Unknown issues or options score 0 (a partial deal is scored on what it settles).
        """
        return float(sum(self.scores.get(i, {}).get(o, 0.0) for i, o in deal.items()))

    def accepts(self, deal: Mapping[str, str]) -> bool:
        """Whether this party's total for ``deal`` is at or above its threshold."""
        return self.utility(deal) >= self.threshold - 1e-9


class DealError(QDError, ValueError):
    """A package that is not a valid, complete deal of the scenario."""


class RuleKind(str, Enum):
    """Kinds of agreement rule."""

    UNANIMITY = "unanimity"
    QUORUM = "quorum"
    MAJORITY = "majority"


class AgreementRule(Strict):
    """When a deal passes.

    - ``unanimity``: every party is at or above its threshold.
    - ``quorum``: at least ``min_parties`` parties are, including every party in ``required`` and every
      party with ``veto``.
    - ``majority``: more than half are, including every veto holder.
    """

    kind: RuleKind = RuleKind.UNANIMITY
    min_parties: int | None = Field(default=None, ge=1)
    required: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _quorum_needs_count(self) -> "AgreementRule":
        if self.kind == RuleKind.QUORUM and self.min_parties is None:
            raise ValueError("a quorum rule needs min_parties")
        return self

    def describe(self, n_parties: int, veto: list[str]) -> str:
        """Plain words for the rule."""
        must = sorted(set(self.required) | set(veto))
        tail = f", including {', '.join(must)}" if must else ""
        if self.kind == RuleKind.UNANIMITY:
            return "every party must accept"
        if self.kind == RuleKind.QUORUM:
            return f"at least {self.min_parties} of {n_parties} parties must accept{tail}"
        return f"a majority of the {n_parties} parties must accept{tail}"


class Protocol(str, Enum):
    """How rounds are played."""

    FREE = "free"
    DELIBERATION = "deliberation"


class ChangeScore(Strict):
    """Change one party's score for one option (``delta`` or absolute ``value``)."""

    kind: Literal["change_score"]
    party: str
    issue: str
    option: str
    delta: float | None = None
    value: float | None = None


class ChangeThreshold(Strict):
    """Change one party's threshold (``delta`` or absolute ``value``)."""

    kind: Literal["change_threshold"]
    party: str
    delta: float | None = None
    value: float | None = None


class ChangeRelationship(Strict):
    """Shift how one party's persona regards another's (deltas, clipped to [-1, 1])."""

    kind: Literal["change_relationship"]
    party: str
    other: str
    trust_delta: float = 0.0
    commonality_delta: float = 0.0


class AddOption(Strict):
    """Put a new option on an issue, with every party's score for it."""

    kind: Literal["add_option"]
    issue: str
    option: Option
    scores: dict[str, float]


class RemoveOption(Strict):
    """Take an option off the table."""

    kind: Literal["remove_option"]
    issue: str
    option: str


Effect = Annotated[
    Union[ChangeScore, ChangeThreshold, ChangeRelationship, AddOption, RemoveOption],
    Field(discriminator="kind"),
]


class TriggerKind(str, Enum):
    """Conditions that fire an inject instead of a fixed round."""

    NO_AGREEMENT_BY = "no_agreement_by"
    OPTION_PROPOSED = "option_proposed"
    PARTY_WALKED_OUT = "party_walked_out"


class Trigger(Strict):
    """A condition for an inject: ``no_agreement_by`` round N; ``option_proposed`` option X; ..."""

    kind: TriggerKind
    round: int | None = Field(default=None, ge=1)
    option: str | None = None
    party: str | None = None


class Inject(Strict):
    """An event that changes the situation, at a round or when a condition holds."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    at_round: int | None = Field(default=None, ge=1)
    trigger: Trigger | None = None
    effects: list[Effect] = Field(default_factory=list)

    @model_validator(mode="after")
    def _when(self) -> "Inject":
        if self.at_round is None and self.trigger is None:
            raise ValueError("an inject needs at_round or trigger (or both)")
        return self


class Scenario(Strict):
    """A negotiation to play: public situation, parties with private stakes, issues, rule and injects."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    summary: str = ""
    situation: str = Field(min_length=1)
    setting: str = ""
    tags: list[str] = Field(default_factory=list)
    solo: bool = False
    parties: list[Party] = Field(min_length=2)
    issues: list[Issue] = Field(min_length=1)
    rule: AgreementRule = Field(default_factory=AgreementRule)
    rounds: int = Field(default=6, ge=1, le=100)
    protocol: Protocol = Protocol.FREE
    chair: bool = False
    """A neutral AI chair tables one single negotiating text per round (the facilitator can switch it)."""
    initial_deal: Deal | None = None
    injects: list[Inject] = Field(default_factory=list)
    learning_objectives: list[Objective] = Field(default_factory=list)
    facilitator_notes: str = ""
    source: str = ""

    @field_validator("learning_objectives", mode="before")
    @classmethod
    def _plain_objectives(cls, value: object) -> object:
        """A plain string is an objective without a check (the older form keeps loading)."""
        return [as_objective(v) for v in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _cross_check(self) -> "Scenario":
        from dialogue_engine.domain.checks import check_scenario

        problems = check_scenario(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def party(self, party_id: str) -> Party:
        for p in self.parties:
            if p.id == party_id:
                return p
        raise KeyError(party_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    @property
    def party_ids(self) -> list[str]:
        return [p.id for p in self.parties]

    @property
    def veto_parties(self) -> list[str]:
        return [p.id for p in self.parties if p.veto]

    def option_index(self) -> dict[str, tuple[str, Option]]:
        """Map option id to (issue id, option)."""
        return {o.id: (i.id, o) for i in self.issues for o in i.options}

    def party_name(self, party_id: str) -> str:
        """A seat's display name; the facilitator and system by role; an unknown id as given."""
        if party_id in ("facilitator", "system", "chair"):
            return party_id.capitalize()
        try:
            return self.party(party_id).display_name
        except KeyError:
            return party_id

    def total(self, party_id: str, deal: Mapping[str, str] | None) -> float | None:
        """A party's total for a complete, valid deal of this scenario; None for no deal or an invalid one."""
        if deal is None or self.deal_problem(deal) is not None:
            return None
        return self.party(party_id).utility(deal)

    def is_complete(self, deal: Mapping[str, str] | None) -> bool:
        """Whether ``deal`` settles every issue of this scenario."""
        return bool(deal) and all(i.id in deal for i in self.issues)

    def deal_problem(self, deal: Mapping[str, str], *, partial: bool = False) -> str | None:
        """Why ``deal`` is not a valid package of this scenario (one line), or None.

        Every issue must be known and settled on one of its options; with ``partial`` unsettled issues are
        allowed (a partial proposal).
        """
        issues = {i.id: i for i in self.issues}
        for issue_id, option_id in deal.items():
            if issue_id not in issues:
                return f"unknown issue {issue_id!r}"
            if option_id not in {o.id for o in issues[issue_id].options}:
                return f"unknown option {option_id!r} on issue {issue_id}"
        missing = [i for i in issues if i not in deal]
        if missing and not partial:
            return f"the deal has no option for issue(s) {', '.join(missing)}"
        return None

    def check_deal(self, deal: Mapping[str, str]) -> Deal:
        """``deal`` as a :class:`Deal` after checking it settles every issue with a known option.

        Raises:
            DealError: unknown issue or option, or an unsettled issue (one line).
        """
        problem = self.deal_problem(deal)
        if problem:
            raise DealError(problem)
        return Deal.of(deal)

    def describe_deal(self, deal: Mapping[str, str]) -> list[tuple[str, str]]:
        """(issue title, option label) for each issue of a deal, in issue order."""
        out = []
        for issue in self.issues:
            if issue.id in deal:
                out.append((issue.title, issue.option(deal[issue.id]).label))
        return out
