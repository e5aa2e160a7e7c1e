"""``ExerciseService``: the one entry point the app, the CLI and headless runs use.

Every method reads the exercise's log from the database, folds it into state, acts, and appends events, so
several app processes (and browsers) share one exercise consistently and a restarted process resumes
exactly where the log ends. Join codes (``secrets.token_urlsafe``) identify a seat or the facilitator.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any, Iterable

from dialogue_engine.domain import AgreementRule, Protocol, RuleKind, Scenario, load_scenario
from dialogue_engine.errors import QDError
from dialogue_engine.exercise import runner
from dialogue_engine.exercise.events import FACILITATOR, Event, EventKind, NewEvent, utc_now
from dialogue_engine.exercise.state import ExerciseState, MessageRec, ProposalRec, fold
from dialogue_engine.exercise.store import EventStore, ExerciseRecord, SeqConflict
from dialogue_engine.exercise.views import (
    Brief,
    Channel,
    CitationView,
    Clock,
    ExerciseInfo,
    FacilitatorView,
    InjectView,
    Outcome,
    Phase,
    ProposalView,
    ScoreRow,
    Seat,
    SeatInfo,
    SeatView,
    TranscriptEntry,
)
from dialogue_engine.negotiation.space import DealSpace

logger = logging.getLogger(__name__)

MAX_STEP_RETRIES = 200


class ExerciseError(QDError):
    """An exercise action was not possible (unknown code, wrong phase, invalid deal ...)."""


def default_agent_factory():
    """The settings' agent class: ``PersonaAgent``, or the LLM-deciding agent under ``QD_LLM_DECIDES``."""
    from dialogue_engine.agents.factory import agent_factory

    return agent_factory()


class ExerciseService:
    """Create, join, play, facilitate, export and import exercises.

    Args:
        store: an :class:`EventStore`; default one at ``database_url`` (or the settings' database).
        agent_factory: builds an AI seat: ``factory(persona, scenario, party_id, *, retriever, realizer,
            seed)``; default :class:`PersonaAgent`.
        retriever: passed to every agent (a ``KnowledgeBase`` or None for no citations).
        realizer: passed to every agent (None: the agent's default, the built-in realizer).
    """

    def __init__(self, store: EventStore | None = None, *, database_url: str | None = None,
                 agent_factory=None, retriever=None, realizer=None):
        self.store = store or EventStore(database_url)
        factory = agent_factory or default_agent_factory()
        self._personas: dict[str, Any] = {}
        self.seating = runner.Seating(factory=factory, persona_for=self._persona, retriever=retriever,
                                      realizer=realizer)
        self.agents = runner.AgentCache()
        self._logs: dict[str, list[Event]] = {}
        self._scenarios: dict = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ setup

    def create(self, scenario: Scenario | str | Path, human_seats: Iterable[str] = (), seed: int = 0, *,
               rounds: int | None = None, protocol: Protocol | str | None = None,
               exercise_id: str | None = None) -> ExerciseInfo:
        """Create an exercise in the setup phase.

        Args:
            scenario: a scenario or a scenario id / file path.
            human_seats: party ids held by people; every other seat is an AI persona.
            seed: drives the speaking order and the agents (same seed, same AI play).
            rounds: override the scenario's round count.
            protocol: ``free`` or ``deliberation`` (default: the scenario's).
        Returns:
            The exercise id, a facilitator code and a join code per human seat.
        """
        scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        humans = list(dict.fromkeys(human_seats))
        for h in humans:
            if h not in scen.party_ids:
                raise ExerciseError(f"unknown seat {h!r}: scenario {scen.id} has {', '.join(scen.party_ids)}")
        return self._create(scen, humans, seed, rounds=rounds, protocol=protocol, exercise_id=exercise_id,
                            mode="exercise")

    def create_solo(self, scenario: Scenario | str | Path, human_party: str, counterpart: str | None = None,
                    seed: int = 0) -> ExerciseInfo:
        """A bilateral practice exercise: one human seat against one AI counterpart, persisted like any other.

        Multi-party scenarios are cut down to the two parties (unanimity between them). Play it with
        :meth:`solo_send` and :meth:`vote`; it starts at once.
        """
        scen = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if human_party not in scen.party_ids:
            raise ExerciseError(f"unknown seat {human_party!r}: scenario {scen.id} has {', '.join(scen.party_ids)}")
        counterpart = counterpart or next(p for p in scen.party_ids if p != human_party)
        if counterpart not in scen.party_ids or counterpart == human_party:
            raise ExerciseError(f"counterpart {counterpart!r} must be another party of {scen.id}")
        if len(scen.parties) > 2:
            data = scen.model_dump(mode="python")
            data["parties"] = [p for p in data["parties"] if p["id"] in (human_party, counterpart)]
            data["rule"] = AgreementRule(kind=RuleKind.UNANIMITY).model_dump(mode="python")
            data["injects"] = []
            scen = Scenario.model_validate(data)
        info = self._create(scen, [human_party], seed, rounds=None, protocol=Protocol.FREE, exercise_id=None,
                            mode="solo")
        self.store.append_many(info.exercise_id, [
            NewEvent(EventKind.STARTED, "system", {}),
            NewEvent(EventKind.ROUND_STARTED, "system", {"round": 1}),
            NewEvent(EventKind.PHASE_CHANGED, "system", {"phase": Phase.PROPOSALS.value, "round": 1}),
        ])
        return info

    def _create(self, scen: Scenario, humans: list[str], seed: int, *, rounds, protocol, exercise_id,
                mode: str) -> ExerciseInfo:
        ex_id = exercise_id or uuid.uuid4().hex[:12]
        codes: dict[str, dict[str, Any]] = {secrets.token_urlsafe(12): {"role": "facilitator", "party": None}}
        for h in humans:
            codes[secrets.token_urlsafe(12)] = {"role": "seat", "party": h}
        proto = Protocol(protocol) if protocol else scen.protocol
        payload = {
            "scenario": scen.model_dump(mode="json"), "seed": int(seed), "mode": mode, "protocol": proto.value,
            "rounds": int(rounds or scen.rounds),
            "seats": [{"party": p, "human": p in humans} for p in scen.party_ids],
        }
        rec = ExerciseRecord(ex_id, scen.id, scen.title, mode, int(seed), utc_now(),
                             json.dumps(payload["scenario"], sort_keys=True), codes)
        self.store.create_exercise(rec, payload)
        return self.info(ex_id)

    def info(self, exercise_id: str) -> ExerciseInfo:
        """Identity and codes of an exercise (facilitator material: it holds every join code)."""
        rec = self.store.get_exercise(exercise_id)
        state = self.state(exercise_id)
        by_party = {v["party"]: c for c, v in rec.codes.items() if v["role"] == "seat"}
        fac = next(c for c, v in rec.codes.items() if v["role"] == "facilitator")
        return ExerciseInfo(
            exercise_id=rec.id, scenario_id=rec.scenario_id, title=rec.title, mode=rec.mode, seed=rec.seed,
            created=rec.created, facilitator_code=fac,
            seats=[self._seat_info(state, p, by_party.get(p)) for p in state.party_ids],
        )

    def list_exercises(self) -> list[dict[str, Any]]:
        """Summaries (id, title, scenario, mode, created), newest first; no join codes."""
        return [{"exercise_id": r.id, "title": r.title, "scenario_id": r.scenario_id, "mode": r.mode,
                 "seed": r.seed, "created": r.created} for r in self.store.list_exercises()]

    def join(self, code: str) -> Seat:
        """The seat (or facilitator role) a code opens; the first join of a seat is logged.

        Raises:
            ExerciseError: for an unknown code.
        """
        seat = self._seat(code)
        if seat.party is not None:
            state = self.state(seat.exercise_id)
            if seat.party not in state.joined:
                self.store.append(seat.exercise_id, EventKind.SEAT_JOINED, seat.party, {})
        return seat

    # ------------------------------------------------------------ reading

    def events(self, exercise_id: str) -> list[Event]:
        """The whole log, in order."""
        return self.store.events(exercise_id)

    def state(self, exercise_id: str) -> ExerciseState:
        """The folded state of an exercise (rebuilt from the database)."""
        events = self._log(exercise_id)
        if not events:
            self.store.get_exercise(exercise_id)
            raise ExerciseError(f"exercise {exercise_id} has an empty log")
        return fold(events, self._scenarios)

    def _log(self, exercise_id: str) -> list[Event]:
        """The log, read incrementally (events are immutable and seqs gap-free, so a prefix can be kept)."""
        with self._lock:
            cached = self._logs.get(exercise_id, [])
        new = self.store.events(exercise_id, after=cached[-1].seq if cached else 0)
        if new and cached and new[0].seq != cached[-1].seq + 1:
            cached, new = [], self.store.events(exercise_id)
        events = cached + new
        with self._lock:
            if len(events) >= len(self._logs.get(exercise_id, [])):
                self._logs[exercise_id] = events
        return events

    def seat_view(self, code: str) -> SeatView:
        """What one seat may see (only its own private data)."""
        seat = self._seat(code)
        if seat.party is None:
            raise ExerciseError("a facilitator code has no seat view; use facilitator_view")
        return self._seat_view(self.state(seat.exercise_id), seat.party)

    def facilitator_view(self, code: str) -> FacilitatorView:
        """Everything: all seats' views, the full transcript, live scoreboard and injects."""
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        rec = self.store.get_exercise(seat.exercise_id)
        by_party = {v["party"]: c for c, v in rec.codes.items() if v["role"] == "seat"}
        table = state.current_proposal
        space = _space(state)
        rows = []
        for party in state.scenario.parties:
            util = _utility(space, party.id, table.deal) if table else None
            rows.append(ScoreRow(
                party=party.id, name=_name(state, party.id), human=state.humans.get(party.id, False),
                threshold=party.threshold, utility=util,
                accepts=None if util is None else util >= party.threshold - 1e-9,
                vote=table.votes.get(party.id) if table else None, walked_out=party.id in state.walked_out,
                messages=sum(1 for m in state.messages if m.speaker == party.id),
                proposals=sum(1 for p in state.proposals.values() if p.proposer == party.id and not p.final),
            ))
        fired = state.fired_inject_ids
        return FacilitatorView(
            exercise_id=state.exercise_id, title=state.base.title, mode=state.mode, clock=_clock(state),
            seats=[self._seat_info(state, p, by_party.get(p)) for p in state.party_ids],
            seat_views={p: self._seat_view(state, p) for p in state.party_ids},
            transcript=[_entry(state, m) for m in state.messages],
            proposals=[_proposal(state, p) for p in state.proposals.values()],
            current_proposal=_proposal(state, table) if table else None, scoreboard=rows,
            injects=[_inject(i) for i in state.injects],
            available_injects=[InjectView(inject_id=i.id, title=i.title, text=i.text, round=i.at_round or 0)
                               for i in state.base.injects if i.id not in fired],
            outcome=_outcome(state), facilitator_notes=state.base.facilitator_notes,
            learning_objectives=list(state.base.learning_objectives),
        )

    # ------------------------------------------------------------ seat actions

    def post_message(self, code: str, text: str, *, to: str | list[str] | None = None) -> TranscriptEntry:
        """Post a public message, or a private one to the seat(s) in ``to`` (the facilitator may post too)."""
        seat = self._seat(code)
        text = (text or "").strip()
        if not text:
            raise ExerciseError("empty message")
        state = self.state(seat.exercise_id)
        if state.ended:
            raise ExerciseError("the exercise has ended")
        recips = [to] if isinstance(to, str) else list(to or [])
        for r in recips:
            if r not in state.party_ids:
                raise ExerciseError(f"unknown recipient {r!r}")
        actor = seat.party or FACILITATOR
        ev = self.store.append(seat.exercise_id, EventKind.MESSAGE, actor, {
            "text": text, "channel": "private" if recips else "public", "recipients": recips,
            "round": state.round, "phase": state.phase.value,
        })
        state = self.state(seat.exercise_id)
        msg = next(m for m in state.messages if m.seq == ev.seq)
        return _entry(state, msg)

    def propose(self, code: str, deal: dict[str, str], text: str = "") -> ProposalView:
        """Put a complete deal ``{issue_id: option_id}`` on the table (during the rounds)."""
        seat = self._seat_party(code)
        state = self.state(seat.exercise_id)
        if state.ended or state.phase not in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES, Phase.INJECTS):
            raise ExerciseError(f"proposals are not open in phase {state.phase.value}")
        if seat.party in state.walked_out:
            raise ExerciseError("you have walked away")
        _check_deal(state, deal)
        evs = []
        if text.strip():
            evs.append(NewEvent(EventKind.MESSAGE, seat.party, {
                "text": text.strip(), "channel": "public", "recipients": [], "round": state.round,
                "phase": state.phase.value, "move": "propose", "proposal": dict(deal), "turn": True}))
        evs.append(NewEvent(EventKind.PROPOSAL, seat.party, {"deal": dict(deal), "round": state.round,
                                                             "with_message": bool(evs), "turn": True}))
        out = self.store.append_many(seat.exercise_id, evs)
        state = self.state(seat.exercise_id)
        return _proposal(state, state.proposals[out[-1].seq])

    def vote(self, code: str, accept: bool, proposal_id: int | None = None) -> ProposalView:
        """Vote on a proposal (default: the final-vote proposal, else the one on the table)."""
        seat = self._seat_party(code)
        state = self.state(seat.exercise_id)
        if state.ended:
            raise ExerciseError("the exercise has ended")
        prop = self._target_proposal(state, proposal_id)
        if seat.party in prop.votes:
            raise ExerciseError(f"you already voted on proposal #{prop.id}")
        self.store.append(seat.exercise_id, EventKind.VOTE, seat.party,
                          {"proposal": prop.id, "accept": bool(accept), "round": state.round, "turn": True})
        if state.mode == "solo":
            self._solo_settle(seat.exercise_id)
        state = self.state(seat.exercise_id)
        return _proposal(state, state.proposals[prop.id])

    def walk_away(self, code: str, text: str = "") -> None:
        """Leave the table (the seat then counts as rejecting every deal)."""
        seat = self._seat_party(code)
        state = self.state(seat.exercise_id)
        if state.ended:
            raise ExerciseError("the exercise has ended")
        self.store.append(seat.exercise_id, EventKind.WALK_AWAY, seat.party,
                          {"round": state.round, "text": text.strip(), "turn": True})

    # ------------------------------------------------------------ facilitator actions

    def start(self, code: str) -> Clock:
        """Open the briefing (setup -> briefing)."""
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        if state.phase != Phase.SETUP:
            raise ExerciseError(f"already started (phase {state.phase.value})")
        self._append_checked(state, [NewEvent(EventKind.STARTED, FACILITATOR, {})])
        return _clock(self.state(seat.exercise_id))

    def advance(self, code: str) -> Clock:
        """Let the AI seats finish the current phase, then move to the next phase (or round, or the end)."""
        seat = self._facilitator(code)
        return self._advance(seat.exercise_id)

    def pause(self, code: str) -> Clock:
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        if not state.paused and not state.ended:
            self.store.append(seat.exercise_id, EventKind.PAUSED, FACILITATOR, {"round": state.round})
        return _clock(self.state(seat.exercise_id))

    def resume(self, code: str) -> Clock:
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        if state.paused:
            self.store.append(seat.exercise_id, EventKind.RESUMED, FACILITATOR, {"round": state.round})
        return _clock(self.state(seat.exercise_id))

    def fire_inject(self, code: str, inject_id: str | None = None, *, title: str = "", text: str = "") -> InjectView:
        """Fire a scenario inject now (by id, with its effects) or a free-text one (no effects)."""
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        if state.ended:
            raise ExerciseError("the exercise has ended")
        if inject_id:
            inj = next((i for i in state.base.injects if i.id == inject_id), None)
            if inj is None:
                raise ExerciseError(f"scenario {state.base.id} has no inject {inject_id!r}")
            if inject_id in state.fired_inject_ids:
                raise ExerciseError(f"inject {inject_id!r} has already fired")
            new = runner.inject_event(inj, state.round, "facilitator", actor=FACILITATOR)
        else:
            if not text.strip():
                raise ExerciseError("a free-text inject needs text")
            new = NewEvent(EventKind.INJECT_FIRED, FACILITATOR, {
                "inject_id": None, "title": title.strip() or "Facilitator inject", "text": text.strip(),
                "round": state.round, "by": "facilitator", "effects": []})
        ev = self.store.append_many(seat.exercise_id, [new])[0]
        state = self.state(seat.exercise_id)
        return _inject(next(i for i in state.injects if i.seq == ev.seq))

    def extend(self, code: str, rounds: int = 1) -> Clock:
        """Add rounds to the clock."""
        seat = self._facilitator(code)
        if rounds < 1:
            raise ExerciseError("extend by at least one round")
        state = self.state(seat.exercise_id)
        if state.ended:
            raise ExerciseError("the exercise has ended")
        self.store.append(seat.exercise_id, EventKind.EXTENDED, FACILITATOR, {"rounds": int(rounds)})
        return _clock(self.state(seat.exercise_id))

    def end(self, code: str, reason: str = "ended by the facilitator") -> Outcome:
        """End now without agreement (a proposal already passed ends the exercise by itself)."""
        seat = self._facilitator(code)
        state = self.state(seat.exercise_id)
        if not state.ended:
            self.store.append_many(seat.exercise_id, [runner.ended_event(state, None, reason, actor=FACILITATOR)])
        return _outcome(self.state(seat.exercise_id))

    # ------------------------------------------------------------ AI play

    def step(self, exercise_id: str) -> int:
        """Play the AI seats owed a turn in the current phase; returns the number of events appended."""
        return asyncio.run(self.astep(exercise_id))

    async def astep(self, exercise_id: str) -> int:
        """Async :meth:`step`: AI seats of a phase respond concurrently (deliberation: one after another)."""
        total = 0
        for _ in range(10_000):
            state = self.state(exercise_id)
            parties = runner.next_turns(state)
            if not parties:
                return total
            evs = await runner.ai_turns(state, self.seating, parties, self.agents)
            try:
                total += len(self.store.append_many(exercise_id, evs, expect_seq=state.last_seq))
            except SeqConflict:
                logger.debug("log moved during an AI step of %s; recomputing", exercise_id)
        return total

    def _advance(self, exercise_id: str) -> Clock:
        for _ in range(MAX_STEP_RETRIES):
            self.step(exercise_id)
            state = self.state(exercise_id)
            if state.paused:
                raise ExerciseError("the exercise is paused")
            blocked = runner.blocking_human(state)
            if blocked is not None:
                try:
                    self._append_checked(state, [NewEvent(EventKind.TURN_SKIPPED, blocked,
                                                          {"round": state.round, "turn": True})])
                except SeqConflict:
                    pass
                continue
            evs = runner.transition(state)
            if not evs:
                return _clock(state)
            try:
                self._append_checked(state, evs)
                return _clock(self.state(exercise_id))
            except SeqConflict:
                continue
        raise ExerciseError(f"exercise {exercise_id} is too busy to advance; try again")

    def run_to_end(self, exercise_id: str, max_steps: int = 10_000) -> Outcome:
        """Play every phase until the exercise ends (headless play; human seats stay silent)."""
        code = self.info(exercise_id).facilitator_code
        for _ in range(max_steps):
            state = self.state(exercise_id)
            if state.ended:
                return _outcome(state)
            if state.phase == Phase.SETUP:
                self.start(code)
            else:
                self._advance(exercise_id)
        raise ExerciseError(f"exercise {exercise_id} did not end within {max_steps} steps")

    # ------------------------------------------------------------ solo

    def solo_send(self, code: str, text: str | None = None, proposal: dict[str, str] | None = None) -> list[TranscriptEntry]:
        """A solo turn: the human's line (and/or proposal), then the counterpart's reply. Returns both."""
        seat = self._seat_party(code)
        state = self.state(seat.exercise_id)
        if state.mode != "solo":
            raise ExerciseError("solo_send works on solo exercises only")
        if state.ended:
            raise ExerciseError("the dialogue has ended")
        text = (text or "").strip()
        if not text and not proposal:
            raise ExerciseError("say something or make a proposal")
        if proposal:
            _check_deal(state, proposal)
        turn = len([m for m in state.messages if m.speaker == seat.party]) + 1
        evs = [NewEvent(EventKind.ROUND_STARTED, "system", {"round": turn}),
               NewEvent(EventKind.PHASE_CHANGED, "system", {"phase": Phase.PROPOSALS.value, "round": turn})]
        evs.append(NewEvent(EventKind.MESSAGE, seat.party, {
            "text": text or "Here is a proposal.", "channel": "public", "recipients": [], "round": turn,
            "phase": Phase.PROPOSALS.value, "move": "propose" if proposal else None, "proposal": proposal,
            "turn": True}))
        if proposal:
            evs.append(NewEvent(EventKind.PROPOSAL, seat.party, {"deal": dict(proposal), "round": turn,
                                                                 "with_message": True, "turn": True}))
        first = self.store.append_many(seat.exercise_id, evs)[0].seq
        state = self.state(seat.exercise_id)
        ai = next(p for p in state.party_ids if p != seat.party)
        evs = asyncio.run(runner.ai_turns(state, self.seating, [ai], self.agents))
        self.store.append_many(seat.exercise_id, evs)
        self._solo_settle(seat.exercise_id)
        state = self.state(seat.exercise_id)
        return [_entry(state, m) for m in state.messages if m.seq >= first]

    def _solo_settle(self, exercise_id: str) -> None:
        state = self.state(exercise_id)
        if state.ended:
            return
        for prop in sorted(state.proposals.values(), key=lambda p: -p.id):
            others = [p for p in state.party_ids if p != prop.proposer]
            if all(prop.votes.get(p) for p in others) and runner.proposal_passes(
                state, ProposalRec(prop.id, prop.ts, prop.round, prop.proposer, prop.deal,
                                   votes={**prop.votes, prop.proposer: True})):
                evs = [NewEvent(EventKind.VOTE, prop.proposer, {"proposal": prop.id, "accept": True,
                                                                "round": state.round})]
                if prop.proposer in prop.votes:
                    evs = []
                state2 = state
                self.store.append_many(exercise_id, evs)
                state2 = self.state(exercise_id)
                self.store.append_many(exercise_id, [runner.ended_event(state2, state2.proposals[prop.id],
                                                                        "both sides accepted")])
                return
        if state.walked_out:
            self.store.append_many(exercise_id, [runner.ended_event(state, None, "a side walked away")])

    # ------------------------------------------------------------ export / import

    def export_jsonl(self, exercise_id: str, path: str | Path | None = None) -> str:
        """The log as JSONL (one event per line); written to ``path`` when given."""
        text = "".join(e.to_line() + "\n" for e in self.store.events(exercise_id))
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
        return text

    def import_jsonl(self, source: str | Path, *, exercise_id: str | None = None, keep_id: bool = False) -> ExerciseInfo:
        """Load an exported log into this database under a fresh id (or ``exercise_id``, or the original).

        New join codes are issued. Raises :class:`ExerciseError` for a malformed file.
        """
        text = Path(source).read_text(encoding="utf-8") if _is_path(source) else str(source)
        name = str(source) if _is_path(source) else "<jsonl>"
        events = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(Event.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError) as err:
                raise ExerciseError(f"{name}:{n}: not an exercise event ({err})") from err
        if not events or events[0].kind != EventKind.CREATED:
            raise ExerciseError(f"{name}: the first line must be a 'created' event")
        seqs = [e.seq for e in events]
        if seqs != list(range(1, len(events) + 1)):
            raise ExerciseError(f"{name}: event seq numbers must run 1..{len(events)} without gaps")
        fold(events)
        created = events[0].payload
        scen = Scenario.model_validate(created["scenario"])
        new_id = events[0].exercise_id if keep_id else (exercise_id or uuid.uuid4().hex[:12])
        codes: dict[str, dict[str, Any]] = {secrets.token_urlsafe(12): {"role": "facilitator", "party": None}}
        for s in created["seats"]:
            if s["human"]:
                codes[secrets.token_urlsafe(12)] = {"role": "seat", "party": s["party"]}
        rec = ExerciseRecord(new_id, scen.id, scen.title, created.get("mode", "exercise"),
                             int(created.get("seed", 0)), events[0].ts,
                             json.dumps(created["scenario"], sort_keys=True), codes)
        self.store.import_events(rec, events)
        return self.info(new_id)

    # ------------------------------------------------------------ helpers

    def _persona(self, party: Any) -> Any:
        """The persona for a seat (a plain stand-in persona when the scenario names none)."""
        if party.persona_id not in self._personas:
            from dialogue_engine.agents.solo import persona_for
            from dialogue_engine.exercise.testing import stand_in_factory

            try:
                self._personas[party.persona_id] = persona_for(party)
            except QDError:
                if self.seating.factory is not stand_in_factory:
                    raise
                self._personas[party.persona_id] = None
        return self._personas[party.persona_id]

    def _seat(self, code: str) -> Seat:
        found = self.store.find_code(code or "")
        if found is None:
            raise ExerciseError("unknown join code")
        ex_id, data = found
        return Seat(exercise_id=ex_id, role=data["role"], party=data.get("party"))

    def _seat_party(self, code: str) -> Seat:
        seat = self._seat(code)
        if seat.party is None:
            raise ExerciseError("this action needs a seat code, not the facilitator code")
        return seat

    def _facilitator(self, code: str) -> Seat:
        seat = self._seat(code)
        if not seat.is_facilitator:
            raise ExerciseError("only the facilitator can do that")
        return seat

    def _append_checked(self, state: ExerciseState, evs: list[NewEvent]) -> list[Event]:
        return self.store.append_many(state.exercise_id, evs, expect_seq=state.last_seq)

    def _target_proposal(self, state: ExerciseState, proposal_id: int | None) -> ProposalRec:
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

    def _seat_info(self, state: ExerciseState, party: str, code: str | None) -> SeatInfo:
        p = state.base.party(party)
        return SeatInfo(party=party, name=_name(state, party), persona=p.persona_id,
                        human=state.humans.get(party, False), code=code, joined=party in state.joined)

    def _seat_view(self, state: ExerciseState, party: str) -> SeatView:
        me = state.scenario.party(party)
        table = state.current_proposal
        space = _space(state)
        votable = _votable(state)
        return SeatView(
            exercise_id=state.exercise_id, title=state.base.title, situation=state.base.situation,
            rule=state.scenario.rule.describe(len(state.party_ids), state.scenario.veto_parties),
            seat=self._seat_info(state, party, None), clock=_clock(state),
            brief=Brief(party=party, name=_name(state, party), role=me.role, persona=me.persona_id,
                        private_brief=me.private_brief, threshold=me.threshold,
                        scores={k: dict(v) for k, v in me.scores.items()}, veto=me.veto),
            seats=[self._seat_info(state, p, None) for p in state.party_ids],
            transcript=[_entry(state, m) for m in state.messages if m.channel == Channel.PUBLIC],
            private=[_entry(state, m) for m in state.messages
                     if m.channel == Channel.PRIVATE and m.visible_to(party)],
            proposals=[_proposal(state, p) for p in state.proposals.values()],
            current_proposal=_proposal(state, table) if table else None,
            my_utility=_utility(space, party, table.deal) if table else None,
            injects=[_inject(i) for i in state.injects],
            issues=[{"id": i.id, "title": i.title, "description": i.description,
                     "options": [{"id": o.id, "label": o.label, "description": o.description} for o in i.options]}
                    for i in state.scenario.issues],
            outcome=_outcome(state),
            can_vote=bool(votable) and any(party not in p.votes for p in votable) and party not in state.walked_out,
            can_propose=not state.ended and state.phase in (Phase.STATEMENTS, Phase.PROPOSALS, Phase.RESPONSES)
            and party not in state.walked_out,
        )


# ---------------------------------------------------------------- view builders


def _is_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    return "\n" not in source and len(source) < 4096 and Path(source).is_file()


def _space(state: ExerciseState) -> DealSpace:
    return DealSpace.from_scenario(state.scenario)


def _utility(space: DealSpace, party: str, deal: dict[str, str]) -> float | None:
    try:
        return space.utility(party, deal)
    except KeyError:
        return None


def _name(state: ExerciseState, party: str) -> str:
    if party in ("facilitator", "system"):
        return party.capitalize()
    p = state.base.party(party)
    return p.name or p.id


def _check_deal(state: ExerciseState, deal: dict[str, str]) -> None:
    issues = {i.id: i for i in state.scenario.issues}
    missing = [i for i in issues if i not in deal]
    if missing:
        raise ExerciseError(f"the deal has no option for issue(s) {', '.join(missing)}")
    for iid, oid in deal.items():
        if iid not in issues:
            raise ExerciseError(f"unknown issue {iid!r}")
        if oid not in {o.id for o in issues[iid].options}:
            raise ExerciseError(f"unknown option {oid!r} on issue {iid}")


def _votable(state: ExerciseState) -> list[ProposalRec]:
    if state.ended:
        return []
    if state.phase == Phase.FINAL_VOTE:
        return [p for p in state.proposals.values() if p.final]
    if state.mode == "solo":
        return [state.current_proposal] if state.current_proposal else []
    if state.phase in (Phase.PROPOSALS, Phase.RESPONSES):
        return [p for p in state.round_proposals() if p.status == "open"]
    return []


def _clock(state: ExerciseState) -> Clock:
    return Clock(phase=state.phase, round=state.round, total_rounds=state.total_rounds, paused=state.paused,
                 ended=state.ended, last_seq=state.last_seq)


def _entry(state: ExerciseState, m: MessageRec) -> TranscriptEntry:
    return TranscriptEntry(
        seq=m.seq, ts=m.ts, round=m.round, phase=m.phase, speaker=m.speaker, speaker_name=_name(state, m.speaker),
        channel=m.channel, recipients=list(m.recipients), text=m.text, move=m.move, proposal=m.proposal,
        citations=[CitationView(**{k: c.get(k, "") for k in ("n", "source", "title", "section", "text", "chunk_id")})
                   for c in m.citations],
        realizer=m.realizer,
    )


def _proposal(state: ExerciseState, p: ProposalRec) -> ProposalView:
    try:
        lines = state.scenario.describe_deal(p.deal)
    except KeyError:
        lines = [(k, v) for k, v in p.deal.items()]
    return ProposalView(id=p.id, round=p.round, proposer=p.proposer, deal=dict(p.deal), lines=lines,
                        votes=dict(p.votes), status=p.status, final=p.final)


def _inject(i) -> InjectView:
    return InjectView(seq=i.seq, round=i.round, inject_id=i.inject_id, title=i.title, text=i.text,
                      fired_by=i.fired_by)


def _outcome(state: ExerciseState) -> Outcome | None:
    if not state.ended or state.outcome is None:
        return None
    o = state.outcome
    return Outcome(agreement=bool(o.get("agreement")), deal=o.get("deal"), proposal_id=o.get("proposal"),
                   round=int(o.get("round", 0)), reason=o.get("reason", ""),
                   utilities={k: float(v) for k, v in (o.get("utilities") or {}).items()})
