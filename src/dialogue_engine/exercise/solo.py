"""Solo mode: one human seat practises against one AI counterpart, persisted like any exercise.

A solo exercise starts at once in the proposals phase; each human turn (:func:`send`) is answered by the
counterpart's turn, and a proposal both sides accepted ends it with an agreement (:func:`settle`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dialogue_engine.domain import AgreementRule, Protocol, RuleKind, Scenario
from dialogue_engine.exercise import runner
from dialogue_engine.exercise.access import IssuedCodes, open_exercise, require_seat
from dialogue_engine.exercise.commands import MAX_MESSAGE, check_deal
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import SYSTEM, EventKind, NewEvent
from dialogue_engine.exercise.journal import Journal
from dialogue_engine.exercise.play import AIPlay
from dialogue_engine.exercise.projections import transcript_entry
from dialogue_engine.exercise.state import ProposalRec
from dialogue_engine.exercise.store import SeqConflict
from dialogue_engine.exercise.views import Phase, ProposalView, SeatView, TranscriptEntry


def bilateral(scenario: Scenario, human_party: str, counterpart: str) -> Scenario:
    """The scenario cut down to two seats that must both accept; two-party scenarios unchanged.

    Injects stay when they concern only the two seats (effects on other seats are dropped; an inject whose
    trigger names another seat is dropped), so the solo clock still brings the scenario's events. An
    objective whose check names another seat loses the check (its text stays, for the facilitator).
    """
    if len(scenario.parties) <= 2:
        return scenario
    keep = {human_party, counterpart}
    data = scenario.model_dump(mode="python")
    data["parties"] = [p for p in data["parties"] if p["id"] in keep]
    data["rule"] = AgreementRule(kind=RuleKind.UNANIMITY).model_dump(mode="python")
    injects = []
    for inj in data["injects"]:
        trigger = inj.get("trigger") or {}
        if trigger.get("party") and trigger["party"] not in keep:
            continue
        effects = []
        for e in inj.get("effects", []):
            if e.get("party", human_party) not in keep or e.get("other", human_party) not in keep:
                continue
            if isinstance(e.get("scores"), dict):
                e = {**e, "scores": {p: v for p, v in e["scores"].items() if p in keep}}
            effects.append(e)
        inj["effects"] = effects
        injects.append(inj)
    data["injects"] = injects
    data["learning_objectives"] = [
        o if all(c.get("party", human_party) in keep for c in o["check"]) else {**o, "check": []}
        for o in data["learning_objectives"]]
    return Scenario.model_validate(data)


def pick_seats(scenario: Scenario, persona: str, seat: str | None = None) -> tuple[str, str]:
    """(human seat, counterpart seat) from a persona id (or seat id) and an optional human seat."""
    ids = scenario.party_ids
    matches = [p.id for p in scenario.parties if persona in (p.persona_id, p.id)]
    if not matches:
        known = ", ".join(p.persona_id for p in scenario.parties)
        raise ExerciseError(f"scenario {scenario.id}: no seat is played by persona {persona!r} (personas: {known})")
    counterpart = matches[0]
    if seat is not None:
        if seat not in ids:
            raise ExerciseError(f"scenario {scenario.id}: no seat {seat!r} (seats: {', '.join(ids)})")
        if seat == counterpart:
            raise ExerciseError(f"scenario {scenario.id}: seat {seat!r} is the persona's own seat; pick another")
        return seat, counterpart
    return next(p for p in ids if p != counterpart), counterpart


def create(journal: Journal, scenario: Scenario, human_party: str, counterpart: str | None = None,
           seed: int = 0) -> tuple[str, IssuedCodes]:
    """Open and start a solo exercise (human seat against one AI seat); returns its id and its join codes."""
    if human_party not in scenario.party_ids:
        raise ExerciseError(f"unknown seat {human_party!r}: scenario {scenario.id} has {', '.join(scenario.party_ids)}")
    counterpart = counterpart or next(p for p in scenario.party_ids if p != human_party)
    if counterpart not in scenario.party_ids or counterpart == human_party:
        raise ExerciseError(f"counterpart {counterpart!r} must be another party of {scenario.id}")
    scen = bilateral(scenario, human_party, counterpart)
    ex_id, issued = open_exercise(journal.store, scen, [human_party], seed, mode="solo", protocol=Protocol.FREE)
    _append(journal, journal.state(ex_id), [
        NewEvent(EventKind.STARTED, SYSTEM, {}),
        NewEvent(EventKind.ROUND_STARTED, SYSTEM, {"round": 1}),
        NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": Phase.PROPOSALS.value, "round": 1}),
    ])
    return ex_id, issued


def send(journal: Journal, play: AIPlay, code: str, text: str | None = None,
         proposal: dict[str, str] | None = None, *, confirm: bool = False,
         on_text: Callable[[str], object] | None = None) -> list[TranscriptEntry]:
    """A solo turn: the human's line (and/or proposal), then the counterpart's reply. Returns the new lines.

    Each turn is a round of the scenario's clock: injects due by then fire first, and after the reply in the
    last round the talk ends. A typed explicit acceptance ("we accept") takes the counterpart's standing
    offer; one worth less to the human than its minimum needs ``confirm`` (else a one-line error, nothing
    stored).

    ``on_text`` receives the counterpart's words while they are produced: streamed sentence by sentence,
    each passed by the seat's leak guard first, when an LLM realizer is configured; the final text once with
    the built-in realizer. The stored message (and the returned last line) is the final text, which replaces
    what was shown.
    """
    seat = require_seat(journal.store, code)
    state = journal.state(seat.exercise_id)
    if state.mode != "solo":
        raise ExerciseError("solo_send works on solo exercises only")
    if state.ended:
        raise ExerciseError(talk_over(state))
    text = (text or "").strip()
    if not text and not proposal:
        raise ExerciseError("say something or make a proposal")
    if len(text) > MAX_MESSAGE:
        raise ExerciseError(f"a message is at most {MAX_MESSAGE} characters; this one has {len(text)}")
    if proposal:
        check_deal(state, proposal)
    turn = len([m for m in state.messages if m.speaker == seat.party]) + 1
    evs = [NewEvent(EventKind.ROUND_STARTED, SYSTEM, {"round": turn}),
           *runner.due_injects(state, turn),
           NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": Phase.PROPOSALS.value, "round": turn}),
           NewEvent(EventKind.MESSAGE, seat.party, {
               "text": text or "Here is a proposal.", "channel": "public", "recipients": [], "round": turn,
               "phase": Phase.PROPOSALS.value, "move": "propose" if proposal else None, "proposal": proposal,
               "turn": True})]
    if proposal:
        evs.append(NewEvent(EventKind.PROPOSAL, seat.party, {"deal": dict(proposal), "round": turn,
                                                             "with_message": True, "turn": True}))
    ai = next(p for p in state.party_ids if p != seat.party)
    offer = state.standing_offer(ai)
    if text and not proposal and offer is not None and seat.party not in offer.votes:
        read = play.perceive(state, ai, seat.party, text)
        if read is not None and read.accepts:
            check_minimum(state, seat.party, offer, confirm)
            evs.append(NewEvent(EventKind.VOTE, seat.party, {"proposal": offer.id, "accept": True, "round": turn,
                                                             "with_message": True}))
    first = _append(journal, state, evs)[0].seq
    state = journal.state(seat.exercise_id)
    _append(journal, state, asyncio.run(play.turns(state, [ai], on_text=on_text)))
    settle(journal, seat.exercise_id)
    state = journal.state(seat.exercise_id)
    if not state.ended and turn >= state.total_rounds:
        _append(journal, state, [runner.ended_event(state, None, "the deadline passed")])
        state = journal.state(seat.exercise_id)
    return [transcript_entry(state, m) for m in state.messages if m.seq >= first]


def talk_over(state) -> str:
    """The one line a solo turn gets once the dialogue has ended (agreement, walk-out or deadline)."""
    outcome = state.outcome or {}
    why = "an agreement stands" if outcome.get("agreement") else outcome.get("reason") or "it has ended"
    return f"the talk is over ({why}); nothing more is said or proposed"


def _append(journal: Journal, state, evs: list[NewEvent]) -> list:
    """Append ``evs`` after ``state`` (checked); a concurrent move by another tab is one line."""
    try:
        return journal.append_checked(state, evs)
    except SeqConflict:
        raise ExerciseError("the dialogue moved on in another window; look again and retry") from None


def check_minimum(state, party: str, prop: ProposalRec, confirm: bool) -> None:
    """Refuse, in one line, to accept a package below ``party``'s own minimum unless ``confirm`` is given."""
    seat = state.scenario.party(party)
    if confirm or seat.accepts(prop.deal):
        return
    raise ExerciseError(f"proposal #{prop.id} is worth {seat.utility(prop.deal):g} to you, below your minimum of "
                        f"{seat.threshold:g}; confirm to accept it anyway")


def settle(journal: Journal, exercise_id: str) -> None:
    """End a solo exercise whose latest proposal both sides accepted, or where a side walked away."""
    state = journal.state(exercise_id)
    if state.ended:
        return
    for prop in sorted(state.proposals.values(), key=lambda p: -p.id):
        others = [p for p in state.party_ids if p != prop.proposer]
        if all(prop.votes.get(p) for p in others) and runner.proposal_passes(
            state, ProposalRec(prop.id, prop.ts, prop.round, prop.proposer, prop.deal,
                               votes={**prop.votes, prop.proposer: True})):
            if prop.proposer not in prop.votes:
                _append(journal, state, [NewEvent(EventKind.VOTE, prop.proposer, {
                    "proposal": prop.id, "accept": True, "round": state.round})])
            state = journal.state(exercise_id)
            _append(journal, state, [runner.ended_event(state, state.proposals[prop.id], "both sides accepted")])
            return
    if state.walked_out:
        _append(journal, state, [runner.ended_event(state, None, "a side walked away")])


def latest_offer(view: SeatView, me: str) -> ProposalView | None:
    """The counterpart's latest open proposal in a seat's view, if any (what *accept* takes)."""
    for prop in reversed(view.proposals):
        if prop.proposer != me and prop.status == "open" and not prop.final:
            return prop
    return None
