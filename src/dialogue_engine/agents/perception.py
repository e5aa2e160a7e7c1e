"""Perception: free text -> its dialogue acts, mentioned issues and options, and any proposal it states.

The default :class:`RulePerceiver` works offline: the dialogue-act rules of :mod:`dialogue_engine.agents.acts`
(with the knowledge package's embedding function for lines the rules leave open, when it is available), the
learned act layer of :mod:`dialogue_engine.agents.act_model` on top of them (when the embedding function and the
shipped model file are available; the hard guarantees are applied after it), and option/issue matching by id
("A2"), label and keyword overlap. A structured proposal from the UI
bypasses parsing. An LLM-based extractor implements the :class:`Perceiver` protocol too.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from dialogue_engine.agents.act_model import (
    ActModel,
    enforce,
    feature_vector,
    lexical_features,
    load_act_model,
    word_features,
)
from dialogue_engine.agents.acts import Act, ActCues, detect_acts, normalize
from dialogue_engine.agents.types import Deal
from dialogue_engine.domain.scenario import Scenario

logger = logging.getLogger(__name__)

_READINGS: OrderedDict[tuple, tuple] = OrderedDict()  # (text, cues, ids of embed and model) -> (embed, model, acts)
_READINGS_SIZE = 2048
_READINGS_LOCK = threading.Lock()

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
        acts: the dialogue acts of the line (several may hold; see :class:`~dialogue_engine.agents.acts.Act`).
        issues: ids of the issues it mentions (directly or through an option), in order of mention.
        options: ids of the options it mentions positively, in order of mention.
        rejected_options: ids of options it speaks against ("not A2", "no to Mid").
        proposal: a (possibly partial) deal it states, or None.
        confidence: in [0, 1], how sure the reading is.
        text: the message.
    """

    acts: tuple[Act, ...] = ()
    issues: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    rejected_options: tuple[str, ...] = ()
    proposal: Deal | None = None
    confidence: float = 0.5
    text: str = ""

    def __post_init__(self) -> None:
        for name in ("acts", "issues", "options", "rejected_options"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "proposal", Deal.of(self.proposal))

    def has(self, *acts: Act) -> bool:
        """Whether the line carries any of ``acts``."""
        return any(a in self.acts for a in acts)

    @property
    def accepts(self) -> bool:
        """An explicit acceptance (a question is never one)."""
        return Act.ACCEPT in self.acts and Act.ASK_ACCEPTANCE not in self.acts

    @property
    def asks(self) -> bool:
        """Whether the line asks the other side something it must answer."""
        return any(a.is_question for a in self.acts)

    def to_json(self) -> dict[str, object]:
        """The ``understood`` object of ``chat --json``: acts and issue/option mentions."""
        return {"acts": [a.value for a in self.acts], "issues": list(self.issues), "options": list(self.options),
                "rejected_options": list(self.rejected_options),
                "proposal": dict(self.proposal) if self.proposal is not None else None}


PROPOSING_ACTS = (Act.PROPOSE, Act.CONDITIONAL_TRADE, Act.ACCEPT, Act.THREATEN)
"""Acts whose mentioned options form a (possibly partial) proposal."""


@runtime_checkable
class Perceiver(Protocol):
    """Maps a message (text and/or a structured proposal) to a :class:`Perception`."""

    def perceive(self, text: str | None, proposal: Deal | None = None) -> Perception:
        """The perception of one incoming message."""
        ...


_NEGATION = re.compile(r"\b(not|no|never|against|reject|oppose|without|instead of|rather than)\s+(to\s+)?(the\s+)?$", re.I)

def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=1)
def load_embedder() -> Embed | None:
    """The knowledge package's offline embedding function, or None (rules only) when it is unavailable.

    Single texts are memoised (512 most recent): the rules' prototype guess and the learned act layer embed the
    same normalised line once per turn.
    """
    try:
        from dialogue_engine.knowledge.embedding import MiniLMEmbeddingFunction
    except Exception as err:  # noqa: BLE001 - any import failure means "degrade to rules"
        logger.warning("perception: no embedding function available (%s); using rules only", err)
        return None
    fn = MiniLMEmbeddingFunction()

    @functools.lru_cache(maxsize=512)
    def one(text: str) -> np.ndarray:
        vec = np.asarray(fn.embed([text]), dtype=np.float32)
        vec.flags.writeable = False
        return vec

    def embed(texts: list[str]) -> np.ndarray:
        texts = list(texts)
        return one(texts[0]) if len(texts) == 1 else np.asarray(fn.embed(texts), dtype=np.float32)
    return embed


class RulePerceiver:
    """Offline perception for one scenario: rules, embedding prototypes and option/issue matching.

    Args:
        scenario: gives the issues and options to look for.
        embed: texts -> (n, d) embeddings; ``"auto"`` loads the knowledge package's function, None = rules only.
        model: the learned act layer; ``"auto"`` loads the shipped file when ``embed`` is the shipped embedding
            function (a model is trained on one embedding space), None = rules (and prototypes) only.
    """

    def __init__(self, scenario: Scenario, embed: Embed | None | str = "auto",
                 model: ActModel | None | str = "auto"):
        self.scenario = scenario
        self._embed = load_embedder() if embed == "auto" else embed
        shipped = self._embed is not None and self._embed is load_embedder()
        self._model = (load_act_model() if shipped else None) if model == "auto" else model
        self._index()

    def read_acts(self, text: str, cues: ActCues) -> tuple[Act, ...]:
        """The acts of a line: the rules, then the learned layer (when present), then the hard guarantees.

        Readings are memoised per (line, cues, embedding function, model): in an exercise every seat reads
        every message, and the reading depends on nothing else. An entry holds its embedding function and
        model, so their ids cannot be reused while it lives."""
        key = (text, cues, id(self._embed), id(self._model))
        with _READINGS_LOCK:
            hit = _READINGS.get(key)
            if hit is not None and hit[0] is self._embed and hit[1] is self._model:
                _READINGS.move_to_end(key)
                return hit[2]
        embed, model = self._embed, self._model
        acts = self._read_acts(text, cues)
        if self._model is model:
            with _READINGS_LOCK:
                _READINGS[key] = (embed, model, acts)
                while len(_READINGS) > _READINGS_SIZE:
                    _READINGS.popitem(last=False)
        return acts

    def _read_acts(self, text: str, cues: ActCues) -> tuple[Act, ...]:
        rule_acts = detect_acts(text, cues, embed=self._embed)
        if self._model is None or self._embed is None or not text.strip():
            return rule_acts
        embedding = np.asarray(self._embed([normalize(text.strip())]), dtype=np.float32)[0]
        if embedding.shape[0] != self._model.manifest.get("embedding_dim"):
            logger.warning("perception: embedding size %d does not fit the act model; using rules only",
                           embedding.shape[0])
            self._model = None
            return rule_acts
        lexical = lexical_features(text, options=len(cues.options), rejected=len(cues.rejected),
                                   issues=len(cues.issues))
        words = word_features(text, self._model.vocabulary)
        return enforce(text, self._model.predict(feature_vector(embedding, rule_acts, lexical, words)), rule_acts)

    def update_scenario(self, scenario: Scenario) -> None:
        """Match against a changed scenario (options added or removed by an inject)."""
        self.scenario = scenario
        self._index()

    def _index(self) -> None:
        self._issue_of = {o.id: i.id for i in self.scenario.issues for o in i.options}
        self._option_ids = {o.id.lower(): o.id for i in self.scenario.issues for o in i.options}
        self._labels: list[tuple[str, str]] = []
        self._option_words: dict[str, set[str]] = {}
        self._option_desc_words: dict[str, set[str]] = {}
        for issue in self.scenario.issues:
            for o in issue.options:
                self._labels.append((o.label.lower(), o.id))
                self._option_words[o.id] = {_stem(w) for w in _tokens(o.label)}
                self._option_desc_words[o.id] = {_stem(w) for w in _tokens(o.description) if len(w) >= 5} \
                    - self._issue_stems(issue)
        self._labels.sort(key=lambda x: -len(x[0]))
        self._issue_words = {i.id: {_stem(w) for w in _tokens(i.title)} for i in self.scenario.issues}

    @staticmethod
    def _issue_stems(issue) -> set[str]:
        """Words every option of an issue shares (they name the issue, not an option)."""
        sets = [{_stem(w) for w in _tokens(o.description)} for o in issue.options if o.description]
        return set.intersection(*sets) if len(sets) > 1 else set()

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
                seen.add(oid)
        taken_issues = {self._issue_of[o] for o in seen}
        for oid, dw in self._option_desc_words.items():
            shared = dw & words
            if oid in seen or self._issue_of[oid] in taken_issues or len(shared) < 2 or len(shared) / len(dw) < 0.25:
                continue
            pos = min((low.find(w) for w in shared if low.find(w) >= 0), default=len(low))
            found.append((pos, oid, bool(_NEGATION.search(low[max(0, pos - 20):pos]))))
            taken_issues.add(self._issue_of[oid])
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
            deal = Deal(proposal)
            acts = self.read_acts(text or "", ActCues(options=tuple(deal.values()), issues=tuple(deal))) \
                if (text or "").strip() else ()
            return Perception(acts=tuple(dict.fromkeys((*acts, Act.PROPOSE))), issues=tuple(deal),
                              options=tuple(deal.values()), proposal=deal, confidence=1.0, text=text or "")
        text = (text or "").strip()
        if not text:
            return Perception(confidence=0.2, text="")
        issues, options, against = self.mentions(text)
        acts = self.read_acts(text, ActCues(options=tuple(options), rejected=tuple(against), issues=tuple(issues)))
        if Act.REJECT in acts and not any(a in acts for a in PROPOSING_ACTS):
            options, against = [], list(dict.fromkeys([*against, *options]))  # what a rejection names is rejected
        deal: Deal | None = None
        if options and any(a in acts for a in PROPOSING_ACTS):
            picked: dict[str, str] = {}
            for oid in options:
                picked.setdefault(self._issue_of[oid], oid)
            deal = Deal(picked)
        return Perception(acts=acts, issues=issues, options=options, rejected_options=against, proposal=deal,
                          confidence=0.7, text=text)
