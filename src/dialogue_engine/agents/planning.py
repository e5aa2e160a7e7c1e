"""Response planning: what a reply must answer, before what it proposes, decided before any wording.

The strategy decides the move; the plan adds what the player's line asked for (priorities, reasons, a
fact, whether the persona accepts), what it said that must be acknowledged (a red line, an interest, a
threat), and how the move relates to the package on the table (what changes, not the whole package again).
Realizers, built-in or LLM, word the plan; they never decide it. How much a persona reveals about its
priorities grows with the warmth of its relationship to the speaker (trust and shared values), never as
numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from dialogue_engine.agents.acts import Act
from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain.moves import Move, MoveKind
from dialogue_engine.domain.persona import Persona
from dialogue_engine.domain.scenario import Issue, Party, Scenario


class AnswerKind(str, Enum):
    """What part of the player's line an answer responds to."""

    GREETING = "greeting"
    PRIORITIES = "priorities"
    REASONS = "reasons"
    FACT = "fact"
    ACCEPTANCE = "acceptance"
    RED_LINE = "red_line"
    INTEREST = "interest"
    TRADE = "trade"
    THREAT = "threat"
    OFF_TOPIC = "off_topic"
    MANIPULATION = "manipulation"


NAMED_ISSUES = 2
"""At most this many issues are named when a red line or an interest is acknowledged by issue, not by option."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Answer:
    """One thing the reply must say before its move.

    Attributes:
        kind: what it answers.
        points: public phrases to say (interest names and descriptions, issue titles, option labels).
        flexible: issue titles where the persona has room to move (revealed only to warm partners).
        issue: the issue title in focus, if any.
        fact: a sentence from a retrieved passage that answers a factual question.
        cite: the number of the passage that supports the answer, if any.
        yes: for an acceptance question, whether the persona accepts the package asked about; for a red line,
            whether the persona's move leaves out every option the player spoke against (False: it still holds one).
        theirs: for an acceptance question, whether that package is the player's (else the persona's own).
    """

    kind: AnswerKind
    points: tuple[str, ...] = ()
    flexible: tuple[str, ...] = ()
    issue: str = ""
    fact: str = ""
    cite: int | None = None
    yes: bool | None = None
    theirs: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Change:
    """One issue on which the persona's package differs from the one it answers."""

    issue: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True, slots=True)
class DialoguePlan:
    """A reply, decided: answers first, then the move.

    Attributes:
        answers: what the player's line asked for or said, in the order the reply takes them up.
        move: the strategy's move (never changed by the plan).
        changes: how the move's package differs from the package it answers.
        keeps: option labels of that package the persona can go along with.
        restate: say the whole package (it is new, or the player asked for it).
        stands: the move repeats the persona's standing offer (say so briefly instead of restating it).
        brief: little was asked; keep the reply short.
        depth: how much the persona reveals about its priorities (1 guarded .. 3 open).
        backs: names of the seats whose packages on the table the persona says it could also accept.
        bears: names of the seats whose packages it could accept only just (at its minimum).
        declines: (seat name, issue title) for packages on the table it cannot accept, and the issue that
            sinks each (never a number).
    """

    answers: tuple[Answer, ...] = ()
    move: Move
    changes: tuple[Change, ...] = ()
    keeps: tuple[str, ...] = ()
    restate: bool = True
    stands: bool = False
    brief: bool = False
    depth: int = 2
    backs: tuple[str, ...] = ()
    bears: tuple[str, ...] = ()
    declines: tuple[tuple[str, str], ...] = ()

    @property
    def answered(self) -> frozenset[AnswerKind]:
        """The kinds of answer the plan contains."""
        return frozenset(a.kind for a in self.answers)


ASKS_FOR_PACKAGE = re.compile(
    r"\b(what do you (propose|offer|suggest|want to propose)|what('s| is) your (offer|proposal|package|position)|"
    r"(make|table|give|show) (us |me )?(a |an |your )?(offer|proposal|package)|what (is|'s) on the table|"
    r"put .{0,20} on the table|what would you (propose|offer|suggest)|your (best )?offer\b.{0,10}\?)", re.I)
"""A line that asks the persona for its package (then the package is stated in full)."""


def reveal_depth(warmth: float) -> int:
    """How openly a persona talks about its priorities with a counterpart of this warmth in [-1, 1]."""
    if warmth <= -0.3:
        return 1
    if warmth >= 0.3:
        return 3
    return 2


def ranked_issues(party: Party, scenario: Scenario) -> list[str]:
    """Issue ids from the one this party cares most about to the least (by the spread of its scores)."""
    spread = {i.id: (max(party.scores.get(i.id, {0: 0}).values()) - min(party.scores.get(i.id, {0: 0}).values()))
              for i in scenario.issues}
    return sorted(spread, key=lambda i: -spread[i])


_WORD = re.compile(r"[a-z]{4,}")


def _words(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower())}


def interests_for(persona: Persona, text: str, k: int = 2) -> list[str]:
    """The persona's interests closest to ``text`` (by shared words), else its leading ones; as phrases."""
    want = _words(text)
    scored = sorted(persona.interests, key=lambda i: (-len(_words(f"{i.name} {i.description}") & want), -i.weight))
    return [_interest_phrase(i.name, i.description) for i in scored[:k]]


def _interest_phrase(name: str, description: str) -> str:
    return f"{name} ({description})" if description else name


def priorities_answer(persona: Persona, party: Party, scenario: Scenario, depth: int) -> Answer:
    """What the persona needs most, in words, as far as ``depth`` allows (never a number)."""
    interests = sorted(persona.interests, key=lambda i: -i.weight)
    ranked = ranked_issues(party, scenario)
    points: list[str] = []
    if interests:
        points += [_interest_phrase(i.name, i.description) if depth >= 2 else i.name for i in interests[:depth]]
    points.append(scenario.issue(ranked[0]).title)
    flexible = (scenario.issue(ranked[-1]).title,) if depth >= 3 and len(ranked) > 1 else ()
    return Answer(kind=AnswerKind.PRIORITIES, points=tuple(points), flexible=flexible)


@dataclass(frozen=True, kw_only=True, slots=True)
class PlanInput:
    """What the planner needs to know about the turn (all public to the persona itself).

    Attributes:
        acts: the dialogue acts of the player's line.
        text: the player's line.
        issues: issue ids the line mentions.
        rejected: option ids the line speaks against.
        asked_issue: the issue the reply focuses on, if any.
        theirs: the player's latest complete package, if any.
        partial: the options the player's line put forward without settling every issue, if any.
        ours: the persona's own standing offer, if any.
        warmth: the persona's warmth toward the speaker in [-1, 1].
        accepts_theirs: whether the strategy would accept the player's package now.
        passages: the passages retrieved for this turn (numbered), for reasons and facts.
        fact: a passage sentence answering a factual question, and its number, if one was found.
        reason_cite: the number of the passage that best supports a reason, if any.
    """

    acts: tuple[Act, ...] = ()
    text: str = ""
    issues: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()
    theirs: Deal | None = None
    ours: Deal | None = None
    warmth: float = 0.0
    accepts_theirs: bool = False
    fact: tuple[str, int] | None = None
    reason_cite: int | None = None
    partial: Deal | None = None


def plan_reply(persona: Persona, party: Party, scenario: Scenario, move: Move, turn: PlanInput) -> DialoguePlan:
    """The plan of a reply: the answers the player's acts call for, then the move described against the table."""
    acts = set(turn.acts)
    depth = reveal_depth(turn.warmth)
    answers: list[Answer] = []
    if Act.MANIPULATION in acts:
        answers.append(Answer(kind=AnswerKind.MANIPULATION))
    if Act.GREET in acts:
        answers.append(Answer(kind=AnswerKind.GREETING))
    if Act.THREATEN in acts:
        answers.append(Answer(kind=AnswerKind.THREAT))
    if Act.ASK_ACCEPTANCE in acts:
        theirs = turn.theirs is not None and move.kind == MoveKind.ACCEPT
        answers.append(Answer(kind=AnswerKind.ACCEPTANCE, yes=move.kind == MoveKind.ACCEPT, theirs=theirs or (
            turn.theirs is not None and turn.ours is None)))
    if Act.ASK_PRIORITIES in acts:
        answers.append(priorities_answer(persona, party, scenario, depth))
    if Act.ASK_WHY in acts:
        focus = _issue_titles(scenario, turn.issues) or [scenario.issue(ranked_issues(party, scenario)[0]).title]
        answers.append(Answer(kind=AnswerKind.REASONS, issue=focus[0], cite=turn.reason_cite,
                              points=tuple(interests_for(persona, f"{turn.text} {' '.join(focus)}", k=min(2, depth)))))
    if Act.ASK_FACT in acts:
        fact, cite = turn.fact if turn.fact else ("", None)
        answers.append(Answer(kind=AnswerKind.FACT, fact=fact, cite=cite))
    if Act.REJECT in acts:
        labels = _option_labels(scenario, turn.rejected) or _named_issues(scenario, turn.issues)
        held = move.proposal is not None and bool(set(turn.rejected) & set(move.proposal.values()))
        answers.append(Answer(kind=AnswerKind.RED_LINE, points=tuple(labels), yes=not held))
    if Act.SHARE_INTEREST in acts:
        answers.append(Answer(kind=AnswerKind.INTEREST, points=tuple(_named_issues(scenario, turn.issues))))
    if Act.CONDITIONAL_TRADE in acts:
        answers.append(Answer(kind=AnswerKind.TRADE, yes=move.kind == MoveKind.ACCEPT))
    if Act.OFF_TOPIC in acts and not answers:
        answers.append(Answer(kind=AnswerKind.OFF_TOPIC))
    reference = turn.theirs if turn.theirs is not None else turn.partial if turn.partial is not None else turn.ours
    changes, keeps = _compare(scenario, reference, move.proposal)
    stands = move.proposal is not None and turn.ours is not None and move.proposal == turn.ours and \
        move.kind != MoveKind.ACCEPT and turn.partial is None
    asked_for_package = bool(ASKS_FOR_PACKAGE.search(turn.text))
    restate = move.kind == MoveKind.ACCEPT or asked_for_package or (
        move.proposal is not None and reference is None) or (not stands and turn.theirs is None and len(changes) > 2)
    questions = {Act.ASK_PRIORITIES, Act.ASK_WHY, Act.ASK_FACT, Act.ASK_ACCEPTANCE}
    brief = bool(acts) and acts <= {Act.GREET, Act.OFF_TOPIC, Act.SHARE_INTEREST} | questions and not asked_for_package
    return DialoguePlan(answers=tuple(answers), move=move, changes=tuple(changes), keeps=tuple(keeps),
                        restate=restate, stands=stands and not asked_for_package, brief=brief, depth=depth)


def _named_issues(scenario: Scenario, issue_ids: tuple[str, ...] | list[str]) -> list[str]:
    """The titles of the issues a line singles out; none when it touches more than ``NAMED_ISSUES`` (a line that
    mentions every issue, such as a whole package, singles none out: "all five issues matter to you" says nothing)."""
    return _issue_titles(scenario, issue_ids) if len(issue_ids) <= NAMED_ISSUES else []


def _issue_titles(scenario: Scenario, issue_ids: tuple[str, ...] | list[str]) -> list[str]:
    out = []
    for iid in issue_ids:
        try:
            out.append(scenario.issue(iid).title)
        except KeyError:
            continue
    return out


def _option_labels(scenario: Scenario, option_ids: tuple[str, ...]) -> list[str]:
    index = scenario.option_index()
    return [index[o][1].label for o in option_ids if o in index]


def _compare(scenario: Scenario, reference: Deal | None, proposal: Deal | None) -> tuple[list[Change], list[str]]:
    """(changes from ``reference`` to ``proposal``, labels of the options both share)."""
    if reference is None or proposal is None:
        return [], []
    changes, keeps = [], []
    for issue in scenario.issues:
        before, after = reference.get(issue.id), proposal.get(issue.id)
        if after is None:
            continue
        if before == after:
            keeps.append(_label(issue, after))
        elif before is not None:
            changes.append(Change(issue=issue.title, before=_label(issue, before), after=_label(issue, after)))
    return changes, keeps


def _label(issue: Issue, option_id: str) -> str:
    """An option's label, or its id when an inject has taken it off the table since it was proposed."""
    try:
        return issue.option(option_id).label
    except KeyError:
        return option_id
