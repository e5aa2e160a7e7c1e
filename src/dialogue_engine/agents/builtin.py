"""The built-in realizer: varied, persona-voiced wording for a decided move, with one cited talking point.

No LLM. A reply is assembled from an opening (the persona's own openers or a generic one that fits its
formality), a response to what was just said, the move itself (proposals stated issue by issue with
option labels), one grounded talking point (a lead-in plus one sentence of a retrieved passage, cited
[n]) and, sometimes, one of the persona's signature phrases. Two consecutive replies of one persona never
open the same way. Deterministic for a seed.
"""

from __future__ import annotations

import re
import zlib
from collections import deque

import numpy as np

from dialogue_engine.agents.realizer import Realization, RealizeRequest
from dialogue_engine.agents.types import Citation, MoveKind

_FORMAL_OPENERS = [
    "Thank you, Chair.",
    "Allow me to respond briefly.",
    "We have considered this carefully.",
    "Let me set out our view.",
    "With respect, a few observations.",
    "We thank colleagues for the exchange.",
]
_PLAIN_OPENERS = [
    "Okay, here's where we are.",
    "Let's keep this moving.",
    "Fair enough, let me answer that.",
    "Right, let's get practical.",
    "Here's our take.",
    "Let's be straight with each other.",
]

_RESPONSES = {
    "question": ["You ask a fair question, and it deserves a direct answer.",
                 "That is the right question to ask.",
                 "To answer your question plainly:"],
    "proposal": ["We have studied the package you put forward.",
                 "Your proposal moves us closer, but not far enough.",
                 "We looked closely at what you tabled."],
    "threat": ["Pressure will not change the arithmetic of this room.",
               "Ultimatums rarely make agreements last.",
               "We will not negotiate under threat, but we will keep negotiating."],
    "welcome": ["We have weighed your package carefully.",
                "Your proposal answers the concerns we raised.",
                "This is the movement we were hoping for."],
    "other": ["We have listened to what was said.",
              "We take note of that.",
              "That is heard, and taken seriously."],
}

_CORE = {
    MoveKind.PROPOSE: ["We put this package on the table: {deal}.",
                       "Our proposal is as follows: {deal}.",
                       "Here is a package we can defend: {deal}.",
                       "We suggest settling it this way: {deal}."],
    MoveKind.COUNTER: ["We cannot take that as it stands, so here is our counter-proposal: {deal}.",
                       "Let us adjust it rather than discard it: {deal}.",
                       "We can meet you part of the way with this: {deal}.",
                       "Our counter-offer keeps what works and changes the rest: {deal}."],
    MoveKind.ACCEPT: ["We can accept this package: {deal}.",
                      "Agreed, on these terms: {deal}.",
                      "This is a deal we can support: {deal}.",
                      "We are ready to sign on to it: {deal}."],
    MoveKind.REJECT: ["We cannot accept what is on the table.",
                      "That package does not work for us.",
                      "We are unable to support this as drafted."],
    MoveKind.ASK: ["Before we go further, what matters most to you on {issue}?",
                   "Help us understand: what would you need on {issue} to move?",
                   "Where exactly is your room for movement on {issue}?"],
    MoveKind.ACKNOWLEDGE: ["Our position stands, and it is concrete: {deal}.",
                           "To be clear about what we can support: {deal}.",
                           "Let me restate where we are: {deal}."],
    MoveKind.WALK_AWAY: ["We see no agreement here that we could defend at home, so we step back from this table.",
                         "With regret, we will not join a deal on these terms and withdraw from this round.",
                         "There is nothing on offer we can carry home; we are leaving the talks for now."],
}

_FOCUS = ["For us, the crux is {issue}.", "{issue} is where this will be decided.",
          "Most of our attention is on {issue}.", "Everything else follows from {issue}."]

_LEADS = [
    "{title} makes the point plainly: {sentence}",
    "The record supports us here: {sentence}",
    "It is worth recalling what {title} says: {sentence}",
    "Consider the evidence: {sentence}",
    "As the analysis in {title} has it, {sentence_lc}",
    "One fact should frame this discussion: {sentence}",
]

_PHRASES = ['Our watchword remains "{phrase}".', 'As we keep saying, "{phrase}".', 'Call it "{phrase}".',
            'That is what we mean by "{phrase}".']

_MD = re.compile(r"(^|\s)[#>*_`]+|[*_`]+(\s|$)|\[(\d+)\]|\[([^\]]*)\]\([^)]*\)")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _clean(text: str) -> str:
    text = _MD.sub(lambda m: (m.group(1) or "") + (m.group(4) or "") + (m.group(2) or ""), text)
    text = re.sub(r"^\s*[-•]\s+", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _opening_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower())[:4])


def deal_phrase(lines: list[tuple[str, str]]) -> str:
    """'on Money, Mid; on Time, Later' for (issue title, option label) pairs."""
    if not lines:
        return "the package as it stands"
    parts = [f"on {title}, {label}" for title, label in lines]
    if len(parts) == 1:
        return parts[0]
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def talking_point(passage: Citation, topic: str, rng: np.random.Generator, taboo: list[str] = ()) -> str | None:
    """One sentence of ``passage`` (the one closest to ``topic``), led in and cited as [n]."""
    sentences = [s.strip() for s in _SENT.split(_clean(passage.text))]
    taboo_low = [t.lower() for t in taboo]
    usable = [s for s in sentences if 40 <= len(s) <= 260 and not any(t in s.lower() for t in taboo_low)
              and s[-1:] in ".!?" and not s.endswith("?")]
    if not usable:
        usable = [s for s in sentences if 25 <= len(s) <= 320 and not any(t in s.lower() for t in taboo_low)]
    if not usable:
        return None
    want = _words(topic)
    scores = np.array([len(_words(s) & want) + rng.uniform(0, 0.5) for s in usable])
    sentence = usable[int(np.argmax(scores))].rstrip(".!")
    title = passage.title or passage.source.rsplit(".", 1)[0].replace("-", " ")
    lead = _LEADS[int(rng.integers(len(_LEADS)))]
    lc = sentence[0].lower() + sentence[1:] if sentence[:2].isupper() is False else sentence
    return lead.format(title=title, sentence=sentence, sentence_lc=lc) + f" [{passage.n}]."


class BuiltinRealizer:
    """Template realizer (the default, no LLM). Keeps per-persona memory of recent openings.

    Args:
        seed: varies wording deterministically.
    """

    source = "builtin"

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._recent: dict[str, deque[str]] = {}

    def _rng(self, request: RealizeRequest) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(request.persona.id.encode()), request.turn,
                                      list(MoveKind).index(request.move.kind)])

    @staticmethod
    def _pick(rng: np.random.Generator, options: list[str]) -> str:
        return options[int(rng.integers(len(options)))]

    def compose(self, request: RealizeRequest) -> Realization:
        """The reply text (synchronous; :meth:`realize` wraps it)."""
        rng = self._rng(request)
        persona = request.persona
        voice = persona.voice
        formal = "formal" in voice.formality.lower() and "in" not in voice.formality.lower().split("formal")[0][-3:]
        recent = self._recent.setdefault(persona.id, deque(maxlen=3))
        kind = request.move.kind
        issue_title = _issue_title(request)
        deal = deal_phrase(request.proposal_lines)

        parts: list[str] = []
        incoming = request.incoming.text if request.incoming and request.incoming.text else ""
        if incoming:
            if incoming.rstrip().endswith("?"):
                group = "question"
            elif request.incoming.proposal:
                group = "proposal"
            elif re.search(r"\b(or else|walk away|final offer|take it or leave it|veto|block)\b", incoming, re.I):
                group = "threat"
            else:
                group = "other"
            if group == "proposal" and kind == MoveKind.ACCEPT:
                group = "welcome"
            response = self._pick(rng, _RESPONSES[group])
        else:
            response = ""

        core = self._pick(rng, _CORE[kind]).format(deal=deal, issue=issue_title)
        openers = list(voice.openers) + (_FORMAL_OPENERS if formal else _PLAIN_OPENERS)
        order = [int(i) for i in rng.permutation(len(openers))]
        candidates = [openers[i] for i in order]
        if response:
            candidates.insert(int(rng.integers(0, 3)), response)
        candidates.insert(int(rng.integers(0, 4)), core)
        last = recent[-1] if recent else None
        opening = next((c for c in candidates if _opening_key(c) != last and _opening_key(c) not in recent),
                       next(c for c in candidates if _opening_key(c) != last))
        parts.append(opening)
        if response and opening not in (response, core):
            parts.append(response)
        if opening != core:
            parts.append(core)
        if kind in (MoveKind.PROPOSE, MoveKind.COUNTER, MoveKind.REJECT) and request.move.issue and rng.random() < 0.6:
            parts.append(self._pick(rng, _FOCUS).format(issue=issue_title))
        cited: list[int] = []
        if request.passages:
            start = int(rng.integers(len(request.passages)))
            topic = " ".join([issue_title, persona.interests[0].name if persona.interests else ""])
            for k in range(len(request.passages)):
                passage = request.passages[(start + k) % len(request.passages)]
                point = talking_point(passage, topic, rng, voice.taboo_words)
                if point:
                    parts.append(point)
                    cited.append(passage.n)
                    break
        if voice.phrases and rng.random() < 0.5:
            parts.append(self._pick(rng, _PHRASES).format(phrase=self._pick(rng, voice.phrases)))
        text = " ".join(p[0].upper() + p[1:] if p else p for p in parts)
        recent.append(_opening_key(opening))
        return Realization(text=text, cited=tuple(cited), source="builtin")

    async def realize(self, request: RealizeRequest) -> Realization:
        """Words for ``request.move`` in the persona's voice, citing one passage."""
        return self.compose(request)


def _issue_title(request: RealizeRequest) -> str:
    """The focus issue's title (from the request, else the first proposal line)."""
    if request.issue_title:
        return request.issue_title
    if request.proposal_lines:
        return request.proposal_lines[0][0]
    return request.move.issue or "the main issue"
