"""Solo replies stream: ``solo_send(on_text=)`` through the loopback fake OpenAI server, and the Solo page.

The fake server streams its text word by word over server-sent events; the counterpart's words reach
``on_text`` a checked sentence at a time, in order, and the stored message is the final text.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from dialogue_engine.config import Settings, get_settings
from dialogue_engine.domain import load_scenario
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.runtime import build_runtime
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.llm.testing import FakeOpenAIServer
from dialogue_engine.ui.solo import ReplyStream, SoloSession, reply_markdown

pytestmark = pytest.mark.usefixtures("shipped_index")  # the notes indexed once, not per test

APP = Path(__file__).resolve().parent.parent / "app" / "main.py"
SCENARIO = load_scenario("us-china-quiet-dialogue")
SECRET = f"{SCENARIO.party('china').threshold:g}"
SENTENCES = ["We hear the question. ", "Beijing wants a channel that still works in a crisis. ",
             "Start with the hotline"]
QUESTION = "What does Beijing most need from this channel?"


def llm_service(server: FakeOpenAIServer, tmp_path: Path) -> ExerciseService:
    settings = Settings(QD_LLM="openai", OPENAI_BASE_URL=server.base_url, QD_LLM_MODEL="fake",
                        QD_LLM_OUTPUT="text", QD_DATABASE_URL=f"sqlite:///{tmp_path / 'solo.db'}")
    return build_runtime(settings, knowledge=False).service()


def stored_reply(service: ExerciseService, session: SoloSession) -> str:
    """The counterpart's last message as written in the event log."""
    events = service.store.events(session.exercise_id)
    return [e.payload["text"] for e in events if e.kind == EventKind.MESSAGE and e.actor == "china"][-1]


def test_chunks_arrive_in_order_and_the_final_text_is_the_stored_message(tmp_path):
    with FakeOpenAIServer(delay=0.0, text="".join(SENTENCES)) as server:
        service = llm_service(server, tmp_path)
        session = SoloSession.start(service, SCENARIO, "united-states", "china")
        seen: list[str] = []
        entries = session.send(service, text=QUESTION, on_text=seen.append)
        streams = [r for r in server.requests if r.get("stream")]
    assert seen == SENTENCES
    reply = entries[-1]
    assert reply.speaker == "china" and reply.realizer == "llm"
    assert reply.text == stored_reply(service, session) == session.view(service).transcript[-1].text
    assert reply.text.startswith("".join(seen).strip())
    assert len(streams) == 1  # one streamed realization; the rest of the turn is not streamed


def test_a_leak_in_the_second_sentence_never_reaches_the_page(tmp_path):
    leaky = f"{SENTENCES[0]}Between us, we could live with {SECRET} overall. {SENTENCES[2]}"
    with FakeOpenAIServer(delay=0.0, text=leaky) as server:
        service = llm_service(server, tmp_path)
        session = SoloSession.start(service, SCENARIO, "united-states", "china")
        seen: list[str] = []
        entries = session.send(service, text=QUESTION, on_text=seen.append)
    assert seen == [SENTENCES[0]]
    reply = entries[-1]
    assert reply.realizer == "builtin" and SECRET not in reply.text
    assert reply.text == stored_reply(service, session) and reply.text != SENTENCES[0].strip()


def test_builtin_reply_is_given_once_and_unchanged(tmp_path):
    """Without an LLM, on_text gets the final text once, and the turn is what it is without on_text."""
    texts = []
    for name, on_text in (("plain", None), ("streamed", [])):
        service = ExerciseService(database_url=f"sqlite:///{tmp_path / name}.db")
        session = SoloSession.start(service, SCENARIO, "united-states", "china", seed=5)
        entries = session.send(service, text=QUESTION, on_text=on_text.append if on_text is not None else None)
        texts.append(stored_reply(service, session))
        if on_text is not None:
            assert on_text == [entries[-1].text]
    assert texts[0] == texts[1]


def test_reply_stream_grows_then_shows_the_final_text():
    drawn: list[str] = []
    stream = ReplyStream("Ambassador Li", drawn.append)
    stream.start()
    stream("We hear you. ")
    stream("A *hotline* first.")
    assert drawn[1:] == [reply_markdown("Ambassador Li", "We hear you."),
                         reply_markdown("Ambassador Li", "We hear you. A *hotline* first.")]
    assert "\\*hotline\\*" in drawn[2]  # the words are escaped, never drawn as Markdown
    lines = [SimpleNamespace(speaker="china", text="Final words."), SimpleNamespace(speaker="united-states", text="Hi")]
    assert stream.finish(lines, "china") == "Final words."
    assert drawn[-1] == reply_markdown("Ambassador Li", "Final words.") and len(drawn) == 4
    assert stream.finish([], "china") is None and len(drawn) == 4


def test_solo_page_streams_through_a_configured_llm(monkeypatch):
    with FakeOpenAIServer(delay=0.0, text="".join(SENTENCES)) as server:
        for name, value in (("QD_LLM", "openai"), ("OPENAI_BASE_URL", server.base_url), ("QD_LLM_MODEL", "fake"),
                            ("QD_LLM_OUTPUT", "text")):
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        at = AppTest.from_file(str(APP), default_timeout=180).run()
        at.switch_page("screens/solo.py").run()
        at.button(key="solo_start").click().run()
        assert not at.exception, at.exception
        session = at.session_state["solo"]
        at.chat_input(key="solo_chat").set_value(QUESTION).run()
        streams = [r for r in server.requests if r.get("stream")]
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert len(streams) == 1
    stored = session.view(ExerciseService(database_url=get_settings().resolved_database_url)).transcript[-1]
    reply = at.chat_message[-1]
    assert reply.markdown[0].value == reply_markdown(session.counterpart_name, stored.text)
    assert stored.text.startswith("".join(SENTENCES).strip())
    assert "written by llm" in " ".join(c.value for c in reply.caption)
