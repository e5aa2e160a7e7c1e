"""The quiet-dialogue coaching rubric for a human seat, with feedback quoting the player's own lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from dialogue_engine.domain.deal import Deal
from dialogue_engine.domain import Scenario

_ASK = re.compile(r"(why|what|how|which|could you|can you|would you|do you|is there|are there|tell me)\b", re.I)
_INTEREST = re.compile(r"\b(need|needs|interest|interests|priority|priorities|concern|concerns|matter|matters|"
                       r"important|worr(y|ies|ied)|goal|goals|care|want|wants|constraint|constraints)\b", re.I)
_ACK = re.compile(r"\b(i understand|we understand|understand your|i hear|we hear|fair point|you('re| are) right|"
                  r"appreciate|i see why|we see why|acknowledge|recogni[sz]e|thank you|thanks|that makes sense|"
                  r"good point|respect)\b", re.I)
_PACKAGE = re.compile(r"\b(package|in exchange|in return|trade|trade-off|tradeoff|if you .{1,60}\b(we|i) (can|could|"
                      r"would|will)|combine|bundle|together with|on condition)\b", re.I)
_ULTIMATUM = re.compile(r"\b(take it or leave it|final offer|non-negotiable|not negotiable|or else|last chance|"
                        r"ultimatum|we will walk|i will walk|no further|nothing more to discuss|this is it)\b", re.I)
_EVIDENCE = re.compile(r"(\[\d+\]|\b(according to|data|evidence|study|studies|report|reports|figures|research|"
                       r"statistic|statistics|source|sources|survey|record|records|precedent|per ?cent)\b|\d+ ?%)",
                       re.I)
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


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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

    asked = [ln.text for ln in texts if "?" in ln.text or _ASK.match(ln.text.strip())]
    asked_interest = [t for t in asked if _INTEREST.search(t)]
    hit = asked_interest or asked
    out.append(Criterion(
        id="asked_interests", title="Asked about the other side's interests", met=bool(asked_interest),
        feedback=("You explored what the others need before pressing for numbers." if asked_interest else
                  "Your questions were about positions rather than needs; try asking what matters most to them and why."
                  if asked else "You asked no questions; open with one about what the other side needs and why."),
        quotes=[_quote(t) for t in hit[:2]],
    ))

    ack = [ln.text for ln in texts if _ACK.search(ln.text)]
    out.append(Criterion(
        id="acknowledged", title="Acknowledged the other side", met=bool(ack),
        feedback=("You recognised the other side's view before answering it." if ack else
                  "No line acknowledged what the others said; naming their concern first lowers the temperature."),
        quotes=[_quote(t) for t in ack[:2]],
    ))

    pack_text = [ln.text for ln in texts if _PACKAGE.search(ln.text)]
    befores = list(proposals_before or [])
    traded = [ln for i, ln in enumerate(proposals)
              if _moved_issues(befores[i] if i < len(befores) else None, ln.proposal or {}) >= 2]
    packaged = bool(pack_text or traded)
    out.append(Criterion(
        id="packaged", title="Packaged across issues", met=packaged,
        feedback=("You linked issues into packages, which opens trades each side values differently." if packaged
                  else "You handled issues one at a time; offer a package that gives on what matters less to you."),
        quotes=[_quote(t) for t in (pack_text or [ln.text for ln in traded if ln.text.strip()])[:2]],
    ))

    ult = [ln.text for ln in texts if _ULTIMATUM.search(ln.text)]
    ok = not ult and not walked_away
    out.append(Criterion(
        id="avoided_ultimatums", title="Avoided ultimatums", met=ok,
        feedback=("You kept the door open throughout." if ok else
                  "Ultimatums close doors; state the interest behind the demand instead."
                  + (" You also walked away from the table." if walked_away else "")),
        quotes=[_quote(t) for t in ult[:2]],
    ))

    ev = [ln.text for ln in texts if _EVIDENCE.search(ln.text)]
    out.append(Criterion(
        id="used_evidence", title="Used evidence", met=bool(ev),
        feedback=("You backed claims with facts or sources." if ev else
                  "No line pointed to data, a source or a precedent; one concrete fact makes a claim harder to dismiss."),
        quotes=[_quote(t) for t in ev[:2]],
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
        quotes=[_quote(t) for t in leaks[:2]],
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
