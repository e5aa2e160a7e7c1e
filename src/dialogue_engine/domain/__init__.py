"""Domain objects personas and scenarios are written in, and their YAML loaders."""

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import Move, MoveKind
from dialogue_engine.domain.effects import apply_effects, relationship_changes
from dialogue_engine.domain.loading import (
    DomainError,
    Problem,
    load_persona,
    load_personas,
    load_scenario,
    load_scenarios,
    parse_model,
    persona_for,
)
from dialogue_engine.domain.persona import (
    Interest,
    KnowledgeScope,
    NegotiationStyle,
    Persona,
    PersonaKind,
    Relationship,
    Voice,
)
from dialogue_engine.domain.scenario import (
    Incentive,
    AddOption,
    AgreementRule,
    ChangeRelationship,
    ChangeScore,
    ChangeThreshold,
    DealError,
    Effect,
    Inject,
    Issue,
    Option,
    Party,
    Protocol,
    RemoveOption,
    RuleKind,
    Scenario,
    Trigger,
    TriggerKind,
)

__all__ = [
    "Incentive",
    "AddOption", "AgreementRule", "ChangeRelationship", "ChangeScore", "ChangeThreshold", "DomainError",
    "Effect", "Inject", "Interest", "Issue", "KnowledgeScope", "NegotiationStyle", "Option", "Party",
    "Persona", "PersonaKind", "Problem", "Protocol", "Relationship", "RemoveOption", "RuleKind", "Scenario",
    "Trigger", "TriggerKind", "Voice", "apply_effects", "load_persona", "load_personas", "load_scenario",
    "load_scenarios", "parse_model", "persona_for", "relationship_changes",
]
