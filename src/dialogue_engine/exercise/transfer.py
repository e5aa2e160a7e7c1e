"""Moving exercises between databases: a log exported as JSONL (one event per line) and imported back."""

from __future__ import annotations

import json
from pathlib import Path

from dialogue_engine.domain import Scenario
from dialogue_engine.exercise.access import IssuedCodes, issue_codes, new_exercise_id
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, EventKind
from dialogue_engine.exercise.state import fold
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


def import_jsonl(store: EventStore, source: str | Path, *, exercise_id: str | None = None,
                 keep_id: bool = False) -> tuple[str, IssuedCodes]:
    """Load an exported log (a file or its text) under a fresh id (or ``exercise_id``, or the original).

    New join codes are issued (an export holds none). Returns the id and the codes; raises
    :class:`ExerciseError` for a malformed log.
    """
    text = Path(source).read_text(encoding="utf-8") if _is_path(source) else str(source)
    name = str(source) if _is_path(source) else "<jsonl>"
    events = parse_jsonl(text, name)
    created = events[0].payload
    scen = Scenario.model_validate(created["scenario"])
    new_id = events[0].exercise_id if keep_id else (exercise_id or new_exercise_id())
    rec = ExerciseRecord(new_id, scen.id, scen.title, created.get("mode", "exercise"),
                         int(created.get("seed", 0)), events[0].ts,
                         json.dumps(created["scenario"], sort_keys=True))
    issued, rows = issue_codes(store, new_id, (s["party"] for s in created["seats"] if s["human"]))
    store.import_events(rec, events, rows)
    return new_id, issued


def parse_jsonl(text: str, name: str = "<jsonl>") -> list[Event]:
    """The events of an exported log, checked: a ``created`` event first, seqs 1..n, and a log that folds."""
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
    if [e.seq for e in events] != list(range(1, len(events) + 1)):
        raise ExerciseError(f"{name}: event seq numbers must run 1..{len(events)} without gaps")
    fold(events)
    return events


def _is_path(source: str | Path) -> bool:
    if isinstance(source, Path):
        return True
    return "\n" not in source and len(source) < 4096 and Path(source).is_file()
