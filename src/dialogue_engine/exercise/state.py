"""Exercise state as a pure fold of its events: phase, round, effective scenario, transcript, votes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from dialogue_engine.domain import Effect, Protocol, Scenario, apply_effects
from dialogue_engine.exercise.events import Event, EventKind
from dialogue_engine.exercise.views import Channel, Phase

_EFFECTS = TypeAdapter(list[Effect])


@dataclass
class MessageRec:
    """A message as recorded."""

    seq: int
    ts: str
    round: int
    phase: Phase
    speaker: str
    text: str
    channel: Channel = Channel.PUBLIC
    recipients: list[str] = field(default_factory=list)
    move: str | None = None
    proposal: dict[str, str] | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    realizer: str | None = None
    understood: dict[str, Any] | None = None

    def visible_to(self, party: str) -> bool:
        return self.channel == Channel.PUBLIC or party == self.speaker or party in self.recipients


@dataclass
class ProposalRec:
    """A proposal (its id is the seq of its event) and the votes on it.

    ``status`` is ``open``, ``passed``, ``failed`` (closed by the clock), ``closed`` (the exercise ended) or
    ``withdrawn`` (its proposer tabled a newer package that supersedes it). ``opened`` is the phase count
    (:attr:`ExerciseState.phase_no`) when it was tabled, for the voting window; ``reasons`` holds the
    one-line reason a seat gave with its vote, if any; ``number`` is its place in the order proposals were
    made (1, 2, ...), what the debrief charts print and the pages show beside its id.
    """

    id: int
    ts: str
    round: int
    proposer: str
    deal: dict[str, str]
    final: bool = False
    votes: dict[str, bool] = field(default_factory=dict)
    status: str = "open"
    opened: int = 0
    reasons: dict[str, str] = field(default_factory=dict)
    number: int = 0


@dataclass
class InjectRec:
    """An inject that fired."""

    seq: int
    round: int
    inject_id: str | None
    title: str
    text: str
    fired_by: str
    effects: list[dict[str, Any]] = field(default_factory=list)
    scenario: Scenario | None = None


@dataclass
class ExerciseState:
    """Everything derivable from the log. Build with :func:`fold`; treat as read-only."""

    exercise_id: str
    base: Scenario
    scenario: Scenario
    seed: int
    mode: str
    protocol: Protocol
    humans: dict[str, bool]
    total_rounds: int
    phase: Phase = Phase.SETUP
    round: int = 0
    paused: bool = False
    ended: bool = False
    outcome: dict[str, Any] | None = None
    joined: set[str] = field(default_factory=set)
    messages: list[MessageRec] = field(default_factory=list)
    proposals: dict[int, ProposalRec] = field(default_factory=dict)
    injects: list[InjectRec] = field(default_factory=list)
    acted: set[str] = field(default_factory=set)
    walked_out: set[str] = field(default_factory=set)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)
    below_threshold_votes: list[tuple[int, str]] = field(default_factory=list)
    last_seq: int = 0
    phase_no: int = 0
    endorsed: dict[str, tuple[int, int]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    forked_from: str | None = None
    forked_at: int | None = None
    revealed: bool = False
    chair: bool = False
    """Whether the chair seat tables a single negotiating text each round."""

    @property
    def party_ids(self) -> list[str]:
        return self.scenario.party_ids

    @property
    def ai_parties(self) -> list[str]:
        return [p for p in self.party_ids if not self.humans.get(p, False)]

    @property
    def active_parties(self) -> list[str]:
        return [p for p in self.party_ids if p not in self.walked_out]

    @property
    def fired_inject_ids(self) -> set[str]:
        return {i.inject_id for i in self.injects if i.inject_id}

    @property
    def current_proposal(self) -> ProposalRec | None:
        """The one on the table: the most recent proposal, or, once a proposal has passed, that one (seats may
        have tabled newer packages in the same phase before the pass was counted)."""
        if not self.proposals:
            return None
        agreed = (self.outcome or {}).get("proposal") if (self.outcome or {}).get("agreement") else None
        if agreed is not None and int(agreed) in self.proposals:
            return self.proposals[int(agreed)]
        return self.proposals[max(self.proposals)]

    def standing_offer(self, party: str) -> ProposalRec | None:
        """``party``'s latest open proposal (what a typed "we accept" takes, and what it need not table again)."""
        mine = [p for p in self.proposals.values() if p.proposer == party and p.status == "open" and not p.final]
        return max(mine, key=lambda p: p.id) if mine else None

    def live_proposals(self) -> list[ProposalRec]:
        """Proposals still open for votes (not final, not passed, failed, closed or withdrawn), oldest first."""
        return sorted((p for p in self.proposals.values() if p.status == "open" and not p.final), key=lambda p: p.id)

    def tabled_in_round(self, party: str, rnd: int | None = None) -> list[ProposalRec]:
        """Proposals ``party`` tabled in round ``rnd`` (default: the current one), whatever their status."""
        rnd = self.round if rnd is None else rnd
        return [p for p in self.proposals.values() if p.proposer == party and p.round == rnd and not p.final]

    def awaiting_humans(self, prop: ProposalRec) -> list[str]:
        """Human seats (still at the table, other than the proposer) that have not voted on ``prop``."""
        return [p for p in self.party_ids if self.humans.get(p, False) and p not in self.walked_out
                and p != prop.proposer and p not in prop.votes]

    def round_proposals(self, rnd: int | None = None) -> list[ProposalRec]:
        rnd = self.round if rnd is None else rnd
        return [p for p in self.proposals.values() if p.round == rnd and not p.final]

    def last_proposal_by(self, party: str) -> ProposalRec | None:
        own = [p for p in self.proposals.values() if p.proposer == party]
        return own[-1] if own else None

    def p1(self) -> str:
        """The lead party of the deliberation protocol (role p1, else the first party)."""
        for p in self.base.parties:
            if p.role == "p1":
                return p.id
        return self.base.parties[0].id

    def turn_order(self, rnd: int | None = None) -> list[str]:
        """Speaking order of a round: seeded shuffle; under deliberation p1 opens round 1 and closes the last."""
        rnd = self.round if rnd is None else rnd
        order = list(self.party_ids)
        random.Random(f"{self.seed}:{rnd}:order").shuffle(order)
        if self.protocol == Protocol.DELIBERATION:
            lead = self.p1()
            if rnd == 1:
                order = [lead] + [p for p in order if p != lead]
            if rnd == self.total_rounds:
                order = [p for p in order if p != lead] + [lead]
        return [p for p in order if p not in self.walked_out]

    def visible_messages(self, party: str) -> list[MessageRec]:
        return [m for m in self.messages if m.visible_to(party)]


def initial_state(ev: Event) -> ExerciseState:
    p = ev.payload
    base = Scenario.model_validate(p["scenario"])
    return ExerciseState(
        exercise_id=ev.exercise_id,
        base=base,
        scenario=base,
        seed=int(p.get("seed", 0)),
        mode=p.get("mode", "exercise"),
        protocol=Protocol(p.get("protocol", base.protocol.value)),
        humans={s["party"]: bool(s["human"]) for s in p["seats"]},
        total_rounds=int(p.get("rounds", base.rounds)),
        chair=bool(p.get("chair", base.chair)),
    )


def apply(state: ExerciseState, ev: Event, memo: dict | None = None) -> None:
    """Fold one event into ``state`` (in place); ``memo`` caches scenarios after injects by (id, seq)."""
    p = ev.payload
    k = ev.kind
    state.last_seq = ev.seq
    state.events.append(ev)
    if k == EventKind.SEAT_JOINED:
        state.joined.add(ev.actor)
    elif k in (EventKind.CODE_REISSUED, EventKind.CODE_REVOKED):
        state.joined.discard(p.get("party"))  # whoever holds the new code joins afresh
    elif k == EventKind.STARTED:
        state.phase = Phase.BRIEFING
        state.acted = set()
    elif k == EventKind.ROUND_STARTED:
        state.round = int(p["round"])
        state.phase = Phase.INJECTS
        state.acted = set()
        state.phase_no += 1
    elif k == EventKind.PHASE_CHANGED:
        state.phase = Phase(p["phase"])
        state.acted = set()
        state.phase_no += 1
    elif k == EventKind.INJECT_FIRED:
        rec = InjectRec(ev.seq, state.round, p.get("inject_id"), p["title"], p["text"], p.get("by", "schedule"),
                        list(p.get("effects", [])))
        state.injects.append(rec)
        if rec.effects:
            effects = _EFFECTS.validate_python(rec.effects)
            key = (ev.exercise_id, ev.seq, ev.ts)
            if memo is not None and key in memo:
                state.scenario = memo[key]
            else:
                state.scenario = apply_effects(state.scenario, effects)
                if memo is not None:
                    memo[key] = state.scenario
        rec.scenario = state.scenario
    elif k == EventKind.MESSAGE:
        state.messages.append(
            MessageRec(
                seq=ev.seq, ts=ev.ts, round=int(p.get("round", state.round)), phase=Phase(p.get("phase", state.phase.value)),
                speaker=ev.actor, text=p.get("text", ""), channel=Channel(p.get("channel", "public")),
                recipients=list(p.get("recipients", [])), move=p.get("move"), proposal=p.get("proposal"),
                citations=list(p.get("citations", [])), realizer=p.get("realizer"),
                understood=p.get("understood") if isinstance(p.get("understood"), dict) else None,
            )
        )
        _mark_turn(state, ev)
    elif k == EventKind.PROPOSAL:
        state.proposals[ev.seq] = ProposalRec(
            ev.seq, ev.ts, int(p.get("round", state.round)), p.get("proposer", ev.actor), dict(p["deal"]),
            bool(p.get("final", False)), opened=state.phase_no, number=len(state.proposals) + 1,
        )
        for old in p.get("supersedes") or []:  # the proposer's earlier packages it replaces
            prev = state.proposals.get(int(old))
            if prev is not None and prev.status == "open" and prev.proposer == ev.actor:
                prev.status = "withdrawn"
        _mark_turn(state, ev)
    elif k == EventKind.VOTE:
        prop = state.proposals.get(int(p["proposal"]))
        if prop is not None:
            accept = bool(p.get("accept", False))
            prop.votes[ev.actor] = accept
            if p.get("reason"):
                prop.reasons[ev.actor] = str(p["reason"])
            if p.get("endorsed") and accept:  # deliberation: p1 makes a live proposal its own
                state.endorsed[ev.actor] = (ev.seq, prop.id)
            if accept and ev.actor in state.scenario.party_ids and not state.humans.get(ev.actor, False):
                if not state.scenario.party(ev.actor).accepts(prop.deal):
                    state.below_threshold_votes.append((prop.id, ev.actor))
        _mark_turn(state, ev)
    elif k == EventKind.WALK_AWAY:
        state.walked_out.add(ev.actor)
        _mark_turn(state, ev)
    elif k == EventKind.PAUSED:
        state.paused = True
    elif k == EventKind.RESUMED:
        state.paused = False
    elif k == EventKind.EXTENDED:
        state.total_rounds += int(p.get("rounds", 1))
    elif k == EventKind.ENDED:
        state.ended = True
        state.phase = Phase.DEBRIEF
        state.outcome = dict(p)
        pid = p.get("proposal")
        for prop in state.proposals.values():
            if prop.status == "open":
                prop.status = "passed" if prop.id == pid and p.get("agreement") else "closed"
    elif k == EventKind.TURN_SKIPPED:
        state.acted.add(ev.actor)
    elif k == EventKind.AGENT_FALLBACK:
        state.fallbacks.append({"party": ev.actor, **p})
    elif k == EventKind.REVEALED:
        state.revealed = True
    elif k == EventKind.CHAIR_SET:
        state.chair = bool(p["on"])
    elif k == EventKind.FORKED:
        state.forked_from, state.forked_at = str(p["source"]), int(p["at"])
        if p.get("seed") is not None:
            state.seed = int(p["seed"])  # what follows the fork plays under the new seed
        state.joined = set()  # the fork's seats have new codes: whoever holds them joins afresh
    if p.get("closed") and k in (EventKind.PHASE_CHANGED, EventKind.ROUND_STARTED):
        for pid in p["closed"]:
            if pid in state.proposals and state.proposals[pid].status == "open":
                state.proposals[pid].status = "failed"


def _mark_turn(state: ExerciseState, ev: Event) -> None:
    if ev.payload.get("turn"):
        state.acted.add(ev.actor)


def fold(events: list[Event], memo: dict | None = None) -> ExerciseState:
    """The state after ``events`` (the first must be ``created``).

    Raises:
        ValueError: when the log does not start with a ``created`` event.
    """
    if not events or events[0].kind != EventKind.CREATED:
        raise ValueError("an exercise log must start with a 'created' event")
    state = initial_state(events[0])
    state.last_seq = events[0].seq
    state.events.append(events[0])
    for ev in events[1:]:
        apply(state, ev, memo)
    return state
