"""The one place inside ``exercise`` that builds settings-dependent collaborators.

:class:`~dialogue_engine.exercise.service.ExerciseService` takes its store, agent factory, retriever and
realizer as arguments; callers that have none to pass (the CLI commands, headless runs) get them here,
and so does the ``chat`` command's database.
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from dialogue_engine.exercise.store import EventStore

logger = logging.getLogger(__name__)


def agent_factory() -> Any:
    """The settings' agent class: ``PersonaAgent``, or the LLM-deciding agent under ``QD_LLM_DECIDES``."""
    from dialogue_engine.agents.factory import agent_factory as settings_agent_factory

    return settings_agent_factory()


def retriever(knowledge: bool = True, *, build: bool = False) -> Any:
    """The default knowledge base, or None (replies carry no citations).

    Args:
        knowledge: False returns None at once.
        build: ingest the shipped notes when the index is missing or stale (interactive use); otherwise
            the knowledge base is used only when it already holds chunks.
    """
    if not knowledge:
        return None
    try:
        from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base

        kb = default_knowledge_base()
        if build:
            build_default_index(kb)
        if kb.count() > 0:
            return kb
    except Exception as err:  # noqa: BLE001 - retrieval is optional: play on without citations, and say so
        logger.log(logging.WARNING if build else logging.INFO,
                   "running without the knowledge base (%s); replies will carry no citations", err)
    return None


def realizer() -> Any:
    """The settings' realizer: the LLM one when ``QD_LLM`` names a backend, else None (built-in)."""
    from dialogue_engine.config import LLMKind, get_settings

    settings = get_settings()
    if settings.llm == LLMKind.NONE:
        return None
    try:
        from dialogue_engine.agents.llm import make_realizer
    except ImportError as err:
        logger.warning("LLM realizer unavailable (%s); using the built-in realizer", err)
        return None
    return make_realizer(settings)


@contextmanager
def scratch_store() -> Iterator[EventStore]:
    """The database named by ``QD_DATABASE_URL`` when set, else a throwaway SQLite file removed on exit."""
    from dialogue_engine.config import get_settings

    url = get_settings().database_url
    with tempfile.TemporaryDirectory(prefix="qd-chat-") as tmp:
        store = EventStore(url or f"sqlite:///{Path(tmp) / 'chat.db'}")
        try:
            yield store
        finally:
            store.dispose()
