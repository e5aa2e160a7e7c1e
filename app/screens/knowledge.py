"""Knowledge: ingest documents (with progress), search with filters, read a source's chunks."""

from __future__ import annotations

import streamlit as st
from qd_widgets import guard, knowledge_base

from dialogue_engine.ui.knowledge import (
    hit_rows,
    ingest_uploads,
    progress_step,
    save_upload,
    search_filter,
    source_names,
)
from dialogue_engine.ui.uploads import KNOWLEDGE_MAX_BYTES, KNOWLEDGE_TYPES

st.title("Knowledge")


def tags_from(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


with guard():
    kb = knowledge_base()
    sources = source_names(kb.sources())
    st.caption(f"{kb.count()} passages from {len(sources)} source(s).")
    tab_search, tab_add, tab_chunks = st.tabs(["Search", "Add documents", "Chunks"])

    with tab_search, guard():
        with st.form("kb_search"):
            query = st.text_input("Query", key="kb_query")
            c1, c2, c3 = st.columns([2, 2, 1])
            chosen = c1.multiselect("Sources", sources, key="kb_sources")
            tags = c2.text_input("Tags (comma-separated, any of them)", key="kb_tags")
            k = c3.number_input("Results", 1, 20, 5, key="kb_k")
            submitted = st.form_submit_button("Search")
        if submitted and query.strip():
            hits = kb.search(query.strip(), k=int(k), where=search_filter(chosen, tags_from(tags)))
            if not hits:
                st.info("No passages match.")
            st.session_state["kb_hits"] = hits
        for n, hit in enumerate(st.session_state.get("kb_hits", []), 1):
            with st.expander(f"{n}. {hit.source} — {hit.section or hit.title} (score {hit.score:.3f})"):
                st.markdown(hit.text)
                if hit.tags:
                    st.caption("tags: " + ", ".join(hit.tags))

    with tab_add, guard():
        limit = KNOWLEDGE_MAX_BYTES // (1024 * 1024)
        files = st.file_uploader(f"Documents (.md, .txt, .html, .pdf; up to {limit} MB each)",
                                 type=list(KNOWLEDGE_TYPES), accept_multiple_files=True, key="kb_upload",
                                 max_upload_size=limit)
        new_tags = st.text_input("Tags for these documents (comma-separated)", key="kb_new_tags")
        if st.button("Ingest", key="kb_ingest", disabled=not files):
            paths = [save_upload(f.name, f.getvalue()) for f in files]
            bar = st.progress(0.0, text="Ingesting…")

            def report(*args, **kwargs) -> None:
                step = progress_step(*args, **kwargs)
                bar.progress(step.fraction, text=step.text)

            result = ingest_uploads(kb, paths, tuple(tags_from(new_tags)), report)
            bar.progress(1.0, text="Done")
            st.success(result.summary())

    with tab_chunks, guard():
        if sources:
            src = st.selectbox("Source", sources, key="kb_chunk_source")
            for chunk in kb.chunks(src):
                with st.expander(f"#{chunk.position} {chunk.section or chunk.title}"):
                    st.markdown(chunk.text)
        else:
            st.info("The knowledge base is empty: add documents, or run `dialogue-engine kb build`.")
