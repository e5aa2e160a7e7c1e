"""Moving exercises between databases: a log exported as JSONL (one event per line) and imported back."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dialogue_engine.domain import Scenario
from dialogue_engine.exercise import admission
from dialogue_engine.exercise.access import IssuedCodes, issue_codes, new_exercise_id
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, EventKind
from dialogue_engine.exercise.store import EventStore, ExerciseRecord


def export_jsonl(store: EventStore, exercise_id: str, path: str | Path | None = None) -> str:
    """The log as JSONL (one event per line); written to ``path`` when given.

    Raises:
        ExerciseError: no exercise has this id (nothing is written).
    """
    events = store.events(exercise_id)
    if not events:
        store.get_exercise(exercise_id)  # one line naming the unknown id
        raise ExerciseError(f"exercise {exercise_id} has no events to export")
    text = "".join(e.to_line() + "\n" for e in events)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text


MAX_IMPORT_BYTES = 50 * 1024 * 1024
"""The largest JSONL file ``import`` reads."""

EXERCISE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
"""What an exercise id may look like (letters, digits, ``-`` and ``_``; at most 64)."""

EVENT_KEYS = {"exercise_id", "seq", "ts", "kind", "actor", "payload"}


def import_jsonl(store: EventStore, source: str | Path, *, exercise_id: str | None = None,
                 keep_id: bool = False) -> tuple[str, IssuedCodes]:
    """Load an exported log (a file or its text) under a fresh id (or ``exercise_id``, or the original).

    Every event is checked as an append would be (:mod:`.admission`): its payload, its actor, its place in
    the log and the fold. New join codes are issued (an export holds none). Returns the id and the codes.

    Raises:
        ExerciseError: one line for a malformed log, naming the file and line; nothing is stored.
    """
    name = str(source) if _is_path(source) else "<jsonl>"
    text = _read(source) if _is_path(source) else str(source)
    events = parse_jsonl(text, name)
    created = events[0].payload
    if exercise_id is not None and not EXERCISE_ID.match(str(exercise_id)):
        raise ExerciseError(f"--id {str(exercise_id)[:80]!r}: an exercise id is 1-64 letters, digits, '-' or '_'")
    scen = Scenario.model_validate(created["scenario"])
    new_id = events[0].exercise_id if keep_id else (exercise_id or new_exercise_id())
    rec = ExerciseRecord(new_id, scen.id, scen.title, created.get("mode", "exercise"),
                         int(created.get("seed", 0)), events[0].ts,
                         json.dumps(created["scenario"], sort_keys=True))
    issued, rows = issue_codes(store, new_id, (s["party"] for s in created["seats"] if s["human"]))
    store.import_events(rec, events, rows)
    return new_id, issued


def _read(source: str | Path) -> str:
    path = Path(source)
    size = path.stat().st_size
    if size > MAX_IMPORT_BYTES:
        raise ExerciseError(f"{path}: {size} bytes; an exercise log to import is at most {MAX_IMPORT_BYTES}")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ExerciseError(f"{path}: not UTF-8 text (byte {err.start})") from None


def parse_jsonl(text: str, name: str = "<jsonl>") -> list[Event]:
    """The events of an exported log, each checked as an append would be.

    A ``created`` event first (the system's, a valid scenario, one seat per party), one exercise id on every
    line, seqs 1..n, and every later event admissible after the ones before it (typed payload, allowed
    actor, a vote by a seat on an existing proposal, an agreement only where the votes pass the rule...).

    Raises:
        ExerciseError: one line naming the file, the line and the problem.
    """
    events: list[Event] = []
    state = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            ev = _event(line, events[0].exercise_id if events else None, len(events) + 1)
            if state is None:
                state = admission.opening(ev)
            else:
                admission.step(state, ev)
        except ExerciseError as err:
            raise ExerciseError(f"{name}:{n}: {err}") from None
        events.append(ev)
    if not events:
        raise ExerciseError(f"{name}: no events (the first line must be a 'created' event)")
    return events


def _event(line: str, exercise_id: str | None, seq: int) -> Event:
    """One line as an event, its envelope checked (the payload is checked by admission)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError) as err:
        raise ExerciseError(f"not JSON ({type(err).__name__})") from None
    if not isinstance(data, dict):
        raise ExerciseError("an event is a JSON object")
    if set(data) != EVENT_KEYS:
        missing, extra = sorted(EVENT_KEYS - set(data)), sorted(set(data) - EVENT_KEYS)
        raise ExerciseError(f"an event has the keys {', '.join(sorted(EVENT_KEYS))}"
                            + (f"; missing {', '.join(missing)}" if missing else "")
                            + (f"; unknown {', '.join(str(k)[:40] for k in extra)}" if extra else ""))
    ex_id, kind, actor, ts = data["exercise_id"], data["kind"], data["actor"], data["ts"]
    if not isinstance(ex_id, str) or not EXERCISE_ID.match(ex_id):
        raise ExerciseError(f"exercise id {str(ex_id)[:80]!r}: 1-64 letters, digits, '-' or '_'")
    if exercise_id is not None and ex_id != exercise_id:
        raise ExerciseError(f"event of exercise {ex_id!r} in the log of {exercise_id!r}")
    if isinstance(data["seq"], bool) or not isinstance(data["seq"], int) or data["seq"] != seq:
        raise ExerciseError(f"seq {str(data['seq'])[:40]!r}: event seq numbers run 1, 2, 3 ... without gaps")
    if kind not in {k.value for k in EventKind}:
        raise ExerciseError(f"unknown event kind {str(kind)[:40]!r}")
    if not isinstance(actor, str) or not 0 < len(actor) <= 128:
        raise ExerciseError("an actor is a seat id, 'facilitator' or 'system'")
    if not isinstance(ts, str) or len(ts) > 40:
        raise ExerciseError("ts is an ISO-8601 time")
    if not isinstance(data["payload"], dict):
        raise ExerciseError(f"{kind} event: the payload must be an object")
    return Event(exercise_id=ex_id, seq=seq, ts=ts, kind=EventKind(kind), actor=actor, payload=data["payload"])


def _is_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    try:
        return "\n" not in source and len(source) < 4096 and Path(source).is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return False
