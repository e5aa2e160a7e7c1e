"""The quiet-dialogue coaching rubric for a human seat, with feedback quoting the player's own lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from dialogue_engine.agents.acts import Act, detect_acts, sentences
from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain import Scenario

_ACK = re.compile(r"\b(i understand|we understand|understand your|i hear|we hear|fair point|you('re| are) right|"
                  r"appreciate|i see why|we see why|acknowledge|recogni[sz]e|thank you|thanks|that makes sense|"
                  r"good point|respect)\b", re.I)
_PACKAGE = re.compile(r"\b(package|in exchange|in return|trade|trade-off|tradeoff|if you .{1,60}\b(we|i) (can|could|"
                      r"would|will)|combine|bundle|together with|on condition)\b", re.I)
_EVIDENCE = re.compile(r"(\[\d+\]|\b(according to|data|evidence|study|studies|report|reports|figures|research|"
                       r"statistic|statistics|source|sources|survey|record|records|precedent|per ?cent)\b|\d+ ?%|"
                       r"\b\d[\d,.]*\s*(million|billion|thousand|people|refugees|countries|doses|years|tonnes|dollars)\b|"
                       r"\bsince (19|20)\d\d\b|\bfor (over |more than |nearly |almost )?(a|one|two|three|\d+) "
                       r"(decade|decades|years)\b|\bin (19|20)\d\d\b)", re.I)
_PRIVATE_WORDS = re.compile(r"\b(our|my) (threshold|minimum|bottom line|reservation (value|point)|batna|floor)\b"
                            r"|\b(threshold|bottom line|reservation value) (is|of)\b|\bpoints?\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?![\w.])")


class Criterion(BaseModel):
    """One rubric line: met or not, with feedback and the quoted lines it rests on."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    met: bool
    feedback: str
    quotes: list[str] = Field(default_factory=list)


class Coaching(BaseModel):
    """The rubric for one human seat."""

    model_config = ConfigDict(frozen=True)

    party: str
    lines: int
    criteria: list[Criterion]

    @property
    def met(self) -> int:
        return sum(1 for c in self.criteria if c.met)


@dataclass(frozen=True)
class PlayerLine:
    """A line the player wrote, and any proposal it carried."""

    text: str
    round: int = 0
    proposal: Deal | None = None
    private: bool = False


def _quote(text: str, limit: int = 240) -> str:
    """A whole sentence of the player's (cut at a word boundary only when it is very long)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


class _Quotes:
    """Whole sentences of the player's own, one per criterion, never the same sentence for two criteria."""

    def __init__(self, lines: list[PlayerLine]):
        self.sentences = [s for ln in lines if ln.text.strip() and not ln.private for s in sentences(ln.text)]
        self.used: set[str] = set()

    def pick(self, test) -> list[str]:
        for sentence in self.sentences:
            if sentence not in self.used and test(sentence):
                self.used.add(sentence)
                return [_quote(sentence)]
        return []


def _has(*acts: Act):
    return lambda sentence: bool(set(detect_acts(sentence)) & set(acts))


def _private_numbers(scenario: Scenario, party: str) -> set[str]:
    p = scenario.party(party)
    nums = {_fmt(p.threshold)}
    return {n for n in nums if n not in ("0",)}


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _moved_issues(prev: Deal | None, cur: Deal) -> int:
    if prev is None:
        return 0
    return sum(1 for k, v in cur.items() if prev.get(k) != v)


def coach(scenario: Scenario, party: str, lines: list[PlayerLine],
          proposals_before: list[Deal | None] | None = None, walked_away: bool = False,
          agreed: Deal | None = None) -> Coaching:
    """Assess a human seat's lines against the quiet-dialogue rubric.

    Args:
        scenario: the scenario as it stood (for the seat's private numbers).
        party: the seat.
        lines: the seat's own messages, in order.
        proposals_before: for each of the seat's proposals, the deal that was on the table before it.
        walked_away: the seat left the table.
        agreed: the deal that was agreed, if any (accepting one below the seat's minimum is a mistake).
    """
    texts = [ln for ln in lines if ln.text.strip()]
    proposals = [ln for ln in lines if ln.proposal]
    out: list[Criterion] = []

    quotes = _Quotes(texts)
    acts = [set(detect_acts(ln.text)) for ln in texts]
    asked = [ln.text for ln, a in zip(texts, acts) if any(x.is_question for x in a)]
    asked_interest = [ln.text for ln, a in zip(texts, acts) if a & {Act.ASK_PRIORITIES, Act.ASK_WHY}]
    out.append(Criterion(
        id="asked_interests", title="Asked about the other side's interests", met=bool(asked_interest),
        feedback=("You explored what the others need before pressing for numbers." if asked_interest else
                  "Your questions were about positions rather than needs; try asking what matters most to them and why."
                  if asked else "You asked no questions; open with one about what the other side needs and why."),
        quotes=quotes.pick(_has(Act.ASK_PRIORITIES, Act.ASK_WHY) if asked_interest else
                           lambda x: any(a.is_question for a in detect_acts(x))),
    ))

    ack = [ln.text for ln in texts if _ACK.search(ln.text)]
    out.append(Criterion(
        id="acknowledged", title="Acknowledged the other side", met=bool(ack),
        feedback=("You recognised the other side's view before answering it." if ack else
                  "No line acknowledged what the others said; naming their concern first lowers the temperature."),
        quotes=quotes.pick(lambda x: bool(_ACK.search(x))),
    ))

    pack_text = [ln.text for ln, a in zip(texts, acts)
                 if Act.CONDITIONAL_TRADE in a or (Act.PROPOSE in a and _PACKAGE.search(ln.text))]
    befores = list(proposals_before or [])
    traded = [ln for i, ln in enumerate(proposals)
              if _moved_issues(befores[i] if i < len(befores) else None, ln.proposal or {}) >= 2]
    packaged = bool(pack_text or traded)
    out.append(Criterion(
        id="packaged", title="Packaged across issues", met=packaged,
        feedback=("You linked issues into packages, which opens trades each side values differently." if packaged
                  else "You handled issues one at a time; offer a package that gives on what matters less to you."),
        quotes=quotes.pick(lambda x: Act.CONDITIONAL_TRADE in detect_acts(x) or bool(_PACKAGE.search(x)))
        or [_quote(ln.text) for ln in traded if ln.text.strip()][:1],
    ))

    ult = [ln.text for ln, a in zip(texts, acts) if Act.THREATEN in a]
    ok = not ult and not walked_away
    out.append(Criterion(
        id="avoided_ultimatums", title="Avoided ultimatums", met=ok,
        feedback=("You kept the door open throughout." if ok else
                  "Ultimatums close doors; state the interest behind the demand instead."
                  + (" You also walked away from the table." if walked_away else "")),
        quotes=quotes.pick(_has(Act.THREATEN)),
    ))

    ev = [ln.text for ln in texts if _EVIDENCE.search(ln.text)]
    out.append(Criterion(
        id="used_evidence", title="Used evidence", met=bool(ev),
        feedback=("You backed claims with facts or sources." if ev else
                  "No line pointed to data, a source or a precedent; one concrete fact makes a claim harder to dismiss."),
        quotes=quotes.pick(lambda x: bool(_EVIDENCE.search(x))),
    ))

    secret = _private_numbers(scenario, party)
    leaks = []
    for ln in texts:
        if ln.private:
            continue
        nums = set(_NUMBER.findall(ln.text))
        if _PRIVATE_WORDS.search(ln.text) and (nums or re.search(r"threshold|bottom line|minimum", ln.text, re.I)):
            leaks.append(ln.text)
        elif nums & secret and re.search(r"\b(need|minimum|at least|below|under|accept)\b", ln.text, re.I):
            leaks.append(ln.text)
    out.append(Criterion(
        id="kept_private", title="Kept private numbers private", met=not leaks,
        feedback=("You never disclosed your private scores or bottom line in public." if not leaks else
                  "You revealed your bottom line or scores in public; speak about interests, not numbers."),
        quotes=quotes.pick(lambda x: any(x in leak for leak in leaks)),
    ))
    below = agreed is not None and not scenario.party(party).accepts(agreed)
    out.append(Criterion(
        id="accepted_above_minimum", title="Accepted only what beats walking away", met=not below,
        feedback=("You agreed to a package worth less to you than your minimum: walking away would have served "
                  "you better. Before saying yes, check the offer against your brief." if below else
                  "Nothing you agreed to fell below your minimum."),
        quotes=[],
    ))
    return Coaching(party=party, lines=len(texts), criteria=out)
