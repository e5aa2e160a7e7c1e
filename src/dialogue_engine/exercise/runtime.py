"""The runtime: settings read once and turned into the parts a run needs.

Every entry point (``chat``, ``exercise run`` and ``batch``, the app, the benchmarks) builds its parts with
:func:`build_runtime`, so ``QD_LLM=openai`` means the same thing everywhere (LLM words, LLM perception,
and LLM decisions under ``QD_LLM_DECIDES``) and a missing key or base URL gives the same one-line error.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogue_engine.config import LLMKind, Settings, get_settings
from dialogue_engine.domain import Persona, Scenario
from dialogue_engine.exercise.store import EventStore

logger = logging.getLogger(__name__)

AgentFactory = Callable[..., Any]
"""``factory(persona, scenario, party_id, *, retriever=None, realizer=None, seed=0)`` -> an agent."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Runtime:
    """The parts of one configured run, built once from settings by :func:`build_runtime`.

    Attributes:
        settings: the settings everything was built from.
        retriever: the knowledge base for citations, or None (replies cite nothing).
        realizer: the resilient LLM realizer when an LLM is configured, else None (each agent then words
            its replies with its own built-in realizer).
        perceiver_for: the perceiver of a scenario: LLM extraction when an LLM is configured, else rules.
        agent_factory: builds an AI seat, giving it the runtime's perceiver for its scenario.
        database_url: where exercises are stored.
    """

    settings: Settings
    retriever: Any
    realizer: Any
    perceiver_for: Callable[[Scenario], Any]
    agent_factory: AgentFactory
    database_url: str

    @property
    def uses_llm(self) -> bool:
        """Whether replies come from a language model."""
        return self.settings.llm is LLMKind.OPENAI

    def store(self, database_url: str | None = None) -> EventStore:
        """An event store on ``database_url`` (default: the settings' database)."""
        return EventStore(database_url or self.database_url)

    @contextmanager
    def scratch_store(self) -> Iterator[EventStore]:
        """The configured database when ``QD_DATABASE_URL`` is set, else a throwaway SQLite file removed on exit."""
        with tempfile.TemporaryDirectory(prefix="qd-run-") as tmp:
            store = EventStore(self.settings.database_url or f"sqlite:///{Path(tmp) / 'exercise.db'}")
            try:
                yield store
            finally:
                store.dispose()

    def service(self, store: EventStore | None = None) -> Any:
        """An :class:`~dialogue_engine.exercise.service.ExerciseService` on these parts."""
        from dialogue_engine.exercise.service import ExerciseService

        return ExerciseService(store or self.store(), agent_factory=self.agent_factory, retriever=self.retriever,
                               realizer=self.realizer)


def default_retriever(settings: Settings, *, build: bool = False) -> Any:
    """The settings' knowledge base when it can be opened and holds chunks, else None (said in the log).

    Args:
        settings: where the store lives.
        build: ingest the shipped notes first when the index is missing or stale (interactive use).
    """
    try:
        from dialogue_engine.knowledge.defaults import build_default_index, default_knowledge_base

        kb = default_knowledge_base()
        if build:
            build_default_index(kb)
        if kb.count() > 0:
            return kb
        logger.log(logging.WARNING if build else logging.INFO,
                   "the knowledge base at %s is empty; replies will carry no citations", settings.resolved_store_dir)
    except Exception as err:  # noqa: BLE001 - retrieval is optional: play on without citations, and say so
        logger.log(logging.WARNING if build else logging.INFO,
                   "running without the knowledge base (%s); replies will carry no citations", err)
    return None


def agent_factory(settings: Settings) -> AgentFactory:
    """The settings' agent class with the settings' perceiver: rules offline, LLM extraction with an LLM.

    Raises:
        ConfigError: an LLM is selected but not configured.
    """
    from dialogue_engine.agents.factory import agent_factory as agent_class
    from dialogue_engine.agents.llm_perception import make_perceiver

    base = agent_class(settings)
    if settings.llm is not LLMKind.OPENAI:
        return base

    def factory(persona: Persona, scenario: Scenario, party_id: str, **kwargs: Any) -> Any:
        kwargs.setdefault("perceiver", make_perceiver(settings, scenario))
        return base(persona, scenario, party_id, **kwargs)

    return factory


def build_runtime(settings: Settings | None = None, *, knowledge: bool = True, build_index: bool = False,
                  retriever: Any = None) -> Runtime:
    """The configured parts, built once.

    Args:
        settings: run-time settings (default: :func:`~dialogue_engine.config.get_settings`).
        knowledge: ground replies in the default knowledge base (False: no citations).
        build_index: ingest the shipped notes first when the index is missing or stale.
        retriever: use this retriever instead of the default knowledge base.

    Raises:
        ConfigError: an LLM is selected but not configured (one line, the same from every entry point).
    """
    settings = settings or get_settings()
    from dialogue_engine.agents.llm import make_realizer
    from dialogue_engine.agents.llm_perception import make_perceiver

    realizer = make_realizer(settings) if settings.llm is LLMKind.OPENAI else None
    factory = agent_factory(settings)
    if retriever is None and knowledge:
        retriever = default_retriever(settings, build=build_index)
    return Runtime(settings=settings, retriever=retriever, realizer=realizer,
                   perceiver_for=lambda scenario: make_perceiver(settings, scenario), agent_factory=factory,
                   database_url=settings.resolved_database_url)
