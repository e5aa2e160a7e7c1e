"""Exercise (tabletop and classroom): create one as facilitator, or join a seat with a code and play.

A player's session state holds only their join code; the seat view is fetched from the database on every
poll and shows nothing but that seat's own private data.
"""

from __future__ import annotations

import streamlit as st
from qd_widgets import citations, guard, personas, scenarios, service

from dialogue_engine.ui import joinflow, views
from dialogue_engine.ui.solo import points

POLL_SECONDS = 3

st.title("Exercise")


def _forget_seat_picks() -> None:
    """A new scenario starts from its own default human seats: no seat picked for another scenario stays."""
    for key in [k for k in st.session_state if str(k).startswith("ex_new_humans_")]:
        del st.session_state[key]


def create() -> None:
    """Facilitator: pick a scenario and the human seats; get join codes."""
    all_scenarios = scenarios()
    cast = personas()
    if not all_scenarios:
        st.info("No scenarios yet.")
        return
    sid = st.selectbox("Scenario", sorted(all_scenarios), format_func=lambda s: all_scenarios[s].title,
                       key="ex_new_scenario", on_change=_forget_seat_picks)
    scenario = all_scenarios[sid]
    seats = scenario.party_ids
    humans = st.multiselect("Seats played by people (the rest are AI personas)", seats, default=seats[:2],
                            format_func=lambda p: views.party_name(scenario, p, cast), key=f"ex_new_humans_{sid}")
    seed = st.number_input("Seed", 0, 10_000, 0, key="ex_new_seed")
    if st.button("Create exercise", type="primary", key="ex_create"):
        info = service().create(scenario, humans, int(seed))
        st.session_state["ex_created"] = info
    info = st.session_state.get("ex_created")
    if info is not None:
        codes_panel(info)


def codes_panel(info) -> None:
    """The codes of the exercise just created: shown now only (they are stored hashed), with links and a sheet."""
    st.success(f"Exercise {info.exercise_id} created. Hand each player their code or link; keep the facilitator "
               "code. Codes are shown only now: print the sheet, or reissue a code later in the Facilitator console.")
    st.info("Next: open the **Facilitator console** with the facilitator code and press **Start** once the players "
            "have joined; then **Advance** moves the exercise from phase to phase.")
    st.markdown("**Facilitator code** (Facilitator console and Debrief):")
    st.code(info.facilitator_code, language=None)
    root = joinflow.app_root(st.context.url)
    seat_codes = {s.party: s.code for s in info.seats if s.human and s.code}
    cards = joinflow.sheet_cards(seat_codes, {s.party: s.name for s in info.seats}, root)
    for card in cards:
        st.markdown(f"**{card.name}** — join code and link:")
        st.code(f"{card.code}\n{card.link}", language=None)
    if cards:
        st.download_button("Printable code sheet (HTML)", joinflow.code_sheet_html(
            title=info.title, exercise_id=info.exercise_id, cards=cards), f"{info.exercise_id}-codes.html",
            "text/html", key="ex_sheet")


def join() -> None:
    """Player: enter a join code."""
    with st.form("ex_join_form"):
        code = st.text_input("Join code", value=st.query_params.get("code", ""), key="ex_join_code",
                             placeholder="K7QF-M3XD", max_chars=64, help="Capital or small letters; the dash is optional.")
        go = st.form_submit_button("Join")
    if go and not code.strip():
        st.error("Type the join code you were given (for example K7QF-M3XD), or open the link that came with it.")
    if go and code.strip():
        seat = service().join(code)
        if seat.party is None:
            st.error("That is a facilitator code: open the Facilitator console.")
            return
        st.session_state["ex_code"] = joinflow.canonical(code)
        st.query_params["seat"] = st.session_state["ex_code"]  # a refresh, or another device, rejoins the seat
        st.rerun()


def compose(view) -> None:
    names = {s.party: s.name for s in view.seats if s.party != view.seat.party}
    with st.form("ex_message", clear_on_submit=not view.clock.paused):  # refused while paused: keep the words
        text = st.text_input("Message", key="ex_msg_text", max_chars=views.MESSAGE_CHARS)
        to = st.selectbox("To", ["everyone", *names], format_func=lambda p: "Everyone (public)" if p == "everyone"
                          else f"{names[p]} (private)", key="ex_msg_to")
        if st.form_submit_button("Send") and text.strip():
            service().post_message(st.session_state["ex_code"], text, to=None if to == "everyone" else to)
            st.rerun()


def propose(view) -> None:
    with st.expander("Make a proposal", expanded=False):
        # No form: each pick reruns, so the points below are those of the package as picked now.
        deal = {}
        for issue in view.issues:
            opts = {o["id"]: o["label"] for o in issue["options"]}
            deal[issue["id"]] = st.selectbox(issue["title"], list(opts), format_func=opts.get,
                                             key=f"ex_pick_{issue['id']}")
        st.caption(f"This package is worth {points(view, deal):g} points to you "
                   f"(threshold {view.brief.threshold:g}).")
        note = st.text_input("Say something with it (optional)", key="ex_prop_note", max_chars=views.MESSAGE_CHARS)
        sent = st.button("Propose", disabled=not view.can_propose, key="ex_propose")
        if sent:
            service().propose(st.session_state["ex_code"], deal, note)
            st.rerun()


def lines(entries, view) -> None:
    humans = {s.party for s in view.seats if s.human}
    names = {s.party: s.name for s in view.seats}
    for e in entries:
        with st.chat_message(views.avatar(e.speaker in humans)):
            st.markdown(views.said(e, names))
            if e.proposal:
                st.table(views.issue_deal_rows(view.issues, e.proposal))
            if e.citations:
                citations(e.citations)


@st.fragment(run_every=POLL_SECONDS)
def seat_panel() -> None:
    """The seat's live view, re-read from the database every few seconds."""
    with guard():
        code = st.session_state["ex_code"]
        view = service().seat_view(code)
        c = view.clock
        state = "ended" if c.ended else ("paused" if c.paused else c.phase.value.replace("_", " "))
        st.markdown(f"### {view.title} — you are **{view.brief.name}**")
        m1, m2, m3 = st.columns(3)
        m1.metric("Round", f"{c.round} / {c.total_rounds}")
        m2.metric("Phase", state)
        m3.metric("Your points for the deal on the table",
                  "—" if view.my_utility is None else f"{view.my_utility:g}")
        with st.expander("Your private brief"):
            st.markdown(view.situation)
            st.markdown(view.brief.private_brief or "")
            st.markdown(f"You accept deals worth **{view.brief.threshold:g}** points or more. Rule: {view.rule}.")
            rows = [{"Issue": i["title"], "Option": o["label"],
                     "Points": view.brief.scores.get(i["id"], {}).get(o["id"], 0.0)}
                    for i in view.issues for o in i["options"]]
            st.dataframe(rows, hide_index=True)
        if view.outcome is not None:
            if view.outcome.agreement:
                rows = views.issue_deal_rows(view.issues, view.outcome.deal)
                st.success("Agreement reached: " + "; ".join(f"{r['Issue']}: {r['Option']}" for r in rows))
            else:
                st.warning(f"Ended without agreement: {view.outcome.reason}")
        if c.paused and not c.ended:
            st.info("The facilitator has paused the exercise: messages, proposals and votes wait until it resumes.")
        if c.phase.value in ("setup", "briefing") and not c.ended:
            st.info("Waiting for the facilitator to start the rounds: the talks open then. Read your private brief "
                    "meanwhile.")
        for inj in view.injects:
            st.info(f"**Inject — {views.plain(inj.title)}** (round {inj.round}): {views.plain(inj.text)}"
                    + (f" **{inj.for_you}**" if inj.for_you else ""))
        left, right = st.columns([3, 2])
        with left:
            st.markdown("**Public channel**")
            lines(view.transcript, view)
            if not view.outcome:
                compose(view)
        with right:
            st.markdown("**Private messages**")
            lines(view.private, view)
            st.markdown("**Proposals**")
            for p in reversed(view.proposals):
                mine = p.proposer == view.seat.party
                names = {s.party: s.name for s in view.seats}
                st.markdown(f"**Proposal {p.number}** (#{p.id}) by {views.plain(views.seat_name(p.proposer, names))} "
                            f"(round {p.round}, {p.status}) — worth {points(view, p.deal):g} to you")
                st.table([{"Issue": t, "Option": o} for t, o in p.lines])
                rows = views.vote_rows(p, names)
                if rows:
                    st.table(rows)
                else:
                    st.caption("no votes yet")
                if (view.can_vote and not c.paused and not mine and view.seat.party not in p.votes
                        and p.status == "open"):
                    a, b = st.columns(2)
                    if a.button("Accept", key=f"ex_yes_{p.id}"):
                        service().vote(code, True, p.id)
                        st.rerun()
                    if b.button("Reject", key=f"ex_no_{p.id}"):
                        service().vote(code, False, p.id)
                        st.rerun()
            if not view.outcome:
                propose(view)


with guard():  # back after a refresh, or from a join link, or on another device
    if "ex_code" not in st.session_state and st.query_params.get("seat"):
        link_code = st.query_params["seat"]
        st.query_params.pop("seat", None)  # a code that fails (replaced, mistyped) leaves the join form usable
        if service().join(link_code).party is not None:
            st.session_state["ex_code"] = joinflow.canonical(link_code)
            st.query_params["seat"] = st.session_state["ex_code"]
with guard():
    if "ex_code" in st.session_state:
        seat_panel()
        if st.button("Leave this seat", key="ex_leave"):
            st.session_state.pop("ex_code", None)
            st.query_params.pop("seat", None)
            st.rerun()
    else:
        tab_join, tab_create = st.tabs(["Join with a code", "Create an exercise (facilitator)"])
        with tab_join, guard():
            join()
        with tab_create, guard():
            create()
