"""The persona that plays a seat: the one the scenario names, or a plain stand-in when it names none."""

from __future__ import annotations

from dialogue_engine.domain.persona import Persona, PersonaKind
from dialogue_engine.domain.scenario import Party


def persona_for(party: Party) -> Persona:
    """The persona playing a seat: loaded by id, or a plain stand-in when the scenario names none.

    Raises:
        DomainError: the scenario names a persona that cannot be loaded.
    """
    from dialogue_engine.domain.loading import DomainError, load_persona

    try:
        return load_persona(party.persona_id)
    except DomainError:
        if party.persona is not None:
            raise
        return Persona(id=party.id, name=party.name or party.id, kind=PersonaKind.OTHER,
                       public_profile=f"The delegation holding the {party.id} seat.")
