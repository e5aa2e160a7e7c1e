"""Event store: numbering, concurrent writers, optimistic appends, PostgreSQL, export/import."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from dialogue_engine.exercise.events import EventKind, NewEvent
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.store import EventStore, SeqConflict, StoreError
from dialogue_engine.exercise.testing import stand_in_factory

MINI = "tests/data/mini_scenario.yaml"


def _store(tmp_path) -> EventStore:
    return EventStore(f"sqlite:///{tmp_path / 'sub' / 'ex.db'}")


def _hammer(store: EventStore, ex_id: str, writers: int = 20, per_writer: int = 10) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                store.append(ex_id, EventKind.MESSAGE, f"w{n}", {"text": f"{n}-{i}", "round": i})  # payloads are typed: the writer's counter rides in "round"
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def _check_log(store: EventStore, ex_id: str, writers: int, per_writer: int) -> None:
    events = store.events(ex_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    msgs = [e for e in events if e.kind == EventKind.MESSAGE]
    assert len(msgs) == writers * per_writer
    assert len({e.payload["text"] for e in msgs}) == writers * per_writer
    for n in range(writers):
        own = [e.payload["round"] for e in msgs if e.actor == f"w{n}"]
        assert own == list(range(per_writer)), "a writer's events were reordered"


def test_default_database_is_created_under_the_data_dir(tmp_path):
    from dialogue_engine.config import get_settings

    store = EventStore()
    assert store.url.startswith("sqlite:///")
    assert (get_settings().data_dir / "exercises.db").exists()


def test_twenty_concurrent_writers_lose_nothing(tmp_path):
    svc = ExerciseService(_store(tmp_path), agent_factory=stand_in_factory)
    info = svc.create(MINI, [], seed=1)
    _hammer(svc.store, info.exercise_id, 20, 10)
    _check_log(svc.store, info.exercise_id, 20, 10)
    svc.state(info.exercise_id)


def test_optimistic_append_refuses_a_stale_view(tmp_path):
    store = _store(tmp_path)
    svc = ExerciseService(store, agent_factory=stand_in_factory)
    ex = svc.create(MINI, [], seed=1).exercise_id
    last = store.last_seq(ex)
    store.append(ex, EventKind.PAUSED, "facilitator", {})
    with pytest.raises(SeqConflict):
        store.append_many(ex, [NewEvent(EventKind.RESUMED, "facilitator", {})], expect_seq=last)
    assert store.append_many(ex, [NewEvent(EventKind.RESUMED, "facilitator", {})], expect_seq=last + 1)[0].seq == last + 2


def test_unknown_exercise_and_bad_url_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError) as err:
        _store(tmp_path).get_exercise("nope")
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError) as err:
        EventStore("postgresql+psycopg://u:secret@127.0.0.1:1/none")
    assert "secret" not in str(err.value) and "\n" not in str(err.value)


def test_export_import_round_trip(tmp_path):
    a = ExerciseService(_store(tmp_path), agent_factory=stand_in_factory)
    info = a.create(MINI, ["beta"], seed=4)
    a.start(info.facilitator_code)
    a.run_to_end(info.exercise_id)
    text = a.export_jsonl(info.exercise_id, tmp_path / "out" / "ex.jsonl")
    b = ExerciseService(EventStore(f"sqlite:///{tmp_path / 'other.db'}"), agent_factory=stand_in_factory)
    same = b.import_jsonl(tmp_path / "out" / "ex.jsonl", keep_id=True)
    assert same.exercise_id == info.exercise_id
    fresh = a.import_jsonl(text)
    assert fresh.exercise_id != info.exercise_id
    for svc, ex in ((b, same.exercise_id), (a, fresh.exercise_id)):
        assert [(e.seq, e.kind, e.actor, e.payload) for e in svc.events(ex)] == \
            [(e.seq, e.kind, e.actor, e.payload) for e in a.events(info.exercise_id)]
        assert svc.state(ex).outcome == a.state(info.exercise_id).outcome
    assert {s.code for s in fresh.seats if s.human}.isdisjoint({s.code for s in info.seats if s.human})
    with pytest.raises(StoreError):
        b.import_jsonl(text, keep_id=True)


def test_import_rejects_a_broken_file(tmp_path):
    from dialogue_engine.exercise.service import ExerciseError

    svc = ExerciseService(_store(tmp_path), agent_factory=stand_in_factory)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "an event"}\n')
    with pytest.raises(ExerciseError) as err:
        svc.import_jsonl(bad)
    assert "bad.jsonl:1" in str(err.value)


PG = os.environ.get("QD_TEST_POSTGRES_URL")


@pytest.mark.skipif(not PG, reason="QD_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server)")
@pytest.mark.xdist_group("postgres")  # one worker: the first to open the fresh database creates its tables
def test_postgres_concurrent_writers_and_a_full_exercise():
    url = PG if "+psycopg" in PG else PG.replace("postgresql://", "postgresql+psycopg://", 1)
    store = EventStore(url)
    svc = ExerciseService(store, agent_factory=stand_in_factory)
    info = svc.create(MINI, [], seed=2, exercise_id=f"pg-{uuid.uuid4().hex[:8]}")
    _hammer(store, info.exercise_id, 20, 5)
    _check_log(store, info.exercise_id, 20, 5)
    other = svc.create(MINI, [], seed=2, exercise_id=f"pg-{uuid.uuid4().hex[:8]}")
    out = svc.run_to_end(other.exercise_id)
    assert out is not None
    store.dispose()
