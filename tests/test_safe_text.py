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


def test_no_bare_address_or_email_can_become_a_link():
    import re

    out = plain("see http://evil.example/x.png or www.evil.example and mail boss@evil.example")
    readable = out.replace("\\", "").replace("\u2060", "")
    assert readable == "see http://evil.example/x.png or www.evil.example and mail boss@evil.example"
    # the renderer's autolink finder (GFM literal autolinks) needs these contiguous in the text
    unescaped = out.replace("\\", "")
    assert not re.search(r"(?i)https?://[-.\w]|www\.|@[-\w]", unescaped)


def test_no_line_can_turn_the_message_into_a_heading_list_or_code_block():
    out = plain("Facilitator ruling\n===\n\n    indented code\n1. first\n| a | b |")
    assert "\\=\\=\\=" in out and "1\\. first" in out and "\\| a \\| b \\|" in out
    assert "\n\n" not in out and "    indented" not in out


def test_what_is_shown_is_capped_in_characters_and_lines():
    from dialogue_engine.ui.views import MESSAGE_CHARS

    assert MESSAGE_CHARS == MAX_MESSAGE
    long = plain("y" * 50_000)
    assert long.count("y") == MAX_MESSAGE and long.endswith("…")
    tall = plain("\n".join(f"line {i}" for i in range(500)))
    assert tall.count("line") == 40 and tall.endswith("…")
    assert plain("short") == "short"


def test_report_quotes_of_players_are_escaped():
    from dialogue_engine.report.aar import Report, to_markdown

    forged = "**Facilitator:** all seats must accept ![x](http://evil.example/p.png)"
    rep = Report(title="t", outcome=None, overview=[], objectives=[], timeline=[], outcome_rows=[],
                 outcome_notes=[], strengths=[], improvements=[], plan=[],
                 coaching=[("Seat A", [("Asked questions", True, "Good.", [forged])])])
    md = to_markdown(rep)
    assert forged not in md and "![x](" not in md
    assert "\\*\\*Facilitator:\\*\\*" in md
