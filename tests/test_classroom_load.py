"""A classroom at once: 30 human seats act at the same moment through two app processes on one database.

Each app process is an ``ExerciseService`` with one thread per seat (as Streamlit serves one browser session
per thread), without Streamlit itself. The PostgreSQL run needs ``QD_TEST_POSTGRES_URL`` (``.ci/run`` starts
a throwaway server); the small SQLite run checks the harness itself in every ``make test``.
"""

from __future__ import annotations

import os

import pytest

from dialogue_engine.exercise.loadtest import LoadPlan, LoadReport, check_log, open_tables, run_load

PG = os.environ.get("QD_TEST_POSTGRES_URL")


def _pg_url() -> str:
    return PG if "+psycopg" in PG else PG.replace("postgresql://", "postgresql+psycopg://", 1)


def _assert_clean(report: LoadReport) -> None:
    plan = report.plan
    assert report.unexpected_refusals == []
    assert report.lost == [] and report.miscounted == [], (report.lost[:5], report.miscounted[:5])
    assert report.duplicate_votes == []
    assert report.seq_gap_free
    votes = [r for r in report.results if r["kind"] == "vote"]
    # every seat's action is accepted exactly once; a vote sent from the second device is refused as a duplicate
    assert len(report.accepted) == plan.seats * plan.waves
    assert len(votes) - len({r["id"] for r in votes}) == report.summary()["refused_duplicate_votes"]
    assert {r["id"] for r in votes} == {r["id"] for r in votes if r["ok"]}


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.skipif(not PG, reason="QD_TEST_POSTGRES_URL is not set (.ci/run starts a PostgreSQL server)")
@pytest.mark.xdist_group("postgres")  # one worker: the first to open the fresh database creates its tables
def test_thirty_seats_at_once_through_two_processes_on_postgres():
    report = run_load(LoadPlan(database_url=_pg_url(), seats=30, tables=1, processes=2, waves=3))
    summary = report.summary()
    print(f"\nclassroom load on PostgreSQL: {summary}")
    _assert_clean(report)
    assert summary["lost_events"] == 0 and summary["processes"] == 2
    assert summary["p95_ms"] < 30_000, summary  # a sanity bound, not a target: the figure is printed


def test_six_seats_through_two_processes_on_sqlite(tmp_path):
    report = run_load(LoadPlan(database_url=f"sqlite:///{tmp_path / 'load.db'}", seats=6, tables=2, waves=3))
    _assert_clean(report)
    assert report.summary()["refused_duplicate_votes"] == 6  # one vote per seat over three waves, sent twice


def test_the_check_reports_a_lost_action_and_an_unrecorded_event(tmp_path):
    plan = LoadPlan(database_url=f"sqlite:///{tmp_path / 'load.db'}", seats=2, waves=1)
    seats = open_tables(plan)
    claimed = [{"seat": seats[1]["key"], "kind": "message", "id": f"w0-{seats[1]['key']}-feed00", "ok": True,
                "latency": 0.01, "seq": 99}]
    report = check_log(plan, seats, claimed, [0.01])
    assert len(report.lost) == 1 and "stored 0 times" in report.lost[0]
    assert report.miscounted and report.summary()["lost_events"] == 1


def test_threads_of_one_process_take_turns_on_an_exercise(tmp_path):
    """Seats acting at once through one service decide one after another: no commit is decided on a stale
    state and started over (before, all but one of them lost the race and re-read the log)."""
    import threading

    from dialogue_engine.exercise.service import ExerciseService
    from dialogue_engine.exercise.store import SeqConflict
    from dialogue_engine.exercise.testing import stand_in_factory

    plan = LoadPlan(database_url=f"sqlite:///{tmp_path / 'load.db'}", seats=12, waves=1)
    seats = open_tables(plan)
    svc = ExerciseService(database_url=plan.database_url, agent_factory=stand_in_factory)
    conflicts, append = [], svc.store.append_many

    def counted(*args, **kwargs):
        try:
            return append(*args, **kwargs)
        except SeqConflict:
            conflicts.append(1)
            raise

    svc.store.append_many = counted
    barrier = threading.Barrier(len(seats))
    errors = []

    def act(code: str, n: int) -> None:
        barrier.wait()
        try:
            svc.post_message(code, f"at once {n}")
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=act, args=(s["code"], n)) for n, s in enumerate(seats)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = [m.text for m in svc.state(seats[0]["exercise_id"]).messages]
    svc.store.dispose()
    assert not errors and conflicts == []
    assert sorted(t for t in texts if t.startswith("at once")) == sorted(f"at once {n}" for n in range(len(seats)))
