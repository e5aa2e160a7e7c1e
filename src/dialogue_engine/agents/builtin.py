"""The built-in realizer: a dialogue plan worded in the persona's register, with no language model.

A reply answers first (what the player asked or said, in the plan's order), then states the move against the
package on the table (what changes, not the whole package again unless it is new or asked for), then at
most one cited talking point when the plan leaves room. Every sentence comes from a family of frames; a
persona does not reuse a frame in a conversation until its family runs out, and its own openers and phrases
are woven in sparingly. No frame promises an answer it does not give. Deterministic for a seed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import zlib
from collections.abc import Callable, Sequence

import numpy as np

from dialogue_engine.agents.planning import Answer, AnswerKind, DialoguePlan
from dialogue_engine.agents.realizer import Realization, RealizeRequest
from dialogue_engine.agents.types import Citation, MoveKind
from dialogue_engine.domain.persona import Persona

Frames = dict[str, tuple[str, ...]]

FORMAL: Frames = {
    "greeting": ("Thank you, and good day to you as well.", "We welcome this meeting and thank you for it.",
                 "It is good to be at this table with you.", "Thank you; we are glad the channel is open."),
    "greeting_back": ("Where would you like to begin?", "We are ready to start wherever you prefer.",
                      "Tell us what you would like to take up first."),
    "priorities_1": ("What we need most is {p0}.", "Put simply, {p0} comes first for us.",
                     "Our first concern is {p0}; the rest follows from it."),
    "priorities_2": ("{P0} comes first for us, and then {p1}.", "Our priorities, in order: {p0}, then {p1}.",
                     "Above all we need {p0}; close behind it comes {p1}."),
    "priorities_issue": ("At this table, that makes {issue} the question that matters most to us.",
                         "Here, {issue} is where those concerns are decided.",
                         "So {issue} is the issue we watch most closely."),
    "priorities_flex": ("We have more room on {flex}.", "On {flex} we can be flexible.",
                        "{Flex} matters less to us, and there we can move."),
    "reasons": ("On {issue}, our reasoning is simple: we need {p0}.", "The reason is {p0}; on {issue} that is at stake.",
                "Because {p0} is at stake, {issue} is not a detail for us.",
                "You ask why. On {issue} we are protecting {p0}."),
    "reasons_more": ("It also touches {p1}.", "{P1} is part of it as well.", "And {p1} weighs on it too."),
    "fact": ("On the facts: {fact} [{n}].", "The figure we work from: {fact} [{n}].", "For the record, {fact_lc} [{n}]."),
    "no_fact": ("We would rather not quote a figure we cannot stand behind; we do not have a reliable number on that.",
                "We have no figure on that we could vouch for, so we will not guess."),
    "accept_yes": ("Yes. We can accept it.", "Yes, we can live with that.", "We can say yes to it."),
    "accept_ours": ("Not yet: what is on the table is our offer, and it becomes a deal when you accept it.",
                    "That depends on you: our package stands, and your acceptance would close it.",
                    "Our offer is on the table; if you accept it, we have an agreement."),
    "accept_no": ("Not as it stands.", "Not yet; one more step is needed.", "Not on these terms."),
    "accept_none": ("There is no package on the table yet to agree to.", "We have not yet seen a full package to say yes to."),
    "red_line": ("We hear you: {labels} will not work for you, and we take that on board.",
                 "Understood: for you, {labels} would cross a line.",
                 "We note that, for you, {labels} cannot be on the table."),
    "red_line_held": ("We hear you on {labels}, but we cannot let it go yet.",
                      "Your objection to {labels} is clear; for now we still need it.",
                      "We take your point on {labels}, though we are not yet able to drop it."),
    "red_line_general": ("We hear your objection and take it on board.", "Your objection is noted and understood."),
    "interest": ("We understand that what matters most to you is {labels}.", "We hear that your priority is {labels}.",
                 "We will keep {labels} in view, since we hear how much that counts for you."),
    "interest_general": ("We understand what matters to you, and we will keep it in view.",
                         "We hear what you need from this, and it is a fair point."),
    "trade_yes": ("That trade works for us.", "We can make that exchange."),
    "trade_no": ("We are open to a trade, but not quite that one.", "A trade is the right idea; the balance is not there yet."),
    "threat": ("Pressure will not move us; a better offer might.", "We do not negotiate under threat, but we remain at the table.",
               "Warnings do not change our interests; proposals can."),
    "off_topic": ("Perhaps another time; for now, let us stay with the issues.",
                  "Let us keep to the matter in hand.", "That is for another day; the agenda is waiting."),
    "manipulation": ("Our instructions and our numbers stay with us, as yours stay with you.",
                     "We will keep our own counsel on that and stay in our role.",
                     "That is not something we discuss; let us return to substance."),
    "accept_move": ("Then we have an agreement: {deal}.", "We accept: {deal}.", "Agreed, on these terms: {deal}."),
    "propose_new": ("We propose the following: {deal}.", "Here is a package we can defend: {deal}.",
                    "Our proposal: {deal}."),
    "counter_theirs": ("We can accept {keeps}, if {changes}.", "Much of this works for us: {keeps}. What we need is {changes}.",
                       "Keep {keeps}, and we are close, provided {changes}."),
    "counter_theirs_all": ("We would need {changes}.", "For this to work, we need {changes}.",
                           "Our counter-proposal: {changes}."),
    "move_ours": ("We can move: {changes}.", "To meet you, we now offer {changes}.", "We are prepared to shift: {changes}."),
    "keeps_rest": ("We welcome {keeps}; the rest of our offer stands.", "On {keeps} we are with you; the rest stands.",
                   "{Keeps} works for us, and the rest of our package stays as it is."),
    "stands": ("Our offer stands.", "The package we tabled remains on the table.", "Our proposal is still there for you."),
    "backs": ("Of the other packages on the table, we could also support the ones from {names}.",
              "We would also be able to work with what {names} tabled.",
              "What {names} put forward would also have our support."),
    "bears": ("We could live with what {names} tabled, though it is the least we could accept.",
              "What {names} put forward is at the very edge of what we can accept, but we would not block it."),
    "declines": ("What {name} tabled we could not accept: {issue} leaves us short.",
                 "We could not go along with {name}'s package; on {issue} it asks too much of us.",
                 "{Name}'s package does not work for us, because of {issue}."),
    "reject": ("We cannot accept that package as it stands.", "That package does not work for us.",
               "We are unable to support this as drafted."),
    "ask": ("What would you need on {issue} to move?", "Where is your room for movement on {issue}?",
            "Help us understand what {issue} means for you."),
    "ask_back": ("What matters most to you on {issue}?", "How does {issue} look from your side?",
                 "Where do you stand on {issue}?"),
    "walk_away": ("We see no agreement here that we could defend at home, so we step back from this table.",
                  "With regret, we cannot join a deal on these terms and withdraw for now."),
    "lead": ("The record bears this out: {sentence}", "One fact frames this: {sentence}",
             "It is worth recalling this: {sentence}", "The evidence points the same way: {sentence}"),
    "phrase": ('As we say, "{phrase}".', 'That is what we mean by "{phrase}".', 'Call it "{phrase}".'),
}

PLAIN: Frames = FORMAL | {
    "greeting": ("Good to see you.", "Thanks for making time for this.", "Glad we could sit down.",
                 "Hi, and thanks for coming."),
    "greeting_back": ("Where do you want to start?", "What's first on your list?", "Go ahead, we're listening."),
    "priorities_1": ("Honestly? {P0} comes first.", "What we need most is {p0}.", "Bottom line: {p0}."),
    "priorities_2": ("{P0} first, then {p1}.", "For us it's {p0}, and then {p1}.", "Two things: {p0}, and {p1}."),
    "priorities_issue": ("So {issue} is the big one for us here.", "That's why {issue} matters most to us.",
                         "Which makes {issue} our main concern at this table."),
    "reasons": ("Simple: on {issue} we need {p0}.", "Because {p0} is on the line with {issue}.",
                "It's about {p0}; that's what {issue} decides for us."),
    "stands": ("Our offer's still on the table.", "Our package stands.", "That offer is still there."),
    "threat": ("Threats won't get you far with us; a better offer will.", "We're not moving because of pressure."),
    "off_topic": ("Maybe later; let's stick to the issues.", "Let's park that and get back to business."),
}

_PROMISES = re.compile(r"\b(two|three|four|five|several|a few) (points|things|observations|remarks)\b", re.I)
_MD = re.compile(r"(^|\s)[#>*_`]+|[*_`]+(\s|$)|\[(\d+)\]|\[([^\]]*)\]\([^)]*\)")
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_POINTER = re.compile(r"\s*\((?:see|cf\.?)\s[^)]*\)", re.I)
"""A note's cross-reference in brackets ("(see the note on climate finance)"): dropped from a quoted sentence."""
_POINTER_SENTENCE = re.compile(r"^\W*(?:see|cf\.?)\s", re.I)
"""A sentence that only points elsewhere ("See the note on the AIIB episode."): never a talking point."""


def _clean(text: str) -> str:
    text = _MD.sub(lambda m: (m.group(1) or "") + (m.group(4) or "") + (m.group(2) or ""), text)
    text = re.sub(r"^\s*[-•]\s+", "", text, flags=re.M)
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{4,}", text.lower())}


def _opening_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower())[:4])


def _and(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def mid_sentence(name: str) -> str:
    """A scenario's name for an issue or an option as it reads inside a sentence: "what the dialogue takes up
    first", "defence hotline", "stronger U.S. language". Names that look proper keep their capital: one that opens
    with an acronym or an initialism ("AI-enabled tools", "U.S. language") or with two capitalised words ("Taiwan
    Strait language", "Middle East stability")."""
    words = name.split()
    if not words:
        return name

    def titled(word: str) -> bool:
        return word[:1].isupper() and (len(word) == 1 or word[1:].islower())

    if not titled(words[0]) or (len(words) > 1 and titled(words[1]) and words[1].isalpha()):
        return name
    return name[:1].lower() + name[1:]


def _names(items: Sequence[str]) -> str:
    """Scenario names joined as they read inside a sentence ("x, y and z")."""
    return _and([mid_sentence(i) for i in items])


def deal_phrase(lines: Sequence[tuple[str, str]]) -> str:
    """'on Money, Mid; on Time, Later' for (issue title, option label) pairs: a package is read out as a list of
    names, so they keep their capitals."""
    if not lines:
        return "the package as it stands"
    parts = [f"on {title}, {label}" for title, label in lines]
    if len(parts) == 1:
        return parts[0]
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def talking_point(passage: Citation, topic: str, rng: np.random.Generator, taboo: Sequence[str] = (),
                  lead: str = "{sentence}", said: Callable[[str], bool] = lambda _s: False,
                  note: Callable[[str], None] = lambda _s: None) -> str | None:
    """One sentence of ``passage`` (the one closest to ``topic``), led in and cited as [n].

    Sentences for which ``said`` is true (already used in this conversation) are skipped; the one chosen is
    passed to ``note``.
    """
    sentences = [_POINTER.sub("", s).strip() for s in _SENT.split(_clean(passage.text))]
    sentences = [s for s in sentences if s and not _POINTER_SENTENCE.match(s) and not said(s)]
    taboo_low = [t.lower() for t in taboo]
    usable = [s for s in sentences if 40 <= len(s) <= 260 and not any(t in s.lower() for t in taboo_low)
              and s[-1:] in ".!?" and not s.endswith("?") and len(s.split()) >= 8]
    if not usable:
        usable = [s for s in sentences if 25 <= len(s) <= 320 and not any(t in s.lower() for t in taboo_low)]
    if not usable:
        return None
    want = _words(topic)
    scores = np.array([len(_words(s) & want) + rng.uniform(0, 0.5) for s in usable])
    chosen = usable[int(np.argmax(scores))]
    note(chosen)
    sentence = chosen.rstrip(".!")
    title = passage.title or passage.source.rsplit(".", 1)[0].replace("-", " ")
    return lead.format(title=title, sentence=sentence) + f" [{passage.n}]."


def _frames_for(persona: Persona) -> Frames:
    """The frames of a persona's register."""
    formality = persona.voice.formality.lower()
    return FORMAL if "formal" in formality and "informal" not in formality else PLAIN


def _frame_parts(template: str) -> list[str]:
    """A frame's fixed text between its slots (empty where a slot opens or closes the frame)."""
    return re.split(r"\{[^}]*\}", template)


@functools.lru_cache(maxsize=None)
def _frame_pattern(template: str) -> re.Pattern[str]:
    """A frame as a pattern: its fixed words literally, its slots as anything."""
    return re.compile(".+?".join(re.escape(p) for p in _frame_parts(template)), re.IGNORECASE | re.DOTALL)


@functools.lru_cache(maxsize=None)
def _frame_words(template: str) -> tuple[str, ...]:
    """A frame's fixed parts, lower-cased: a text that lacks one cannot match the frame's pattern."""
    return tuple(p.lower() for p in _frame_parts(template) if p)


def _uses_frame(template: str, text: str, low: str) -> bool:
    """Whether ``text`` (``low``: lower-cased) was written with ``template`` (a cheap substring test first)."""
    return all(w in low for w in _frame_words(template)) and bool(_frame_pattern(template).search(text))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class BuiltinRealizer:
    """Plan realizer (the default, no LLM). Remembers, per persona, which frames it has used.

    Args:
        seed: varies wording deterministically.
    """

    source = "builtin"

    def __init__(self, seed: int = 0):
        self.seed = seed
        self._used: dict[str, set[str]] = {}
        self._last: dict[tuple[str, str], int] = {}
        self._said: dict[str, set[str]] = {}
        self._spoken: dict[str, list[str]] = {}

    def remember(self, persona: Persona, text: str) -> None:
        """Count a reply this persona already gave in the conversation (read back from the log): its frames,
        passage sentences and interest phrases are then not reused until their variants run out."""
        used = self._used.setdefault(persona.id, set())
        low = text.lower()
        for family, options in _frames_for(persona).items():
            for i, template in enumerate(options):
                if _uses_frame(template, text, low):
                    used.add(f"{family}:{i}")
                    self._last[(persona.id, family)] = i
        self._spoken.setdefault(persona.id, []).append(" ".join(text.split()).lower())

    def _was_said(self, persona: str, text: str) -> bool:
        core = " ".join(text.split()).rstrip(".!").lower()
        return core in self._said.get(persona, set()) or any(core in t for t in self._spoken.get(persona, ()))

    def _rng(self, request: RealizeRequest) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(request.persona.id.encode()), request.turn,
                                      list(MoveKind).index(request.move.kind)])

    def _say(self, rng: np.random.Generator, frames: Frames, persona: str, family: str, **slots: str) -> str:
        """A frame of ``family`` this persona has not used yet in the conversation (reset when all are used)."""
        used = self._used.setdefault(persona, set())
        options = frames[family]
        fresh = [i for i in range(len(options)) if f"{family}:{i}" not in used]
        if not fresh:
            last = self._last.get((persona, family))
            used.difference_update({f"{family}:{i}" for i in range(len(options))})
            fresh = [i for i in range(len(options)) if i != last] or list(range(len(options)))
        pick = fresh[int(rng.integers(len(fresh)))]
        used.add(f"{family}:{pick}")
        self._last[(persona, family)] = pick
        caps = {k[:1].upper() + k[1:]: _cap(v) for k, v in slots.items()}
        return options[pick].format(**slots, **caps)

    def compose(self, request: RealizeRequest) -> Realization:
        """The reply text (synchronous; :meth:`realize` wraps it)."""
        rng = self._rng(request)
        persona = request.persona
        frames = _frames_for(persona)
        plan = request.plan or DialoguePlan(move=request.move, restate=True)
        say = lambda family, **slots: self._say(rng, frames, persona.id, family, **slots)  # noqa: E731
        parts: list[str] = []
        opener = self._opener(rng, request, plan)
        if opener:
            parts.append(opener)
        cited: list[int] = []
        for answer in plan.answers:
            parts += self._answer(say, answer, request, cited)
        parts += self._move(say, plan, request)
        if plan.backs:
            parts.append(say("backs", names=_and(list(plan.backs))))
        if plan.bears:
            parts.append(say("bears", names=_and(list(plan.bears))))
        for name, issue in plan.declines[:2]:
            parts.append(say("declines", name=name, issue=mid_sentence(issue)))
        if not plan.brief and request.passages and not cited and plan.move.kind != MoveKind.WALK_AWAY:
            topic = " ".join([request.issue_title, request.incoming.text if request.incoming and
                              request.incoming.text else ""])
            for passage in request.passages:
                point = talking_point(passage, topic, rng, persona.voice.taboo_words,
                                      lead=say("lead", title="{title}", sentence="{sentence}"),
                                      said=lambda x: self._was_said(persona.id, x), note=self._noter(persona.id))
                if point:
                    parts.append(point)
                    cited.append(passage.n)
                    break
        if persona.voice.phrases and not plan.brief and rng.random() < 0.3:
            phrase = persona.voice.phrases[int(rng.integers(len(persona.voice.phrases)))]
            parts.append(say("phrase", phrase=phrase))
        text = " ".join(_cap(p.strip()) for p in parts if p.strip())
        return Realization(text=text, cited=tuple(dict.fromkeys(cited)), source="builtin")

    async def realize(self, request: RealizeRequest) -> Realization:
        """Words for ``request.plan`` (or the bare move) in the persona's voice."""
        return self.compose(request)

    # ---- pieces ---------------------------------------------------------------------------------

    def _opener(self, rng: np.random.Generator, request: RealizeRequest, plan: DialoguePlan) -> str:
        """The persona's own opener on its first turn (never one promising points it will not make)."""
        if request.turn > 0 or plan.answered & {AnswerKind.GREETING, AnswerKind.MANIPULATION}:
            return ""
        openers = [o for o in request.persona.voice.openers if not _PROMISES.search(o)]
        return openers[int(rng.integers(len(openers)))] if openers else ""

    def _noter(self, persona: str) -> Callable[[str], None]:
        return lambda text: self._said.setdefault(persona, set()).add(" ".join(text.split()).rstrip(".!").lower())

    def _fresh(self, persona: str, phrase: str) -> str:
        """An interest phrase in full the first time, by its name alone after that."""
        if self._was_said(persona, phrase):
            return phrase.split(" (", 1)[0]
        self._noter(persona)(phrase)
        return phrase

    def _answer(self, say, answer: Answer, request: RealizeRequest, cited: list[int]) -> list[str]:
        kind = answer.kind
        if kind in (AnswerKind.PRIORITIES, AnswerKind.REASONS):
            answer = dataclasses.replace(answer, points=tuple(
                self._fresh(request.persona.id, p) if " (" in p else p for p in answer.points))
        if kind == AnswerKind.GREETING:
            out = [say("greeting")]
            if len(request.plan.answers if request.plan else ()) == 1 and (request.plan and request.plan.brief):
                out.append(say("greeting_back"))
            return out
        if kind == AnswerKind.PRIORITIES:
            points = list(answer.points)
            issue = mid_sentence(points.pop()) if points else ""
            out = [say("priorities_2", p0=points[0], p1=points[1]) if len(points) >= 2 else
                   say("priorities_1", p0=points[0]) if points else ""]
            if issue:
                out.append(say("priorities_issue", issue=issue))
            if answer.flexible:
                out.append(say("priorities_flex", flex=answer.flexible[0]))
            return out
        if kind == AnswerKind.REASONS:
            if not answer.points:
                return []
            out = [say("reasons", issue=mid_sentence(answer.issue) or "this", p0=answer.points[0])]
            if len(answer.points) > 1:
                out.append(say("reasons_more", p1=answer.points[1]))
            passage = _passage(request, answer.cite)
            if passage is not None:
                point = talking_point(passage, f"{answer.issue} {answer.points[0]}", np.random.default_rng(0),
                                      request.persona.voice.taboo_words, lead=say("lead", title="{title}",
                                                                                  sentence="{sentence}"),
                                      said=lambda x: self._was_said(request.persona.id, x),
                                      note=self._noter(request.persona.id))
                if point:
                    out.append(point)
                    cited.append(passage.n)
            return out
        if kind == AnswerKind.FACT:
            if answer.fact and answer.cite is not None:
                cited.append(answer.cite)
                fact = answer.fact.rstrip(".")
                return [say("fact", fact=fact, fact_lc=fact[:1].lower() + fact[1:], n=str(answer.cite))]
            return [say("no_fact")]
        if kind == AnswerKind.ACCEPTANCE:
            if answer.yes:
                return [say("accept_yes")]
            if request.plan and request.plan.move.proposal is None and not answer.theirs:
                return [say("accept_none")]
            return [say("accept_no") if answer.theirs else say("accept_ours")]
        if kind == AnswerKind.RED_LINE:
            if answer.points:
                return [say("red_line" if answer.yes is not False else "red_line_held", labels=_names(answer.points))]
            return [say("red_line_general")]
        if kind == AnswerKind.INTEREST:
            if answer.points:
                return [say("interest", labels=_names(answer.points))]
            return [say("interest_general")]
        if kind == AnswerKind.TRADE:
            return [say("trade_yes" if answer.yes else "trade_no")]
        return [say(kind.value)]

    def _move(self, say, plan: DialoguePlan, request: RealizeRequest) -> list[str]:
        move = plan.move
        kind = move.kind
        deal = deal_phrase(request.proposal_lines)
        issue = mid_sentence(request.issue_title) or "the main issue"
        if kind == MoveKind.ACCEPT:
            return [say("accept_move", deal=deal)]
        if kind == MoveKind.WALK_AWAY:
            return [say("walk_away")]
        if kind == MoveKind.REJECT:
            return [say("reject")]
        if kind == MoveKind.ASK:
            return [say("ask", issue=issue)]
        if move.proposal is None:
            return [say("ask_back", issue=issue)] if plan.brief and not plan.answers else []
        if plan.stands:
            if plan.brief or AnswerKind.ACCEPTANCE in plan.answered:
                return []
            if plan.answers:
                return [say("stands")]
            return [say("stands"), say("ask_back", issue=issue)]
        changes = _and([f"{mid_sentence(c.issue)} goes to {mid_sentence(c.after)} rather than {mid_sentence(c.before)}"
                        for c in plan.changes])
        if plan.restate or (not plan.changes and not plan.keeps):
            return [say("propose_new", deal=deal)]
        if not plan.changes:
            return [say("keeps_rest", keeps=_names(plan.keeps))]
        if plan.keeps and kind == MoveKind.COUNTER and plan.changes:
            return [say("counter_theirs", keeps=_names(plan.keeps), changes=changes)]
        if kind == MoveKind.COUNTER:
            return [say("counter_theirs_all", changes=changes)]
        moved = _and([f"{mid_sentence(c.after)} on {mid_sentence(c.issue)} instead of {mid_sentence(c.before)}"
                      for c in plan.changes])
        return [say("move_ours", changes=moved)]


def _passage(request: RealizeRequest, n: int | None) -> Citation | None:
    if n is None:
        return None
    return next((p for p in request.passages if p.n == n), None)
