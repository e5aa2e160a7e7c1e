"""Persona: a role-played government or non-state actor, loaded from YAML."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"


class Strict(BaseModel):
    """Base for everything loaded from YAML: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PersonaKind(str, Enum):
    """What kind of actor a persona plays."""

    STATE = "state"
    BLOC = "bloc"
    IGO = "igo"
    UN_OFFICE = "un_office"
    NGO = "ngo"
    FOUNDATION = "foundation"
    FIRM = "firm"
    DEVELOPMENT_BANK = "development_bank"
    SUBNATIONAL = "subnational"
    ALLIANCE = "alliance"
    COALITION = "coalition"
    OTHER = "other"


NON_STATE_KINDS = frozenset(
    {
        PersonaKind.NGO,
        PersonaKind.FOUNDATION,
        PersonaKind.FIRM,
        PersonaKind.DEVELOPMENT_BANK,
        PersonaKind.SUBNATIONAL,
        PersonaKind.ALLIANCE,
        PersonaKind.COALITION,
        PersonaKind.UN_OFFICE,
        PersonaKind.IGO,
    }
)


class Interest(Strict):
    """One of a persona's interests; list order is its rank."""

    name: str = Field(min_length=1)
    description: str = ""
    weight: float = Field(gt=0, le=1)


class NegotiationStyle(Strict):
    """How a persona concedes over time and how much it asks for.

    ``concession`` is the exponent e of time-dependent concession: aspiration(t) falls from the opening
    level to the threshold as ``t ** (1 / e)``; e < 1 is Boulware (holds firm, concedes late), e > 1 is
    Conceder (concedes early), e = 1 is linear.
    """

    concession: float = Field(default=1.0, gt=0, le=10)
    opening_ambition: float = Field(default=0.9, ge=0, le=1)
    patience: float = Field(default=0.5, ge=0, le=1)
    risk_attitude: float = Field(default=0.0, ge=-1, le=1)


class Voice(Strict):
    """How a persona sounds."""

    formality: str = "formal"
    tone: str = "measured"
    phrases: list[str] = Field(default_factory=list)
    openers: list[str] = Field(default_factory=list)
    taboo_words: list[str] = Field(default_factory=list)


class KnowledgeScope(Strict):
    """Which knowledge-base passages a persona grounds on."""

    tags: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


class Relationship(Strict):
    """A persona's stance toward another: trust and value commonality in [-1, 1]."""

    trust: float = Field(ge=-1, le=1)
    commonality: float = Field(ge=-1, le=1)
    note: str = ""


class Persona(Strict):
    """A role-played actor: who it is, what it wants, how it negotiates and how it speaks."""

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1)
    short_name: str = ""
    kind: PersonaKind
    public_profile: str = Field(min_length=1)
    worldview: str = ""
    interests: list[Interest] = Field(default_factory=list)
    red_lines: list[str] = Field(default_factory=list)
    style: NegotiationStyle = Field(default_factory=NegotiationStyle)
    voice: Voice = Field(default_factory=Voice)
    knowledge: KnowledgeScope = Field(default_factory=KnowledgeScope)
    relationships: dict[str, Relationship] = Field(default_factory=dict)

    @field_validator("relationships")
    @classmethod
    def _no_self_relationship(cls, value: dict[str, Relationship], info) -> dict[str, Relationship]:
        own = info.data.get("id")
        if own is not None and own in value:
            raise ValueError(f"a persona has no relationship with itself ({own!r})")
        return value

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def is_state(self) -> bool:
        return self.kind not in NON_STATE_KINDS

    def relationship(self, other_id: str) -> Relationship:
        """The stance toward ``other_id`` (neutral when none is written)."""
        return self.relationships.get(other_id, Relationship(trust=0.0, commonality=0.0))
