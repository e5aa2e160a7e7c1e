"""The exercise state machine: AI turns for the current phase and the transitions between phases.

Everything here is pure with respect to storage: functions read an :class:`ExerciseState` and return the
events to append. Agents are rebuilt for every turn from the log (seeded by exercise seed, party, round and
phase), so an exercise resumed after a restart plays exactly as an uninterrupted one.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import inspect
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from dialogue_engine.agents.reasons import vote_reason
from dialogue_engine.agents.streaming import OnText, show
from dialogue_engine.agents.types import MoveKind, Observation, ObservationKind, Reply, TurnContext
from dialogue_engine.domain import Protocol, TriggerKind, apply_effects
from dialogue_engine.exercise.events import FACILITATOR, SYSTEM, EventKind, NewEvent
from dialogue_engine.exercise.state import ExerciseState, MessageRec, ProposalRec
from dialogue_engine.exercise.chairing import chair_events
from dialogue_engine.exercise.views import Channel, Phase
from dialogue_engine.negotiation.space import DealSpace, passes_rule

logger = logging.getLogger(__name__)

AgentFactory = Callable[..., Any]


@dataclass(frozen=True)
class Seating:
    """How AI seats are played: the agent factory, persona lookup, retriever and realizer."""

    factory: AgentFactory
    persona_for: Callable[[str], Any]
    retriever: Any = None
    realizer: Any = None


def round_phases(protocol: Protocol) -> list[Phase]:
    """The phases of one round under a protocol (after the instantaneous injects phase)."""
    if protocol == Protocol.DELIBERATION:
        return [Phase.PROPOSALS]
    return [Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES]


def agent_seed(seed: int, party: str, rnd: int, phase: str) -> int:
    digest = hashlib.sha256(f"{seed}|{party}|{rnd}|{phase}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


# ---------------------------------------------------------------- agents


def observation_stream(state: ExerciseState, party: str, after: int = 0) -> list[tuple[int, str, Any]]:
    """What ``party`` perceives after seq ``after``, in log order.

    Items are ``(seq, "obs", Observation)``, ``(seq, "scenario", Scenario)`` when an inject changed the
    scenario, and ``(seq, "shift", (other, trust_delta, commonality_delta))`` for relationship effects.
    """
    out: list[tuple[int, str, Any]] = []
    rnd = 0
    injects = {i.seq: i for i in state.injects}
    for ev in state.events:
        p = ev.payload
        if ev.kind == EventKind.ROUND_STARTED:
            rnd = int(p["round"])
        if ev.seq <= after:
            continue
        if ev.kind == EventKind.INJECT_FIRED:
            out.append((ev.seq, "obs", Observation(round=rnd, speaker=ev.actor, kind=ObservationKind.INJECT,
                                                   text=f"{p['title']}: {p['text']}")))
            rec = injects.get(ev.seq)
            if rec is not None and rec.effects:
                out.append((ev.seq, "scenario", rec.scenario))
                for eff in rec.effects:
                    if eff.get("kind") == "change_relationship" and eff.get("party") == party:
                        out.append((ev.seq, "shift", (eff["other"], float(eff.get("trust_delta", 0.0)),
                                                      float(eff.get("commonality_delta", 0.0)))))
            continue
        if ev.actor == party:
            if ev.kind == EventKind.VOTE and p.get("endorsed"):
                continue  # its message already carried the package as its own
            if ev.kind == EventKind.VOTE and p.get("accept") and not p.get("abstain"):
                prop = state.proposals.get(int(p["proposal"]))
                if prop is not None:  # what it already said it supports
                    out.append((ev.seq, "obs", Observation(round=rnd, speaker=party, kind=ObservationKind.ACCEPT,
                                                           proposal=prop.deal)))
                continue
            own = p.get("proposal") if ev.kind == EventKind.MESSAGE else p.get("deal") if ev.kind == EventKind.PROPOSAL else None
            if ev.kind == EventKind.MESSAGE or (own and not p.get("final")):  # its own words and standing offer
                out.append((ev.seq, "obs", Observation(round=rnd, speaker=party, kind=ObservationKind.PROPOSAL if own
                                                       else ObservationKind.MESSAGE, text=p.get("text"),
                                                       proposal=own if own and not p.get("final") else None)))
            continue
        if ev.kind == EventKind.MESSAGE:
            recips = p.get("recipients") or []
            if p.get("channel") == "private" and party not in recips:
                continue
            kind = {
                "propose": ObservationKind.PROPOSAL,
                "counter": ObservationKind.PROPOSAL,
                "accept": ObservationKind.ACCEPT,
                "reject": ObservationKind.REJECT,
                "walk_away": ObservationKind.WALK_AWAY,
            }.get(p.get("move") or "", ObservationKind.MESSAGE)
            to = recips[0] if recips else None
            out.append((ev.seq, "obs", Observation(round=rnd, speaker=ev.actor, kind=kind, text=p.get("text"),
                                                   proposal=p.get("proposal"), to=to)))
        elif ev.kind == EventKind.PROPOSAL and not p.get("with_message") and not p.get("final"):
            out.append((ev.seq, "obs", Observation(round=rnd, speaker=ev.actor, kind=ObservationKind.PROPOSAL, text=p.get("text"),
                                                   proposal=p["deal"])))
        elif ev.kind == EventKind.VOTE and not p.get("with_message") and not p.get("abstain"):
            prop = state.proposals.get(int(p["proposal"]))
            kind = ObservationKind.ACCEPT if p.get("accept") else ObservationKind.REJECT
            out.append((ev.seq, "obs", Observation(round=rnd, speaker=ev.actor, kind=kind, proposal=prop.deal if prop else None,
                                                   minimum=p.get("support") == "minimum",
                                                   blocking=p.get("issue") if not p.get("accept") else None)))
        elif ev.kind == EventKind.WALK_AWAY:
            out.append((ev.seq, "obs", Observation(round=rnd, speaker=ev.actor, kind=ObservationKind.WALK_AWAY, text=p.get("text"))))
    return out


def observations_for(state: ExerciseState, party: str) -> list[Observation]:
    """The observations ``party`` has perceived so far."""
    return [x for _, kind, x in observation_stream(state, party) if kind == "obs"]


class AgentCache:
    """Per-process cache of observe-only agents, one per (exercise, party), advanced along the log.

    A turn is played by a deep copy of the cached agent, so the cached one never acts: its state depends
    only on the log, and an agent rebuilt after a restart is identical to one kept in memory.
    """

    def __init__(self) -> None:
        self._agents: dict[tuple[str, str], tuple[Any, int]] = {}
        self._lock = threading.Lock()

    def base(self, state: ExerciseState, party: str, seating: Seating) -> Any:
        key = (state.exercise_id, party)
        with self._lock:
            found = self._agents.get(key)
        if found is None or found[1] > state.last_seq:
            persona = seating.persona_for(state.base.party(party))
            agent = seating.factory(persona, state.base, party, retriever=seating.retriever,
                                    realizer=seating.realizer, seed=agent_seed(state.seed, party, 0, "agent"))
            after = 0
        else:
            agent, after = found
        for _, kind, item in observation_stream(state, party, after):
            if kind == "obs":
                agent.observe(item)
            elif kind == "scenario":
                agent.update_scenario(item)
            else:
                agent.shift_relationship(*item)
        with self._lock:
            self._agents[key] = (agent, state.last_seq)
        return agent

    def forget(self, exercise_id: str) -> None:
        with self._lock:
            for key in [k for k in self._agents if k[0] == exercise_id]:
                del self._agents[key]


class _TurnRealizer:
    """Passes the seat's turn number (counted in the log) to the wrapped realizer."""

    def __init__(self, inner: Any, turn: int):
        self.inner = inner
        self.turn = turn

    async def realize(self, request):
        return await self.inner.realize(dataclasses.replace(request, turn=self.turn))

    @property
    def guarded_stream(self) -> bool:
        """Whether the wrapped realizer streams guarded sentences (see ``ResilientRealizer.guarded_stream``)."""
        return bool(getattr(self.inner, "guarded_stream", False))

    async def stream_realize(self, request, on_text=None):
        return await self.inner.stream_realize(dataclasses.replace(request, turn=self.turn), on_text)


def build_agent(state: ExerciseState, party: str, seating: Seating, cache: AgentCache | None = None) -> Any:
    """An agent for one turn of ``party``: a copy of its observe-only agent (which has perceived the log)."""
    cache = cache or AgentCache()
    base = cache.base(state, party, seating)
    keep = {id(x): x for x in (seating.retriever, seating.realizer, state.base, state.scenario,
                               getattr(base, "persona", None), getattr(base, "scenario", None)) if x is not None}
    agent = copy.deepcopy(base, memo=dict(keep))
    if getattr(agent, "realizer", None) is not None:
        turns = sum(1 for m in state.messages if m.speaker == party and m.move)
        agent.realizer = _TurnRealizer(agent.realizer, turns)
    return agent


def _incoming(state: ExerciseState, party: str) -> Observation | None:
    obs = [o for o in observations_for(state, party) if o.kind != ObservationKind.INJECT and o.speaker != party]
    return obs[-1] if obs else None


def addressed_to(state: ExerciseState, party: str, names: set[str] = frozenset()) -> MessageRec | None:
    """The latest message another seat addressed to ``party`` since ``party`` last spoke, if any.

    A message is addressed to a seat when it is private to it, names it (its id, seat name or persona
    names in ``names``), or asks the whole table a question without naming another seat.
    """
    last_own = max((m.seq for m in state.messages if m.speaker == party), default=0)
    own, others = _names(state, party, names)
    two_seats = len(state.party_ids) == 2
    for m in reversed(state.messages):
        if m.seq <= last_own:
            break
        if m.speaker in (party, SYSTEM, FACILITATOR):
            continue
        if two_seats:  # with one other seat at the table, everything it says is said to you
            return m
        if m.channel == Channel.PRIVATE:
            if party in m.recipients:
                return m
            continue
        if _names_any(m.text, own):
            return m
        if "?" in m.text and not _names_any(m.text, others - own):
            return m
    return None


def _names(state: ExerciseState, party: str, names: set[str] = frozenset()) -> tuple[set[str], set[str]]:
    """(ways to name ``party``, ways to name every other seat), lower-case."""
    def forms(pid: str, extra: tuple[str, ...] = ()) -> set[str]:
        p = state.base.party(pid)
        raw = {pid, pid.replace("-", " "), p.name, re.sub(r"\s*\(.*?\)", "", p.name or ""), *extra}
        return {n.lower().strip() for n in raw if n and len(n.strip()) > 2}

    own = forms(party, tuple(n for n in names if n))
    others = set().union(*(forms(p.id) for p in state.base.parties if p.id != party)) if len(state.base.parties) > 1 \
        else set()
    return own, others


def _names_any(text: str, names: set[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", low) for n in names)


def speaks_to_another(state: ExerciseState, party: str, text: str, names: set[str] = frozenset()) -> bool:
    """Whether a public line names another seat and not ``party`` (so ``party`` should not answer it)."""
    own, others = _names(state, party, names)
    return _names_any(text, others - own) and not _names_any(text, own)


def reply_events(state: ExerciseState, party: str, reply: Reply, on_table: ProposalRec | None,
                 answering: MessageRec | None = None, persona: Any = None) -> list[NewEvent]:
    """Log events for an AI reply: the message, plus any proposal, vote or walk-out it carries.

    A reply to a private message stays private to its sender; everything else is said to the table. Table
    discipline (:func:`_table_events`): at most one proposal per AI seat per round, no duplicate of a live
    package, a new proposal withdraws the seat's earlier ones; every vote carries a one-line reason.
    """
    seating_persona = persona
    move = reply.move
    private = answering is not None and answering.channel == Channel.PRIVATE
    payload: dict[str, Any] = {
        "text": reply.message, "channel": "private" if private else "public",
        "recipients": [answering.speaker] if private else [], "round": state.round,
        "phase": state.phase.value, "move": move.value, "proposal": reply.proposal, "turn": True,
        "citations": [c.to_dict() for c in reply.citations], "realizer": reply.realizer,
    }
    if reply.understood is not None:
        payload["understood"] = reply.understood.to_json()
    out = [NewEvent(EventKind.MESSAGE, party, payload)]
    if reply.fallback_reason:
        out.append(NewEvent(EventKind.AGENT_FALLBACK, party, {"reason": reply.fallback_reason, "round": state.round}))
    standing = state.standing_offer(party)
    repeats = standing is not None and standing.deal == reply.proposal
    voted: set[int] = set()
    if move in (MoveKind.PROPOSE, MoveKind.COUNTER) and reply.proposal and not repeats:
        out += _table_events(state, party, reply.proposal, seating_persona)
    elif move == MoveKind.ACCEPT and reply.proposal and state.protocol == Protocol.DELIBERATION \
            and party == state.p1():
        # under deliberation p1's turn always leaves a proposal: accepting one makes it p1's own (an
        # endorsement of the live proposal, or its own proposal when none is live)
        live = _live_same(state, party, reply.proposal)
        if live is not None and party not in live.votes:  # (a seat votes once: one it already backed is retabled)
            out.append(NewEvent(EventKind.VOTE, party, {
                "proposal": live.id, "accept": True, "round": state.round, "with_message": True,
                "endorsed": True, "reason": _reason(state, party, live.deal, True, seating_persona)}))
        else:
            out.append(NewEvent(EventKind.PROPOSAL, party, {"deal": dict(reply.proposal), "round": state.round,
                                                             "with_message": True, "endorsed": True,
                                                             "supersedes": _own_live(state, party)}))
    elif move in (MoveKind.ACCEPT, MoveKind.REJECT):
        target = _accepted_proposal(state, reply.proposal, on_table)
        if target is not None and party not in target.votes and target.proposer != party:
            accept = move == MoveKind.ACCEPT
            out.append(NewEvent(EventKind.VOTE, party, {"proposal": target.id, "accept": accept,
                                                         "round": state.round, "with_message": True,
                                                         "reason": _reason(state, party, target.deal, accept,
                                                                           seating_persona)}))
    elif move == MoveKind.WALK_AWAY:
        out.append(NewEvent(EventKind.WALK_AWAY, party, {"round": state.round, "text": reply.message}))
    voted |= {e.payload["proposal"] for e in out if e.kind == EventKind.VOTE}
    signals = [(deal, True, "gain", None) for deal in reply.supports]
    signals += [(deal, True, "minimum", None) for deal in reply.tolerates]
    signals += [(d.deal, False, "below", d.issue) for d in reply.declines]
    for deal, accept, level, issue in signals:
        target = _supported_proposal(state, party, deal)
        if target is not None and target.id not in voted:
            voted.add(target.id)
            vote = {"proposal": target.id, "accept": accept, "round": state.round, "support": level,
                    "reason": _reason(state, party, target.deal, accept, seating_persona, minimum=level == "minimum")}
            if issue is not None:
                vote["issue"] = issue
            out.append(NewEvent(EventKind.VOTE, party, vote))
    return out


def _reason(state: ExerciseState, party: str, deal: dict[str, str], accept: bool, persona: Any = None, *,
            minimum: bool = False) -> str:
    """The one-line public reason for ``party``'s vote on ``deal`` (no private numbers)."""
    turn = sum(1 for p in state.proposals.values() if party in p.votes)
    try:
        return vote_reason(state.scenario, party, deal, accept, persona=persona, minimum=minimum, turn=turn)
    except KeyError:
        return "yes: this package meets what we need" if accept else "no: this package leaves us short"


def _own_live(state: ExerciseState, party: str) -> list[int]:
    """Ids of ``party``'s live proposals (a new one supersedes them)."""
    return [p.id for p in state.live_proposals() if p.proposer == party]


def _live_same(state: ExerciseState, party: str, deal: dict[str, str]) -> ProposalRec | None:
    """The earliest live proposal of ``deal`` by another seat, if any."""
    return next((p for p in state.live_proposals() if p.deal == deal and p.proposer != party), None)


def _table_events(state: ExerciseState, party: str, deal: dict[str, str], persona: Any = None) -> list[NewEvent]:
    """Table discipline for an AI seat that puts ``deal`` forward.

    A package already live on the table (tabled by another seat) is supported, not tabled again; a seat that
    has tabled a package this round tables no other until the next round; otherwise the new proposal
    supersedes the seat's own live ones (they are withdrawn).
    """
    same = _live_same(state, party, deal)
    if same is not None:
        if party in same.votes:
            return []
        return [NewEvent(EventKind.VOTE, party, {"proposal": same.id, "accept": True, "round": state.round,
                                                 "support": "gain", "reason": _reason(state, party, same.deal,
                                                                                      True, persona)})]
    if state.tabled_in_round(party):
        logger.debug("%s already tabled a package in round %s; not tabling another", party, state.round)
        return []
    return [NewEvent(EventKind.PROPOSAL, party, {"deal": dict(deal), "round": state.round, "with_message": True,
                                                 "supersedes": _own_live(state, party)})]


def _supported_proposal(state: ExerciseState, party: str, deal: dict[str, str]) -> ProposalRec | None:
    """The latest open (or withdrawn: the package still stands) proposal of ``deal`` by another seat that
    ``party`` has not voted on."""
    same = [p for p in state.proposals.values() if p.deal == deal and not p.final
            and p.status in ("open", "withdrawn") and p.proposer != party and party not in p.votes]
    return same[-1] if same else None


def _accepted_proposal(state: ExerciseState, deal: dict[str, str] | None,
                       on_table: ProposalRec | None) -> ProposalRec | None:
    """The proposal a reply accepts or rejects: the earliest live one matching its deal, else the latest one
    matching it, else the one on the table."""
    if deal:
        live = [p for p in state.live_proposals() if p.deal == deal]
        if live:
            return live[0]
        same = [p for p in state.proposals.values() if p.deal == deal and not p.final]
        return same[-1] if same else None
    return on_table


async def _respond(state: ExerciseState, party: str, seating: Seating,
                   cache: AgentCache | None, on_text: OnText | None = None) -> tuple[Reply, MessageRec | None]:
    agent = build_agent(state, party, seating, cache)
    table = state.current_proposal
    persona = getattr(agent, "persona", None)
    names = {state.base.party(party).name, *((persona.name, persona.short_name, persona.id) if persona else ())}
    answering = addressed_to(state, party, names)
    incoming = _incoming(state, party)
    if incoming is not None and incoming.text and speaks_to_another(state, party, incoming.text, names):
        incoming = None  # that line was for another seat: speak to the table instead
    if answering is not None:
        incoming = Observation(round=answering.round, speaker=answering.speaker, kind=ObservationKind.PROPOSAL
                               if answering.proposal else ObservationKind.MESSAGE, text=answering.text,
                               proposal=answering.proposal, to=party)
    elif incoming is not None and incoming.to:
        incoming = None  # a private line already answered in private is never the subject of a public turn
    elif incoming is not None:
        incoming = dataclasses.replace(incoming, to="")  # heard and weighed, but not addressed to this seat
    final_word = (state.protocol == Protocol.DELIBERATION and party == state.p1()
                  and state.round >= state.total_rounds)
    ctx = TurnContext(
        round=state.round, total_rounds=state.total_rounds, phase=state.phase.value,
        on_table=dict(table.deal) if table else None, incoming=incoming, final_word=final_word,
        may_table=not state.tabled_in_round(party),
        live=tuple(dict(p.deal) for p in state.live_proposals() if p.proposer != party),
    )
    return await _agent_reply(agent, ctx, on_text), answering


async def _agent_reply(agent: Any, ctx: TurnContext, on_text: OnText | None) -> Reply:
    """The agent's reply; its words go to ``on_text`` as it streams them, or once when it cannot stream."""
    if on_text is None:
        return await agent.respond(ctx)
    if "on_text" in inspect.signature(agent.respond).parameters:
        return await agent.respond(ctx, on_text=on_text)
    reply = await agent.respond(ctx)
    show(on_text, reply.message)
    return reply


def pending_ai(state: ExerciseState) -> list[str]:
    """AI seats that still owe a turn in the current phase (in speaking order)."""
    if state.ended or state.paused or state.phase not in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES,
                                                          Phase.FINAL_VOTE):
        return []
    order = state.turn_order()
    return [p for p in order if not state.humans.get(p) and p not in state.acted]


def next_turns(state: ExerciseState) -> list[str]:
    """AI seats to play now: all pending ones (free rounds, concurrently) or the next in order (deliberation).

    Under the deliberation protocol the turn passes in the seeded order; an AI seat waits while a human seat
    before it has not spoken (the facilitator's *advance* skips them).
    """
    if state.protocol != Protocol.DELIBERATION or state.phase != Phase.PROPOSALS:
        return pending_ai(state)
    if state.ended or state.paused:
        return []
    for party in state.turn_order():
        if party in state.acted:
            continue
        return [] if state.humans.get(party) else [party]
    return []


def blocking_human(state: ExerciseState) -> str | None:
    """Under deliberation, the human seat whose turn holds up the AI seats after it (advance skips it)."""
    if state.protocol != Protocol.DELIBERATION or state.phase != Phase.PROPOSALS or state.ended:
        return None
    order = [p for p in state.turn_order() if p not in state.acted]
    if order and state.humans.get(order[0]) and any(not state.humans.get(p) for p in order[1:]):
        return order[0]
    return None


def vote_events(state: ExerciseState, party: str, seating: Seating, cache: AgentCache | None = None) -> list[NewEvent]:
    """An AI seat's votes on every open proposal it has not voted on (responses / final vote)."""
    if state.phase == Phase.FINAL_VOTE:
        targets = [p for p in state.proposals.values() if p.final]
    else:
        targets = state.live_proposals()
    agent = None
    out = []
    for prop in targets:
        if party in prop.votes:
            continue
        agent = agent or (cache or AgentCache()).base(state, party, seating)
        accept = _vote(agent, prop.deal, state) and party not in state.walked_out
        out.append(NewEvent(EventKind.VOTE, party, {"proposal": prop.id, "accept": accept, "round": state.round,
                                                     "turn": True, "reason": _reason(
                                                         state, party, prop.deal, accept,
                                                         getattr(agent, "persona", None))}))
    if not out:
        out.append(NewEvent(EventKind.VOTE, party, {"proposal": 0, "accept": False, "round": state.round,
                                                     "turn": True, "abstain": True}))
    return out


def _vote(agent: Any, deal: dict[str, str], state: ExerciseState) -> bool:
    return bool(agent.vote(deal, round_=state.round, total_rounds=state.total_rounds))


async def ai_turns(state: ExerciseState, seating: Seating, parties: list[str],
                   cache: AgentCache | None = None, *, on_text: OnText | None = None) -> list[NewEvent]:
    """Events for ``parties``' turns in the current phase, all computed from the same state (concurrently).

    ``on_text`` receives the words of the replies as they become safe to show (see
    :meth:`~dialogue_engine.agents.agent.PersonaAgent.respond`); it is meant for a single party (solo mode).
    """
    cache = cache or AgentCache()
    if state.phase in (Phase.RESPONSES, Phase.FINAL_VOTE):
        return [e for p in parties for e in vote_events(state, p, seating, cache)]
    table = state.current_proposal
    replies = await asyncio.gather(*(_respond(state, p, seating, cache, on_text) for p in parties))
    events = [e for p, (r, answering) in zip(parties, replies)
              for e in reply_events(state, p, r, table, answering, _persona(state, p, seating))]
    return _first_of_each_package(events)


def _first_of_each_package(events: list[NewEvent]) -> list[NewEvent]:
    """Seats acting together from one state may table the same package: only the first tables it (the others
    said it in their message and vote on it when votes are due)."""
    seen: set[tuple[tuple[str, str], ...]] = set()
    out = []
    for ev in events:
        if ev.kind == EventKind.PROPOSAL:
            key = tuple(sorted(ev.payload["deal"].items()))
            if key in seen:
                continue
            seen.add(key)
        out.append(ev)
    return out


def _persona(state: ExerciseState, party: str, seating: Seating) -> Any:
    """The persona playing ``party`` (None when it cannot be looked up: reasons then use the plain register)."""
    try:
        return seating.persona_for(state.base.party(party))
    except Exception:  # noqa: BLE001 - a reason's wording never stops a turn
        return None


# ---------------------------------------------------------------- transitions


def _votes_accept(state: ExerciseState, prop: ProposalRec) -> np.ndarray:
    space_parties = state.party_ids
    return np.array([[bool(prop.votes.get(p, False)) and p not in state.walked_out for p in space_parties]])


def proposal_passes(state: ExerciseState, prop: ProposalRec) -> bool:
    """The scenario's rule applied to the votes cast on ``prop`` (missing votes count as no)."""
    return bool(passes_rule(state.scenario, _votes_accept(state, prop))[0])


def _utilities(state: ExerciseState, deal: dict[str, str]) -> dict[str, float]:
    try:
        return DealSpace.from_scenario(state.scenario).utilities_of(deal)
    except KeyError:
        return {}


def ended_event(state: ExerciseState, prop: ProposalRec | None, reason: str, actor: str = SYSTEM) -> NewEvent:
    if prop is not None:
        return NewEvent(EventKind.ENDED, actor, {
            "agreement": True, "deal": dict(prop.deal), "proposal": prop.id, "round": state.round,
            "reason": reason, "utilities": _utilities(state, prop.deal),
        })
    return NewEvent(EventKind.ENDED, actor, {"agreement": False, "deal": None, "proposal": None,
                                              "round": state.round, "reason": reason, "utilities": {}})


def _trigger_holds(state: ExerciseState, inject, rnd: int, final: bool) -> bool:
    trig = inject.trigger
    if trig is None:
        return True
    if trig.kind == TriggerKind.NO_AGREEMENT_BY:
        return trig.round is not None and (rnd > trig.round or (final and rnd >= trig.round))
    if trig.kind == TriggerKind.OPTION_PROPOSED:
        return any(trig.option in p.deal.values() for p in state.proposals.values())
    if trig.kind == TriggerKind.PARTY_WALKED_OUT:
        return (trig.party in state.walked_out) if trig.party else bool(state.walked_out)
    return False


def due_injects(state: ExerciseState, rnd: int, *, final: bool = False) -> list[NewEvent]:
    """Scheduled and condition-triggered injects that should fire at round ``rnd`` (once each)."""
    out = []
    fired = state.fired_inject_ids
    scenario = state.scenario
    for inj in state.base.injects:
        if inj.id in fired:
            continue
        scheduled = inj.at_round is None or rnd >= inj.at_round
        if inj.at_round is None and final is False and inj.trigger is None:
            scheduled = False
        if scheduled and _trigger_holds(state, inj, rnd, final):
            try:  # injects that validate alone can together leave an inconsistent scenario: skip the one that breaks it
                scenario = apply_effects(scenario, list(inj.effects)) if inj.effects else scenario
            except ValueError as err:
                logger.warning("inject %s not fired: with the injects before it the scenario is inconsistent (%s)",
                               inj.id, type(err).__name__)
                continue
            out.append(inject_event(inj, rnd, "schedule" if inj.trigger is None else "trigger"))
    return out


def inject_event(inj, rnd: int, by: str, actor: str = SYSTEM) -> NewEvent:
    return NewEvent(EventKind.INJECT_FIRED, actor, {
        "inject_id": inj.id, "title": inj.title, "text": inj.text, "round": rnd, "by": by,
        "effects": [e.model_dump(mode="json") for e in inj.effects],
    })


def _start_round(state: ExerciseState, rnd: int) -> list[NewEvent]:
    evs = [NewEvent(EventKind.ROUND_STARTED, SYSTEM, {"round": rnd})]
    evs += due_injects(state, rnd)
    evs.append(NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": round_phases(state.protocol)[0].value,
                                                          "round": rnd}))
    return evs + chair_events(state, rnd)


def final_proposal(state: ExerciseState) -> ProposalRec | None:
    """What the final vote is on: p1's last proposal (deliberation) or the latest one (free)."""
    if state.protocol == Protocol.DELIBERATION:
        own = state.last_proposal_by(state.p1())
        endorsed = state.endorsed.get(state.p1())
        if endorsed is not None and (own is None or endorsed[0] > own.id):
            return state.proposals[endorsed[1]]
        if own is not None:
            return own
    return state.current_proposal


def _final_proposer(state: ExerciseState, prop: ProposalRec) -> str:
    """Who puts the final package to the vote: p1 for a package it endorsed under deliberation."""
    endorsed = state.endorsed.get(state.p1())
    if state.protocol == Protocol.DELIBERATION and endorsed is not None and endorsed[1] == prop.id:
        return state.p1()
    return prop.proposer


def in_voting_window(state: ExerciseState, prop: ProposalRec) -> bool:
    """Whether ``prop`` must stay open past this phase: tabled in it, and a human seat has not voted yet."""
    return prop.opened == state.phase_no and bool(state.awaiting_humans(prop))


def _to_final_vote(state: ExerciseState, closed: list[int]) -> list[NewEvent]:
    evs = due_injects(state, state.round, final=True)
    prop = final_proposal(state)
    if prop is None:
        return evs + [NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": Phase.FINAL_VOTE.value,
                                                                 "round": state.round, "closed": closed}),
                      ended_event(state, None, "no proposal was made")]
    return evs + [
        NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": Phase.FINAL_VOTE.value, "round": state.round,
                                                   "closed": closed}),
        NewEvent(EventKind.PROPOSAL, SYSTEM, {"deal": dict(prop.deal), "round": state.round, "final": True,
                                              "based_on": prop.id, "proposer": _final_proposer(state, prop)}),
    ]


def transition(state: ExerciseState) -> list[NewEvent]:
    """Close the current phase and open the next (the facilitator's *advance*)."""
    if state.ended:
        return []
    phases = round_phases(state.protocol)
    if state.phase == Phase.SETUP:
        return [NewEvent(EventKind.STARTED, SYSTEM, {})]
    if state.phase == Phase.BRIEFING:
        return _start_round(state, 1)
    if state.phase == Phase.INJECTS:
        return [NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": phases[0].value, "round": state.round})]
    if state.phase == Phase.FINAL_VOTE:
        prop = next((p for p in state.proposals.values() if p.final), None)
        if prop is not None and proposal_passes(state, prop):
            return [ended_event(state, prop, "final vote passed")]
        return [ended_event(state, None, "final vote failed")]
    closed: list[int] = []
    if state.phase == Phase.RESPONSES:
        live = state.live_proposals()
        for prop in live:
            if proposal_passes(state, prop):
                return [ended_event(state, prop, f"proposal #{prop.id} passed in round {state.round}")]
        closed = [p.id for p in live if not in_voting_window(state, p)]
    if len(state.active_parties) < 2 or not passes_rule(
        state.scenario, np.array([[p not in state.walked_out for p in state.party_ids]])
    )[0]:
        return [ended_event(state, None, "too many parties walked away for any deal to pass")]
    idx = phases.index(state.phase)
    if idx + 1 < len(phases):
        return [NewEvent(EventKind.PHASE_CHANGED, SYSTEM, {"phase": phases[idx + 1].value, "round": state.round,
                                                           "closed": closed})]
    if state.round < state.total_rounds:
        evs = _start_round(state, state.round + 1)
        if closed:
            evs[0] = NewEvent(EventKind.ROUND_STARTED, SYSTEM, {"round": state.round + 1, "closed": closed})
        return evs
    return _to_final_vote(state, closed)
