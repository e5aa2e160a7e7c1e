"""Quiet Dialogue — the Streamlit app: one page per job, all logic in ``dialogue_engine``."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Quiet Dialogue", page_icon=":material/handshake:", layout="wide")


def home() -> None:
    """The landing page: what each page is for."""
    st.title("Quiet Dialogue")
    st.markdown(
        "Rehearse a negotiation with grounded personas, run a tabletop or classroom exercise, "
        "and read the after-action report.\n\n"
        "- **Solo dialogue** — pick a scenario and a counterpart, read your private brief and negotiate.\n"
        "- **Exercise** — a facilitator creates an exercise and hands out join codes; each player joins "
        "from their own browser and sees only their own brief.\n"
        "- **Facilitator console** — start, advance, pause, fire injects, watch every seat and the scoreboard.\n"
        "- **Debrief** — the after-action report with charts and downloads.\n"
        "- **Library** and **Knowledge** — browse personas, scenarios and the knowledge base; check your own files."
    )
    st.caption("Runs offline with built-in templates; set QD_LLM=openai to let a language model write the replies.")


pages = {
    "Practice": [
        st.Page(home, title="Home", icon=":material/home:", default=True),
        st.Page("screens/solo.py", title="Solo dialogue", icon=":material/forum:", url_path="solo"),
    ],
    "Exercises": [
        st.Page("screens/exercise.py", title="Exercise", icon=":material/groups:", url_path="exercise"),
        st.Page("screens/facilitator.py", title="Facilitator console", icon=":material/tune:", url_path="facilitator"),
        st.Page("screens/debrief.py", title="Debrief", icon=":material/summarize:", url_path="debrief"),
    ],
    "Content": [
        st.Page("screens/library.py", title="Library", icon=":material/menu_book:", url_path="library"),
        st.Page("screens/knowledge.py", title="Knowledge", icon=":material/search:", url_path="knowledge"),
    ],
}
st.navigation(pages).run()
