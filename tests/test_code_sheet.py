"""The facilitator's join links and printable code sheet (``ui.joinflow``), without Streamlit."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from dialogue_engine.exercise.views import ExerciseInfo, JoinCodeView, SeatInfo
from dialogue_engine.ui import joinflow
from dialogue_engine.ui.joinflow import SheetCard


class _Cards(HTMLParser):
    """Collects the text of each card's parts and every href."""

    def __init__(self):
        super().__init__()
        self.cls: list[str] = []
        self.parts: dict[str, list[str]] = {"seat": [], "code": []}
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.cls.append(a.get("class") or "")
        if tag == "a":
            self.hrefs.append(a["href"])

    def handle_endtag(self, tag):
        if self.cls:
            self.cls.pop()

    def handle_data(self, data):
        if self.cls and self.cls[-1] in self.parts:
            self.parts[self.cls[-1]].append(data)


@pytest.mark.parametrize("url,root", [
    ("http://localhost:8501/exercise", "http://localhost:8501/"),
    ("http://10.0.0.5:8501/facilitator?x=1#top", "http://10.0.0.5:8501/"),
    ("https://class.example.org/qd/exercise", "https://class.example.org/qd/"),
    ("http://localhost:8501/", "http://localhost:8501/"),
    ("http://localhost:8501", "http://localhost:8501/"),
    (None, joinflow.DEFAULT_ROOT),
    ("", joinflow.DEFAULT_ROOT),
    ("javascript:alert(1)", joinflow.DEFAULT_ROOT),
])
def test_app_root(url, root):
    assert joinflow.app_root(url) == root


def test_join_link_carries_the_canonical_code():
    assert joinflow.join_link("http://h:8501/", "k7qf m3xd") == "http://h:8501/exercise?seat=K7QF-M3XD"
    assert joinflow.join_link("http://h:8501", "K7QF-M3XD") == "http://h:8501/exercise?seat=K7QF-M3XD"
    assert joinflow.join_link("http://h/", "a&b=c d") == "http://h/exercise?seat=a%26b%3Dc%20d"  # old codes


def test_sheet_has_one_card_per_seat_with_name_code_and_link():
    cards = joinflow.sheet_cards({"beta": "K7QF-M3XD", "alpha": "A2B3-C4D5"}, {"alpha": "Alpha Bloc", "beta": "Beta"},
                                 "http://h:8501/")
    assert [c.name for c in cards] == ["Alpha Bloc", "Beta"]
    page = joinflow.code_sheet_html(title="Harbour talks", exercise_id="abc123", cards=cards)
    parsed = _Cards()
    parsed.feed(page)
    assert parsed.parts["seat"] == ["Alpha Bloc", "Beta"]
    assert parsed.parts["code"] == ["A2B3-C4D5", "K7QF-M3XD"]
    assert parsed.hrefs == ["http://h:8501/exercise?seat=A2B3-C4D5", "http://h:8501/exercise?seat=K7QF-M3XD"]
    assert page.startswith("<!DOCTYPE html>") and "Harbour talks" in page and "abc123" in page
    assert "break-inside: avoid" in page  # a card never splits across printed pages


def test_sheet_escapes_every_value():
    evil = '<script>alert("x")</script>'
    cards = [SheetCard(name=evil, code="<b>K7QF</b>", link='http://h/" onmouseover="alert(1)')]
    page = joinflow.code_sheet_html(title=f"T {evil}", exercise_id="<i>id</i>", cards=cards)
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert '" onmouseover' not in page
    assert "&lt;script&gt;" in page and "&quot;" in page
    parsed = _Cards()
    parsed.feed(page)
    assert parsed.parts["seat"] == [evil]  # shown as text, exactly
    assert parsed.hrefs == ['http://h/" onmouseover="alert(1)']
    assert "script" not in parsed.tags and "b" not in parsed.tags


def test_known_codes_follow_reissues_and_revocations():
    created = ExerciseInfo(exercise_id="e1", scenario_id="s", title="t", mode="exercise", seed=0, created="now",
                           facilitator_code="AAAA-BBBB-CCCC",
                           seats=[SeatInfo(party=p, name=p, persona=p, human=True, code=c)
                                  for p, c in [("a", "A2A2-A2A2"), ("b", "B3B3-B3B3"), ("c", "C4C4-C4C4")]])

    def status(party, active=True, replaced=0):
        return JoinCodeView(party=party, name=party.upper(), active=active, replaced=replaced)

    now = [status("a"), status("b", replaced=1), status("c", active=False, replaced=1)]
    assert joinflow.known_codes(created, "e1", {"b": "NEWB-NEWB"}, now) == {"a": "A2A2-A2A2", "b": "NEWB-NEWB"}
    assert joinflow.known_codes(created, "other", {}, now) == {}
    # b was reissued elsewhere: its code from creation no longer works, so it is not offered
    assert joinflow.known_codes(created, "e1", {}, now) == {"a": "A2A2-A2A2"}
    assert joinflow.code_rows(now)[2] == {"Seat": "C", "Code": "revoked", "Joined": "no", "Replaced": 1}
