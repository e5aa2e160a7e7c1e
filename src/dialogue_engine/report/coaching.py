"""The coaching rubric for a human seat: findings from its dialogue acts and the event log, not keywords.

Each line's findings come from :class:`~dialogue_engine.report.findings.LineReader` (the dialogue-act
perception plus a few rules); the seat's proposals, the deal on the table before each, and the agreed deal
come from the event log. Every criterion quotes whole sentences of the player's own (never cut), no
sentence serves two criteria, and the feedback ends with what to try next time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from dialogue_engine.agents.acts import Act, detect_acts, sentences
from dialogue_engine.domain import Scenario
from dialogue_engine.domain.deal import Deal
from dialogue_engine.negotiation.space import DealSpace, DealSpaceTooLarge
from dialogue_engine.report.findings import LineReader
from dialogue_engine.report.frontier import dominating_gain

EPS = 1e-9


class Criterion(BaseModel):
    """One rubric line: met or not, with feedback (ending in what to try next time) and the quotes it rests on.

    ``applies`` is false when the seat's play gave the criterion nothing to judge (it accepted no deal, say);
    such a line is shown as not applicable and counts neither as met nor as missed.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    met: bool
    feedback: str
    quotes: list[str] = Field(default_factory=list)
    applies: bool = True


class Coaching(BaseModel):
    """The rubric for one human seat."""

    model_config = ConfigDict(frozen=True)

    party: str
    lines: int
    criteria: list[Criterion]

    @property
    def met(self) -> int:
        """How many applicable criteria are met."""
        return sum(1 for c in self.criteria if c.met and c.applies)

    @property
    def applicable(self) -> int:
        """How many criteria apply to this seat's play."""
        return sum(1 for c in self.criteria if c.applies)


@dataclass(frozen=True)
class PlayerLine:
    """A line the player wrote, and any proposal it carried."""

    text: str
    round: int = 0
    proposal: Deal | None = None
    private: bool = False


@dataclass(frozen=True, kw_only=True)
class _Read:
    """One line, its sentences and the findings of each (and of the whole line)."""

    line: PlayerLine
    whole: dict[str, bool]
    parts: tuple[tuple[str, dict[str, bool]], ...]


class _Quotes:
    """Whole sentences of the player's own, one per criterion, never the same quote for two criteria."""

    def __init__(self, reads: list[_Read]):
        self.reads = [r for r in reads if not r.line.private]
        self.used: set[str] = set()

    def pick(self, test: Callable[[dict[str, bool], str], bool]) -> list[str]:
        """The first unused sentence passing ``test``, else the first unused whole line passing it."""
        for r in self.reads:
            for sentence, found in r.parts:
                if sentence not in self.used and test(found, sentence):
                    self.used.add(sentence)
                    return [sentence]
        for r in self.reads:
            whole = " ".join(s for s, _ in r.parts)
            if whole not in self.used and test(r.whole, whole):
                self.used.add(whole)
                return [whole]
        return []


def _has(key: str) -> Callable[[dict[str, bool], str], bool]:
    return lambda found, _sentence: found[key]


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _space(scenario: Scenario) -> DealSpace | None:
    try:
        return DealSpace.from_scenario(scenario)
    except DealSpaceTooLarge:
        return None


def _describe(scenario: Scenario, deal: Deal) -> str:
    return "; ".join(f"{title}: {label}" for title, label in scenario.describe_deal(deal))


def _any(key: str, reads: list[_Read]) -> bool:
    return any(r.whole[key] for r in reads)


def _acceptance(scenario: Scenario, party: str, agreed: Deal | None, accepted: bool, quotes: _Quotes) -> Criterion:
    """Criterion 10: the seat said yes only to what beats walking away."""
    me = scenario.party(party)
    below = agreed is not None and not me.accepts(agreed)
    title = "Accepted only what beats walking away"
    if agreed is None:
        return Criterion(id="accepted_above_minimum", title=title, met=True, applies=False, feedback=(
            "No deal was agreed, so there was no yes to check against your minimum. Next time: before you accept, "
            "check the package against your brief."))
    if not accepted:
        worth = (f"; it is worth {_fmt(me.utility(agreed))} to you, below your minimum of {_fmt(me.threshold)}"
                 if below else "")
        return Criterion(id="accepted_above_minimum", title=title, met=True, applies=False, feedback=(
            f"The deal passed without your yes{worth}. Next time: when a package you cannot accept gathers votes, "
            "say why in public and table an alternative before the vote closes."))
    if below:
        return Criterion(id="accepted_above_minimum", title=title, met=False, feedback=(
            f"Mistake: you agreed to a package worth {_fmt(me.utility(agreed))} to you, below your minimum of "
            f"{_fmt(me.threshold)}; walking away would have served you better. Next time: check every offer "
            "against your brief before you say yes."), quotes=quotes.pick(lambda _f, s: Act.ACCEPT in detect_acts(s)))
    return Criterion(id="accepted_above_minimum", title=title, met=True, feedback=(
        "Nothing you agreed to fell below your minimum. Next time: keep checking each offer against your "
        "brief before you accept."))


def coach(scenario: Scenario, party: str, lines: Sequence[PlayerLine],
          proposals_before: Sequence[Deal | None] | None = None, walked_away: bool = False,
          agreed: Deal | None = None, accepted: bool = True) -> Coaching:
    """Assess a human seat against the rubric, from its lines (acts, mentions) and its moves in the event log.

    Args:
        scenario: the scenario as it stood (the seat's scores and minimum, the deal space).
        party: the seat.
        lines: the seat's own messages, in order; a line with a ``proposal`` is a package it tabled.
        proposals_before: for each of the seat's proposals, the deal that was on the table before it.
        walked_away: the seat left the table.
        agreed: the deal that was agreed, if any (one below the seat's minimum is always called a mistake;
            one that a passable deal dominates left value on the table).
        accepted: whether the seat itself said yes to ``agreed`` (voted for it or tabled it); a deal that passed
            without its yes is not its mistake, so the acceptance criterion does not apply.
    """
    reader = LineReader(scenario)
    texts = [ln for ln in lines if ln.text.strip()]
    reads = [_Read(line=ln, whole=reader.findings(ln.text),
                   parts=tuple((s, reader.findings(s)) for s in sentences(" ".join(ln.text.split()))))
             for ln in texts]
    public = [r for r in reads if not r.line.private]
    quotes = _Quotes(reads)
    me = scenario.party(party)
    space = _space(scenario)
    proposals = [ln.proposal for ln in lines if ln.proposal]
    befores = list(proposals_before or [])
    out: list[Criterion] = []
    # Quotes are picked first for the findings that rest on one telling sentence, so each gets its own.
    picks: dict[str, list[str]] = {}
    for key in ("revealed_number", "ultimatum", "conceded_unilaterally", "acknowledged", "used_evidence",
                "asked_interests", "shared_interest", "conditional_trade", "multi_issue_package"):
        if _any(key, public if key == "revealed_number" else reads):
            picks[key] = quotes.pick(_has(key))
    if "conditional_trade" in picks and not picks["conditional_trade"]:
        picks["conditional_trade"] = picks.pop("multi_issue_package", [])

    # 1. asked about interests
    asked = _any("asked_interests", reads)
    questions = [r for r in reads if any(a.is_question for a in detect_acts(r.line.text))]
    if asked:
        fb = ("You asked what the other side needs and why before pressing for terms. Next time: follow the "
              "answer up with a package that serves the interest you heard.")
        q = picks.get("asked_interests", [])
    elif questions:
        fb = ("Your questions were about positions rather than needs. Next time: ask what matters most to them "
              "on an issue, and why.")
        q = quotes.pick(lambda _f, s: any(a.is_question for a in detect_acts(s)))
    else:
        fb = "You asked no questions. Next time: open with one about what the other side needs and why."
        q = []
    out.append(Criterion(id="asked_interests", title="Asked about the other side's interests", met=asked,
                         feedback=fb, quotes=q))

    # 2. shared an interest
    shared = _any("shared_interest", reads)
    out.append(Criterion(
        id="shared_interest", title="Shared your own interests", met=shared,
        feedback=("You explained what your side needs and why, which lets the others look for options that "
                  "serve it. Next time: rank your interests too, so they know where you can give."
                  if shared else "You stated positions without the need behind them. Next time: say what your "
                  "side needs and why (\"we need predictable money because budgets are set for three years\")."),
        quotes=picks.get("shared_interest", [])))

    # 3. acknowledged the other side, naming a concern
    ack = _any("acknowledged", reads)
    out.append(Criterion(
        id="acknowledged", title="Acknowledged the other side's concern", met=ack,
        feedback=("You named the other side's concern before answering it. Next time: tie your next offer to "
                  "that concern explicitly." if ack else
                  "No line named a concern of the other side. Next time: restate their worry in a sentence "
                  "(\"I hear that financing is your worry\") before you answer it."),
        quotes=picks.get("acknowledged", [])))

    # 4. conditional trade or multi-issue package (lines, or a tabled package that moved two issues at once)
    moved = [p for p, before in zip(proposals, befores)
             if before is not None and sum(1 for k, v in p.items() if before.get(k) != v) >= 2]
    text_pack = _any("conditional_trade", reads) or _any("multi_issue_package", reads)
    packaged = text_pack or bool(moved)
    pack_quotes = picks.get("conditional_trade") or picks.get("multi_issue_package") or []
    tabled = f" (You tabled {_describe(scenario, moved[0])}, moving two issues at once.)" if moved else ""
    out.append(Criterion(
        id="packaged", title="Made a conditional trade or a multi-issue package", met=packaged,
        feedback=(f"You linked issues, giving on one for a gain on another.{tabled} Next time: trade what matters less "
                  "to you for what matters more, and say so (\"if you move on X we can move on Y\")."
                  if packaged else "You handled issues one at a time. Next time: offer a conditional trade or a "
                  "package that gives on what matters less to you in return for what matters more."),
        quotes=pack_quotes))

    # 5. conceded without getting anything back (words, or a second own move with no counter-move between)
    own_drops = []
    for i in range(1, len(proposals)):
        prev, cur = proposals[i - 1], proposals[i]
        on_table = befores[i] if i < len(befores) else None
        if on_table == prev and me.utility(cur) < me.utility(prev) - EPS:
            own_drops.append(cur)
    unilateral = _any("conceded_unilaterally", reads) or bool(own_drops)
    cq = picks.get("conceded_unilaterally", [])
    out.append(Criterion(
        id="no_unilateral_concession", title="Got something back for each concession", met=not unilateral,
        feedback=("You gave ground without asking for anything in return"
                  + (f" (you lowered your own package to {_describe(scenario, own_drops[0])} while nobody else "
                     "had moved)" if own_drops else "")
                  + ". Next time: make every concession conditional (\"we can drop X if you move on Y\")."
                  if unilateral else "Each concession you made came with something asked in return. Next time: "
                  "keep conditioning your moves, and say what you want in exchange before you give."),
        quotes=cq))

    # 6. anchored: the seat's first package against its minimum and its best passable total
    best = None
    if space is not None:
        col = space.utilities[:, space.party_index(party)]
        pool = col[space.passes] if space.passes.any() else col
        best = float(pool.max())
    complete = [p for p in proposals if scenario.is_complete(p)]
    if complete and best is not None:
        first = me.utility(complete[0])
        mid = me.threshold + (best - me.threshold) / 2
        anchored = first >= mid - EPS
        fb = (f"Your first package ({_describe(scenario, complete[0])}) was worth {_fmt(first)} to you (your "
              f"minimum is {_fmt(me.threshold)}, the best "
              f"any passable deal gives you is {_fmt(best)}): "
              + ("an ambitious, defensible opening. Next time: justify the anchor with an interest or a fact."
                 if anchored else "close to your minimum, which leaves little room to concede. Next time: open "
                 "nearer the best you could defend and concede from there."))
    else:
        anchored = False
        fb = ("You never put a complete package of your own on the table. Next time: open with an ambitious "
              "but defensible package, so the talks start from your terms.")
    out.append(Criterion(id="anchored", title="Anchored with an ambitious package", met=anchored,
                         feedback=fb))

    # 7. kept private numbers private (public lines only)
    leaked = _any("revealed_number", public)
    out.append(Criterion(
        id="kept_private", title="Kept private numbers private", met=not leaked,
        feedback=("You revealed your private score or minimum in public, which tells the others exactly how "
                  "little you will take. Next time: speak about interests, never numbers." if leaked else
                  "You never disclosed your private scores or minimum in public. Next time: keep it that way, "
                  "and speak about what you need rather than how much."),
        quotes=picks.get("revealed_number", [])))

    # 8. avoided ultimatums (and walking out)
    threats = _any("ultimatum", reads)
    ok = not threats and not walked_away
    out.append(Criterion(
        id="avoided_ultimatums", title="Avoided ultimatums", met=ok,
        feedback=("You kept the door open throughout. Next time: when you must hold a line, state the interest "
                  "behind it rather than a threat." if ok else
                  ("You issued an ultimatum or threat. " if threats else "")
                  + ("You walked away from the table. " if walked_away else "")
                  + "Ultimatums close doors. Next time: state the interest behind the demand and ask what would "
                  "let them meet it."),
        quotes=picks.get("ultimatum", [])))

    # 9. used evidence
    ev = _any("used_evidence", reads)
    out.append(Criterion(
        id="used_evidence", title="Used evidence", met=ev,
        feedback=("You backed a claim with a fact, a figure or a named source. Next time: keep citing where a "
                  "figure comes from." if ev else "No line pointed to a fact, a figure or a source. Next time: "
                  "back your key claim with one concrete fact (\"according to UNHCR, ...\")."),
        quotes=picks.get("used_evidence", [])))

    # 10. accepted only what beats walking away (a mistake, always called out; only for a deal the seat said yes to)
    out.append(_acceptance(scenario, party, agreed, accepted, quotes))

    # 11. value left on the table (only with a deal): against the passable deals that dominate it
    if agreed is not None and space is not None and scenario.is_complete(agreed):
        found = dominating_gain(space, agreed)
        gain = 0.0 if found is None else float(found[0][space.party_index(party)])
        left = gain > EPS
        if left:
            fb = (f"The deal left value on the table: a passable package gave you {_fmt(gain)} more without "
                  f"costing any other party anything ({_describe(scenario, found[1])}). Next time: before closing, "
                  "ask whether a swap on an issue you care less about would make both sides better off.")
        else:
            fb = ("No passable package would have given you more without costing another party. Next time: keep "
                  "probing for such swaps before you close.")
        out.append(Criterion(id="left_no_value", title="Left no value on the table", met=not left, feedback=fb))
    return Coaching(party=party, lines=len(texts), criteria=out)
