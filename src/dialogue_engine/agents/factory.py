"""Which agent class plays an AI seat, from settings (``QD_LLM_DECIDES`` switches on the research mode)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from dialogue_engine.config import LLMKind, Settings, get_settings


def agent_factory(settings: Settings | None = None) -> Callable[..., Any]:
    """A callable with ``PersonaAgent``'s signature.

    ``PersonaAgent`` by default; with ``QD_LLM=openai`` and ``QD_LLM_DECIDES=1`` an agent whose moves come
    from the model under the strategy's veto (never below threshold).
    """
    settings = settings or get_settings()
    from dialogue_engine.agents.agent import PersonaAgent

    if settings.llm != LLMKind.OPENAI or not settings.llm_decides:
        return PersonaAgent
    from dialogue_engine.agents.llm import make_model
    from dialogue_engine.agents.llm_decide import LLMDecider, make_deciding_agent_class

    return functools.partial(make_deciding_agent_class(), decider=LLMDecider(make_model(settings)))
