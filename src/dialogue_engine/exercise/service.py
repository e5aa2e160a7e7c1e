"""``ExerciseService``: the one entry point the app, the CLI and headless runs use.

A thin facade over modules with one job each: :mod:`.access` (exercises and join codes),
:mod:`.commands` (seat and facilitator actions), :mod:`.play` (AI turns), :mod:`.solo` (solo mode),
:mod:`.projections` (views), :mod:`.transfer` (JSONL export and import) and :mod:`.branching` (forks). Every method reads the log
through a :class:`~dialogue_engine.exercise.journal.Journal`, so several processes share one exercise and a
restarted process resumes exactly where the log ends.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Any, Iterable

from dialogue_engine.domain import Protocol, Scenario, load_scenario
from dialogue_engine.exercise import access, branching, commands, projections, solo, transfer
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event
from dialogue_engine.exercise.journal import Journal
from dialogue_engine.exercise.play import AIPlay
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.exercise.store import EventStore
from dialogue_engine.exercise.views import (
    Clock,
    ExerciseInfo,
    FacilitatorView,
    InjectView,
    JoinCodeView,
    Outcome,
    ProposalView,
    Seat,
    SeatInfo,
    SeatView,
    TranscriptEntry,
)

__all__ = ["ExerciseError", "ExerciseService"]


class ExerciseService:
    """Create, join, play, facilitate, export and import exercises.

    Args:
        store: an :class:`EventStore`; default one at ``database_url`` (or the settings' database).
        database_url: where the default store lives (ignored when ``store`` is given).
        agent_factory: builds an AI seat: ``factory(persona, scenario, party_id, *, retriever, realizer,
            seed)``; default the settings' agent class (:func:`dialogue_engine.exercise.runtime.agent_factory`).
        retriever: passed to every agent (a ``KnowledgeBase`` or None for no citations).
        realizer: passed to every agent (None: the agent's default, the built-in realizer).
    """

    def __init__(self, store: EventStore | None = None, *, database_url: str | None = None,
                 agent_factory: Any = None, retriever: Any = None, realizer: Any = None):
        self.store = store or EventStore(database_url)
        self.journal = Journal(self.store)
        self.play = AIPlay(self.journal, agent_factory or _settings_agent_factory(), retriever=retriever,
                           realizer=realizer)

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
            The exercise id, a facilitator code and a join code per human seat. This is the only time the
            codes are shown (they are stored hashed); :meth:`reissue_code` gives a seat a new one.
        """
        scen = _scenario(scenario)
        humans = access.check_human_seats(scen, human_seats)
        return self.info(*access.open_exercise(self.store, scen, humans, seed, mode="exercise", rounds=rounds,
                                               protocol=protocol, exercise_id=exercise_id))

    def create_solo(self, scenario: Scenario | str | Path, human_party: str, counterpart: str | None = None,
                    seed: int = 0) -> ExerciseInfo:
        """A bilateral practice exercise: one human seat against one AI counterpart, persisted like any other.

        Multi-party scenarios are cut down to the two parties (unanimity between them). Play it with
        :meth:`solo_send` and :meth:`vote`; it starts at once.
        """
        return self.info(*solo.create(self.journal, _scenario(scenario), human_party, counterpart, seed))

    def info(self, exercise_id: str, issued: access.IssuedCodes | None = None) -> ExerciseInfo:
        """Identity of an exercise; its codes only as just ``issued`` (stored codes are hashes, never shown)."""
        record = self.store.get_exercise(exercise_id)
        return projections.exercise_info(record, self.state(exercise_id), issued)

    def list_exercises(self) -> list[dict[str, Any]]:
        """Summaries (id, title, scenario, mode, created), newest first; no join codes."""
        return [{"exercise_id": r.id, "title": r.title, "scenario_id": r.scenario_id, "mode": r.mode,
                 "seed": r.seed, "created": r.created} for r in self.store.list_exercises()]

    def live_scenarios(self) -> set[str]:
        """Ids of the scenarios some exercise (class or solo) is still playing: not ended yet."""
        return self.store.live_scenario_ids()

    def join(self, code: str) -> Seat:
        """The seat (or facilitator role) a code opens; the first join of a seat is logged.

        Raises:
            ExerciseError: for an unknown code.
        """
        return commands.join(self.journal, code)

    # ------------------------------------------------------------ reading

    def events(self, exercise_id: str) -> list[Event]:
        """The whole log, in order."""
        return self.journal.events(exercise_id)

    def state(self, exercise_id: str) -> ExerciseState:
        """The folded state of an exercise (rebuilt from the database)."""
        return self.journal.state(exercise_id)

    def seat_view(self, code: str) -> SeatView:
        """What one seat may see (only its own private data)."""
        seat = access.find_seat(self.store, code)
        if seat.party is None:
            raise ExerciseError("a facilitator code has no seat view; use facilitator_view")
        return projections.seat_view(self.state(seat.exercise_id), seat.party)

    def facilitator_view(self, code: str) -> FacilitatorView:
        """Everything: all seats' views, the full transcript, live scoreboard and injects."""
        seat = access.require_facilitator(self.store, code)
        return projections.facilitator_view(self.state(seat.exercise_id))

    def join_codes(self, code: str) -> list[JoinCodeView]:
        """Each human seat's join code status (active, issued, times replaced, joined); never the codes.

        Codes are stored hashed, so a lost code is not listed again: :meth:`reissue_code` gives a new one.
        """
        seat = access.require_facilitator(self.store, code)
        return projections.join_codes(self.state(seat.exercise_id), self.store.codes(seat.exercise_id))

    def reissue_code(self, code: str, party: str) -> SeatInfo:
        """A fresh join code for a human seat (returned in ``SeatInfo.code``); the old one stops working."""
        return commands.reissue_code(self.journal, code, party)

    def revoke_code(self, code: str, party: str) -> None:
        """Withdraw a human seat's join code (the seat is locked until :meth:`reissue_code`)."""
        commands.revoke_code(self.journal, code, party)

    # ------------------------------------------------------------ seat actions

    def post_message(self, code: str, text: str, *, to: str | list[str] | None = None) -> TranscriptEntry:
        """Post a public message, or a private one to the seat(s) in ``to`` (the facilitator may post too)."""
        return commands.post_message(self.journal, code, text, to=to)

    def propose(self, code: str, deal: dict[str, str], text: str = "") -> ProposalView:
        """Put a complete deal ``{issue_id: option_id}`` on the table (during the rounds)."""
        return commands.propose(self.journal, code, deal, text)

    def vote(self, code: str, accept: bool, proposal_id: int | None = None, *, confirm: bool = False) -> ProposalView:
        """Vote on a proposal (default: the final-vote proposal, else the one on the table).

        In a solo exercise an accepted proposal both sides back ends the dialogue with an agreement; accepting
        one worth less to you than your minimum needs ``confirm`` (else a one-line error, nothing stored).
        """
        if accept and not confirm:
            seat = access.require_seat(self.store, code)
            state = self.state(seat.exercise_id)
            if state.mode == "solo" and not state.ended:
                solo.check_minimum(state, seat.party, commands.target_proposal(state, proposal_id), confirm)
        seat, prop_id = commands.vote(self.journal, code, accept, proposal_id)
        if self.state(seat.exercise_id).mode == "solo":
            solo.settle(self.journal, seat.exercise_id)
        state = self.state(seat.exercise_id)
        return projections.proposal_view(state, state.proposals[prop_id])

    def walk_away(self, code: str, text: str = "") -> None:
        """Leave the table (the seat then counts as rejecting every deal)."""
        commands.walk_away(self.journal, code, text)

    # ------------------------------------------------------------ facilitator actions

    def start(self, code: str) -> Clock:
        """Open the briefing (setup -> briefing)."""
        return commands.start(self.journal, code)

    def advance(self, code: str) -> Clock:
        """Let the AI seats finish the current phase, then move to the next phase (or round, or the end)."""
        return self.play.advance(access.require_facilitator(self.store, code).exercise_id)

    def pause(self, code: str) -> Clock:
        """Pause the clock."""
        return commands.pause(self.journal, code)

    def set_chair(self, code: str, on: bool) -> Clock:
        """Switch the chair seat on or off (see :mod:`dialogue_engine.exercise.chairing`)."""
        return commands.set_chair(self.journal, code, on)

    def resume(self, code: str) -> Clock:
        """Resume a paused exercise."""
        return commands.resume(self.journal, code)

    def fire_inject(self, code: str, inject_id: str | None = None, *, title: str = "", text: str = "") -> InjectView:
        """Fire a scenario inject now (by id, with its effects) or a free-text one (no effects)."""
        return commands.fire_inject(self.journal, code, inject_id, title=title, text=text)

    def extend(self, code: str, rounds: int = 1) -> Clock:
        """Add rounds to the clock."""
        return commands.extend(self.journal, code, rounds)

    def end(self, code: str, reason: str = "ended by the facilitator") -> Outcome:
        """End now without agreement (a proposal already passed ends the exercise by itself)."""
        return commands.end(self.journal, code, reason)

    def reveal(self, code: str) -> Outcome:
        """In the debrief, show every seat the others' outcome utilities (until then a seat sees only its own)."""
        return commands.reveal(self.journal, code)

    # ------------------------------------------------------------ AI play

    def step(self, exercise_id: str) -> int:
        """Play the AI seats owed a turn in the current phase; returns the number of events appended."""
        return self.play.step(exercise_id)

    async def astep(self, exercise_id: str) -> int:
        """Async :meth:`step`: AI seats of a phase respond concurrently (deliberation: one after another)."""
        return await self.play.astep(exercise_id)

    def run_to_end(self, exercise_id: str, max_steps: int = 10_000) -> Outcome:
        """Play every phase until the exercise ends (headless play; human seats stay silent)."""
        return self.play.run_to_end(exercise_id, max_steps)

    # ------------------------------------------------------------ solo

    def solo_send(self, code: str, text: str | None = None, proposal: dict[str, str] | None = None, *,
                  confirm: bool = False, on_text: Callable[[str], object] | None = None) -> list[TranscriptEntry]:
        """A solo turn: the human's line (and/or proposal), then the counterpart's reply (see :func:`solo.send`).

        ``on_text`` receives the reply's words as they become safe to show (streamed with an LLM); the
        returned reply is the final text, as stored.
        """
        return solo.send(self.journal, self.play, code, text, proposal, confirm=confirm, on_text=on_text)

    # ------------------------------------------------------------ what-if: forks

    def fork(self, code: str, at_seq: int, *, seed: int | None = None,
             inject: str | branching.ForkInject | None = None) -> ExerciseInfo:
        """A new exercise replaying this one's log up to and including event ``at_seq``, then playing on.

        Args:
            code: the facilitator's code, or the seat code of a solo exercise (a learner retrying).
            at_seq: the last event copied (not inside a group of events written together, not the end).
            seed: the seed for what follows (default: the source's).
            inject: fired right at the fork point: a scenario inject id, or a :class:`~.branching.ForkInject`.
        Returns:
            The fork, with its new codes (shown once, as by :meth:`create`). The source is unchanged.
        Raises:
            ExerciseError: one line, and nothing is stored.
        """
        exercise_id, actor = branching.forker(self.store, code)
        return self._fork(exercise_id, at_seq, seed=seed, inject=inject, actor=actor)

    def retry(self, code: str, from_round: int | None = None, *, rounds: int = 3,
              seed: int | None = None) -> ExerciseInfo:
        """Fork just before round ``from_round`` started (default: retry the last ``rounds`` rounds)."""
        exercise_id, actor = branching.forker(self.store, code)
        state = self.state(exercise_id)
        rnd = branching.retry_round(state, rounds) if from_round is None else int(from_round)
        return self._fork(exercise_id, branching.round_start(state, rnd), seed=seed, actor=actor)

    def fork_exercise(self, exercise_id: str, at_seq: int, *, seed: int | None = None,
                      inject: str | branching.ForkInject | None = None) -> ExerciseInfo:
        """:meth:`fork` by exercise id, for whoever holds the database (the command line), like :meth:`export_jsonl`."""
        return self._fork(exercise_id, at_seq, seed=seed, inject=inject, actor="system")

    def _fork(self, exercise_id: str, at_seq: int, *, seed: int | None,
              inject: str | branching.ForkInject | None = None, actor: str) -> ExerciseInfo:
        if isinstance(inject, str):
            inject = branching.ForkInject(inject_id=inject)
        return self.info(*branching.fork(self.store, exercise_id, at_seq, seed=seed, inject=inject, actor=actor))

    # ------------------------------------------------------------ export / import

    def export_jsonl(self, exercise_id: str, path: str | Path | None = None) -> str:
        """The log as JSONL (one event per line); written to ``path`` when given."""
        return transfer.export_jsonl(self.store, exercise_id, path)

    def import_jsonl(self, source: str | Path, *, exercise_id: str | None = None,
                     keep_id: bool = False) -> ExerciseInfo:
        """Load an exported log into this database under a fresh id (or ``exercise_id``, or the original).

        New join codes are issued (returned, as by :meth:`create`). Raises :class:`ExerciseError` for a
        malformed file.
        """
        return self.info(*transfer.import_jsonl(self.store, source, exercise_id=exercise_id, keep_id=keep_id))


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _settings_agent_factory():
    from dialogue_engine.config import get_settings
    from dialogue_engine.exercise.runtime import agent_factory

    return agent_factory(get_settings())
