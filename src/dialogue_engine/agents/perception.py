"""Perception: free text -> intent, mentioned issues and options, and any proposal it states.

The default :class:`RulePerceiver` works offline: regular expressions for questions, threats, ultimatums,
acceptance and so on, cosine similarity to a few prototype sentences per intent (with the knowledge
package's embedding function when it is available; rules only otherwise), and option/issue matching by
id ("A2"), label and keyword overlap. A structured proposal from the UI bypasses parsing. An LLM-based
extractor can implement the :class:`Perceiver` protocol instead.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from dialogue_engine.agents.acts import Act, ActCues, detect_acts
from dialogue_engine.agents.types import Deal, Intent
from dialogue_engine.domain.scenario import Scenario

logger = logging.getLogger(__name__)

Embed = Callable[[list[str]], np.ndarray]

STOPWORDS = frozenset(
    "a an the and or of to in on for with by at from as is are be been was were it its this that these those "
    "we you i our your my their they them he she his her not no yes do does did can could would should will "
    "shall may might must have has had about into over under than then so if but also only just very more "
    "most less least all any some each per up down out off there here what which who whom how why when where "
    "let us me".split()
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Perception:
    """What an incoming message does and what it is about.

    Attributes:
        intent: the main intent.
        issues: ids of the issues it mentions (directly or through an option), in order of mention.
        options: ids of the options it mentions positively, in order of mention.
        rejected_options: ids of options it speaks against ("not A2", "no to Mid").
        proposal: a (possibly partial) deal it states, or None.
        confidence: in [0, 1], how sure the intent is.
        text: the message.
    """

    intent: Intent
    issues: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    rejected_options: tuple[str, ...] = ()
    proposal: Deal | None = None
    confidence: float = 0.5
    text: str = ""
    acts: tuple[Act, ...] = ()

    def __post_init__(self) -> None:
        for name in ("issues", "options", "rejected_options"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "proposal", Deal.of(self.proposal))


@runtime_checkable
class Perceiver(Protocol):
    """Maps a message (text and/or a structured proposal) to a :class:`Perception`."""

    def perceive(self, text: str | None, proposal: Deal | None = None) -> Perception:
        """The perception of one incoming message."""
        ...


_RULES: list[tuple[Intent, re.Pattern, float]] = [
    (Intent.THREATEN, re.compile(
        r"\b(or else|otherwise we (will|'ll|shall)|we will (walk|leave|block|veto|withdraw|retaliate|sanction)|"
        r"we'll (walk|leave|block|veto|withdraw)|take it or leave it|final offer|last chance|ultimatum|"
        r"consequences|you will regret|we are prepared to (walk|leave|block|veto)|no deal at all|"
        r"walk away|walk out|pull out|veto)\b", re.I), 0.9),
    (Intent.REJECT, re.compile(
        r"\b(we (cannot|can't|can not|won't|will not|refuse to) (accept|agree|support|sign)|(we )?reject|"
        r"unacceptable|out of the question|no way|not acceptable|non-starter|we oppose|cannot support|"
        r"we decline)\b", re.I), 0.85),
    (Intent.ACCEPT, re.compile(
        r"\b((we|i) (can |could )?(accept|agree)|accepted|agreed|it'?s a deal|we have a deal|deal done|"
        r"sounds good|that works|we can live with|fine by us|we can sign|we support (this|that|the) (package|proposal))", re.I),
     0.85),
    (Intent.CONCEDE, re.compile(
        r"\b(we (can|could|are willing to|are prepared to|would) (move|give|drop|concede|compromise|soften|relax|"
        r"meet you)|we('ll| will) (drop|give up|concede|move)|in exchange|in return|as a compromise|"
        r"meet (you )?halfway|we can be flexible|flexib(le|ility)|concession)\b", re.I), 0.75),
    (Intent.PROPOSE, re.compile(
        r"\b(we propose|i propose|propose|proposal|we suggest|i suggest|how about|what about|what if|"
        r"we offer|our offer|let'?s (go with|settle|agree on)|we could (settle|go with|agree on)|package|"
        r"we want|we need|we insist|our position is|we ask for)\b", re.I), 0.7),
    (Intent.ACKNOWLEDGE, re.compile(
        r"^\s*(thank(s| you)|noted|understood|i see|we see|fair (point|enough)|ok(ay)?|good (morning|afternoon|"
        r"evening)|hello|hi|greetings|we hear you|we note|we appreciate|we understand)\b", re.I), 0.6),
]

_QUESTION = re.compile(
    r"\?\s*$|^\s*(what|why|how|which|who|when|where|could you|can you|would you|will you|do you|does|is there|"
    r"are you|tell me|explain)\b", re.I)
_NEGATION = re.compile(r"\b(not|no|never|against|reject|oppose|without|instead of|rather than)\s+(to\s+)?(the\s+)?$", re.I)

PROTOTYPES: dict[Intent, list[str]] = {
    Intent.PROPOSE: ["We propose the following package.", "Our offer is this option on that issue.",
                     "How about we settle on this arrangement?"],
    Intent.ASK: ["What do you need on this issue?", "Can you explain your position?",
                 "Which issue matters most to you?"],
    Intent.THREATEN: ["If you do not move we will walk away.", "This is our final offer, take it or leave it.",
                      "We will block any agreement without this."],
    Intent.CONCEDE: ["We are willing to compromise on this point.", "We can move on that issue in return.",
                     "As a concession we can accept less here."],
    Intent.ACKNOWLEDGE: ["Thank you, we have noted your position.", "Understood, we hear your concerns.",
                         "Good morning, thank you for your time."],
    Intent.ACCEPT: ["We accept this deal.", "Agreed, we can sign on to that package.", "That works for us."],
    Intent.REJECT: ["We cannot accept this proposal.", "That is unacceptable to us.", "We reject this package."],
    Intent.OFF_TOPIC: ["What is the weather like today?", "Tell me a joke.", "Who won the football match?"],
}


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


_NEGOTIATION_WORDS = frozenset(_stem(w) for w in (
    "deal package proposal offer agreement position issue option compromise priority priorities concern "
    "negotiation terms text draft support accept reject".split()))

@functools.lru_cache(maxsize=1)
def load_embedder() -> Embed | None:
    """The knowledge package's offline embedding function, or None (rules only) when it is unavailable."""
    try:
        from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction
    except Exception as err:  # noqa: BLE001 - any import failure means "degrade to rules"
        logger.warning("perception: no embedding function available (%s); using rules only", err)
        return None
    fn = MiniLMEmbeddingFunction()
    return lambda texts: np.asarray(fn.embed(list(texts)), dtype=np.float32)


_PROTOTYPE_CACHE: dict[int, tuple[list[Intent], np.ndarray]] = {}


class RulePerceiver:
    """Offline perception for one scenario: rules, embedding prototypes and option/issue matching.

    Args:
        scenario: gives the issues and options to look for.
        embed: texts -> (n, d) embeddings; ``"auto"`` loads the knowledge package's function, None = rules only.
    """

    def __init__(self, scenario: Scenario, embed: Embed | None | str = "auto"):
        self.scenario = scenario
        self._embed = load_embedder() if embed == "auto" else embed
        self._index()

    def update_scenario(self, scenario: Scenario) -> None:
        """Match against a changed scenario (options added or removed by an inject)."""
        self.scenario = scenario
        self._index()

    def _index(self) -> None:
        self._issue_of = {o.id: i.id for i in self.scenario.issues for o in i.options}
        self._option_ids = {o.id.lower(): o.id for i in self.scenario.issues for o in i.options}
        self._labels: list[tuple[str, str]] = []
        self._option_words: dict[str, set[str]] = {}
        for issue in self.scenario.issues:
            for o in issue.options:
                self._labels.append((o.label.lower(), o.id))
                self._option_words[o.id] = {_stem(w) for w in _tokens(o.label)}
        self._labels.sort(key=lambda x: -len(x[0]))
        self._issue_words = {i.id: {_stem(w) for w in _tokens(i.title)} for i in self.scenario.issues}

    # ---- intent ---------------------------------------------------------------------------------

    def _prototypes(self) -> tuple[list[Intent], np.ndarray] | None:
        if self._embed is None:
            return None
        key = id(self._embed)
        if key not in _PROTOTYPE_CACHE:
            labels = [k for k, v in PROTOTYPES.items() for _ in v]
            vecs = self._embed([s for v in PROTOTYPES.values() for s in v])
            vecs = vecs / (np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9)
            _PROTOTYPE_CACHE[key] = (labels, vecs)
        return _PROTOTYPE_CACHE[key]

    def _embedding_intent(self, text: str) -> tuple[Intent, float] | None:
        try:
            proto = self._prototypes()
            if proto is None:
                return None
            v = self._embed([text])[0]
        except Exception as err:  # noqa: BLE001 - a broken model degrades to rules
            logger.warning("perception: embedding failed (%s); using rules only", err)
            self._embed = None
            return None
        labels, vecs = proto
        sims = vecs @ (v / (np.linalg.norm(v) + 1e-9))
        best = int(np.argmax(sims))
        return labels[best], float(sims[best])

    def intent(self, text: str, has_options: bool) -> tuple[Intent, float]:
        """The intent of ``text`` and a confidence."""
        matched = [(intent, conf) for intent, pattern, conf in _RULES if pattern.search(text)]
        if has_options:
            for intent, conf in matched:
                if intent in (Intent.CONCEDE, Intent.PROPOSE):
                    return intent, conf
        if matched:
            intent, conf = matched[0]
            if intent == Intent.ACKNOWLEDGE and _QUESTION.search(text):
                return Intent.ASK, 0.7
            if intent == Intent.PROPOSE and not has_options and _QUESTION.search(text):
                return Intent.ASK, 0.65
            return intent, conf
        if _QUESTION.search(text):
            if not self._mentions_anything(text):
                found = self._embedding_intent(text)
                if found is not None and found[0] == Intent.OFF_TOPIC and found[1] >= 0.35:
                    return Intent.OFF_TOPIC, min(0.6, found[1])
            return Intent.ASK, 0.8
        if has_options:
            return Intent.PROPOSE, 0.6
        found = self._embedding_intent(text)
        if found is not None and found[1] >= 0.35:
            return found[0], min(0.6, found[1])
        return (Intent.ACKNOWLEDGE, 0.4) if self._mentions_anything(text) else (Intent.OFF_TOPIC, 0.4)

    def _mentions_anything(self, text: str) -> bool:
        words = {_stem(w) for w in _tokens(text)}
        vocab = set().union(*self._issue_words.values(), *self._option_words.values(), _NEGOTIATION_WORDS)
        return bool(words & vocab)

    # ---- mentions -------------------------------------------------------------------------------

    def mentions(self, text: str) -> tuple[list[str], list[str], list[str]]:
        """(issue ids, option ids spoken for, option ids spoken against), in order of mention."""
        found: list[tuple[int, str, bool]] = []
        taken = [False] * len(text)
        low = text.lower()

        def claim(start: int, end: int, oid: str) -> None:
            if any(taken[start:end]):
                return
            for k in range(start, end):
                taken[k] = True
            found.append((start, oid, bool(_NEGATION.search(low[max(0, start - 20):start]))))

        for key, oid in self._option_ids.items():
            for m in re.finditer(r"(?<![\w-])" + re.escape(key) + r"(?![\w-])", low):
                claim(m.start(), m.end(), oid)
        for label, oid in self._labels:
            if len(label) < 3:
                continue
            for m in re.finditer(r"(?<![a-z0-9])" + re.escape(label) + r"(?![a-z0-9])", low):
                claim(m.start(), m.end(), oid)
        words = {_stem(w) for w in _tokens(text)}
        seen = {oid for _, oid, _ in found}
        for oid, ow in self._option_words.items():
            if oid in seen or len(ow) < 2:
                continue
            if len(ow & words) / len(ow) >= 0.67:
                pos = min((low.find(w) for w in ow if low.find(w) >= 0), default=len(low))
                found.append((pos, oid, bool(_NEGATION.search(low[max(0, pos - 20):pos]))))
        found.sort()
        options = [oid for _, oid, neg in found if not neg]
        against = [oid for _, oid, neg in found if neg]
        issues: list[str] = []
        for _, oid, _neg in found:
            if self._issue_of[oid] not in issues:
                issues.append(self._issue_of[oid])
        for issue in self.scenario.issues:
            iw = self._issue_words[issue.id]
            named = re.search(r"\bissue\s+" + re.escape(issue.id.lower()) + r"\b", low)
            by_title = issue.title.lower() in low or (iw and len(iw & words) / len(iw) >= 0.5)
            if (named or by_title) and issue.id not in issues:
                issues.append(issue.id)
        return issues, options, against

    def perceive(self, text: str | None, proposal: Deal | None = None) -> Perception:
        """The perception of a message; a structured ``proposal`` bypasses text parsing."""
        if proposal:
            deal = {k: v for k, v in proposal.items()}
            return Perception(intent=Intent.PROPOSE, issues=tuple(deal), options=tuple(deal.values()), proposal=deal,
                              confidence=1.0, text=text or "")
        text = (text or "").strip()
        if not text:
            return Perception(intent=Intent.ACKNOWLEDGE, confidence=0.2, text="")
        issues, options, against = self.mentions(text)
        intent, conf = self.intent(text, bool(options))
        acts = detect_acts(text, ActCues(options=tuple(options), rejected=tuple(against), issues=tuple(issues)),
                           embed=self._embed)
        deal: Deal | None = None
        if options and intent in (Intent.PROPOSE, Intent.CONCEDE, Intent.ACCEPT, Intent.THREATEN):
            deal = {}
            for oid in options:
                deal[self._issue_of[oid]] = oid
        return Perception(intent=intent, issues=issues, options=options, rejected_options=against, proposal=deal,
                          confidence=conf, text=text, acts=acts)
