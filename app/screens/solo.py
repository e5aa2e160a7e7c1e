"""Solo dialogue: negotiate one-to-one with a persona, with your private brief, proposals and citations."""

from __future__ import annotations

import streamlit as st
from qd_widgets import citations, deal_table, guard, personas, scenarios, service

from dialogue_engine.ui import views
from dialogue_engine.ui.branching import retry_rounds
from dialogue_engine.ui.coaching import seat_debrief
from dialogue_engine.ui.solo import ReplyStream, SoloSession, latest_offer, points, reply_markdown

st.title("Solo dialogue")


def setup() -> None:
    """Choose scenario, your seat and the counterpart; start a session."""
    all_scenarios = scenarios()
    cast = personas()
    if not all_scenarios:
        st.info("No scenarios yet: add YAML files under scenarios/.")
        return
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
            st.session_state["solo"] = SoloSession.start(service(), scenario, me, them)
        st.rerun()


def brief(view, first: bool) -> None:
    b = view.brief
    with st.expander(f"Your private brief — {b.name}", expanded=first):
        st.markdown(view.situation)
        if b.private_brief:
            st.markdown(b.private_brief)
        st.markdown(f"You accept any deal worth **{b.threshold:g}** points or more.")
        rows = [{"Issue": i["title"], "Option": o["label"], "Points": b.scores.get(i["id"], {}).get(o["id"], 0.0)}
                for i in view.issues for o in i["options"]]
        st.dataframe(rows, hide_index=True)


def chat(session: SoloSession, view) -> None:
    names = {s.party: s.name for s in view.seats}
    for entry in view.transcript:
        mine = entry.speaker == session.human_party
        with st.chat_message(views.avatar(mine)):
            st.markdown(views.said(entry, names, speaker="You" if mine else None))
            if not mine and entry.move:
                st.caption(f"move: {entry.move.replace('_', ' ')}"
                           + (f" · written by {entry.realizer}" if entry.realizer not in (None, "builtin") else ""))
            if entry.proposal:
                deal_table(session.scenario, entry.proposal)
                st.caption(f"Worth {points(view, entry.proposal):g} points to you.")
            if entry.citations:
                citations(entry.citations)


def proposal_builder(session: SoloSession, view) -> None:
    s = session.scenario
    with st.expander("Put a package on the table"):
        # No form: each pick reruns the page, so the points below are those of the package as picked now.
        deal = {}
        for issue in s.issues:
            deal[issue.id] = st.selectbox(issue.title, [o.id for o in issue.options], key=f"solo_pick_{issue.id}",
                                          format_func=lambda o, i=issue: i.option(o).label)
        st.caption(f"This package is worth {points(view, deal):g} points to you "
                   f"(your threshold: {view.brief.threshold:g}).")
        note = st.text_input("Say something with it (optional)", key="solo_note", max_chars=views.MESSAGE_CHARS)
        sent = st.button("Propose this package", key="solo_propose")
        if sent:
            say(session, service(), text=note or None, proposal=deal)
            st.rerun()


def say(session: SoloSession, svc, text: str | None = None, proposal=None) -> None:
    """Send a turn and show the counterpart's reply growing as it streams, then its final text (a refused
    turn leaves nothing drawn: its one-line error is shown instead)."""
    slot = st.empty()
    try:
        with slot.container():
            if text:
                with st.chat_message(views.avatar(True)):
                    st.markdown(reply_markdown("You", text))
            with st.chat_message(views.avatar(False)):
                stream = ReplyStream(session.counterpart_name, st.empty().markdown)
                stream.start()
                entries = session.send(svc, text=text, proposal=proposal, on_text=stream)
                stream.finish(entries, session.counterpart_party)
    except Exception:
        slot.empty()
        raise


def retry(session: SoloSession, view) -> None:
    """Replay the dialogue from an earlier round (a fork: this one stays in the database as it was)."""
    rounds = retry_rounds(view.clock.round)
    if not rounds:
        return
    c1, c2 = st.columns(2)
    pick = c1.selectbox("Retry from round", rounds, key="solo_retry_round")
    if c2.button(f"Retry from round {pick}", key="solo_retry"):
        st.session_state["solo"] = session.retry(service(), pick)
        st.session_state.pop("solo_ended", None)
        st.rerun()


def play(session: SoloSession) -> None:
    svc = service()
    view = session.view(svc)
    st.markdown(f"**{view.title}** — you are **{view.brief.name}**, talking with **{session.counterpart_name}**. "
                f"Round {session.next_round(view)} of {view.clock.total_rounds}.")
    if session.last_round(view) and not st.session_state.get("solo_ended"):
        st.warning("Last round: the talk ends after your next message. Accept their offer or make your final "
                   "proposal now.")
    for inject in view.injects:
        st.info(f"**{views.plain(inject.title)}** — {views.plain(inject.text)}"
                + (f" **{inject.for_you}**" if inject.for_you else ""))
    brief(view, first=not view.transcript)
    chat(session, view)
    if view.outcome is not None or st.session_state.get("solo_ended"):
        if view.outcome and view.outcome.agreement:
            st.success(f"Agreement: {views.deal_text(session.scenario, view.outcome.deal)} — worth "
                       f"{points(view, view.outcome.deal):g} points to you.")
        st.subheader("Debrief")
        st.markdown(seat_debrief(svc, session.exercise_id, session.human_party))
        retry(session, view)
        if st.button("Start another dialogue", key="solo_restart"):
            st.session_state.pop("solo", None)
            st.session_state.pop("solo_ended", None)
            st.rerun()
        return
    proposal_builder(session, view)
    c1, c2 = st.columns(2)
    offer = latest_offer(view, session.human_party)
    below = offer is not None and points(view, offer.deal) < view.brief.threshold
    confirm = below and c1.checkbox(f"Their package is worth {points(view, offer.deal):g} to you, below your minimum "
                                    f"of {view.brief.threshold:g}: accept anyway", key="solo_confirm_below")
    if offer is not None and c1.button(f"Accept their package (proposal {offer.number})", key="solo_accept",
                                        disabled=below and not confirm):
        session.accept(svc, offer.id, confirm=bool(confirm))
        st.rerun()
    if c2.button("End and debrief", key="solo_end"):
        st.session_state["solo_ended"] = True
        st.rerun()
    text = st.chat_input(f"Say something to {session.counterpart_name}", key="solo_chat",
                         max_chars=views.MESSAGE_CHARS)
    if text:
        say(session, svc, text=text)
        st.rerun()


with guard():
    current = st.session_state.get("solo")
    if current is None:
        setup()
    else:
        play(current)
