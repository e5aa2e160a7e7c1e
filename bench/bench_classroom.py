"""Classroom load: 30 human seats act at the same moment through two app processes on one database.

Each app process is an ``ExerciseService`` with one thread per seat (the app's logic without Streamlit);
every wave, each seat posts a message, tables a proposal or votes (a voting seat votes from both processes,
as one seat open on two devices). Prints the p50/p95 action latency and the events lost (accepted but not
stored exactly once), beside baselines from the same run: one process instead of two, five tables of six
instead of one table of thirty, and the SQLite file the app uses by default.

    .venv/bin/python bench/bench_classroom.py [--db URL] [--seats 30] [--waves 3] [--only] [--json]

The database is ``--db``, else ``QD_TEST_POSTGRES_URL`` (``.ci/run`` starts a throwaway PostgreSQL); without
either only the SQLite rows run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from _common import ensure_src_on_path, machine_note, table

ensure_src_on_path()

from dialogue_engine.exercise.loadtest import LoadPlan, run_load  # noqa: E402


def _pg(url: str) -> str:
    return url if "+psycopg" in url else url.replace("postgresql://", "postgresql+psycopg://", 1)


def plans(pg: str | None, sqlite: str, seats: int, waves: int, only: bool) -> list[tuple[str, LoadPlan]]:
    """The main configuration first, then its baselines."""
    main_db, main_name = (pg, "PostgreSQL") if pg else (sqlite, "SQLite")
    out = [(f"{main_name}, 1 table x {seats}, 2 processes", LoadPlan(database_url=main_db, seats=seats, waves=waves))]
    if only:
        return out
    out.append((f"{main_name}, 1 table x {seats}, 1 process", LoadPlan(database_url=main_db, seats=seats, waves=waves,
                                                                        processes=1)))
    out.append((f"{main_name}, {seats // 6} tables x 6, 2 processes",
                LoadPlan(database_url=main_db, seats=seats, waves=waves, tables=max(1, seats // 6))))
    if pg:
        out.append((f"SQLite, 1 table x {seats}, 2 processes", LoadPlan(database_url=sqlite, seats=seats, waves=waves)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("QD_TEST_POSTGRES_URL"), help="a PostgreSQL URL")
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--only", action="store_true", help="only the main configuration (no baselines)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qd-bench-classroom-") as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'classroom.db'}"
        rows, out = [], []
        for name, plan in plans(_pg(args.db) if args.db else None, sqlite, args.seats, args.waves, args.only):
            s = run_load(plan).summary()
            out.append({"config": name, **s})
            rows.append([name, s["accepted"], s["refused_duplicate_votes"], s["unexpected_refusals"], s["lost_events"],
                         s["miscounted_seats"], s["duplicate_votes"], "yes" if s["seq_gap_free"] else "NO",
                         s["p50_ms"], s["p95_ms"], s["max_ms"], s["worker_cpu_s"]])
    if args.json:
        print(json.dumps(out))
    else:
        if not args.db:
            print("PostgreSQL rows skipped: no --db and no QD_TEST_POSTGRES_URL")
        print(f"{args.waves} waves; each seat acts once per wave, all seats released together ({machine_note()})")
        print(table(["configuration", "accepted", "dup. votes refused", "other refusals", "lost events",
                     "miscounted seats", "dup. votes stored", "seq gap-free", "p50 ms", "p95 ms", "max ms", "worker CPU s"], rows))
    bad = [o for o in out if o["lost_events"] or o["miscounted_seats"] or o["duplicate_votes"]
           or o["unexpected_refusals"] or not o["seq_gap_free"]]
    print("FAIL" if bad else "PASS: 0 lost events", file=sys.stderr if args.json else sys.stdout)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
