"""The learned dialogue-act layer: one-vs-rest logistic regression over a line's sentence embedding, the rules'
reading, a few cheap lexical cues and which of the training lines' commonest words and word pairs it contains,
trained offline and shipped as a small versioned ``.npz`` file.

The rules of :mod:`dialogue_engine.agents.acts` read surface forms and stop generalising where the wording
changes; the embedding carries paraphrase. The model sees both and decides per act with a threshold chosen
by cross-validation. The hard guarantees stay rules, applied after the model (:func:`enforce`): a question is
never an acceptance, "we accept that ..." does not accept a package, an injection is manipulation only, a bare
acknowledgement carries no act.

The file is built by ``bench/train_acts.py`` from the tuning sets in ``bench/eval``; its manifest names the
embedding model (by its sha256), the feature layout and the hash of the training data.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dialogue_engine.agents.acts import (
    ACKNOWLEDGEMENT,
    CONCESSION_OPENING,
    MANIPULATION,
    Act,
    is_question,
    normalize,
    sentences,
)

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("act_model.npz")
FORMAT_VERSION = 2
WORD_SCALE = 0.7
"""The value of a vocabulary flag that is on (the features after the lexical cues, format 2)."""
_WORD = re.compile(r"[a-z']+")
ACTS: tuple[Act, ...] = tuple(Act)

_LEXICAL: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx, re.I)) for name, rx in (
    ("ends_question", r"\?\s*\W*$"),
    ("has_question", r"\?"),
    ("leading_if", r"^\W*(only )?(if|unless|provided|should you|as long as)\b"),
    ("inner_if", r".\b(if|unless|provided|as long as|in exchange|in return)\b"),
    ("modal", r"\b(will|would|could|can|might|shall|may|'ll|'d)\b"),
    ("second_person", r"\b(you|your|yours|u|ur)\b"),
    ("first_plural", r"\b(we|our|us|ours)\b"),
    ("negation", r"\b(not|no|never|cannot|nothing|none)\b|n't\b"),
    ("accept_word", r"\b(accept\w*|agree\w*|deal|sign|on board)\b"),
    ("consequence", r"\b(or else|otherwise|regret|consequences|walk|leave|remember|careful|elsewhere|patience)\b"),
    ("greeting_word", r"\b(hello|hi|hey|morning|afternoon|evening|thank\w*|thanks|welcome|goodbye|bye|cheers)\b"),
    ("wh_word", r"\b(what|why|how|which|who|when|where)\b"),
    ("why_word", r"\b(why|reason\w*|explain\w*)\b"),
    ("exclamation", r"!"),
    ("digits", r"\d"),
))
_FOREIGN_COURTESY = (r"spasibo|merci|danke|gracias|obrigad[oa]|arigato|namaste|xie ?xie|shukran|salaam|bonjour|"
                     r"hola|guten tag|ni ?hao|asante|grazie")
_COURTESY = (r"good (morning|afternoon|evening|day)|hello|hi|hey|greetings|welcome|dear|respected|thank\w*|thanks|"
             r"(we |i )?appreciate\w*|a pleasure|(lovely|nice|great|delighted|good) to|" + _FOREIGN_COURTESY)
_OPENING_COURTESY = re.compile(rf"^\W*({_COURTESY})\b", re.I)
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, re.compile(rx, re.I)) for name, rx in (
    # leave-taking in its many forms, which the embedding of a longer line drowns
    ("closing", r"\b(reconvene|pick (this|it) up|leave it (here|there|at that)|call it a (day|night)|safe travels?|"
                r"until tomorrow|see you|talk soon|good ?night|goodbye|bye|farewell|adjourn|speak (again )?(soon|tomorrow)|"
                r"for (today|tonight)|regards to)\b"),
    ("foreign_courtesy", rf"\b({_FOREIGN_COURTESY})\b"),
    # veiled threats, deadlines and exits: a consequence the speaker controls
    ("veiled_consequence", r"\b(very seriously|(next|evening|first) (plane|flight)|on a plane|fly home|go home|"
                           r"stop (attending|coming)|end (our|this|the) (participation|channel|talks)|long memor\w*|"
                           r"will remember|find out|other (ways|options|partners)|route around|tell the (press|media)|"
                           r"go public|say so publicly|brief (every|the press)|our own (coalition|way)|"
                           r"think (carefully|about it|twice)|be careful|walk (out|away)|pull out|stay out|no second|"
                           r"last chance|final offer|take it or leave it|"
                           r"by (tonight|tomorrow|monday|friday|six|noon|midnight)|deadline|or else|block\w*|"
                           r"regret\w*|consequences?|elsewhere)\b"),
    ("instead", r"\b(instead|rather|in its place|alternatively)\b"),
    # proposals in question form
    ("suggestion_form", r"\b(why not|how about|what about|what if|suppose|how would you feel about)\b"),
    # indirect or plain refusal
    ("difficulty", r"\b(difficult\w*|difficulty|reservations?|too far|non-?starter|out of the question|"
                   r"not (possible|acceptable|realistic)|impossible|unacceptable|cannot|can't|won't|will not|no way|"
                   r"draw\w* the line|red line|stops?|the max)\b"),
    ("sarcasm_marker", r"(\b(oh|sure|great|brilliant|wonderful|lovely|splendid|fantastic|excellent|marvellous|perfect|"
                       r"how generous|what a|said no|lol|lmao|yeah right)\b|\U0001F644|\U0001F602|\U0001F643)"),
    ("tabling", r"\b(we (propose|suggest|table|offer|put forward|would put|could put|'d put|'d suggest|would suggest)|"
                r"our (offer|proposal|position)|let's|i'd (suggest|propose|put)|put .{0,40} on the table)\b"),
    ("acceptance_question", r"\b(live with|accept|agree|on board|ok for|okay for|deal)\b[^.!]*\?"),
    ("if_you_then_we", r"\bif\b[^.?!]*\b(you|your|they)\b[^.?!]*\b(we|our|us|i)\b"),
    ("need_words", r"\b(need\w*|want\w*|priority|priorities|matters? (most|to us)|cares? about|essential|"
                   r"everything for us|the whole point|non-negotiable)\b"),
))
# cues read per sentence: what a statement of need, a question about needs, a fact check and a counter-offer look like
_NEED = re.compile(r"\b(needs?|cares? about|matters?|(most|more) important|priorit(y|ies)|worr(y|ies)|hurts?|has to|"
                   r"have to|must|values?|essential|go home without|return home without|core of it|test of)\b", re.I)
_FACT_QUESTION = re.compile(r"\b(is it (true|correct|right|the case)|is that (right|correct|true|so)|(has|have|did|does) "
                            r"any|is there|are there|how (many|much|long|often)|(in )?what year|when (did|was|were)|"
                            r"remind me)\b", re.I)
_COUNTER_OFFER = re.compile(r"(,\s*yes\W*$|\b(we|i) (could|can|would|are ready to|'d) (support|agree|accept|live with|go "
                            r"with|put forward|back|offer)\b|where we can meet|on the other hand|\binstead\b)", re.I)
_CLAUSE_REFUSAL = re.compile(r"\b(is|are) (out|dead|off the table|not on the table)\b|\bno thanks\b|^\W*(forget|no to|"
                             r"not)\b|\b(hard|difficult) (for [\w-]+ )?to (accept|sell|explain|justify)|\ba mistake\b|"
                             r"\btoo (slow|weak|little|much|late|far)\b|second-class", re.I)
_VEILED = re.compile(r"\bmay (well )?find\b|\b(conversation|talks?|this|it) (is|are) over\b|\bdone here\b|"
                     r"\bleave the table\b|\bunder review\b|\b(once|one) more (time )?and\b|\bdepends? on what\b|"
                     r"\bother (places|markets|buyers|suppliers)\b", re.I)
_CLAUSE = re.compile(r"[;:]|,?\s*\b(?:but|however|yet)\b", re.I)
_SENTENCE_CUES = ("stated_need", "asked_need", "fact_question", "counter_offer", "clause_refusal", "veiled_harm")
LEXICAL_NAMES: tuple[str, ...] = tuple(n for n, _ in _LEXICAL) + (
    "lower_case", "several_sentences", "log_words", "options_named", "options_rejected", "issues_named") + (
    "opening_courtesy",) + tuple(n for n, _ in _CUES) + ("first_sentence_question", "last_sentence_question",
                                                          "questions") + _SENTENCE_CUES


def lexical_features(text: str, *, options: int = 0, rejected: int = 0, issues: int = 0) -> np.ndarray:
    """Cheap cues of a line, in :data:`LEXICAL_NAMES` order (0/1 flags, a log word count, the share of up to three
    questions): surface forms (question mark, "if", modals, persons, negation), the scenario matcher's counts,
    and general cues of the acts the embedding blurs in a longer line (a courteous opening or a closing, a veiled
    consequence, a suggestion in question form, an indirect refusal, sarcasm markers, tabling words).

    Args:
        text: the player's line.
        options, rejected, issues: how many options spoken for, against, and issues the scenario matcher found.
    """
    norm = normalize(text.strip())
    flags = [1.0 if rx.search(norm) else 0.0 for _, rx in _LEXICAL]
    words = len(norm.split())
    parts = sentences(norm) or [norm]
    flags += [1.0 if norm == norm.lower() else 0.0, 1.0 if len(parts) > 1 else 0.0,
              float(np.log1p(words)) / 4.0, float(options > 0), float(rejected > 0), float(issues > 0)]
    flags.append(1.0 if _OPENING_COURTESY.search(parts[0]) else 0.0)
    flags += [1.0 if rx.search(norm) else 0.0 for _, rx in _CUES]
    asked = [is_question(x) for x in parts]
    flags += [float(asked[0]), float(asked[-1]), min(3, sum(asked)) / 3.0]
    flags += _sentence_cues(parts, asked)
    return np.asarray(flags, dtype=np.float32)


def _sentence_cues(parts: list[str], asked: list[bool]) -> list[float]:
    """Cues that depend on whether their sentence asks or states, in :data:`_SENTENCE_CUES` order: a need stated,
    a need asked about, a fact-checking question, a counter-offer, a refusal in a clause, a veiled harm."""
    stated = [x for x, q in zip(parts, asked) if not q]
    questions = [x for x, q in zip(parts, asked) if q]
    return [float(any(_NEED.search(x) for x in stated)), float(any(_NEED.search(x) for x in questions)),
            float(any(_FACT_QUESTION.search(x) for x in questions)),
            float(any(_COUNTER_OFFER.search(x) for x in stated)),
            float(any(_CLAUSE_REFUSAL.search(c) for x in stated for c in _CLAUSE.split(x))),
            float(any(_VEILED.search(x) for x in stated))]


def word_grams(text: str) -> frozenset[str]:
    """The words and adjacent word pairs (``"walk_away"``) of the normalised, lower-cased line."""
    words = _WORD.findall(normalize(text.strip()).lower())
    return frozenset(words) | frozenset(f"{a}_{b}" for a, b in zip(words, words[1:]))


def vocabulary_flags(grams: frozenset[str], vocabulary: Sequence[str]) -> np.ndarray:
    """:data:`WORD_SCALE` for each entry of ``vocabulary`` that is among ``grams`` (:func:`word_grams`), else 0."""
    return np.asarray([WORD_SCALE if w in grams else 0.0 for w in vocabulary], dtype=np.float32)


def word_features(text: str, vocabulary: Sequence[str]) -> np.ndarray:
    """:data:`WORD_SCALE` for each entry of ``vocabulary`` (words and word pairs) the line contains, else 0."""
    return vocabulary_flags(word_grams(text), vocabulary)


def feature_vector(embedding: np.ndarray, rule_acts: Sequence[Act], lexical: np.ndarray,
                   words: np.ndarray | None = None) -> np.ndarray:
    """One line's features: the L2-normalised embedding (of the normalised line, :func:`~acts.normalize`),
    the rules' acts as 0/1 in :data:`ACTS` order, the lexical cues, then the vocabulary flags
    (:func:`word_features`; none for a model without a vocabulary)."""
    e = np.asarray(embedding, dtype=np.float32).ravel()
    e = e / (np.linalg.norm(e) + 1e-9)
    rules = np.asarray([1.0 if a in rule_acts else 0.0 for a in ACTS], dtype=np.float32)
    tail = np.zeros(0, dtype=np.float32) if words is None else np.asarray(words, dtype=np.float32)
    return np.concatenate([e, rules, np.asarray(lexical, dtype=np.float32), tail])


@dataclass(frozen=True, kw_only=True)
class ActModel:
    """Trained weights: ``p(act) = sigmoid(features @ weights[:, act] + bias[act])``, on when ``>= thresholds[act]``.

    Attributes:
        weights: (n_features, n_acts).
        bias: (n_acts,).
        thresholds: (n_acts,) per-act decision thresholds.
        manifest: what the file was built from (format version, acts, feature layout, embedding model, data hash).
    """

    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    manifest: dict = field(default_factory=dict)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """The words and word pairs whose presence is a feature (:func:`word_features`), from the manifest."""
        return tuple(self.manifest.get("vocabulary", ()))

    def proba(self, features: np.ndarray) -> np.ndarray:
        """Per-act probabilities for a (n, n_features) or (n_features,) array."""
        z = np.asarray(features, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def predict(self, features: np.ndarray) -> tuple[Act, ...]:
        """The acts at or above their thresholds (at least the most probable one), in :class:`Act` order."""
        p = self.proba(features).ravel()
        on = p >= self.thresholds
        if not on.any():
            on[int(np.argmax(p))] = True
        return tuple(a for a, keep in zip(ACTS, on) if keep)

    def save(self, path: Path) -> None:
        """Write the model as a compressed ``.npz`` with its manifest as JSON."""
        np.savez_compressed(path, weights=self.weights.astype(np.float32), bias=self.bias.astype(np.float32),
                            thresholds=self.thresholds.astype(np.float32),
                            manifest=np.asarray(json.dumps(self.manifest, sort_keys=True)))

    @classmethod
    def load(cls, path: Path) -> ActModel:
        """Read a model file; ValueError (one line) when it does not fit this code's acts or feature layout."""
        with np.load(path, allow_pickle=False) as data:
            manifest = json.loads(str(data["manifest"]))
            model = cls(weights=data["weights"].astype(np.float64), bias=data["bias"].astype(np.float64),
                        thresholds=data["thresholds"].astype(np.float64), manifest=manifest)
        if manifest.get("format") != FORMAT_VERSION or manifest.get("acts") != [a.value for a in ACTS] or \
                manifest.get("lexical") != list(LEXICAL_NAMES) or model.weights.shape[1] != len(ACTS) or \
                model.weights.shape[0] != manifest.get("embedding_dim", -1) + len(ACTS) + len(LEXICAL_NAMES) + \
                len(model.vocabulary) or manifest.get("word_scale") != WORD_SCALE or \
                len(set(model.vocabulary)) != len(model.vocabulary):
            raise ValueError(f"{path}: act model does not match this code (format, acts, features or word scale); "
                             "rebuild it with bench/train_acts.py")
        return model


@functools.lru_cache(maxsize=1)
def load_act_model(path: str | None = None) -> ActModel | None:
    """The shipped model (or the one at ``path``), or None (rules only) when it is missing or does not fit."""
    target = Path(path) if path else MODEL_PATH
    try:
        return ActModel.load(target)
    except (OSError, ValueError, KeyError) as err:
        logger.warning("perception: no learned act model (%s); using rules only", str(err).splitlines()[0])
        return None


_EXPLICIT_ACCEPT = re.compile(r"\b(accept\w*|agreed|deal|done|sign|on board|live with|in agreement|fine by us)\b", re.I)
_NEGATED = re.compile(r"\b(not|never|cannot|no way)\b|n't\b", re.I)
_CONDITIONED = re.compile(r"\b(if|unless|provided|as long as|on condition)\b", re.I)


def enforce(text: str, acts: Sequence[Act], rule_acts: Sequence[Act]) -> tuple[Act, ...]:
    """The hard guarantees, applied after the model, in :class:`Act` order.

    - an injection the rules catch is manipulation and nothing else;
    - a bare acknowledgement ("Understood.") carries no act;
    - a question is never an acceptance: no accept beside ask_acceptance, none in a line whose every
      sentence is a question, and none without an explicit word of acceptance in a statement;
    - "we accept that ..." concedes a point: no accept unless the rules read one;
    - accept does not stand beside a rejection, a trade or a threat, nor when every statement that accepts is
      negated ("I don't think we can accept it": a rejection; the clause that accepts counts, so "I don't love it,
      but we accept" accepts) or conditional ("deal, but only if ...": a trade);
    - a trade or an acceptance is not also a proposal.
    """
    norm = normalize(text.strip())
    if Act.MANIPULATION in rule_acts and MANIPULATION.search(norm):
        return (Act.MANIPULATION,)
    if not rule_acts and ACKNOWLEDGEMENT.fullmatch(norm):
        return ()
    out = set(acts)
    parts = sentences(norm) if Act.ACCEPT in out else []
    statements = [s for s in parts if not is_question(s)]
    if Act.ACCEPT in out and Act.ACCEPT not in rule_acts:
        if not any(_EXPLICIT_ACCEPT.search(s) for s in statements) or any(
                CONCESSION_OPENING.search(s) for s in statements):
            out.discard(Act.ACCEPT)
    if Act.ACCEPT in out and (out & {Act.ASK_ACCEPTANCE, Act.REJECT, Act.CONDITIONAL_TRADE, Act.THREATEN}
                              or len(statements) == 0):
        out.discard(Act.ACCEPT)
    if Act.ACCEPT in out:
        accepting = [s for s in statements if _EXPLICIT_ACCEPT.search(s)]
        clauses = [c for s in accepting for c in _CLAUSE.split(s) if c and _EXPLICIT_ACCEPT.search(c)]
        if clauses and all(_NEGATED.search(c) for c in clauses):
            out = (out - {Act.ACCEPT}) or {Act.REJECT}  # "I don't think we can accept it"
        elif accepting and all(_CONDITIONED.search(s) for s in accepting):
            out = (out - {Act.ACCEPT}) or {Act.CONDITIONAL_TRADE}  # "deal, but only if you add the hotline"
    if out & {Act.CONDITIONAL_TRADE, Act.ACCEPT}:
        out.discard(Act.PROPOSE)
    if not out:
        out = set(rule_acts)
    return tuple(a for a in ACTS if a in out)
