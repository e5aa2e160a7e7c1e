"""Solo dialogue: negotiate one-to-one with a persona, with your private brief, proposals and citations."""

from __future__ import annotations

import streamlit as st
from qd_widgets import citations, deal_table, ensure_default_index, guard, knowledge_base, personas, scenarios

from dialogue_engine.config import LLMKind, get_settings
from dialogue_engine.ui import views
from dialogue_engine.ui.solo import SoloSession

st.title("Solo dialogue")


def retriever():
    """The knowledge base, built on first use; ``None`` (no citations) if it cannot be opened."""
    try:
        ensure_default_index()
        return knowledge_base()
    except Exception as err:  # noqa: BLE001 - play on without grounding, and say so
        from dialogue_engine.ui.errors import one_line

        st.warning(f"Replies will not cite sources: {one_line(err)}")
        return None


def realizer():
    settings = get_settings()
    if settings.llm == LLMKind.NONE:
        return None
    from dialogue_engine.agents.llm import make_realizer

    return make_realizer(settings)


def setup() -> None:
    """Choose scenario, your seat and the counterpart; start a session."""
    all_scenarios = scenarios()
    cast = personas()
    ids = sorted(all_scenarios, key=lambda s: (not all_scenarios[s].solo, all_scenarios[s].title))
    sid = st.selectbox("Scenario", ids, format_func=lambda s: all_scenarios[s].title, key="solo_scenario")
    scenario = all_scenarios[sid]
    st.markdown(scenario.summary or scenario.situation)
    seats = scenario.party_ids
    c1, c2 = st.columns(2)
    me = c1.selectbox("Your seat", seats, format_func=lambda p: views.party_name(scenario, p, cast), key="solo_me")
    others = [p for p in seats if p != me]
    them = c2.selectbox("Counterpart", others, format_func=lambda p: views.party_name(scenario, p, cast),
                        key="solo_them")
    if st.button("Start the dialogue", type="primary", key="solo_start"):
        with st.spinner("Preparing the counterpart…"):
            st.session_state["solo"] = SoloSession(scenario, me, them, retriever=retriever(), realizer=realizer(),
                                                   personas=cast)
        st.rerun()


def brief(session: SoloSession) -> None:
    b = views.seat_brief(session.scenario, session.human_party, session.personas)
    with st.expander(f"Your private brief — {b.name}", expanded=not session.turns):
        st.markdown(session.scenario.situation)
        if b.private_brief:
            st.markdown(b.private_brief)
        st.markdown(f"You accept any deal worth **{b.threshold:g}** points or more (best possible: {b.best_total:g}).")
        st.dataframe(b.score_rows, hide_index=True)


def chat(session: SoloSession) -> None:
    for turn in session.turns:
        mine = turn.speaker == "you"
        with st.chat_message("user" if mine else "assistant"):
            st.markdown(f"**{turn.name}:** {turn.text}")
            if not mine and turn.move:
                st.caption(f"move: {turn.move.replace('_', ' ')}"
                           + (f" · written by {turn.realizer}" if turn.realizer != "builtin" else ""))
            if turn.proposal:
                deal_table(session.scenario, turn.proposal)
                pts = session.my_utility(turn.proposal)
                if pts is not None:
                    st.caption(f"Worth {pts:g} points to you.")
            if turn.citations:
                citations(turn.citations)


def proposal_builder(session: SoloSession) -> None:
    s = session.scenario
    with st.expander("Put a package on the table"):
        with st.form("solo_proposal"):
            deal = {}
            for issue in s.issues:
                opts = [o.id for o in issue.options]
                deal[issue.id] = st.selectbox(issue.title, opts, key=f"solo_pick_{issue.id}",
                                              format_func=lambda o, i=issue: i.option(o).label)
            sent = st.form_submit_button("Propose this package")
        st.caption(f"Your points for the package shown: {session.my_utility(deal):g} "
                   f"(threshold {s.party(session.human_party).threshold:g})")
        if sent:
            with st.spinner(f"{session.counterpart_name} is considering…"):
                session.send(proposal=deal)
            st.rerun()


def debrief(session: SoloSession) -> None:
    from dialogue_engine.ui.coaching import solo_feedback

    st.subheader("Debrief")
    fb = solo_feedback(session)
    st.markdown(fb)


def play(session: SoloSession) -> None:
    s = session.scenario
    st.markdown(f"**{s.title}** — you are **{views.party_name(s, session.human_party, session.personas)}**, "
                f"talking with **{session.counterpart_name}**.")
    brief(session)
    chat(session)
    if session.agreed:
        st.success(f"Agreement: {views.deal_text(s, session.agreed)} — worth "
                   f"{session.my_utility(session.agreed):g} points to you.")
    if session.ended:
        debrief(session)
        if st.button("Start another dialogue", key="solo_restart"):
            del st.session_state["solo"]
            st.rerun()
        return
    proposal_builder(session)
    c1, c2 = st.columns(2)
    offer = next((t.proposal for t in reversed(session.turns) if t.speaker != "you" and t.proposal), None)
    if offer and c1.button("Accept their latest package", key="solo_accept"):
        with st.spinner("…"):
            session.send(text="We accept this package.", proposal=offer)
        st.rerun()
    if c2.button("End and debrief", key="solo_end"):
        session.close()
        st.rerun()
    text = st.chat_input(f"Say something to {session.counterpart_name}", key="solo_chat")
    if text:
        with st.spinner(f"{session.counterpart_name} is replying…"):
            session.send(text=text)
        st.rerun()


with guard():
    current = st.session_state.get("solo")
    if current is None:
        setup()
    else:
        play(current)
