"""The event store: exercises and their append-only event logs through SQLAlchemy 2.

SQLite (the default, a file under the data dir) runs in WAL mode with a busy timeout and takes the write
lock at the start of each transaction; any other SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) works
the same way. ``append`` numbers events with ``max(seq) + 1`` inside a transaction and retries when the
``UNIQUE(exercise_id, seq)`` constraint reports a concurrent writer, so no event is lost or reordered.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event as sa_event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from dialogue_engine.errors import QDError
from dialogue_engine.exercise.events import Event, EventKind, NewEvent, utc_now

logger = logging.getLogger(__name__)

metadata = MetaData()

exercises_table = Table(
    "exercises",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("scenario_id", String(128), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("mode", String(32), nullable=False, default="exercise"),
    Column("seed", Integer, nullable=False, default=0),
    Column("created", String(40), nullable=False),
    Column("scenario", Text, nullable=False),
    Column("codes", Text, nullable=False),
)

events_table = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exercise_id", String(64), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("ts", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("exercise_id", "seq", name="uq_events_exercise_seq"),
)

MAX_RETRIES = 60


class StoreError(QDError):
    """The exercise database cannot be used or the exercise is unknown."""


class SeqConflict(QDError):
    """The log moved on since the caller read it (optimistic append lost the race)."""


@dataclass(frozen=True)
class ExerciseRecord:
    """The exercises row: identity, scenario snapshot (JSON text), seed and join codes."""

    id: str
    scenario_id: str
    title: str
    mode: str
    seed: int
    created: str
    scenario_json: str
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)


def _sqlite_setup(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE")



def _insert_exercise(record: ExerciseRecord):
    """The INSERT of an exercise row."""
    return insert(exercises_table).values(
        id=record.id,
        scenario_id=record.scenario_id,
        title=record.title,
        mode=record.mode,
        seed=record.seed,
        created=record.created,
        scenario=record.scenario_json,
        codes=json.dumps(record.codes, sort_keys=True),
    )

class EventStore:
    """Exercises and their events in one SQL database.

    Args:
        database_url: a SQLAlchemy URL; default ``settings.resolved_database_url`` (a SQLite file whose
            parent folder is created).
    """

    def __init__(self, database_url: str | None = None):
        if database_url is None:
            from dialogue_engine.config import get_settings

            database_url = get_settings().resolved_database_url
        self.url = database_url
        try:
            if database_url.startswith("sqlite"):
                path = database_url.split(":///", 1)[-1]
                if path and path != ":memory:":
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                self.engine = create_engine(
                    database_url, connect_args={"timeout": 30, "check_same_thread": False}
                )
                _sqlite_setup(self.engine)
            else:
                self.engine = create_engine(database_url, pool_pre_ping=True)
            metadata.create_all(self.engine)
        except Exception as err:  # noqa: BLE001 - any driver failure becomes one line
            raise StoreError(f"cannot open exercise database {_redact(database_url)}: {_first_line(err)}") from err

    def dispose(self) -> None:
        self.engine.dispose()

    def create_exercise(self, record: ExerciseRecord, created_payload: dict[str, Any]) -> Event:
        """Insert the exercise row and its ``created`` event (seq 1) in one transaction."""
        ev = Event(record.id, 1, record.created, EventKind.CREATED, "system", created_payload)
        with self.engine.begin() as conn:
            conn.execute(_insert_exercise(record))
            conn.execute(insert(events_table).values(**_row(ev)))
        return ev

    def get_exercise(self, exercise_id: str) -> ExerciseRecord:
        """The exercise row.

        Raises:
            StoreError: when there is no such exercise.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(exercises_table).where(exercises_table.c.id == exercise_id)).first()
        if row is None:
            raise StoreError(f"no exercise {exercise_id!r} in {_redact(self.url)}")
        return _record(row)

    def list_exercises(self) -> list[ExerciseRecord]:
        """All exercises, newest first."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(exercises_table).order_by(exercises_table.c.created.desc())).all()
        return [_record(r) for r in rows]

    def find_code(self, code: str) -> tuple[str, dict[str, Any]] | None:
        """(exercise id, {role, party}) for a join code, or None."""
        like = f"%{json.dumps(code)}%"
        with self.engine.begin() as conn:
            rows = conn.execute(select(exercises_table).where(exercises_table.c.codes.like(like))).all()
        for row in rows:
            codes = json.loads(row.codes)
            if code in codes:
                return row.id, codes[code]
        return None

    def last_seq(self, exercise_id: str) -> int:
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    select(func.coalesce(func.max(events_table.c.seq), 0)).where(
                        events_table.c.exercise_id == exercise_id
                    )
                ).scalar_one()
            )

    def events(self, exercise_id: str, after: int = 0) -> list[Event]:
        """The exercise's events with ``seq > after``, in order."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(events_table)
                .where(events_table.c.exercise_id == exercise_id, events_table.c.seq > after)
                .order_by(events_table.c.seq)
            ).all()
        return [
            Event(r.exercise_id, r.seq, r.ts, EventKind(r.kind), r.actor, json.loads(r.payload)) for r in rows
        ]

    def append(self, exercise_id: str, kind: EventKind, actor: str, payload: dict[str, Any] | None = None) -> Event:
        """Append one event at the end of the log (retrying on a concurrent writer)."""
        return self.append_many(exercise_id, [NewEvent(kind, actor, payload or {})])[0]

    def append_many(
        self, exercise_id: str, new: Iterable[NewEvent], *, expect_seq: int | None = None
    ) -> list[Event]:
        """Append events contiguously in one transaction.

        Args:
            expect_seq: when given, append only if the log still ends at this seq; otherwise raise
                :class:`SeqConflict` (the caller re-reads and decides again).
        """
        new = list(new)
        if not new:
            return []
        for attempt in range(MAX_RETRIES):
            try:
                with self.engine.begin() as conn:
                    last = int(
                        conn.execute(
                            select(func.coalesce(func.max(events_table.c.seq), 0)).where(
                                events_table.c.exercise_id == exercise_id
                            )
                        ).scalar_one()
                    )
                    if expect_seq is not None and last != expect_seq:
                        raise SeqConflict(f"exercise {exercise_id} moved from seq {expect_seq} to {last}")
                    ts = utc_now()
                    out = [
                        Event(exercise_id, last + i + 1, ts, e.kind, e.actor, e.payload) for i, e in enumerate(new)
                    ]
                    conn.execute(insert(events_table), [_row(e) for e in out])
                return out
            except (IntegrityError, OperationalError) as err:
                if isinstance(err, OperationalError) and "lock" not in str(err).lower():
                    raise StoreError(f"cannot write to {_redact(self.url)}: {_first_line(err)}") from err
                logger.debug("append conflict on %s (attempt %d): %s", exercise_id, attempt + 1, _first_line(err))
                time.sleep(random.uniform(0.001, 0.01) * (1 + attempt))
        raise StoreError(f"could not append to exercise {exercise_id} after {MAX_RETRIES} attempts")

    def import_events(self, record: ExerciseRecord, events: list[Event]) -> None:
        """Insert an exercise row and a whole log (for JSONL import), renumbered to ``record.id``.

        Raises:
            StoreError: when the id already exists.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(_insert_exercise(record))
                rows = [_row(Event(record.id, e.seq, e.ts, e.kind, e.actor, e.payload)) for e in events]
                if rows:
                    conn.execute(insert(events_table), rows)
        except IntegrityError as err:
            raise StoreError(f"exercise {record.id!r} already exists in {_redact(self.url)}") from err

    def iter_all(self) -> Iterator[ExerciseRecord]:
        yield from self.list_exercises()


def _row(ev: Event) -> dict[str, Any]:
    return {
        "exercise_id": ev.exercise_id,
        "seq": ev.seq,
        "ts": ev.ts,
        "kind": ev.kind.value,
        "actor": ev.actor,
        "payload": json.dumps(ev.payload, sort_keys=True, ensure_ascii=False),
    }


def _record(row: Any) -> ExerciseRecord:
    return ExerciseRecord(
        id=row.id,
        scenario_id=row.scenario_id,
        title=row.title,
        mode=row.mode,
        seed=int(row.seed),
        created=row.created,
        scenario_json=row.scenario,
        codes=json.loads(row.codes),
    )


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _redact(url: str) -> str:
    """The URL without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
