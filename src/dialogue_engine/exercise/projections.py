"""Projections: the views a seat, the facilitator and the app read, built from folded state.

Pure functions of an :class:`ExerciseState` (plus plain codes just issued, or the hashed code rows, where
the facilitator sees them); a seat's view holds only that seat's private data.
"""

from __future__ import annotations

from dialogue_engine.exercise.access import IssuedCodes
from dialogue_engine.exercise.state import ExerciseState, InjectRec, MessageRec, ProposalRec
from dialogue_engine.exercise.store import CodeRow, ExerciseRecord
from dialogue_engine.exercise.views import (
    Brief,
    Channel,
    CitationView,
    Clock,
    ExerciseInfo,
    FacilitatorView,
    InjectView,
    JoinCodeView,
    Outcome,
    Phase,
    ProposalView,
    ScoreRow,
    SeatInfo,
    SeatView,
    TranscriptEntry,
)


def exercise_info(record: ExerciseRecord, state: ExerciseState, issued: IssuedCodes | None = None) -> ExerciseInfo:
    """Identity of an exercise, with the plain codes when they were just ``issued`` (facilitator material)."""
    issued = issued or IssuedCodes()
    return ExerciseInfo(
        exercise_id=record.id, scenario_id=record.scenario_id, title=record.title, mode=record.mode,
        seed=record.seed, created=record.created, facilitator_code=issued.facilitator,
        seats=[seat_info(state, p, issued.seats.get(p)) for p in state.party_ids],
        forked_from=state.forked_from, forked_at=state.forked_at,
    )


def join_codes(state: ExerciseState, rows: list[CodeRow]) -> list[JoinCodeView]:
    """Each human seat's code status: active or not, when issued, how often replaced (never the code)."""
    out = []
    for party in state.party_ids:
        if not state.humans.get(party, False):
            continue
        mine = [r for r in rows if r.party == party]
        active = [r for r in mine if r.active]
        out.append(JoinCodeView(party=party, name=party_name(state, party), active=bool(active),
                                issued=active[-1].issued if active else "", replaced=len(mine) - len(active),
                                joined=party in state.joined))
    return out


def seat_info(state: ExerciseState, party: str, code: str | None) -> SeatInfo:
    """One seat's public identity (with its code only when the caller may see it)."""
    p = state.base.party(party)
    return SeatInfo(party=party, name=party_name(state, party), persona=p.persona_id,
                    human=state.humans.get(party, False), code=code, joined=party in state.joined)


def seat_view(state: ExerciseState, party: str) -> SeatView:
    """What one seat may see: the public record and only its own brief and private messages."""
    me = state.scenario.party(party)
    table = state.current_proposal
    votable = _votable(state)
    return SeatView(
        exercise_id=state.exercise_id, title=state.base.title, situation=state.base.situation,
        rule=state.scenario.rule.describe(len(state.party_ids), state.scenario.veto_parties),
        seat=seat_info(state, party, None), clock=clock_view(state),
        brief=Brief(party=party, name=party_name(state, party), role=me.role, persona=me.persona_id,
                    private_brief=me.private_brief, threshold=me.threshold,
                    scores={k: dict(v) for k, v in me.scores.items()}, veto=me.veto),
        seats=[seat_info(state, p, None) for p in state.party_ids],
        transcript=[transcript_entry(state, m) for m in state.messages if m.channel == Channel.PUBLIC],
        private=[transcript_entry(state, m) for m in state.messages
                 if m.channel == Channel.PRIVATE and m.visible_to(party)],
        proposals=[proposal_view(state, p) for p in state.proposals.values()],
        current_proposal=proposal_view(state, table) if table else None,
        my_utility=state.scenario.total(party, table.deal) if table else None,
        injects=seat_injects(state, party),
        issues=[{"id": i.id, "title": i.title, "description": i.description,
                 "options": [{"id": o.id, "label": o.label, "description": o.description} for o in i.options]}
                for i in state.scenario.issues],
        outcome=outcome_view(state, party),
        can_vote=bool(votable) and any(party not in p.votes for p in votable) and party not in state.walked_out,
        can_propose=not state.ended and state.phase in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES)
        and party not in state.walked_out,
    )


def facilitator_view(state: ExerciseState) -> FacilitatorView:
    """Everything: all seats' views, the full transcript, live scoreboard and injects (no join codes)."""
    table = state.current_proposal
    rows = []
    for party in state.scenario.parties:
        util = state.scenario.total(party.id, table.deal) if table else None
        rows.append(ScoreRow(
            party=party.id, name=party_name(state, party.id), human=state.humans.get(party.id, False),
            threshold=party.threshold, utility=util,
            accepts=None if util is None else util >= party.threshold - 1e-9,
            vote=table.votes.get(party.id) if table else None, walked_out=party.id in state.walked_out,
            messages=sum(1 for m in state.messages if m.speaker == party.id),
            proposals=sum(1 for p in state.proposals.values() if p.proposer == party.id and not p.final),
        ))
    fired = state.fired_inject_ids
    return FacilitatorView(
        exercise_id=state.exercise_id, title=state.base.title, mode=state.mode, clock=clock_view(state),
        seats=[seat_info(state, p, None) for p in state.party_ids],
        seat_views={p: seat_view(state, p) for p in state.party_ids},
        transcript=[transcript_entry(state, m) for m in state.messages],
        proposals=[proposal_view(state, p) for p in state.proposals.values()],
        current_proposal=proposal_view(state, table) if table else None, scoreboard=rows,
        injects=[inject_view(i) for i in state.injects],
        available_injects=[InjectView(inject_id=i.id, title=i.title, text=i.text, round=i.at_round or 0)
                           for i in state.base.injects if i.id not in fired],
        outcome=outcome_view(state), facilitator_notes=state.base.facilitator_notes,
        learning_objectives=[o.text for o in state.base.learning_objectives],
    )


def party_name(state: ExerciseState, party: str) -> str:
    """A seat's display name (``Facilitator`` / ``System`` for those actors)."""
    return state.base.party_name(party)


def clock_view(state: ExerciseState) -> Clock:
    """Phase, round and whether the exercise is paused or over."""
    return Clock(phase=state.phase, round=state.round, total_rounds=state.total_rounds, paused=state.paused,
                 ended=state.ended, last_seq=state.last_seq, chair=state.chair)


def transcript_entry(state: ExerciseState, m: MessageRec) -> TranscriptEntry:
    """One message as the transcript shows it, with its citations."""
    return TranscriptEntry(
        seq=m.seq, ts=m.ts, round=m.round, phase=m.phase, speaker=m.speaker, speaker_name=party_name(state, m.speaker),
        channel=m.channel, recipients=list(m.recipients), text=m.text, move=m.move, proposal=m.proposal,
        citations=[CitationView(**{k: c.get(k, "") for k in ("n", "source", "title", "section", "text", "chunk_id")})
                   for c in m.citations],
        realizer=m.realizer,
        understood=m.understood,
    )


def proposal_view(state: ExerciseState, p: ProposalRec) -> ProposalView:
    """A proposal with its deal described issue by issue, its votes and status."""
    try:
        lines = state.scenario.describe_deal(p.deal)
    except KeyError:
        lines = [(k, v) for k, v in p.deal.items()]
    return ProposalView(id=p.id, round=p.round, proposer=p.proposer, deal=dict(p.deal), lines=lines,
                        number=p.number, votes=dict(p.votes), reasons=dict(p.reasons),
                        status=p.status, final=p.final)


def inject_view(i: InjectRec, for_you: str | None = None) -> InjectView:
    """A fired inject (``for_you``: what it changed in the viewing seat's brief)."""
    return InjectView(seq=i.seq, round=i.round, inject_id=i.inject_id, title=i.title, text=i.text,
                      fired_by=i.fired_by, for_you=for_you)


def seat_injects(state: ExerciseState, party: str) -> list[InjectView]:
    """The fired injects as one seat sees them: each says what it changed in that seat's own brief (its minimum
    before and after, or that its points for some options moved), so a change never passes unannounced. The
    changes are read off the scenario each inject left (:attr:`InjectRec.scenario`), not worked out again."""
    before = state.base.party(party)
    out = []
    for inject in state.injects:
        after = inject.scenario.party(party) if inject.scenario is not None else before
        notes = []
        if after.threshold != before.threshold:
            notes.append(f"your minimum is now {after.threshold:g} (it was {before.threshold:g})")
        if any(v != before.scores.get(i, {}).get(o, v) for i, row in after.scores.items() for o, v in row.items()):
            notes.append("your points for some options have changed (see your brief)")
        out.append(inject_view(inject, "For you: " + "; ".join(notes) + "." if notes else None))
        before = after
    return out


def outcome_view(state: ExerciseState, party: str | None = None) -> Outcome | None:
    """How the exercise ended (None while it runs).

    For a seat (``party``) the utilities hold only its own until the facilitator reveals them all
    (``revealed``, in the debrief); without ``party`` (the facilitator, reports) they hold every seat's.
    """
    if not state.ended or state.outcome is None:
        return None
    o = state.outcome
    utilities = {k: float(v) for k, v in (o.get("utilities") or {}).items()}
    if party is not None and not state.revealed:
        utilities = {k: v for k, v in utilities.items() if k == party}
    return Outcome(agreement=bool(o.get("agreement")), deal=o.get("deal"), proposal_id=o.get("proposal"),
                   round=int(o.get("round", 0)), reason=o.get("reason", ""), utilities=utilities,
                   revealed=state.revealed)


def _votable(state: ExerciseState) -> list[ProposalRec]:
    if state.ended:
        return []
    if state.phase == Phase.FINAL_VOTE:
        return [p for p in state.proposals.values() if p.final]
    if state.mode == "solo":
        return [state.current_proposal] if state.current_proposal else []
    if state.phase in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES):
        return state.live_proposals()  # this round's, and any carried over by the voting window
    return []
