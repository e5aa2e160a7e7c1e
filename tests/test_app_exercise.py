"""AppTest tests of the Exercise, Facilitator console and Debrief pages (real service, built-in realizer)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dialogue_engine.domain import load_scenarios

pytestmark = pytest.mark.usefixtures("shipped_index")  # the notes indexed once, not per test

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"


def page(path: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def create_exercise():
    at = page("screens/exercise.py")
    at.button(key="ex_create").click().run()
    assert not at.exception and not errors(at), errors(at)
    info = at.session_state["ex_created"]
    assert len(at.code) == 1 + sum(s.human for s in info.seats)
    return at, info




def _join(code: str) -> AppTest:
    at = page("screens/exercise.py")
    at.text_input(key="ex_join_code").set_value(code)
    [b for b in at.button if b.label == "Join"][0].click().run()
    assert not at.exception and not errors(at), errors(at)
    return at


def facilitator(code: str) -> AppTest:
    at = page("screens/facilitator.py")
    at.text_input(key="fac_code_input").set_value(code)
    [b for b in at.button if b.label == "Open console"][0].click().run()
    assert not at.exception and not errors(at), errors(at)
    return at


def test_codes_are_random_and_distinct():
    _, info = create_exercise()
    codes = [info.facilitator_code] + [s.code for s in info.seats if s.human]
    assert len(set(codes)) == len(codes)
    assert all(len(c.replace("-", "")) >= 8 for c in codes)


def test_seat_session_holds_only_its_own_private_data():
    _, info = create_exercise()
    humans = [s for s in info.seats if s.human]
    me, other = humans[0], humans[1]
    at = _join(me.code)
    assert at.session_state["ex_code"] == me.code
    scenario = load_scenarios()[info.scenario_id]
    mine = scenario.party(me.party).private_brief
    theirs = scenario.party(other.party).private_brief
    assert mine and theirs and mine != theirs
    rendered = " ".join(m.value for m in at.markdown)
    assert mine[:40] in rendered
    assert theirs[:40] not in rendered
    held = repr({k: at.session_state[k] for k in at.session_state})
    assert theirs[:40] not in held and mine[:40] not in held  # views are read per poll, not stored
    assert other.code not in held and info.facilitator_code not in held


def test_exercise_propose_and_the_other_seat_sees_it():
    _, info = create_exercise()
    a_seat, b_seat = [s for s in info.seats if s.human][:2]
    fac = facilitator(info.facilitator_code)
    fac.button(key="fac_start").click().run()
    t0 = time.perf_counter()
    for _ in range(3):
        if fac.session_state and "Proposals" in " ".join(m.value for m in fac.metric if m.label == "Phase") :
            break
        fac.button(key="fac_advance").click().run()
        assert not fac.exception and not errors(fac), errors(fac)
    advance_s = time.perf_counter() - t0
    a = _join(a_seat.code)
    a.text_input(key="ex_prop_note").set_value("A fair package to start.")
    [b for b in a.button if b.label == "Propose"][0].click().run()
    assert not a.exception and not errors(a), errors(a)
    b = _join(b_seat.code)
    shown = " ".join(m.value for m in b.markdown)
    assert "A fair package to start" in shown
    assert any(f"by {a_seat.name}" in m.value for m in b.markdown)  # names, not ids
    assert [x for x in b.button if x.label == "Accept"], "the other seat cannot vote on the proposal"
    assert advance_s < 60


def _plots(at) -> list[str]:
    """The deal-space plots on a page, drawn as inline SVG in Markdown (``st.html`` strips SVG in a browser)."""
    assert not [h.body for h in at.html if "<svg" in h.body], "st.html shows no SVG in a real browser"
    return [m.value for m in at.markdown if 'class="deal-plot"' in m.value]


def test_facilitator_console_and_debrief():
    _, info = create_exercise()
    fac = facilitator(info.facilitator_code)
    fac.button(key="fac_start").click().run()
    fac.button(key="fac_advance").click().run()
    assert not errors(fac)
    fac.text_input(key="fac_inj_title").set_value("Storm")
    fac.text_area(key="fac_inj_text").set_value("A cyclone closes the port.")
    [b for b in fac.button if b.label == "Fire unscheduled inject"][0].click().run()
    assert not errors(fac), errors(fac)
    assert any("cyclone" in i.value for i in fac.info)
    assert len(fac.tabs) >= 1 + len(info.seats)
    fac.button(key="fac_end").click().run()
    assert any("no agreement" in w.value for w in fac.warning), "no agreement is shown as a warning"
    assert not any("Ended" in s.value for s in fac.success), "no agreement is never a success box"
    d = page("screens/debrief.py")
    d.text_input(key="debrief_code_input").set_value(info.facilitator_code)
    [b for b in d.button if b.label == "Open report"][0].click().run()
    assert not d.exception and not errors(d), errors(d)
    assert any("no agreement" in w.value for w in d.warning)
    assert not d.success, [s.value for s in d.success]
    labels = [b.label for b in d.get("download_button")]
    assert labels == ["Report (Markdown)", "Report (HTML)", "Exercise log (JSONL)"]
    charts = [json.loads(c.proto.spec) for c in d.get("vega_lite_chart")]
    assert charts, "the outcome charts are on the page"
    bars = next(c for c in charts if (c.get("title") or {}) in ("Points against threshold",
                                                               {"text": "Points against threshold"}))
    assert bars["encoding"]["y"]["field"] == "Seat" and bars["encoding"]["y"]["axis"]["labelLimit"] == 0, \
        "seat names are written in full"
    assert _plots(d), "the deal-space plot is on the page"
    assert _plots(fac), "and live in the console"


def test_debrief_with_a_seat_code_shows_only_the_seats_own_plot():
    _, info = create_exercise()
    seat = next(s for s in info.seats if s.human)
    d = page("screens/debrief.py")
    d.text_input(key="debrief_code_input").set_value(seat.code)
    [b for b in d.button if b.label == "Open report"][0].click().run()
    assert not d.exception and not errors(d), errors(d)
    assert not d.get("download_button"), "no report with every seat's scores"
    [plot] = _plots(d)
    assert f"Your deal space, {seat.name}" in plot
    assert 'class="nash"' not in plot and 'class="passable"' not in plot, "no other seat's numbers"


def test_wrong_code_shows_one_line():
    at = page("screens/exercise.py")
    at.text_input(key="ex_join_code").set_value("not-a-real-code")
    [b for b in at.button if b.label == "Join"][0].click().run()
    assert not at.exception
    assert len(errors(at)) == 1 and "\n" not in errors(at)[0]


def test_an_empty_join_code_says_what_to_type():
    at = page("screens/exercise.py")
    [b for b in at.button if b.label == "Join"][0].click().run()
    assert not at.exception
    assert len(errors(at)) == 1 and "join code" in errors(at)[0]


def test_a_refresh_keeps_the_player_in_the_seat():
    _, info = create_exercise()
    me = [s for s in info.seats if s.human][0]
    at = _join(me.code)
    assert at.query_params.get("seat") == me.code  # the seat is in the page's address
    fresh = AppTest.from_file(str(APP), default_timeout=120)  # a new browser session, same address
    fresh.query_params["seat"] = me.code
    fresh.run()
    fresh.switch_page("screens/exercise.py").run()
    assert not fresh.exception and fresh.session_state["ex_code"] == me.code


def test_create_page_offers_links_and_a_code_sheet():
    at, info = create_exercise()
    shown = " ".join(c.value for c in at.code)
    for seat in info.seats:
        if seat.human:
            assert seat.code in shown and f"exercise?seat={seat.code}" in shown
    sheet = [b for b in at.get("download_button") if b.label == "Printable code sheet (HTML)"]
    assert len(sheet) == 1
    join_field = at.text_input(key="ex_join_code")
    assert join_field.proto.type == join_field.proto.DEFAULT  # visible while typing, not a password field
    assert join_field.placeholder == "K7QF-M3XD"


def test_a_code_typed_loosely_joins_and_the_address_holds_it_cleanly():
    _, info = create_exercise()
    me = [s for s in info.seats if s.human][0]
    at = _join("  " + me.code.lower().replace("-", " ") + " ")
    assert at.session_state["ex_code"] == me.code and at.query_params.get("seat") == me.code


def test_facilitator_reissues_a_code_and_the_old_link_stops_working():
    _, info = create_exercise()
    me = [s for s in info.seats if s.human][0]
    fac = facilitator(info.facilitator_code)
    fac.selectbox(key="fac_code_seat").set_value(me.party)
    fac.button(key="fac_reissue").click().run()
    assert not fac.exception and not errors(fac), errors(fac)
    fresh = fac.session_state["fac_new_codes"][info.exercise_id][me.party]
    assert fresh != me.code
    shown = " ".join(c.value for c in fac.code)
    assert fresh in shown and f"exercise?seat={fresh}" in shown and me.code not in shown
    assert [b.label for b in fac.get("download_button")] == ["Printable code sheet (HTML)"]
    rows = fac.dataframe[-1].value
    assert list(rows["Code"]) and set(rows["Code"]) == {"active"} and max(rows["Replaced"]) == 1

    stale = AppTest.from_file(str(APP), default_timeout=120)  # the old join link, opened again
    stale.query_params["seat"] = me.code
    stale.run()
    stale.switch_page("screens/exercise.py").run()
    assert not stale.exception and "ex_code" not in stale.session_state
    assert len(errors(stale)) == 1 and "replaced" in errors(stale)[0]
    assert stale.text_input(key="ex_join_code")  # the join form is still there
    assert _join(fresh).session_state["ex_code"] == fresh


def test_facilitator_forks_the_exercise_and_opens_the_fork():
    _, info = create_exercise()
    fac = facilitator(info.facilitator_code)
    fac.button(key="fac_start").click().run()
    fac.button(key="fac_advance").click().run()
    fac.checkbox(key="fac_fork_reseed").check().run()
    fac.number_input(key="fac_fork_seed").set_value(7).run()
    fac.button(key="fac_fork").click().run()
    assert not fac.exception and not errors(fac), errors(fac)
    fork = fac.session_state["fac_fork_info"]
    assert fork.forked_from == info.exercise_id and fork.seed == 7
    assert any(fork.facilitator_code in c.value for c in fac.code)
    fac.button(key="fac_fork_open").click().run()
    assert not fac.exception and not errors(fac), errors(fac)
    assert any(fork.exercise_id in m.value for m in fac.markdown)
