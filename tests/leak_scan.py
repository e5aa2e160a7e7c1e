"""Scanning text a player can see for another seat's private numbers and brief, with the guard's own normaliser.

Every written form the guard normalises counts ("61", "sixty-one", "６１", "61pts", "6 1", "$61m", zero-width
spaces): the text is normalised by ``agents.guard.normalize_numbers`` before its numbers are read.
"""

from __future__ import annotations

import re

from dialogue_engine.agents.guard import normalize_numbers, private_numbers

__all__ = ["brief_phrases", "leaks", "numbers_in", "private_numbers", "public_numbers", "secret_numbers", "words"]
from dialogue_engine.domain.scenario import Scenario

_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w])")
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
         "seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def words(n: int) -> str:
    """``n`` (0-99) in English words: 61 -> 'sixty-one'."""
    if n < 20:
        return _WORDS[n]
    return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _WORDS[n % 10])


def numbers_in(text: str) -> set[str]:
    """Every number in ``text`` in any written form, as plain digits ('61', '61.5')."""
    found = set()
    for m in _NUMBER.finditer(normalize_numbers(text)):
        token = m.group(1)
        found.add(token.rstrip("0").rstrip(".") if "." in token else token)
    return found


def public_numbers(scenario: Scenario) -> set[str]:
    """Numbers in the scenario's public text (title, situation, issue and option labels): fine to show."""
    parts = [scenario.title, scenario.situation, scenario.summary or ""]
    parts += [f"{i.title} {o.label}" for i in scenario.issues for o in i.options]
    return numbers_in(" ".join(parts))


def secret_numbers(scenario: Scenario, viewer: str | None) -> set[str]:
    """Other seats' private numbers that ``viewer`` cannot know from its own brief or the public text."""
    own = private_numbers(scenario.party(viewer)) if viewer else set()
    others = set().union(*(private_numbers(p) for p in scenario.parties if p.id != viewer))
    return {n for n in others if n not in own} - public_numbers(scenario)


def brief_phrases(scenario: Scenario, viewer: str | None, n: int = 6) -> set[str]:
    """Runs of ``n`` words from other seats' private briefs."""
    out = set()
    for p in scenario.parties:
        if p.id != viewer and p.private_brief.strip():
            w = re.findall(r"[a-z0-9']+", p.private_brief.lower())
            out |= {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}
    return out


def leaks(text: str, scenario: Scenario, viewer: str | None) -> list[str]:
    """What in ``text`` is another seat's private number or brief text (empty when nothing is)."""
    found = sorted(numbers_in(text) & secret_numbers(scenario, viewer))
    flat = " ".join(re.findall(r"[a-z0-9']+", text.lower()))
    found += [f"brief: {p!r}" for p in brief_phrases(scenario, viewer) if p in flat]
    return found
