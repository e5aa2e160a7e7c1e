"""Facilitator console: run the clock, fire injects, watch every seat and the live scoreboard; reissue join codes."""

from __future__ import annotations

import streamlit as st
from qd_widgets import guard, service, svg_figure

from dialogue_engine.ui import branching, joinflow, views
from dialogue_engine.ui.debrief import live_plot_svg

st.title("Facilitator console")


def login() -> None:
    created = st.session_state.get("ex_created")
    with st.form("fac_login"):
        code = st.text_input("Facilitator code", value=created.facilitator_code if created else "",
                             type="password", key="fac_code_input")
        go = st.form_submit_button("Open console")
    if go and code.strip():
        service().facilitator_view(code)  # raises a one-line error for a wrong code
        st.session_state["fac_code"] = joinflow.canonical(code)
        st.rerun()


def controls(code: str, view) -> None:
    svc = service()
    c = view.clock
    cols = st.columns(6)
    if cols[0].button("Start", key="fac_start", disabled=c.phase.value != "setup"):
        svc.start(code)
        st.rerun()
    if cols[1].button("Advance", key="fac_advance", disabled=c.ended or c.phase.value == "setup" or c.paused):
        with st.spinner("AI seats are taking their turns…"):
            svc.advance(code)
        st.rerun()
    if c.paused:
        if cols[2].button("Resume", key="fac_resume"):
            svc.resume(code)
            st.rerun()
    elif cols[2].button("Pause", key="fac_pause", disabled=c.ended):
        svc.pause(code)
        st.rerun()
    if cols[3].button("+1 round", key="fac_extend", disabled=c.ended):
        svc.extend(code, 1)
        st.rerun()
    if cols[4].button("End", key="fac_end", disabled=c.ended):
        svc.end(code)
        st.rerun()
    chair = st.toggle("Chair seat", value=c.chair, key="fac_chair", disabled=c.ended,
                      help="A neutral AI chair tables one single negotiating text each round from the second on, "
                           "revised from what the delegations say they can and cannot accept.")
    if chair != c.chair:
        svc.set_chair(code, chair)
        st.rerun()


def injects(code: str, view) -> None:
    with st.expander("Fire an inject"):
        if view.available_injects:
            ids = {i.inject_id: i for i in view.available_injects}
            pick = st.selectbox("Scenario inject", list(ids), format_func=lambda i: ids[i].title, key="fac_inject")
            st.caption(ids[pick].text)
            if st.button("Fire this inject", key="fac_fire"):
                service().fire_inject(code, pick)
                st.rerun()
        with st.form("fac_free_inject", clear_on_submit=True):
            title = st.text_input("Title", key="fac_inj_title")
            text = st.text_area("What happens (no score effects)", key="fac_inj_text")
            if st.form_submit_button("Fire unscheduled inject"):
                service().fire_inject(code, None, title=title, text=text)
                st.rerun()


@st.fragment(run_every=3)
def console() -> None:
    with guard():
        code = st.session_state["fac_code"]
        view = service().facilitator_view(code)
        c = view.clock
        st.markdown(f"### {view.title} · exercise `{view.exercise_id}`")
        m = st.columns(4)
        m[0].metric("Round", f"{c.round} / {c.total_rounds}")
        m[1].metric("Phase", c.phase.value.replace("_", " "))
        m[2].metric("State", "ended" if c.ended else "paused" if c.paused else
                    "not started" if c.phase.value == "setup" else "running")
        m[3].metric("Seats joined", f"{sum(s.joined for s in view.seats if s.human)} / {sum(s.human for s in view.seats)}")
        controls(code, view)
        if view.outcome is not None:
            show = st.success if view.outcome.agreement else st.warning  # no agreement is not a success
            show(f"Ended — {'agreement' if view.outcome.agreement else 'no agreement'}: {view.outcome.reason}. "
                 "Open the Debrief page for the report.")
        injects(code, view)
        st.markdown("**Live scoreboard** (points for the proposal on the table)")
        st.dataframe([{"Seat": r.name, "Human": "yes" if r.human else "AI", "Threshold": r.threshold,
                       "Points": r.utility, "Accepts": r.accepts, "Vote": r.vote, "Messages": r.messages,
                       "Proposals": r.proposals, "Walked out": r.walked_out} for r in view.scoreboard],
                     hide_index=True)
        names = {s.party: s.name for s in view.seats}
        if view.current_proposal:
            st.markdown(f"**On the table:** proposal {view.current_proposal.number} (#{view.current_proposal.id}) by "
                        f"{views.plain(views.seat_name(view.current_proposal.proposer, names))}")
            st.table([{"Issue": t, "Option": o} for t, o in view.current_proposal.lines])
        deal_space(view)
        tabs = st.tabs(["Transcript", *[s.name for s in view.seats]])
        with tabs[0]:
            for e in view.transcript:
                st.markdown(views.said(e, names, prefix=f"R{e.round} · "))
            for i in view.injects:
                st.info(f"Inject (round {i.round}, {views.plain(i.fired_by)}): **{views.plain(i.title)}** — "
                        f"{views.plain(i.text)}")
        for tab, seat in zip(tabs[1:], view.seats):
            with tab:
                sv = view.seat_views[seat.party]
                st.caption(f"{'human' if seat.human else 'AI'} · joined: {seat.joined}")
                st.markdown(sv.brief.private_brief or "(no private brief)")
                st.markdown(f"Threshold **{sv.brief.threshold:g}**; points for the table: "
                            f"{'—' if sv.my_utility is None else f'{sv.my_utility:g}'}")
                for e in sv.private:
                    st.markdown(views.said(e, names, prefix="🔒 "))
        if view.facilitator_notes:
            with st.expander("Facilitator notes"):
                st.markdown(view.facilitator_notes)
                for o in view.learning_objectives:
                    st.markdown(f"- {o}")


def what_if(code: str, view) -> None:
    """Fork the exercise at an event: same start, then a different seed and/or an inject (the source stays)."""
    svc = service()
    with st.expander("What if? Fork this exercise"):
        points = branching.fork_points(svc.events(view.exercise_id), {s.party: s.name for s in view.seats})
        if not points:
            st.caption("Nothing to fork yet.")
            return
        labels = {p.seq: p.label for p in points}
        at = st.selectbox("Replay up to and including", list(labels), index=len(points) - 1,
                          format_func=labels.get, key="fac_fork_at")
        new_seed = st.checkbox("Use a different seed for what follows", key="fac_fork_reseed")
        seed = int(st.number_input("Seed", min_value=0, value=1, step=1, key="fac_fork_seed")) if new_seed else None
        injects = {"": "(no inject)", **{i.inject_id: i.title for i in view.available_injects}}
        pick = st.selectbox("Fire at the fork point", list(injects), format_func=injects.get, key="fac_fork_inject")
        if st.button("Fork", key="fac_fork"):
            st.session_state["fac_fork_info"] = svc.fork(code, at, seed=seed, inject=pick or None)
        info = st.session_state.get("fac_fork_info")
        if info is not None and info.forked_from == view.exercise_id:
            st.success(f"Fork `{info.exercise_id}` replays this exercise up to #{info.forked_at}. "
                       "Its codes are shown now only:")
            st.code("\n".join(f"{who}: {c}" for who, c in branching.fork_codes(info)), language=None)
            if st.button("Open the fork's console", key="fac_fork_open"):
                st.session_state["fac_code"] = info.facilitator_code
                st.session_state.setdefault("fac_new_codes", {})[info.exercise_id] = {
                    s.party: s.code for s in info.seats if s.code}  # so the fork's join links and sheet show them
                st.session_state.pop("fac_fork_info", None)
                st.rerun()


def deal_space(view) -> None:
    """The live deal-space plot: both totals for two seats, one seat against the others for more."""
    with st.expander("Deal space (live)"):
        party = None
        if len(view.seats) > 2:
            names = {s.party: s.name for s in view.seats}
            party = st.selectbox("Whose view", list(names), format_func=names.get, key="fac_plot_seat")
        svg_figure(live_plot_svg(service(), view.exercise_id, party))


def join_codes(code: str) -> None:
    """Seats' join codes: which are active, reissue or revoke one, and links and a sheet for the codes known here.

    Codes are stored hashed, so only codes issued in this session (at creation or by a reissue) can be shown.
    """
    svc = service()
    status = svc.join_codes(code)
    if not status:
        return
    exercise_id = svc.join(code).exercise_id
    fresh = st.session_state.setdefault("fac_new_codes", {}).setdefault(exercise_id, {})  # party -> new code
    with st.expander("Join codes", expanded=bool(fresh)):
        st.dataframe(joinflow.code_rows(status), hide_index=True)
        names = {s.party: s.name for s in status}
        pick = st.selectbox("Seat", list(names), format_func=names.get, key="fac_code_seat")
        a, b, c = st.columns(3)
        if a.button("Reissue this seat's code", key="fac_reissue"):
            fresh[pick] = svc.reissue_code(code, pick).code
            st.rerun()
        if b.button("Revoke this seat's code", key="fac_revoke"):
            svc.revoke_code(code, pick)
            fresh.pop(pick, None)
            st.rerun()
        if c.button("Reissue every seat's code", key="fac_reissue_all"):
            for s in status:
                fresh[s.party] = svc.reissue_code(code, s.party).code
            st.rerun()
        known = joinflow.known_codes(st.session_state.get("ex_created"), exercise_id, fresh, status)
        cards = joinflow.sheet_cards(known, names, joinflow.app_root(st.context.url))
        if not cards:
            st.caption("Codes are stored hashed and shown only when issued: reissue a seat's code to hand it out.")
        for card in cards:
            st.code(f"{card.name}: {card.code}\n{card.link}", language=None)
        if cards:
            st.download_button("Printable code sheet (HTML)", joinflow.code_sheet_html(
                title=svc.info(exercise_id).title, exercise_id=exercise_id, cards=cards),
                f"{exercise_id}-codes.html", "text/html", key="fac_sheet")


with guard():
    if "fac_code" not in st.session_state:
        login()
    else:
        console()
        with guard():
            join_codes(st.session_state["fac_code"])
        with guard():
            what_if(st.session_state["fac_code"], service().facilitator_view(st.session_state["fac_code"]))
        if st.button("Close console", key="fac_close"):
            st.session_state.pop("fac_code", None)
            st.rerun()
