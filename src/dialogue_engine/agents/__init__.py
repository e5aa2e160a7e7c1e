"""Persona agents: perceive -> decide (strategy) -> ground (retrieval) -> realize -> guard."""

from dialogue_engine.agents.acts import Act
from dialogue_engine.agents.agent import PersonaAgent, TurnRecord
from dialogue_engine.agents.builtin import BuiltinRealizer
from dialogue_engine.agents.grounding import Grounder
from dialogue_engine.agents.guard import check_reply, scrub
from dialogue_engine.agents.perception import Perceiver, Perception, RulePerceiver
from dialogue_engine.agents.realizer import Realization, Realizer, RealizeRequest
from dialogue_engine.agents.types import (
    Citation,
    Deal,
    Move,
    MoveKind,
    Observation,
    ObservationKind,
    Reply,
    TurnContext,
)

__all__ = [
    "Act", "BuiltinRealizer", "Citation", "Deal", "Grounder", "Move", "MoveKind", "Observation",
    "ObservationKind", "Perceiver", "Perception", "PersonaAgent", "Realization", "RealizeRequest",
    "Realizer", "Reply", "RulePerceiver", "TurnContext", "TurnRecord", "check_reply",
    "scrub",
]
