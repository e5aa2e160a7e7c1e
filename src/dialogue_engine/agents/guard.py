"""Guard: a reply never leaks private numbers or brief sentences, and cites only retrieved passages.

:func:`check_reply` lists violations; :func:`scrub` removes them (invalid citations, sentences carrying
private numbers or brief text). The agent falls back to the built-in realizer when a realizer's text has
violations that scrubbing cannot fix without gutting it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Sequence

from dialogue_engine.agents.types import Citation
from dialogue_engine.domain.scenario import Party

NGRAM = 6
_NUMBER = re.compile(r"(?<![\w.\[])(-?\d+(?:[.,]\d+)?)(?![\w\]])")
_CITATION = re.compile(r"\[(\d+)\]")
_SCORE_TALK = re.compile(r"\b(our|my|the) (score|scores|threshold|utility|batna|reservation value|minimum total)\b"
                         r"|\b\d+(?:\.\d+)? (points|pts)\b|\bprivate (brief|instructions|scores)\b", re.I)
_SENT = re.compile(r"(?<=[.!?])\s+")


def _fmt(x: float) -> set[str]:
    out = {f"{x:g}"}
    if float(x).is_integer():
        out.add(str(int(x)))
        out.add(f"{x:.1f}")
    else:
        out.add(f"{x:.1f}")
        out.add(f"{x:.2f}".rstrip("0").rstrip("."))
    return out


def private_numbers(party: Party) -> set[str]:
    """Written forms of a party's private scores and threshold (zero and one-digit values excluded)."""
    values = {party.threshold} | {v for row in party.scores.values() for v in row.values()}
    out: set[str] = set()
    for v in values:
        if abs(v) >= 10 or not float(v).is_integer():
            out |= _fmt(v)
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _ngrams(text: str, n: int = NGRAM) -> set[tuple[str, ...]]:
    w = _words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
_SPACED_DIGITS = re.compile(r"(?<![\w.])\d(?:[ \u00a0\-_·]\d)+(?![\w.])")
_UNITS = (re.compile(r"(\d)([^\W\d_])"), re.compile(r"([^\W\d_$€£])(\d)"), re.compile(r"([$€£])(\d)"))
_ONES = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                      "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_NUMBER_WORDS = re.compile(r"\b(?:(?:%s|%s|hundred|and)[\s\-]*)+\b" % ("|".join(_ONES), "|".join(_TENS)), re.I)


def _words_to_number(match: re.Match[str]) -> str:
    total, current, seen = 0, 0, False
    for word in re.findall(r"[a-z]+", match.group(0).lower()):
        if word in _ONES:
            current += _ONES[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1) * 100
            seen = True
    total += current
    tail = " " if match.group(0).endswith((" ", "-")) else ""
    return f"{total}{tail}" if seen and match.group(0).strip().lower() != "and" else match.group(0)


def normalize_numbers(text: str) -> str:
    """Every written form of a number as plain ASCII digits: Unicode digits, full-width forms, invisible
    characters, digits split by spaces ("6 1"), number words ("sixty-one") and units glued on ("61pts", "$61m")."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)
    text = _SPACED_DIGITS.sub(lambda m: re.sub(r"\D", "", m.group(0)), text)
    text = _NUMBER_WORDS.sub(_words_to_number, text)
    for pattern in _UNITS:
        text = pattern.sub(r"\1 \2", text)
    return text


def _numbers(text: str) -> list[str]:
    """Numeric tokens in ``text``, in every written form (citation markers left out)."""
    stripped = normalize_numbers(_CITATION.sub(" ", text))
    return [m.group(1).replace(",", "") for m in _NUMBER.finditer(stripped)]


def _leaked_numbers(text: str, private: set[str], allowed: set[str]) -> set[str]:
    """Private numbers in ``text``: a token not in the public material, or a digit run of one ("57.186" has 57)."""
    leaked: set[str] = set()
    for token in _numbers(text):
        if token in allowed:
            continue
        runs = {part for part in token.lstrip("-").split(".") if part} if "." in token else set()
        leaked |= ({token} | runs) & private
    return leaked


def _allowed_numbers(passages: Sequence[Citation], public_text: str) -> set[str]:
    allowed: set[str] = set()
    for src in [public_text, *(p.text for p in passages)]:
        allowed |= set(_numbers(src))
    return allowed


def check_reply(text: str, party: Party, passages: Sequence[Citation] = (), *, public_text: str = "",
                taboo: Iterable[str] = ()) -> list[str]:
    """Violations in a reply (empty when it is safe to say).

    Args:
        text: the reply.
        party: the speaker's seat (private scores, threshold, brief).
        passages: the passages retrieved for this turn (the only citable ones).
        public_text: public scenario text (situation, issue and option labels): numbers in it are fine.
        taboo: words the persona never uses.
    Returns:
        One short line per violation.
    """
    problems: list[str] = []
    if not text or not text.strip():
        return ["empty reply"]
    allowed = _allowed_numbers(passages, public_text)
    leaked = sorted(_leaked_numbers(text, private_numbers(party), allowed))
    if leaked:
        problems.append(f"{len(leaked)} private number(s) in the text")  # never the numbers themselves
    if _SCORE_TALK.search(text):
        problems.append("talks about private scores or thresholds")
    if party.private_brief.strip():
        public = _ngrams(public_text) | set().union(*(_ngrams(p.text) for p in passages)) if passages else _ngrams(public_text)
        overlap = (_ngrams(text) & _ngrams(party.private_brief)) - public
        if overlap:
            problems.append("repeats the private brief")  # never the brief's words
    valid = {p.n for p in passages}
    bad = sorted({int(n) for n in _CITATION.findall(text)} - valid)
    if bad:
        problems.append(f"cites passages that were not retrieved: {', '.join(f'[{n}]' for n in bad)}")
    low = text.lower()
    used = sorted({t for t in taboo if t and re.search(r"\b" + re.escape(t.lower()) + r"\b", low)})
    if used:
        problems.append(f"uses taboo word(s): {', '.join(used)}")
    return problems


def scrub(text: str, party: Party, passages: Sequence[Citation] = (), *, public_text: str = "",
          taboo: Iterable[str] = ()) -> str:
    """``text`` without invalid citations and without the sentences that leak or break character."""
    valid = {p.n for p in passages}
    text = _CITATION.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
    text = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    kept = [s for s in _SENT.split(text)
            if s.strip() and not check_reply(s, party, passages, public_text=public_text, taboo=taboo)]
    return " ".join(kept).strip()


def renumber_citations(text: str, passages: Sequence[Citation]) -> tuple[str, tuple[Citation, ...]]:
    """The reply's citations numbered 1, 2, ... in the order the text first cites them, and the text with its
    markers rewritten to match (a reply whose only source was the third passage retrieved cites [1], not [3]).
    Markers that name no passage are left as they are (the guard drops those)."""
    order = cited_numbers(text, passages)
    new = {old: k for k, old in enumerate(order, start=1)}
    by_n = {p.n: p for p in passages}
    text = _CITATION.sub(lambda m: f"[{new[int(m.group(1))]}]" if int(m.group(1)) in new else m.group(0), text)
    return text, tuple(dataclasses.replace(by_n[old], n=k) for old, k in new.items())


def cited_numbers(text: str, passages: Sequence[Citation]) -> list[int]:
    """The valid passage numbers a text cites, in order of first citation."""
    valid = {p.n for p in passages}
    out: list[int] = []
    for n in (int(x) for x in _CITATION.findall(text)):
        if n in valid and n not in out:
            out.append(n)
    return out
