"""The event store: exercises and their append-only event logs through SQLAlchemy 2.

SQLite (the default, a file under the data dir) runs in WAL mode with a busy timeout and takes the write
lock at the start of each transaction; any other SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) works
the same way. ``append`` numbers events with ``max(seq) + 1`` inside a transaction and retries when the
``UNIQUE(exercise_id, seq)`` constraint reports a concurrent writer, so no event is lost or reordered.

Join codes live in their own table, ``join_codes``, as keyed hashes only (see :mod:`.codes`), looked up by
primary key. Databases written before that kept plain codes as JSON in ``exercises.codes``; opening one moves
them into ``join_codes`` (hashed as issued, so they keep working) and blanks the column
(:meth:`EventStore.migrate_plain_codes`). The column stays, always ``{}``, so older schemas still accept rows.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

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
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from dialogue_engine.errors import QDError
from dialogue_engine.exercise.codes import legacy_digest
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.events import Event, EventKind, NewEvent, utc_now
from dialogue_engine.exercise.payloads import check_payload

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
    Column("codes", Text, nullable=False),  # plain codes before join_codes existed; now always "{}"
)

join_codes_table = Table(
    "join_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # HMAC-SHA256 hex of the code; the code is never stored
    Column("exercise_id", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("party", String(128), nullable=True),
    Column("issued", String(40), nullable=False),
    Column("revoked", String(40), nullable=True),
)

meta_table = Table(
    "meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

NO_CODES = "{}"
"""What ``exercises.codes`` holds since codes moved to ``join_codes``."""

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

votes_table = Table(
    "votes",
    metadata,
    Column("exercise_id", String(64), nullable=False),
    Column("proposal", Integer, nullable=False),
    Column("party", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    UniqueConstraint("exercise_id", "proposal", "party", name="uq_votes_exercise_proposal_party"),
)
"""One row per vote cast (written with its ``vote`` event, in the same transaction): one vote per seat per proposal."""

MAX_RETRIES = 60


class StoreError(QDError):
    """The exercise database cannot be used or the exercise is unknown."""


class SeqConflict(QDError):
    """The log moved on since the caller read it (optimistic append lost the race)."""


class DuplicateVote(ExerciseError):
    """The seat has already voted on that proposal (refused by the ``votes`` table; nothing is stored)."""


@dataclass(frozen=True)
class ExerciseRecord:
    """The exercises row: identity, scenario snapshot (JSON text) and seed (join codes: :class:`CodeRow`)."""

    id: str
    scenario_id: str
    title: str
    mode: str
    seed: int
    created: str
    scenario_json: str


@dataclass(frozen=True, kw_only=True)
class CodeRow:
    """One join code at rest: its hash, whose it is, when it was issued and (if so) revoked."""

    code_hash: str
    exercise_id: str
    role: str
    party: str | None = None
    issued: str = ""
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def _sqlite_setup(engine: Engine) -> None:
    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA secure_delete=ON")  # a blanked or deleted value leaves no bytes behind
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
        codes=NO_CODES,
    )


def _insert_codes(conn: Connection, codes: Iterable[CodeRow]) -> None:
    rows = [{"code_hash": c.code_hash, "exercise_id": c.exercise_id, "role": c.role, "party": c.party,
             "issued": c.issued, "revoked": c.revoked} for c in codes]
    if rows:
        conn.execute(insert(join_codes_table), rows)

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
            self._code_key: bytes | None = None
            self.migrate_plain_codes()
            self.index_votes()
        except Exception as err:  # noqa: BLE001 - any driver failure becomes one line
            raise StoreError(f"cannot open exercise database {_redact(database_url)}: {_first_line(err)}") from err

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ join codes

    @property
    def code_key(self) -> bytes:
        """This database's secret for hashing join codes (made once, on first use, and kept in ``meta``)."""
        if self._code_key is None:
            query = select(meta_table.c.value).where(meta_table.c.name == "code_key")
            try:
                with self.engine.begin() as conn:
                    value = conn.execute(query).scalar()
                    if value is None:
                        value = secrets.token_hex(32)
                        conn.execute(insert(meta_table).values(name="code_key", value=value))
            except IntegrityError:  # another process made it first: use theirs
                with self.engine.begin() as conn:
                    value = conn.execute(query).scalar_one()
            self._code_key = bytes.fromhex(value)
        return self._code_key

    def find_code(self, digests: Iterable[str]) -> CodeRow | None:
        """The code row with one of ``digests`` (the first that matches, in order), revoked or not; or None."""
        digests = list(digests)
        if not digests:
            return None
        with self.engine.begin() as conn:
            rows = conn.execute(select(join_codes_table).where(join_codes_table.c.code_hash.in_(digests))).all()
        by_hash = {r.code_hash: _code_row(r) for r in rows}
        return next((by_hash[d] for d in digests if d in by_hash), None)

    def codes(self, exercise_id: str) -> list[CodeRow]:
        """Every code row of an exercise (active and revoked), oldest first."""
        with self.engine.begin() as conn:
            rows = conn.execute(select(join_codes_table).where(join_codes_table.c.exercise_id == exercise_id)
                                .order_by(join_codes_table.c.issued)).all()
        return [_code_row(r) for r in rows]

    def replace_code(self, exercise_id: str, party: str, new: CodeRow | None, event: NewEvent) -> Event:
        """Revoke ``party``'s active code, add ``new`` (if any) and append ``event``, all in one transaction."""
        def swap(conn: Connection) -> None:
            now = utc_now()
            conn.execute(update(join_codes_table).where(
                join_codes_table.c.exercise_id == exercise_id, join_codes_table.c.party == party,
                join_codes_table.c.revoked.is_(None)).values(revoked=now))
            if new is not None:
                _insert_codes(conn, [new])

        return self.append_many(exercise_id, [event], also=swap)[0]

    def migrate_plain_codes(self) -> int:
        """Move plain codes of an earlier version from ``exercises.codes`` into ``join_codes``; returns how many.

        Each exercise is moved in its own transaction, and only if its column still holds what was read, so two
        processes opening the same old database at once move each code once.
        """
        with self.engine.begin() as conn:
            pending = conn.execute(select(exercises_table.c.id, exercises_table.c.codes, exercises_table.c.created)
                                   .where(exercises_table.c.codes != NO_CODES)).all()
        moved = 0
        for ex_id, text, created in pending:
            try:
                plain = json.loads(text or "{}")
            except ValueError:
                plain = {}
            rows = [CodeRow(code_hash=legacy_digest(self.code_key, code), exercise_id=ex_id,
                            role=str(v.get("role", "seat")), party=v.get("party"), issued=created)
                    for code, v in (plain.items() if isinstance(plain, dict) else []) if isinstance(v, dict)]
            with self.engine.begin() as conn:
                done = conn.execute(update(exercises_table).where(
                    exercises_table.c.id == ex_id, exercises_table.c.codes == text).values(codes=NO_CODES))
                if done.rowcount == 1:
                    _insert_codes(conn, rows)
                    moved += len(rows)
        if moved:
            logger.info("moved %d plain join code(s) of %d exercise(s) into hashed storage", moved, len(pending))
        return moved

    def index_votes(self) -> int:
        """Fill the ``votes`` table from the vote events of a database written before it existed, once.

        A ``meta`` row marks the database as indexed, in the same transaction, so this runs once per
        database (a concurrent opener that loses the race on the marker leaves it to the winner).
        """
        marker = "votes_indexed"
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(meta_table.c.value).where(meta_table.c.name == marker)).scalar() is not None:
                    return 0
                conn.execute(insert(meta_table).values(name=marker, value=utc_now()))
                rows = conn.execute(select(events_table).where(events_table.c.kind == EventKind.VOTE.value)
                                    .order_by(events_table.c.exercise_id, events_table.c.seq)).all()
                by_exercise: dict[str, list[Event]] = {}
                for r in rows:
                    payload = _loads(r.payload)
                    if _is_int(payload.get("proposal")):
                        by_exercise.setdefault(r.exercise_id, []).append(
                            Event(r.exercise_id, r.seq, r.ts, EventKind.VOTE, r.actor, payload))
                for ex_id, votes in by_exercise.items():
                    _insert_votes(conn, ex_id, votes, first_only=True)
        except IntegrityError:
            return 0
        if rows:
            logger.info("indexed %d stored vote(s) of %d exercise(s)", len(rows), len(by_exercise))
        return len(rows)

    # ------------------------------------------------------------ exercises and events

    def create_exercise(self, record: ExerciseRecord, created_payload: dict[str, Any],
                        codes: Iterable[CodeRow] = ()) -> Event:
        """Insert the exercise row, its hashed join codes and its ``created`` event (seq 1) in one transaction.

        Raises:
            StoreError: the id, or (very rarely) a code's hash, is taken.
        """
        check_payload(EventKind.CREATED, created_payload)
        ev = Event(record.id, 1, record.created, EventKind.CREATED, "system", created_payload)
        try:
            with self.engine.begin() as conn:
                conn.execute(_insert_exercise(record))
                _insert_codes(conn, codes)
                conn.execute(insert(events_table).values(**_row(ev)))
        except IntegrityError as err:
            raise StoreError(f"exercise {record.id!r} or one of its codes already exists in "
                             f"{_redact(self.url)}") from err
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

    def live_scenario_ids(self) -> set[str]:
        """Scenario ids of the exercises (any mode) that have no ``ended`` event yet: the scenarios in play."""
        ended = select(events_table.c.exercise_id).where(events_table.c.kind == EventKind.ENDED.value)
        with self.engine.begin() as conn:
            rows = conn.execute(select(exercises_table.c.scenario_id).distinct()
                                .where(exercises_table.c.id.not_in(ended))).all()
        return {r.scenario_id for r in rows}

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
        self, exercise_id: str, new: Iterable[NewEvent], *, expect_seq: int | None = None,
        also: Callable[[Connection], None] | None = None,
    ) -> list[Event]:
        """Append events contiguously in one transaction.

        Args:
            expect_seq: when given, append only if the log still ends at this seq; otherwise raise
                :class:`SeqConflict` (the caller re-reads and decides again).
            also: more writes for the same transaction (run again on a retry, after the rollback).
        """
        new = list(new)
        if not new:
            return []
        for e in new:
            check_payload(e.kind, e.payload)
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
                    if also is not None:
                        also(conn)
                    _insert_votes(conn, exercise_id, out)
                    conn.execute(insert(events_table), [_row(e) for e in out])
                return out
            except (IntegrityError, OperationalError) as err:
                if isinstance(err, OperationalError) and "lock" not in str(err).lower():
                    raise StoreError(f"cannot write to {_redact(self.url)}: {_first_line(err)}") from err
                logger.debug("append conflict on %s (attempt %d): %s", exercise_id, attempt + 1, _first_line(err))
                time.sleep(random.uniform(0.001, 0.01) * (1 + attempt))
        raise StoreError(f"could not append to exercise {exercise_id} after {MAX_RETRIES} attempts")

    def import_events(self, record: ExerciseRecord, events: list[Event], codes: Iterable[CodeRow] = ()) -> None:
        """Insert an exercise row, its hashed join codes and a whole log (for JSONL import), renumbered to ``record.id``.

        Raises:
            StoreError: when the id already exists.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(_insert_exercise(record))
                _insert_codes(conn, codes)
                renamed = [Event(record.id, e.seq, e.ts, e.kind, e.actor, e.payload) for e in events]
                _insert_votes(conn, record.id, renamed, first_only=True)
                if renamed:
                    conn.execute(insert(events_table), [_row(e) for e in renamed])
        except IntegrityError as err:
            raise StoreError(f"exercise {record.id!r} already exists in {_redact(self.url)}") from err

    def iter_all(self) -> Iterator[ExerciseRecord]:
        yield from self.list_exercises()


def _vote_rows(exercise_id: str, events: Iterable[Event]) -> list[dict[str, Any]]:
    """The ``votes`` rows of the (non-abstaining) vote events among ``events``."""
    return [{"exercise_id": exercise_id, "proposal": int(e.payload["proposal"]), "party": e.actor, "seq": e.seq}
            for e in events if e.kind == EventKind.VOTE and not e.payload.get("abstain")]


def _insert_votes(conn: Connection, exercise_id: str, events: list[Event], *, first_only: bool = False) -> None:
    """Record the votes among ``events``; a seat's second vote on a proposal raises :class:`DuplicateVote`.

    The ``votes`` table's unique key settles a race between processes (the loser's transaction fails and
    its retry finds the row); the check here turns that into one line. ``first_only`` keeps the first of
    repeated votes instead (for logs written before the table existed; the fold counts one vote per seat).
    """
    rows = _vote_rows(exercise_id, events)
    if not rows:
        return
    keys = {(r["proposal"], r["party"]) for r in rows}
    taken = conn.execute(select(votes_table.c.proposal, votes_table.c.party).where(
        votes_table.c.exercise_id == exercise_id,
        votes_table.c.proposal.in_(sorted({k[0] for k in keys})))).all()
    seen = {(int(p), party) for p, party in taken}
    fresh = []
    for r in rows:
        key = (r["proposal"], r["party"])
        if key in seen:
            if first_only:
                continue
            raise DuplicateVote(f"{r['party']} has already voted on proposal #{r['proposal']}")
        seen.add(key)
        fresh.append(r)
    if fresh:
        conn.execute(insert(votes_table), fresh)


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
    )


def _code_row(row: Any) -> CodeRow:
    return CodeRow(code_hash=row.code_hash, exercise_id=row.exercise_id, role=row.role, party=row.party,
                   issued=row.issued, revoked=row.revoked)


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
