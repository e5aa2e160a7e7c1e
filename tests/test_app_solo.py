"""AppTest tests of the Solo dialogue page with the real library and the built-in realizer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.usefixtures("shipped_index")  # the notes indexed once, not per test

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"


def test_solo_turn_gives_a_cited_reply():
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("screens/solo.py").run()
    assert not at.exception, at.exception
    at.button(key="solo_start").click().run()
    assert not at.exception, at.exception
    session = at.session_state["solo"]
    t0 = time.perf_counter()
    at.chat_input(key="solo_chat").set_value("What do you propose on the military crisis channel?").run()
    took = time.perf_counter() - t0
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    msgs = at.chat_message
    assert len(msgs) >= 2
    reply = msgs[-1]
    assert "move:" in " ".join(c.value for c in reply.caption)
    assert reply.expander, "the reply cites no passage"
    assert took < 30
    assert session.counterpart_name in reply.markdown[0].value


def test_the_package_builder_prices_the_package_as_picked():
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    at.switch_page("screens/solo.py").run()
    at.button(key="solo_start").click().run()
    assert not at.exception, at.exception
    session = at.session_state["solo"]
    me = session.scenario.party(session.human_party)
    priced = []
    for choice in (0, -1):  # every issue's first option, then every issue's last
        deal = {}
        for issue in session.scenario.issues:
            option = issue.options[choice].id
            at.selectbox(key=f"solo_pick_{issue.id}").set_value(option)
            deal[issue.id] = option
        at.run()
        assert not at.exception, at.exception
        caption = next(c.value for c in at.caption if c.value.startswith("This package is worth"))
        assert caption.startswith(f"This package is worth {me.utility(deal):g} points"), caption
        priced.append(me.utility(deal))
    assert priced[0] != priced[1]  # the caption followed the picks, not the last package sent
