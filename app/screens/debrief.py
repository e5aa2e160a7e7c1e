"""Debrief: the after-action report with charts; download it as Markdown or HTML and the log as JSONL.

The facilitator code opens the full report; a seat code opens that seat's own deal-space plot only."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from qd_widgets import guard, service, svg_figure

from dialogue_engine.ui.debrief import build_debrief, build_player_debrief, can_reveal, reveal_outcome

st.title("Debrief")


def login() -> None:
    known = st.session_state.get("fac_code") or getattr(st.session_state.get("ex_created"), "facilitator_code", "")
    with st.form("debrief_login"):
        code = st.text_input("Facilitator or seat code", value=known or "", type="password",
                             key="debrief_code_input")
        go = st.form_submit_button("Open report")
    if go and code.strip():
        seat = service().join(code.strip())
        if seat.party is not None:  # a player sees its own deal space, never the other seats' scores
            st.session_state["debrief_seat"] = (seat.exercise_id, seat.party)
        else:
            st.session_state["debrief_exercise"] = seat.exercise_id
            st.session_state["debrief_fac_code"] = code.strip()
        st.rerun()


def show_player(exercise_id: str, party: str) -> None:
    d = build_player_debrief(service(), exercise_id, party)
    st.subheader(f"Your debrief, {d.name}")
    tone, line = d.verdict
    {"success": st.success, "warning": st.warning}.get(tone, st.info)(line)
    st.caption("The full after-action report shows every seat's scores; the facilitator opens it with the "
               "facilitator code.")
    svg_figure(d.plot_svg)
    st.caption(d.caption)


def show(exercise_id: str) -> None:
    d = build_debrief(service(), exercise_id)
    r = d.result
    st.subheader(r.title)
    tone, line = d.verdict
    {"success": st.success, "warning": st.warning}.get(tone, st.info)(line)  # no agreement is never a success
    if r.deal_lines:
        st.table([{"Issue": t, "Option": o} for t, o in r.deal_lines])
    c1, c2 = st.columns(2)
    names = alt.Axis(labelLimit=0)  # seat names in full (Vega cuts labels at 180 px by default)
    bars = pd.DataFrame(d.outcome_rows())
    c1.altair_chart(alt.Chart(bars, title="Points against threshold").mark_bar().encode(
        y=alt.Y("Seat:N", title=None, axis=names), yOffset="Measure:N", x=alt.X("Value:Q", title="Points"),
        color=alt.Color("Measure:N", legend=alt.Legend(orient="bottom"))), width="stretch")
    traj = pd.DataFrame(d.trajectory_rows())
    if not traj.empty:
        c2.altair_chart(alt.Chart(traj, title="Points of the deal on the table").mark_line(point=True).encode(
            x=alt.X("Step:Q", axis=alt.Axis(format="d", tickMinStep=1)), y="Points:Q",
            color=alt.Color("Seat:N", legend=alt.Legend(orient="bottom", columns=2, labelLimit=0))),
            width="stretch")
    if d.plot_svg:
        svg_figure(d.plot_svg)
    code = st.session_state.get("debrief_fac_code")
    if code and can_reveal(service(), exercise_id) and st.button(
            "Reveal the outcome to the seats", key="reveal_outcome",
            help="Each seat's debrief then shows every seat's points in its deal-space plot."):
        reveal_outcome(service(), code)
        st.rerun()
    d1, d2, d3 = st.columns(3)
    d1.download_button("Report (Markdown)", d.markdown, f"{exercise_id}-report.md", "text/markdown", key="dl_md")
    d2.download_button("Report (HTML)", d.html, f"{exercise_id}-report.html", "text/html", key="dl_html")
    d3.download_button("Exercise log (JSONL)", d.jsonl, f"{exercise_id}-events.jsonl", "application/jsonl",
                       key="dl_jsonl")
    st.markdown(d.markdown)


with guard():
    if "debrief_exercise" in st.session_state:
        show(st.session_state["debrief_exercise"])
    elif "debrief_seat" in st.session_state:
        show_player(*st.session_state["debrief_seat"])
    else:
        login()
    if ("debrief_exercise" in st.session_state or "debrief_seat" in st.session_state) and st.button(
            "Another exercise", key="debrief_close"):
        st.session_state.pop("debrief_exercise", None)
        st.session_state.pop("debrief_seat", None)
        st.rerun()
