"""The chair seat in an exercise: what it has heard (folded from the log) and the text it tables each round.

The chair (:mod:`dialogue_engine.negotiation.chair`) hears the opening round, then at the start of every later
round tables one single negotiating text: a message naming the package and what it revised, and a proposal
by the ``chair`` actor that withdraws its previous text. Seats support or decline it like any tabled package;
it never votes. A scenario switches it on (``chair: true``), ``exercise create/run --chair`` too, and the
facilitator can switch it on or off at any time (a ``chair_set`` event).
"""

from __future__ import annotations

from dialogue_engine.exercise.events import CHAIR, EventKind, NewEvent
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.chair import Chair, ChairText

FIRST_ROUND = 2
"""The chair listens to the opening round before it drafts."""


def heard(state: ExerciseState) -> Chair:
    """A chair that has heard everything said in public so far (private messages stay private to it too)."""
    chair = Chair(state.scenario)
    for ev in state.events:
        p = ev.payload
        if ev.kind == EventKind.PROPOSAL and ev.actor in state.party_ids and not p.get("final"):
            chair.observe_proposal(ev.actor, p["deal"])
        elif ev.kind == EventKind.VOTE and ev.actor in state.party_ids and not p.get("abstain"):
            prop = state.proposals.get(int(p["proposal"]))
            if prop is not None:
                chair.observe_vote(ev.actor, prop.deal, bool(p.get("accept")), blocking=p.get("issue"))
    return chair


def chair_events(state: ExerciseState, rnd: int) -> list[NewEvent]:
    """The chair's text for round ``rnd`` (nothing when it is off, still listening, or no package can pass)."""
    if not state.chair or rnd < FIRST_ROUND:
        return []
    chair = heard(state)
    chair.texts = [p.deal for p in sorted(state.proposals.values(), key=lambda p: p.id) if p.proposer == CHAIR]
    earlier = bool(chair.texts)
    text = chair.text()
    if text is None:
        return []
    previous = [p.id for p in state.live_proposals() if p.proposer == CHAIR]
    if not text.revised and previous:
        return []
    return [
        NewEvent(EventKind.MESSAGE, CHAIR, {"text": _words(state, text, revised=earlier), "channel": "public", "recipients": [],
                                            "round": rnd, "move": "propose", "proposal": dict(text.deal)}),
        NewEvent(EventKind.PROPOSAL, CHAIR, {"deal": dict(text.deal), "round": rnd, "chair": True,
                                             "with_message": True, "supersedes": previous}),
    ]


def _words(state: ExerciseState, text: ChairText, *, revised: bool) -> str:
    """The chair's one-paragraph introduction of its text (options by label; no party's numbers)."""
    lines = "; ".join(f"{issue}: {option}" for issue, option in state.scenario.describe_deal(text.deal))
    lead = "The chair tables a revised single text" if revised else "The chair tables a single text"
    return f"{lead}, drawn from what each delegation has said it can and cannot accept: {lines}."
