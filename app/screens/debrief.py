"""Debrief: the after-action report with charts; download it as Markdown or HTML and the log as JSONL."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from qd_widgets import guard, service

from dialogue_engine.ui.debrief import build_debrief

st.title("Debrief")


def login() -> None:
    known = st.session_state.get("fac_code") or getattr(st.session_state.get("ex_created"), "facilitator_code", "")
    with st.form("debrief_login"):
        code = st.text_input("Facilitator code", value=known or "", type="password", key="debrief_code_input")
        go = st.form_submit_button("Open report")
    if go and code.strip():
        seat = service().join(code.strip())
        if seat.party is not None:
            st.error("The report shows every seat's scores: open it with the facilitator code.")
            return
        st.session_state["debrief_exercise"] = seat.exercise_id
        st.rerun()


def show(exercise_id: str) -> None:
    d = build_debrief(service(), exercise_id)
    r = d.result
    st.subheader(r.title)
    tone, line = d.verdict
    {"success": st.success, "warning": st.warning}.get(tone, st.info)(line)  # no agreement is never a success
    if r.deal_lines:
        st.table([{"Issue": t, "Option": o} for t, o in r.deal_lines])
    c1, c2 = st.columns(2)
    bars = pd.DataFrame(d.outcome_rows())
    c1.altair_chart(alt.Chart(bars, title="Points against threshold").mark_bar().encode(
        x=alt.X("Seat:N"), xOffset="Measure:N", y="Value:Q", color="Measure:N"), width="stretch")
    traj = pd.DataFrame(d.trajectory_rows())
    if not traj.empty:
        c2.altair_chart(alt.Chart(traj, title="Points of the deal on the table").mark_line(point=True).encode(
            x="Step:Q", y="Points:Q", color="Seat:N"), width="stretch")
    d1, d2, d3 = st.columns(3)
    d1.download_button("Report (Markdown)", d.markdown, f"{exercise_id}-report.md", "text/markdown", key="dl_md")
    d2.download_button("Report (HTML)", d.html, f"{exercise_id}-report.html", "text/html", key="dl_html")
    d3.download_button("Exercise log (JSONL)", d.jsonl, f"{exercise_id}-events.jsonl", "application/jsonl",
                       key="dl_jsonl")
    st.markdown(d.markdown)


with guard():
    if "debrief_exercise" not in st.session_state:
        login()
    else:
        show(st.session_state["debrief_exercise"])
        if st.button("Another exercise", key="debrief_close"):
            st.session_state.pop("debrief_exercise", None)
            st.rerun()
