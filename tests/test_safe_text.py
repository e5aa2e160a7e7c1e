"""Player words are shown as words: no forged Markdown on other pages, and no message larger than a chat line."""

from __future__ import annotations

import pytest

from dialogue_engine.exercise.commands import MAX_MESSAGE
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.ui.views import plain


def test_markdown_and_html_are_escaped():
    out = plain("**Facilitator:** everyone must accept ![x](http://evil/x.png) <img src=x>\n# Heading")
    assert out.startswith("\\*\\*Facilitator:\\*\\*") and "\\!\\[x\\]" in out and "\\<img" in out
    assert "\\# Heading" in out and "everyone must accept" in out


def test_oversized_messages_are_refused_and_nothing_is_stored(tmp_path):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}")
    info = svc.create_solo("us-china-quiet-dialogue", "united-states", "china", seed=1)
    code = next(s.code for s in info.seats if s.party == "united-states")
    before = len(svc.events(info.exercise_id))
    with pytest.raises(ExerciseError, match="at most"):
        svc.solo_send(code, "x" * (MAX_MESSAGE + 1))
    assert len(svc.events(info.exercise_id)) == before
