"""Streamlit pieces shared by the pages: the error guard, cached resources, deal tables, SVG figures, citations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dialogue_engine.config import get_settings
from dialogue_engine.ui.errors import one_line
from dialogue_engine.ui.figures import inline_svg
from dialogue_engine.ui.views import deal_rows


@contextmanager
def guard() -> Iterator[None]:
    """Show any failure inside the block as one ``st.error`` line (Streamlit's own reruns pass through)."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - the page must never show a traceback
        st.error(one_line(err))


def data_key() -> str:
    """Cache key for per-process resources: the data folder and database in use."""
    s = get_settings()
    return f"{s.data_dir.resolve()}|{s.resolved_database_url}|{s.content_dir}"


@st.cache_data(show_spinner=False)
def _scenarios(_key: str):
    from dialogue_engine.domain import load_scenarios

    return load_scenarios()


@st.cache_data(show_spinner=False)
def _personas(_key: str):
    from dialogue_engine.domain import load_personas

    return load_personas()


def scenarios():
    """Every shipped scenario by id (cached per content folder)."""
    return _scenarios(data_key())


def personas():
    """Every shipped persona by id (cached per content folder)."""
    return _personas(data_key())


def deal_table(scenario, deal) -> None:
    """A proposal as an issue-by-option table."""
    rows = deal_rows(scenario, deal)
    if rows:
        st.table(rows)


def svg_figure(svg: str) -> None:
    """Show one of the report's SVG charts so that a real browser draws it (see ``ui.figures``)."""
    st.markdown(inline_svg(svg), unsafe_allow_html=True)


def citations(cites) -> None:
    """Each citation as an expander holding the source passage."""
    for c in cites:
        label = f"[{c.n}] {c.source}" + (f" — {c.section}" if getattr(c, "section", "") else "")
        with st.expander(label):
            if getattr(c, "title", ""):
                st.caption(c.title)
            st.markdown(c.text)


@st.cache_resource(show_spinner=False)
def _knowledge_base(key: str):  # noqa: ARG001 - ``key`` is hashed (a leading underscore would not be)
    from dialogue_engine.knowledge import KnowledgeBase

    s = get_settings()
    return KnowledgeBase(s.resolved_store_dir, chroma_url=s.chroma_url)


def knowledge_base():
    """The knowledge base of this data folder (one per process and folder)."""
    return _knowledge_base(data_key())


@st.cache_resource(show_spinner="Building the knowledge index (first run only)…")
def _default_index(key: str) -> bool:  # noqa: ARG001 - ``key`` is hashed: one build per data folder
    from dialogue_engine.knowledge import build_default_index

    build_default_index()
    return True


def ensure_default_index() -> None:
    """Ingest the shipped notes when the store is missing or stale (once per process and folder)."""
    _default_index(data_key())


def retriever():
    """The knowledge base, built on first use; ``None`` (replies without citations) if it cannot be opened."""
    try:
        ensure_default_index()
        return knowledge_base()
    except Exception as err:  # noqa: BLE001 - play on without grounding, and say so
        st.warning(f"Replies will not cite sources: {one_line(err)}")
        return None


@st.cache_resource(show_spinner=False)
def _event_store(key: str):  # noqa: ARG001 - ``key`` is hashed (a leading underscore would not be)
    from dialogue_engine.exercise.store import EventStore

    return EventStore(get_settings().resolved_database_url)


def live_scenarios() -> set[str]:
    """Ids of the scenarios an exercise that has not ended is playing (read fresh on every rerun)."""
    return _event_store(data_key()).live_scenario_ids()


@st.cache_resource(show_spinner=False)
def _service(key: str, _retriever):  # noqa: ARG001 - ``key`` is hashed: one service per database
    from dialogue_engine.exercise.runtime import build_runtime

    return build_runtime(get_settings(), knowledge=_retriever is not None, retriever=_retriever).service()


def service():
    """The exercise service on this database (one per process and database), grounded on the knowledge base."""
    key = data_key()
    return _service(key, retriever())
