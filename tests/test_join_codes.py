"""Join codes: human-friendly format, hashed at rest with an indexed lookup, reissue/revoke, old databases."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from dialogue_engine.exercise import codes
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.service import ExerciseError, ExerciseService
from dialogue_engine.exercise.store import EventStore
from dialogue_engine.exercise.testing import stand_in_factory

MINI = "tests/data/mini_scenario.yaml"


def _service(db: Path) -> ExerciseService:
    return ExerciseService(database_url=f"sqlite:///{db}", agent_factory=stand_in_factory)


@pytest.fixture()
def db(tmp_path) -> Path:
    return tmp_path / "ex.db"


def _seat_code(info, party="beta") -> str:
    return next(s.code for s in info.seats if s.party == party)


def _db_bytes(db: Path) -> bytes:
    """Every byte SQLite keeps for the database: the file and its WAL and shared-memory files."""
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


# ------------------------------------------------------------------ format


def test_codes_avoid_look_alikes_and_are_grouped():
    assert not set("0O1ILU") & set(codes.ALPHABET)
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET) == 30
    seen = set()
    for _ in range(300):
        code = codes.new_code()
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(codes.ALPHABET)
        seen.add(code)
    assert len(seen) == 300
    fac = codes.new_code(codes.FACILITATOR_LENGTH)
    assert len(fac) == 14 and fac[4] == fac[9] == "-"


@pytest.mark.parametrize("typed", ["{c}", "{lower}", "{flat}", "{flatlower}", " {c} ", "{spaced}", "{lower_spaced}",
                                   "{c_underscore}", "{dotted}", "{wide}"])
def test_join_is_case_and_separator_tolerant(db, typed):
    svc = _service(db)
    info = svc.create(MINI, ["beta"], seed=1)
    c = _seat_code(info)
    flat = c.replace("-", "")
    text = typed.format(c=c, lower=c.lower(), flat=flat, flatlower=flat.lower(), spaced=" ".join(flat),
                        lower_spaced=c.lower().replace("-", "  "), c_underscore=c.replace("-", "_"),
                        dotted=flat[:4] + "." + flat[4:],
                        wide="".join(chr(ord(ch) + 0xFEE0) for ch in flat))
    assert svc.join(text).party == "beta"
    assert svc.join(info.facilitator_code.lower().replace("-", " ")).is_facilitator
    assert codes.canonical(text) == c


# ------------------------------------------------------------------ at rest


def test_no_plain_code_in_the_database_file(db):
    svc = _service(db)
    info = svc.create(MINI, ["alpha", "beta"], seed=1)
    reissued = svc.reissue_code(info.facilitator_code, "alpha").code
    plain = [info.facilitator_code, _seat_code(info, "alpha"), _seat_code(info, "beta"), reissued]
    svc.join(reissued)
    svc.store.dispose()
    data = _db_bytes(db)
    for code in plain:
        for form in {code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()}:
            assert form.encode() not in data, f"{form} is stored in plain text"
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT code_hash, role, party FROM join_codes").fetchall()
        stored = con.execute("SELECT codes FROM exercises").fetchall()
    finally:
        con.close()
    assert len(rows) == 4 and all(len(h) == 64 for h, _, _ in rows)  # hex HMAC-SHA256
    assert stored == [("{}",)]


def test_lookup_uses_the_index_not_a_scan(db):
    svc = _service(db)
    svc.create(MINI, ["beta"], seed=1)
    con = sqlite3.connect(db)
    try:
        plan = " ".join(str(r) for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM join_codes WHERE code_hash IN ('a', 'b')").fetchall())
    finally:
        con.close()
    assert "USING INDEX" in plan or "USING PRIMARY KEY" in plan, plan


def test_the_hash_is_keyed_per_database(tmp_path):
    a, b = EventStore(f"sqlite:///{tmp_path / 'a.db'}"), EventStore(f"sqlite:///{tmp_path / 'b.db'}")
    assert a.code_key != b.code_key and len(a.code_key) == 32
    assert EventStore(a.url).code_key == a.code_key  # kept in the database, not in the process
    assert codes.digest(a.code_key, "K7QFM3XD") != codes.digest(b.code_key, "K7QFM3XD")


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("text", ["x" * 100_000, "K7QF-M3XD" * 20, "\x00" * 70, "' OR 1=1 --", "%", "_" * 8,
                                  "\ud800abc", "ＫＡＢＣ", "", "   ", "\n", "K7QF-M3X", "0O1I-LUUU"])
def test_garbage_gives_one_clean_line(db, text):
    svc = _service(db)
    svc.create(MINI, ["beta"], seed=1)
    with pytest.raises(ExerciseError) as err:
        svc.join(text)
    assert "\n" not in str(err.value) and len(str(err.value)) < 120
    with pytest.raises(ExerciseError):
        svc.seat_view(text)


def test_non_string_input_is_refused(db):
    svc = _service(db)
    with pytest.raises(ExerciseError):
        svc.join(None)  # type: ignore[arg-type]


# ------------------------------------------------------------------ reissue and revoke


def test_reissue_replaces_the_code_and_survives_a_restart(db):
    svc = _service(db)
    info = svc.create(MINI, ["alpha", "beta"], seed=1)
    fac, old = info.facilitator_code, _seat_code(info)
    svc.join(old)
    assert {s.party: (s.active, s.joined) for s in svc.join_codes(fac)} == {"alpha": (True, False),
                                                                           "beta": (True, True)}
    new = svc.reissue_code(fac, "beta")
    assert new.party == "beta" and new.code and new.code != old and not new.joined
    with pytest.raises(ExerciseError, match="replaced"):
        svc.join(old)
    assert svc.join(new.code).party == "beta"
    events = [e for e in svc.events(info.exercise_id) if e.kind == EventKind.CODE_REISSUED]
    assert [(e.actor, e.payload["party"]) for e in events] == [("facilitator", "beta")]
    assert old not in json.dumps([e.payload for e in svc.events(info.exercise_id)])
    assert new.code not in svc.export_jsonl(info.exercise_id)

    again = _service(db)  # a new process on the same database
    with pytest.raises(ExerciseError, match="replaced"):
        again.join(old)
    assert again.join(new.code.lower()).party == "beta"
    status = {s.party: s for s in again.join_codes(fac)}
    assert status["beta"].active and status["beta"].replaced == 1 and status["beta"].joined
    assert again.seat_view(new.code).seat.party == "beta"


def test_revoke_locks_the_seat_until_reissued(db):
    svc = _service(db)
    info = svc.create(MINI, ["beta"], seed=1)
    fac, old = info.facilitator_code, _seat_code(info)
    svc.revoke_code(fac, "beta")
    with pytest.raises(ExerciseError):
        svc.join(old)
    assert [s.active for s in svc.join_codes(fac)] == [False]
    new = svc.reissue_code(fac, "beta").code
    assert svc.join(new).party == "beta" and [s.active for s in svc.join_codes(fac)] == [True]


def test_only_the_facilitator_reissues_and_only_human_seats(db):
    svc = _service(db)
    info = svc.create(MINI, ["beta"], seed=1)
    with pytest.raises(ExerciseError, match="only the facilitator"):
        svc.reissue_code(_seat_code(info), "beta")
    with pytest.raises(ExerciseError, match="AI persona"):
        svc.reissue_code(info.facilitator_code, "alpha")
    with pytest.raises(ExerciseError, match="unknown seat"):
        svc.revoke_code(info.facilitator_code, "nobody")
    with pytest.raises(ExerciseError, match="only the facilitator"):
        svc.join_codes(_seat_code(info))


def test_codes_are_shown_once(db):
    svc = _service(db)
    info = svc.create(MINI, ["beta"], seed=1)
    assert info.facilitator_code and _seat_code(info)
    later = svc.info(info.exercise_id)
    assert later.facilitator_code is None and all(s.code is None for s in later.seats)
    assert all(s.code is None for s in svc.facilitator_view(info.facilitator_code).seats)


def test_import_issues_new_codes_and_the_source_codes_stay_put(db, tmp_path):
    svc = _service(db)
    info = svc.create(MINI, ["beta"], seed=1)
    svc.reissue_code(info.facilitator_code, "beta")
    copy = _service(tmp_path / "copy.db").import_jsonl(svc.export_jsonl(info.exercise_id))
    assert copy.facilitator_code and _seat_code(copy) and _seat_code(copy) != _seat_code(info)
    assert _service(tmp_path / "copy.db").join(_seat_code(copy)).exercise_id == copy.exercise_id


# ------------------------------------------------------------------ databases of earlier versions

_OLD_SCHEMA = """
CREATE TABLE exercises (id VARCHAR(64) NOT NULL PRIMARY KEY, scenario_id VARCHAR(128) NOT NULL, title TEXT NOT NULL,
  mode VARCHAR(32) NOT NULL, seed INTEGER NOT NULL, created VARCHAR(40) NOT NULL, scenario TEXT NOT NULL,
  codes TEXT NOT NULL);
CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, exercise_id VARCHAR(64) NOT NULL,
  seq INTEGER NOT NULL, ts VARCHAR(40) NOT NULL, kind VARCHAR(32) NOT NULL, actor VARCHAR(128) NOT NULL,
  payload TEXT NOT NULL, CONSTRAINT uq_events_exercise_seq UNIQUE (exercise_id, seq));
CREATE INDEX ix_events_exercise_id ON events (exercise_id);
"""


def _old_database(tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    """A database as earlier versions wrote it: plain ``token_urlsafe`` codes as JSON in ``exercises.codes``."""
    src = _service(tmp_path / "src.db")
    info = src.create(MINI, ["beta"], seed=3)
    src.join(_seat_code(info))
    src.post_message(info.facilitator_code, "Welcome, everyone.")
    old_codes = {"fac": "2wOiSC4F1ibnw-Ao", "beta": "Kx_9lI0oQ-zz8Yw1"}
    plain = {old_codes["fac"]: {"role": "facilitator", "party": None},
             old_codes["beta"]: {"role": "seat", "party": "beta"}}
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    try:
        con.executescript(_OLD_SCHEMA)
        con.execute("INSERT INTO exercises VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
            info.exercise_id, info.scenario_id, info.title, "exercise", 3, info.created,
            src.store.get_exercise(info.exercise_id).scenario_json, json.dumps(plain, sort_keys=True)))
        con.executemany("INSERT INTO events (exercise_id, seq, ts, kind, actor, payload) VALUES (?, ?, ?, ?, ?, ?)",
                        [(e.exercise_id, e.seq, e.ts, e.kind.value, e.actor, json.dumps(e.payload, sort_keys=True))
                         for e in src.events(info.exercise_id)])
        con.commit()
    finally:
        con.close()
    src.store.dispose()
    return path, info.exercise_id, old_codes


def test_an_old_database_opens_and_its_codes_still_work(tmp_path):
    path, ex_id, old = _old_database(tmp_path)
    assert old["beta"].encode() in path.read_bytes()
    svc = _service(path)
    assert svc.join(old["beta"]).party == "beta"  # as issued (old codes are case-sensitive)
    assert svc.join(f"  {old['beta']} ").party == "beta"
    with pytest.raises(ExerciseError):
        svc.join(old["beta"].lower())
    assert svc.join(old["fac"]).is_facilitator
    view = svc.seat_view(old["beta"])
    assert [t.text for t in view.transcript] == ["Welcome, everyone."]  # old events read as before
    assert svc.state(ex_id).joined == {"beta"}
    svc.post_message(old["beta"], "Still here.")
    new = svc.reissue_code(old["fac"], "beta").code
    assert codes.normalize(new) and svc.join(new).party == "beta"
    with pytest.raises(ExerciseError, match="replaced"):
        svc.join(old["beta"])
    svc.store.dispose()
    data = _db_bytes(path)
    assert old["beta"].encode() not in data and old["fac"].encode() not in data
    again = _service(path)  # opening again moves nothing twice
    assert again.store.migrate_plain_codes() == 0
    assert again.join(old["fac"]).is_facilitator and len(again.store.codes(ex_id)) == 3


def test_a_broken_old_codes_column_is_blanked_not_fatal(tmp_path):
    path, ex_id, old = _old_database(tmp_path)
    con = sqlite3.connect(path)
    con.execute("UPDATE exercises SET codes = 'not json'")
    con.commit()
    con.close()
    svc = _service(path)
    assert svc.state(ex_id).exercise_id == ex_id
    with pytest.raises(ExerciseError, match="unknown join code"):
        svc.join(old["beta"])


PG = os.environ.get("QD_TEST_POSTGRES_URL")


@pytest.mark.skipif(not PG, reason="QD_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server)")
@pytest.mark.xdist_group("postgres")  # one worker: the first to open the fresh database creates its tables
def test_postgres_codes_reissue_and_old_rows():
    url = PG if "+psycopg" in PG else PG.replace("postgresql://", "postgresql+psycopg://", 1)
    svc = ExerciseService(EventStore(url), agent_factory=stand_in_factory)
    info = svc.create(MINI, ["beta"], seed=1, exercise_id=f"pg-{uuid.uuid4().hex[:8]}")
    old = _seat_code(info)
    assert svc.join(old.lower().replace("-", " ")).party == "beta"
    new = svc.reissue_code(info.facilitator_code, "beta").code
    again = ExerciseService(EventStore(url), agent_factory=stand_in_factory)
    with pytest.raises(ExerciseError, match="replaced"):
        again.join(old)
    assert again.join(new).party == "beta"
    with pytest.raises(ExerciseError):
        again.join("x" * 100_000)
    legacy = f"Leg_{uuid.uuid4().hex[:12]}"  # a row as an earlier version wrote it
    with svc.store.engine.begin() as conn:
        conn.execute(sql("UPDATE exercises SET codes = :c WHERE id = :i"),
                     {"c": json.dumps({legacy: {"role": "seat", "party": "beta"}}), "i": info.exercise_id})
    third = ExerciseService(EventStore(url), agent_factory=stand_in_factory)
    assert third.join(legacy).party == "beta"
    with third.store.engine.begin() as conn:
        assert conn.execute(sql("SELECT codes FROM exercises WHERE id = :i"),
                            {"i": info.exercise_id}).scalar_one() == "{}"
    for s in (svc, again, third):
        s.store.dispose()
