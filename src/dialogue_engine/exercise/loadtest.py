"""Classroom load test: many human seats acting at the same moment through several app processes on one database.

:func:`run_load` opens the exercises (every seat held by a person), starts ``processes`` worker processes
(:mod:`.load_worker`, each one :class:`ExerciseService` with one thread per seat, as the app serves one
browser session per thread), and plays ``waves``: in each wave every seat posts a message, tables a proposal
or votes, all released together; a voting seat also votes from a second process, as the same seat open on two
devices. Then it reads the log back and checks that every accepted action is stored exactly once, nothing
refused is stored, seqs are gap-free and no seat voted twice on a proposal. For tests and benchmarks.
"""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dialogue_engine.domain import Scenario
from dialogue_engine.exercise.commands import MAX_PROPOSALS_PER_ROUND
from dialogue_engine.exercise.events import EventKind
from dialogue_engine.exercise.errors import ExerciseError
from dialogue_engine.exercise.service import ExerciseService

KINDS = ("message", "propose", "vote")
MAX_WAVES = 2 * MAX_PROPOSALS_PER_ROUND
"""Waves one round holds: a seat tables a proposal every third wave, and the first seat of a table tables
one more before the first wave (so the first voters have something to vote on)."""
DUPLICATE = "already voted"


@dataclass(frozen=True, kw_only=True)
class LoadPlan:
    """What to run: ``seats`` split evenly over ``tables`` exercises, acting through ``processes`` workers."""

    database_url: str
    seats: int = 30
    tables: int = 1
    processes: int = 2
    waves: int = 3
    seed: int = 0
    timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.tables < 1 or self.seats < 2 * self.tables:
            raise ValueError("each table needs at least two seats")
        if self.processes < 1:
            raise ValueError("at least one process")
        if not 1 <= self.waves <= MAX_WAVES:
            raise ValueError(f"waves must be 1..{MAX_WAVES} (one round's proposal budget)")


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """What happened: the actions sent, their outcomes, their latencies and what the log holds.

    ``lost``: accepted actions not stored exactly once; ``miscounted``: seats whose stored messages, proposals
    and votes differ in number from what their accepted actions wrote (a refused action that was stored
    anyway shows here); ``duplicate_votes``: a seat with two votes on one proposal.
    """

    plan: LoadPlan
    results: list[dict[str, Any]]
    events: int
    lost: list[str] = field(default_factory=list)
    miscounted: list[str] = field(default_factory=list)
    seq_gap_free: bool = True
    duplicate_votes: list[str] = field(default_factory=list)
    wave_seconds: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["ok"]]

    @property
    def refused(self) -> Counter:
        """Refusals by reason (a second device's vote refused as a duplicate is expected)."""
        return Counter(r.get("error", "") for r in self.results if not r["ok"])

    @property
    def unexpected_refusals(self) -> list[str]:
        return [f"{r['id']}: {r.get('error')}" for r in self.results
                if not r["ok"] and not (r["kind"] == "vote" and DUPLICATE in r.get("error", ""))]

    def latency_ms(self, q: float) -> float:
        """The q-th percentile (0-100) of the accepted actions' latency, in milliseconds."""
        values = sorted(r["latency"] * 1000 for r in self.accepted)
        if not values:
            return float("nan")
        pos = (len(values) - 1) * q / 100
        lo, hi = int(pos), min(int(pos) + 1, len(values) - 1)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    def summary(self) -> dict[str, Any]:
        """The figures, JSON-ready."""
        return {
            "seats": self.plan.seats, "tables": self.plan.tables, "processes": self.plan.processes,
            "waves": self.plan.waves, "database": self.plan.database_url.split(":", 1)[0],
            "actions": len(self.results), "accepted": len(self.accepted),
            "refused_duplicate_votes": sum(n for e, n in self.refused.items() if DUPLICATE in e),
            "unexpected_refusals": len(self.unexpected_refusals), "events": self.events,
            "lost_events": len(self.lost), "miscounted_seats": len(self.miscounted), "duplicate_votes": len(self.duplicate_votes),
            "seq_gap_free": self.seq_gap_free,
            "p50_ms": round(self.latency_ms(50), 1), "p95_ms": round(self.latency_ms(95), 1),
            "max_ms": round(self.latency_ms(100), 1),
            "wave_s": [round(s, 3) for s in self.wave_seconds], "worker_cpu_s": round(self.cpu_seconds, 2),
        }


def no_ai_seats(*_args: Any, **_kwargs: Any) -> Any:
    """The agent factory of the load test, whose seats are all held by people: building an agent is a bug."""
    raise ExerciseError("the classroom load test has no AI seats")


def classroom_scenario(parties: int, seed: int = 0) -> Scenario:
    """A scenario with ``parties`` seats over three issues (random private scores; nothing passes by itself)."""
    rng = random.Random(seed)
    issues = [{"id": i, "title": f"Issue {i}", "options": [{"id": f"{i}{n}", "label": f"Option {i}{n}"}
                                                          for n in (1, 2, 3)]} for i in "ABC"]
    return Scenario.model_validate({
        "id": "classroom-load", "title": "Classroom load", "situation": "Many seats, one table.",
        "parties": [{"id": f"s{k:02d}", "threshold": 60,
                     "scores": {i["id"]: {o["id"]: rng.randint(0, 50) for o in i["options"]} for i in issues}}
                    for k in range(1, parties + 1)],
        "issues": issues, "rounds": 6,
    })


def open_tables(plan: LoadPlan) -> list[dict[str, Any]]:
    """Create, start and open round 1 of each table; the first seat tables a proposal. Returns each seat."""
    svc = ExerciseService(database_url=plan.database_url, agent_factory=no_ai_seats)
    seats: list[dict[str, Any]] = []
    try:
        per_table = _split(plan.seats, plan.tables)
        for t, n in enumerate(per_table):
            scen = classroom_scenario(n, plan.seed + t)
            info = svc.create(scen, scen.party_ids, seed=plan.seed + t)
            svc.start(info.facilitator_code)
            svc.advance(info.facilitator_code)
            human = [s for s in info.seats if s.human]
            svc.propose(human[0].code, _deal(random.Random(t), scen))
            seats += [{"key": f"t{t}-{s.party}", "code": s.code, "table": t, "exercise_id": info.exercise_id}
                      for s in human]
    finally:
        svc.store.dispose()
    return seats


def run_load(plan: LoadPlan) -> LoadReport:
    """Run the plan and check the log (see the module docstring)."""
    seats = open_tables(plan)
    homes = {s["key"]: k % plan.processes for k, s in enumerate(seats)}
    sizes = _split(plan.seats, plan.tables)
    scenarios = {t: classroom_scenario(n, plan.seed + t) for t, n in enumerate(sizes)}
    tag = uuid.uuid4().hex[:6]
    rng = random.Random(plan.seed)
    results: list[dict[str, Any]] = []
    walls: list[float] = []
    cpu = 0.0
    workers: list[_Worker] = []
    try:
        workers = [_Worker() for _ in range(plan.processes)]
        for w, worker in enumerate(workers):  # each worker holds its own seats and its neighbour's (second devices)
            mine = [{"key": s["key"], "code": s["code"]} for s in seats
                    if homes[s["key"]] in (w, (w - 1) % plan.processes)]
            worker.send({"op": "open", "database_url": plan.database_url, "seats": mine})
        for worker in workers:
            worker.expect("opened", plan.timeout)
        for wave in range(plan.waves):
            batches: list[list[dict[str, Any]]] = [[] for _ in workers]
            for k, s in enumerate(seats):
                kind = KINDS[(k + wave) % len(KINDS)]
                action = {"seat": s["key"], "kind": kind, "id": f"w{wave}-{s['key']}-{tag}",
                          "text": _text(wave, s["key"], tag), "deal": _deal(rng, scenarios[s["table"]]),
                          "accept": rng.random() < 0.5}
                batches[homes[s["key"]]].append(action)
                if kind == "vote" and plan.processes > 1:  # the same seat open on a second device
                    batches[(homes[s["key"]] + 1) % plan.processes].append(action)
            for worker, batch in zip(workers, batches):
                worker.send({"op": "wave", "wave": wave, "actions": batch})
            for worker in workers:
                worker.expect("ready", plan.timeout)
            start = time.perf_counter()
            for worker in workers:
                worker.send({"op": "go"})
            for worker in workers:
                done = worker.expect("done", plan.timeout)
                results += done["results"]
                cpu += done["cpu"]
            walls.append(time.perf_counter() - start)
        for worker in workers:
            worker.quit(plan.timeout)
    finally:
        for worker in workers:
            worker.stop()
    return check_log(plan, seats, results, walls, cpu)


def check_log(plan: LoadPlan, seats: list[dict[str, Any]], results: list[dict[str, Any]],
              walls: list[float], cpu: float = 0.0) -> LoadReport:
    """Compare the accepted actions with what the log holds."""
    svc = ExerciseService(database_url=plan.database_url, agent_factory=no_ai_seats)
    try:
        logs = {ex: svc.events(ex) for ex in {s["exercise_id"] for s in seats}}
    finally:
        svc.store.dispose()
    party = {s["key"]: (s["exercise_id"], s["key"].split("-", 1)[1]) for s in seats}
    lost: list[str] = []
    gap_free = all([e.seq for e in evs] == list(range(1, len(evs) + 1)) for evs in logs.values())
    texts = Counter((ex, e.payload.get("text")) for ex, evs in logs.items() for e in evs if e.kind == EventKind.MESSAGE)
    props = {(ex, e.seq): e.actor for ex, evs in logs.items() for e in evs if e.kind == EventKind.PROPOSAL}
    votes = Counter((ex, e.actor, int(e.payload["proposal"])) for ex, evs in logs.items() for e in evs
                    if e.kind == EventKind.VOTE)
    expected = Counter()
    for r in results:
        if not r["ok"]:
            continue
        ex, who = party[r["seat"]]
        text = _text(int(r["id"].split("-", 1)[0][1:]), r["seat"], r["id"].rsplit("-", 1)[1])
        if r["kind"] in ("message", "propose") and texts[(ex, text)] != 1:
            lost.append(f"{r['id']}: its message is stored {texts[(ex, text)]} times")
        if r["kind"] == "propose" and props.get((ex, r["proposal"])) != who:
            lost.append(f"{r['id']}: proposal #{r['proposal']} is not in the log")
        if r["kind"] == "vote" and votes[(ex, who, r["proposal"])] != 1:
            lost.append(f"{r['id']}: vote on #{r['proposal']} is stored {votes[(ex, who, r['proposal'])]} times")
        expected[(ex, who)] += {"message": 1, "propose": 2, "vote": 1}[r["kind"]]
    opening = {ex: min(e.seq for e in evs if e.kind == EventKind.PROPOSAL) for ex, evs in logs.items()}
    stored = Counter((ex, e.actor) for ex, evs in logs.items() for e in evs
                     if e.kind in (EventKind.MESSAGE, EventKind.PROPOSAL, EventKind.VOTE) and e.seq > opening[ex])
    miscounted = [f"{ex} {who}: {stored[key]} events stored, {expected[key]} from accepted actions"
                  for key in sorted(set(stored) | set(expected)) for ex, who in [key] if stored[key] != expected[key]]
    dups = [f"{ex} {who} on #{p}: {n} votes" for (ex, who, p), n in votes.items() if n > 1]
    return LoadReport(plan=plan, results=results, events=sum(len(v) for v in logs.values()), lost=lost, miscounted=miscounted,
                      seq_gap_free=gap_free, duplicate_votes=dups, wave_seconds=walls, cpu_seconds=cpu)


def _text(wave: int, key: str, tag: str) -> str:
    return f"load w{wave} {key} {tag}"


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if k < total % parts else 0) for k in range(parts)]


def _deal(rng: random.Random, scen: Scenario) -> dict[str, str]:
    return {i.id: rng.choice(i.options).id for i in scen.issues}


class _Worker:
    """A worker process and a thread reading its answers (so a hung worker times out instead of blocking)."""

    def __init__(self) -> None:
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "dialogue_engine.exercise.load_worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def send(self, obj: dict[str, Any]) -> None:
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def expect(self, op: str, timeout: float) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"load worker gave no {op!r} within {timeout:.0f} s") from None
        if not line:
            self.proc.wait(timeout=10)
            self.log.seek(0)
            tail = self.log.read().decode(errors="replace").strip().splitlines()[-1:]
            raise RuntimeError(f"load worker exited ({self.proc.returncode}) before {op!r}: {' '.join(tail)}")
        msg = json.loads(line)
        if msg.get("op") != op:
            raise RuntimeError(f"load worker sent {msg.get('op')!r}, expected {op!r}")
        return msg

    def quit(self, timeout: float) -> None:
        self.send({"op": "quit"})
        self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        """Kill the process if it still runs, and close its pipes and log."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.log.close()
