"""``dialogue-engine chat``: a solo exercise with one persona in the terminal, one input line per turn.

The chat plays exactly the app's solo mode (:meth:`ExerciseService.create_solo` / ``solo_send`` / ``vote``),
so the same lines give the same replies and the same agreement in both. A line is said to the persona,
except two commands standing for the app's buttons: ``/propose ISSUE=OPTION ... [words]`` tables a
complete package (the words go with it) and ``/accept`` accepts the persona's latest offer. An agreement
stands only once both sides accepted one package, as in the app; after it (or the deadline, or a walk-out)
the chat stops: further lines are not played, and it says so in one line on stderr.

The exercise lives in a throwaway SQLite file unless ``QD_DATABASE_URL`` names a database.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import typer

from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.solo import latest_offer, talk_over
from dialogue_engine.exercise.views import TranscriptEntry

logger = logging.getLogger(__name__)

ACCEPT = "/accept"
CONFIRM = "/accept!"
PROPOSE = "/propose"


class SoloChat:
    """A solo exercise driven line by line; every line gives one result object (the ``--json`` line).

    Args:
        service: the :class:`~dialogue_engine.exercise.service.ExerciseService` to play in.
        scenario: the scenario.
        human: the human's seat.
        counterpart: the persona's seat.
        seed: the exercise seed (same seed, same replies).
    """

    def __init__(self, service: Any, scenario: Any, human: str, counterpart: str, seed: int = 0):
        self.service = service
        self.scenario = scenario
        self.human = human
        self.counterpart = counterpart
        info = service.create_solo(scenario, human, counterpart, seed=seed)
        self.exercise_id = info.exercise_id
        self.code = next(s.code for s in info.seats if s.party == human)
        service.join(self.code)
        seat = next(s for s in info.seats if s.party == counterpart)
        self.persona, self.counterpart_name = seat.persona, seat.name

    @property
    def ended(self) -> bool:
        """Whether the dialogue is over (agreement, or a side walked away)."""
        return self.service.state(self.exercise_id).ended

    @property
    def agreed(self) -> bool:
        """Whether an agreement stands."""
        state = self.service.state(self.exercise_id)
        return bool(state.ended and state.outcome and state.outcome.get("agreement"))

    def say(self, line: str) -> dict[str, Any]:
        """Play one input line and return its result: the persona's reply, or your vote for ``/accept``.

        The result holds ``persona`` (the counterpart's persona id), ``party`` (the seat that spoke),
        ``message``, ``move``, ``proposal`` (or None), ``offer`` (the id of the proposal the reply tabled,
        which ``/accept`` takes), ``citations`` (``{n, source, text, chunk_id}``), ``realizer``,
        ``fallback_reason``, ``agreed`` (true once an agreement stands) and ``understood`` (the dialogue acts and
        issue/option mentions the persona perceived in your line).
        """
        words = line.split()
        if not words:
            raise ExerciseError("say something")
        if words[0] in (ACCEPT, CONFIRM):
            return self._accept(confirm=words[0] == CONFIRM)
        if words[0] == PROPOSE:
            deal = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            text = " ".join(w for w in words[1:] if "=" not in w)
            if not deal:
                raise ExerciseError(f"{PROPOSE} needs ISSUE=OPTION for every issue, e.g. "
                                    + " ".join(f"{i.id}={i.options[0].id}" for i in self.scenario.issues))
            return self._send(text or None, deal)
        try:
            return self._send(line, None)
        except ExerciseError as err:
            if "below your minimum" in str(err):
                raise ExerciseError(f"{err} ({CONFIRM} does)") from None
            raise

    def _send(self, text: str | None, deal: dict[str, str] | None) -> dict[str, Any]:
        before = self.service.state(self.exercise_id)
        seen, fired = len(before.fallbacks), len(before.injects)
        entries = self.service.solo_send(self.code, text=text, proposal=deal)
        reply = [e for e in entries if e.speaker == self.counterpart][-1]
        after = self.service.state(self.exercise_id)
        fallbacks = [f for f in after.fallbacks[seen:] if f["party"] == self.counterpart]
        result = self._result(reply, fallbacks[-1]["reason"] if fallbacks else None)
        result["events"] = [{"title": i.title, "text": i.text} for i in after.injects[fired:]]
        result["round"] = after.round
        return result

    def _accept(self, confirm: bool = False) -> dict[str, Any]:
        offer = latest_offer(self.service.seat_view(self.code), self.human)
        if offer is None:
            raise ExerciseError(f"{self.counterpart_name} has no offer on the table to accept")
        try:
            self.service.vote(self.code, True, offer.id, confirm=confirm)
        except ExerciseError as err:
            raise ExerciseError(f"{err} ({CONFIRM} does)") from None
        return {"persona": self.persona, "party": self.human, "message": f"Accepted proposal #{offer.id}.",
                "move": "accept", "proposal": dict(offer.deal), "offer": None, "citations": [], "realizer": None,
                "fallback_reason": None, "agreed": self.agreed, "understood": {"acts": ["accept"]}}

    def _result(self, reply: TranscriptEntry, fallback_reason: str | None) -> dict[str, Any]:
        offer = latest_offer(self.service.seat_view(self.code), self.human)
        return {
            "persona": self.persona, "party": reply.speaker, "message": reply.text, "move": reply.move,
            "proposal": reply.proposal, "offer": offer.id if offer and offer.deal == reply.proposal else None,
            "citations": [{"n": c.n, "source": c.source, "text": c.text, "chunk_id": c.chunk_id}
                          for c in reply.citations],
            "realizer": reply.realizer, "fallback_reason": fallback_reason, "agreed": self.agreed,
            "understood": reply.understood,
        }

    def ending(self) -> str:
        """One line on how the dialogue ended."""
        outcome = self.service.state(self.exercise_id).outcome or {}
        if outcome.get("agreement"):
            lines = "; ".join(f"{t}: {o}" for t, o in self.scenario.describe_deal(outcome["deal"]))
            return f"(agreement reached: {lines})"
        return f"(the dialogue ended: {outcome.get('reason', 'no agreement')})"


def _print(result: dict[str, Any], chat: SoloChat, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    name = "You" if result["party"] == chat.human else chat.counterpart_name
    for event in result.get("events", []):
        typer.echo(f"(round {result.get('round')}) {event['title']}: {event['text']}")
    typer.echo(f"{name}: {result['message']}")
    if result["offer"] is not None:
        lines = "; ".join(f"{t}: {o}" for t, o in chat.scenario.describe_deal(result["proposal"]))
        typer.echo(f"  offer #{result['offer']}: {lines}  ({ACCEPT} to take it)")
    for c in result["citations"]:
        typer.echo(f"  [{c['n']}] {c['source']}: {' '.join(c['text'].split())[:160]}")


def chat(
    scenario: str = typer.Argument(..., help="Scenario id or YAML file."),
    persona: str = typer.Option(..., "--persona", help="The persona to talk with (its id, or its seat)."),
    seat: str | None = typer.Option(None, "--as", help="Your seat (default: the first other seat)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input line."),
    seed: int = typer.Option(0, "--seed", min=0, help="Makes the persona's choices and wording deterministic."),
    no_kb: bool = typer.Option(False, "--no-kb", help="Do not use the knowledge base (no citations)."),
) -> None:
    """Talk with a persona: one line per turn from stdin (/propose ISSUE=OPTION ..., /accept) until EOF."""
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.exercise.runtime import build_runtime
    from dialogue_engine.exercise.solo import pick_seats

    scen = load_scenario(scenario)
    human, counterpart = pick_seats(scen, persona, seat)
    failed = False
    runtime = build_runtime(knowledge=not no_kb, build_index=True)
    with runtime.scratch_store() as store:
        svc = runtime.service(store)
        session = SoloChat(svc, scen, human, counterpart, seed)
        if sys.stdin.isatty() and not as_json:
            typer.echo(f"{scen.title}: you hold {human}; {session.counterpart_name} holds {counterpart}. "
                       f"{PROPOSE} ISSUE=OPTION ... tables a package, {ACCEPT} takes theirs, Ctrl-D ends.")
        for raw in sys.stdin:
            line = raw.strip()
            if not line:
                continue
            try:
                _print(session.say(line), session, as_json)
            except ExerciseError as err:
                failed = True
                typer.echo(f"error: {err}", err=True)
            if session.ended:
                if not as_json:
                    typer.echo(session.ending())
                if not sys.stdin.isatty() and any(rest.strip() for rest in sys.stdin):
                    typer.echo(f"note: {talk_over(svc.state(session.exercise_id))}", err=True)
                break
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``chat`` to the root command."""
    app.command("chat")(chat)
