"""One-line vote reasons: why a seat says yes or no to a package, in its own voice, with no private numbers.

A reason names the issue that decides the vote for that seat: for a *no* the issue where the package gives
the seat the most away (its best option's points minus the package's), for a *yes* the issue where the
package gives it the most. The points themselves are never said: only public issue titles and option
labels, checked by the same leak guard as every reply.
"""

from __future__ import annotations

from typing import Any

from dialogue_engine.agents.guard import check_reply
from dialogue_engine.domain import Scenario

_BLUNT = ("informal", "blunt", "combative", "assertive", "fast")

_NO = {
    "formal": ("no: the terms on {issue} leave us short", "no: we cannot carry what this says on {issue}"),
    "plain": ("no: {issue} does not work for us", "no: the part on {issue} leaves us short"),
}
_YES = {
    "formal": ("yes: this keeps what we need on {issue} ({option})", "yes: the terms on {issue} meet what we came for"),
    "plain": ("yes: {option} on {issue} is what we need", "yes: we get what we need on {issue}"),
}
_BARE = {
    "formal": "yes, only just: we can live with the terms on {issue}",
    "plain": "yes, only just: we can live with {issue}",
}
_GENERIC = {True: "yes: this package meets what we need", False: "no: this package leaves us short"}
MAX_LABEL = 48  # longer option labels are named by their issue instead


def _register(persona: Any) -> str:
    voice = getattr(persona, "voice", None)
    words = f"{getattr(voice, 'formality', '')} {getattr(voice, 'tone', '')}".lower()
    return "plain" if any(w in words for w in _BLUNT) else "formal"


def _lower(title: str) -> str:
    """``Financing`` -> ``financing`` inside a sentence; acronyms (``AI in ...``) stay as they are."""
    return title if title[:2].isupper() else title[:1].lower() + title[1:]


def deciding_issue(scenario: Scenario, party_id: str, deal: dict[str, str], accept: bool) -> str | None:
    """The issue that decides ``party_id``'s vote on ``deal``: its largest shortfall (no) or largest gain (yes)."""
    scores = scenario.party(party_id).scores
    best: tuple[float, str] | None = None
    for issue in scenario.issues:
        row = scores.get(issue.id) or {}
        if issue.id not in deal or not row:
            continue
        got = float(row.get(deal[issue.id], 0.0))
        key = got if accept else max(row.values()) - got
        if best is None or key > best[0]:
            best = (key, issue.id)
    return best[1] if best else None


def vote_reason(scenario: Scenario, party_id: str, deal: dict[str, str], accept: bool, *,
                persona: Any = None, minimum: bool = False, turn: int = 0) -> str:
    """A one-line reason for a yes (``accept``) or no on ``deal`` by ``party_id``, in the persona's register.

    ``minimum`` marks a yes at the seat's bare minimum; ``turn`` varies the wording. Falls back to a generic
    line when the specific one would trip the leak guard.
    """
    issue_id = deciding_issue(scenario, party_id, deal, accept)
    if issue_id is None:
        return _GENERIC[accept]
    issue = scenario.issue(issue_id)
    option = next((o for o in issue.options if o.id == deal.get(issue_id)), None)
    reg = _register(persona)
    title = _lower(issue.title)
    if accept and minimum:
        text = _BARE[reg].format(issue=title)
    elif accept:
        pick = _YES[reg][turn % 2]
        if option is None or len(option.label) > MAX_LABEL:
            pick = _YES[reg][1]
        text = pick.format(issue=title, option=_lower(option.label) if option else title)
    else:
        text = _NO[reg][turn % 2].format(issue=title)
    public = "\n".join([scenario.title, *(i.title for i in scenario.issues),
                        *(o.label for i in scenario.issues for o in i.options)])
    taboo = getattr(getattr(persona, "voice", None), "taboo_words", ()) or ()
    if check_reply(text, scenario.party(party_id), public_text=public, taboo=taboo):
        return _GENERIC[accept]
    return text
