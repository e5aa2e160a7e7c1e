"""Seat and facilitator commands: each resolves the code, decides on the folded state, and commits.

Every write goes through :meth:`Journal.commit` (or ``append_checked``): the candidate events are checked
and folded onto the current state before anything is stored (:mod:`.admission`), so a refused command
stores nothing.

Every function takes the :class:`Journal` it reads and writes through and the caller's join code.
"""

from __future__ import annotations

from dialogue_engine.exercise import codes, runner
from dialogue_engine.exercise.access import SEAT_ROLE, code_row, find_seat, require_facilitator, require_seat
from dialogue_engine.exercise.admission import admit
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import FACILITATOR, EventKind, NewEvent, utc_now
from dialogue_engine.exercise.journal import Journal
from dialogue_engine.exercise.store import DuplicateVote
from dialogue_engine.exercise.projections import (
    clock_view,
    inject_view,
    outcome_view,
    proposal_view,
    seat_info,
    transcript_entry,
)
from dialogue_engine.exercise.state import ExerciseState, ProposalRec
from dialogue_engine.exercise.views import (
    Clock,
    InjectView,
    Outcome,
    Phase,
    ProposalView,
    Seat,
    SeatInfo,
    TranscriptEntry,
)

# ------------------------------------------------------------------ seats


def join(journal: Journal, code: str) -> Seat:
    """The seat (or facilitator role) a code opens; the first join of a seat is logged."""
    seat = find_seat(journal.store, code)
    if seat.party is not None:
        journal.commit(seat.exercise_id, lambda state: [] if seat.party in state.joined
                       else [NewEvent(EventKind.SEAT_JOINED, seat.party, {})])
    return seat


MAX_MESSAGE = 4000
"""Characters in one message (a chat line, not a document)."""

MAX_PROPOSALS_PER_ROUND = 3
"""Proposals one human seat may table in one round. Each proposal draws every AI seat's public vote, so an
unlimited stream of proposals would read their private scores off the votes; AI seats table at most one
proposal per turn (the runner)."""


def post_message(journal: Journal, code: str, text: str, *, to: str | list[str] | None = None) -> TranscriptEntry:
    """Post a public message, or a private one to the seat(s) in ``to`` (the facilitator may post too)."""
    seat = find_seat(journal.store, code)
    text = (text or "").strip()
    if not text:
        raise ExerciseError("empty message")
    if len(text) > MAX_MESSAGE:
        raise ExerciseError(f"a message is at most {MAX_MESSAGE} characters; this one has {len(text)}")
    recips = [to] if isinstance(to, str) else list(to or [])

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        if state.paused and seat.party is not None:
            raise ExerciseError("the exercise is paused; the facilitator will resume it")
        for r in recips:
            if r not in state.party_ids:
                raise ExerciseError(f"unknown recipient {r!r}")
        return [NewEvent(EventKind.MESSAGE, seat.party or FACILITATOR, {
            "text": text, "channel": "private" if recips else "public", "recipients": recips,
            "round": state.round, "phase": state.phase.value})]

    ev = journal.commit(seat.exercise_id, decide)[0]
    state = journal.state(seat.exercise_id)
    return transcript_entry(state, next(m for m in state.messages if m.seq == ev.seq))


def propose(journal: Journal, code: str, deal: dict[str, str], text: str = "") -> ProposalView:
    """Put a complete deal ``{issue_id: option_id}`` on the table (during the rounds).

    A seat tables at most :data:`MAX_PROPOSALS_PER_ROUND` proposals per round.
    """
    seat = require_seat(journal.store, code)
    text = (text or "").strip()
    if len(text) > MAX_MESSAGE:
        raise ExerciseError(f"a message is at most {MAX_MESSAGE} characters; this one has {len(text)}")

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        if state.phase not in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES, Phase.INJECTS):
            raise ExerciseError(f"proposals are not open in phase {state.phase.value}")
        if state.paused:
            raise ExerciseError("the exercise is paused; the facilitator will resume it")
        if seat.party in state.walked_out:
            raise ExerciseError("you have walked away")
        check_deal(state, deal)
        check_budget(state, seat.party)
        evs = []
        if text:
            evs.append(NewEvent(EventKind.MESSAGE, seat.party, {
                "text": text, "channel": "public", "recipients": [], "round": state.round,
                "phase": state.phase.value, "move": "propose", "proposal": dict(deal), "turn": True}))
        evs.append(NewEvent(EventKind.PROPOSAL, seat.party, {"deal": dict(deal), "round": state.round,
                                                             "with_message": bool(evs), "turn": True}))
        return evs

    out = journal.commit(seat.exercise_id, decide)
    state = journal.state(seat.exercise_id)
    return proposal_view(state, state.proposals[out[-1].seq])


def check_budget(state: ExerciseState, party: str) -> None:
    """Refuse, in one line, a proposal beyond ``party``'s :data:`MAX_PROPOSALS_PER_ROUND` this round."""
    mine = [p for p in state.round_proposals() if p.proposer == party]
    if len(mine) >= MAX_PROPOSALS_PER_ROUND:
        raise ExerciseError(f"you have tabled {len(mine)} proposals in round {state.round}, the most a seat may; "
                            "vote on what is on the table or wait for the next round")


def vote(journal: Journal, code: str, accept: bool, proposal_id: int | None = None) -> tuple[Seat, int]:
    """Vote on a proposal (default: the final-vote proposal, else the one on the table).

    A seat votes once per proposal (the database enforces it), and only on a proposal still open.

    Returns:
        The voting seat and the id of the proposal voted on.
    """
    seat = require_seat(journal.store, code)
    voted: list[int] = []

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        if state.paused:
            raise ExerciseError("the exercise is paused; the facilitator will resume it")
        prop = target_proposal(state, proposal_id)
        if seat.party in prop.votes:
            raise ExerciseError(f"you already voted on proposal #{prop.id}")
        if not prop.final and prop.status != "open":
            raise ExerciseError(f"proposal #{prop.id} is {prop.status}; vote on an open proposal")
        voted[:] = [prop.id]
        return [NewEvent(EventKind.VOTE, seat.party,
                         {"proposal": prop.id, "accept": bool(accept), "round": state.round, "turn": True})]

    try:
        journal.commit(seat.exercise_id, decide)
    except DuplicateVote:
        raise ExerciseError(f"you already voted on proposal #{voted[0]}") from None
    return seat, voted[0]


def walk_away(journal: Journal, code: str, text: str = "") -> None:
    """Leave the table (the seat then counts as rejecting every deal)."""
    seat = require_seat(journal.store, code)

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        return [NewEvent(EventKind.WALK_AWAY, seat.party, {"round": state.round, "text": (text or "").strip()[:MAX_MESSAGE],
                                                           "turn": True})]

    journal.commit(seat.exercise_id, decide)


# ------------------------------------------------------------------ facilitator


def start(journal: Journal, code: str) -> Clock:
    """Open the briefing (setup -> briefing)."""
    seat = require_facilitator(journal.store, code)
    open_briefing(journal, journal.state(seat.exercise_id))
    return clock_view(journal.state(seat.exercise_id))


def open_briefing(journal: Journal, state: ExerciseState) -> None:
    """Append the facilitator's ``started`` event to an exercise still in setup."""
    if state.phase != Phase.SETUP:
        raise ExerciseError(f"already started (phase {state.phase.value})")
    journal.append_checked(state, [NewEvent(EventKind.STARTED, FACILITATOR, {})])


def pause(journal: Journal, code: str) -> Clock:
    """Pause the clock (AI seats stop playing until resumed)."""
    seat = require_facilitator(journal.store, code)
    journal.commit(seat.exercise_id, lambda state: [] if state.paused or state.ended
                   else [NewEvent(EventKind.PAUSED, FACILITATOR, {"round": state.round})])
    return clock_view(journal.state(seat.exercise_id))


def set_chair(journal: Journal, code: str, on: bool) -> Clock:
    """Switch the chair seat on or off (it tables a single negotiating text from the next round on)."""
    seat = require_facilitator(journal.store, code)
    journal.commit(seat.exercise_id, lambda state: [] if state.chair == bool(on) or state.ended
                   else [NewEvent(EventKind.CHAIR_SET, FACILITATOR, {"on": bool(on), "round": state.round})])
    return clock_view(journal.state(seat.exercise_id))


def resume(journal: Journal, code: str) -> Clock:
    """Resume a paused exercise."""
    seat = require_facilitator(journal.store, code)
    journal.commit(seat.exercise_id, lambda state: [] if not state.paused
                   else [NewEvent(EventKind.RESUMED, FACILITATOR, {"round": state.round})])
    return clock_view(journal.state(seat.exercise_id))


def fire_inject(journal: Journal, code: str, inject_id: str | None = None, *, title: str = "",
                text: str = "") -> InjectView:
    """Fire a scenario inject now (by id, with its effects) or a free-text one (no effects).

    An inject whose effects, on top of those already applied, would leave an inconsistent scenario (a
    threshold no deal reaches, say) is refused in one line and nothing is stored.
    """
    seat = require_facilitator(journal.store, code)

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        return [inject_now(state, inject_id, title=title, text=text)]

    ev = journal.commit(seat.exercise_id, decide)[0]
    state = journal.state(seat.exercise_id)
    return inject_view(next(i for i in state.injects if i.seq == ev.seq))


def inject_now(state: ExerciseState, inject_id: str | None = None, *, title: str = "", text: str = "") -> NewEvent:
    """The facilitator's inject event for ``state`` (a scenario inject by id, or free text), checked, not appended.

    Raises:
        ExerciseError: an unknown or already fired inject id, or a free-text inject without text.
    """
    if inject_id:
        inj = next((i for i in state.base.injects if i.id == inject_id), None)
        if inj is None:
            raise ExerciseError(f"scenario {state.base.id} has no inject {inject_id!r}")
        if inject_id in state.fired_inject_ids:
            raise ExerciseError(f"inject {inject_id!r} has already fired")
        return runner.inject_event(inj, state.round, "facilitator", actor=FACILITATOR)
    if not text.strip():
        raise ExerciseError("a free-text inject needs text")
    if len(text.strip()) > MAX_MESSAGE or len(title.strip()) > MAX_MESSAGE:
        raise ExerciseError(f"an inject's title and text are at most {MAX_MESSAGE} characters each")
    return NewEvent(EventKind.INJECT_FIRED, FACILITATOR, {
        "inject_id": None, "title": title.strip() or "Facilitator inject", "text": text.strip(),
        "round": state.round, "by": "facilitator", "effects": []})


MAX_EXTEND = 100
"""Rounds the facilitator may add at once."""


def extend(journal: Journal, code: str, rounds: int = 1) -> Clock:
    """Add rounds to the clock."""
    seat = require_facilitator(journal.store, code)
    if isinstance(rounds, bool) or not isinstance(rounds, int) or not 1 <= rounds <= MAX_EXTEND:
        raise ExerciseError(f"extend by a whole number of rounds from 1 to {MAX_EXTEND}")

    def decide(state: ExerciseState) -> list[NewEvent]:
        if state.ended:
            raise ExerciseError("the exercise has ended")
        return [NewEvent(EventKind.EXTENDED, FACILITATOR, {"rounds": int(rounds)})]

    journal.commit(seat.exercise_id, decide)
    return clock_view(journal.state(seat.exercise_id))


def end(journal: Journal, code: str, reason: str = "ended by the facilitator") -> Outcome:
    """End now without agreement (a proposal already passed ends the exercise by itself)."""
    seat = require_facilitator(journal.store, code)
    reason = (reason or "ended by the facilitator").strip()[:MAX_MESSAGE]
    journal.commit(seat.exercise_id, lambda state: [] if state.ended
                   else [runner.ended_event(state, None, reason, actor=FACILITATOR)])
    return outcome_view(journal.state(seat.exercise_id))


def reveal(journal: Journal, code: str) -> Outcome:
    """Show every seat the others' outcome utilities (the debrief; a ``revealed`` event).

    Until then a seat's view of the outcome holds only its own utility.
    """
    seat = require_facilitator(journal.store, code)

    def decide(state: ExerciseState) -> list[NewEvent]:
        if not state.ended:
            raise ExerciseError("outcomes are revealed in the debrief, once the exercise has ended")
        return [] if state.revealed else [NewEvent(EventKind.REVEALED, FACILITATOR, {"round": state.round})]

    journal.commit(seat.exercise_id, decide)
    return outcome_view(journal.state(seat.exercise_id))


def reissue_code(journal: Journal, code: str, party: str) -> SeatInfo:
    """Give a human seat a fresh join code; its old code stops working at once (a ``code_reissued`` event).

    Returns:
        The seat with its new plain code (shown now; only its hash is stored).
    """
    seat = require_facilitator(journal.store, code)
    state = journal.state(seat.exercise_id)
    _check_human(state, party)
    new = codes.new_code(codes.SEAT_LENGTH)
    row = code_row(journal.store, seat.exercise_id, new, SEAT_ROLE, party, utc_now())
    event = NewEvent(EventKind.CODE_REISSUED, FACILITATOR, {"party": party, "round": state.round})
    admit(state, [event])
    journal.store.replace_code(seat.exercise_id, party, row, event)
    return seat_info(journal.state(seat.exercise_id), party, new)


def revoke_code(journal: Journal, code: str, party: str) -> None:
    """Withdraw a human seat's join code without a new one (a ``code_revoked`` event); reissue to reopen it."""
    seat = require_facilitator(journal.store, code)
    state = journal.state(seat.exercise_id)
    _check_human(state, party)
    event = NewEvent(EventKind.CODE_REVOKED, FACILITATOR, {"party": party, "round": state.round})
    admit(state, [event])
    journal.store.replace_code(seat.exercise_id, party, None, event)


def _check_human(state: ExerciseState, party: str) -> None:
    if party not in state.party_ids:
        raise ExerciseError(f"unknown seat {party!r}: exercise {state.exercise_id} has {', '.join(state.party_ids)}")
    if not state.humans.get(party, False):
        raise ExerciseError(f"seat {party!r} is played by an AI persona and has no join code")


# ------------------------------------------------------------------ checks


def check_deal(state: ExerciseState, deal: dict[str, str]) -> None:
    """Raise :class:`ExerciseError` unless ``deal`` picks one known option for every issue."""
    problem = state.scenario.deal_problem(deal)
    if problem:
        raise ExerciseError(problem)


def target_proposal(state: ExerciseState, proposal_id: int | None) -> ProposalRec:
    """The proposal a vote is on: the one named, else the final-vote proposal, else the one on the table."""
    if proposal_id is not None:
        prop = state.proposals.get(int(proposal_id))
        if prop is None:
            raise ExerciseError(f"no proposal #{proposal_id}")
        return prop
    final = [p for p in state.proposals.values() if p.final]
    if state.phase == Phase.FINAL_VOTE and final:
        return final[-1]
    if state.current_proposal is None:
        raise ExerciseError("there is no proposal on the table")
    return state.current_proposal
