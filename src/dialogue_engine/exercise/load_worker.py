"""One app process of the classroom load test: an :class:`ExerciseService` acting for many seats at once.

Run as ``python -m dialogue_engine.exercise.load_worker``; driven by :mod:`.loadtest` over stdin/stdout, one
JSON object per line. Like the Streamlit app (one service per process, one thread per browser session), the
process keeps one service and acts for each of its seats in its own thread; it never starts Streamlit.

Protocol (driver -> worker, worker -> driver):

- ``{"op": "open", "database_url": ..., "seats": [{"key", "code"}]}`` -> ``{"op": "opened"}`` once every
  seat has joined.
- ``{"op": "wave", "wave": n, "actions": [...]}``: each thread reads its seat's state and picks what to do
  (a vote's target: the newest live proposal by another seat that this seat has not voted on), then waits
  -> ``{"op": "ready"}``.
- ``{"op": "go"}``: every thread acts at once -> ``{"op": "done", "results": [...]}`` with each action's
  outcome and latency (seconds from the go to the service's answer), and ``cpu``: the CPU seconds the
  process spent from the go to the last answer.
- ``{"op": "quit"}``: the process exits.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any, Callable, TextIO

from dialogue_engine.errors import QDError
from dialogue_engine.exercise.loadtest import no_ai_seats
from dialogue_engine.exercise.service import ExerciseService

logger = logging.getLogger(__name__)


def _vote_target(svc: ExerciseService, exercise_id: str, party: str) -> int | None:
    """The newest live proposal tabled by another seat that ``party`` has not voted on."""
    live = [p for p in svc.state(exercise_id).live_proposals() if p.proposer != party and party not in p.votes]
    return live[-1].id if live else None


class Worker:
    """The seats of one process and the service they act through."""

    def __init__(self, database_url: str, seats: list[dict[str, str]]):
        self.svc = ExerciseService(database_url=database_url, agent_factory=no_ai_seats)
        self.codes = {s["key"]: s["code"] for s in seats}
        self.seats = {key: self.svc.join(code) for key, code in self.codes.items()}

    def prepare(self, action: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        """Read what the seat sees now and return the call it will make at the go."""
        code = self.codes[action["seat"]]
        kind = action["kind"]
        if kind == "message":
            return lambda: {"seq": self.svc.post_message(code, action["text"]).seq}
        if kind == "propose":
            return lambda: {"proposal": self.svc.propose(code, action["deal"], action["text"]).id}
        if kind == "vote":
            seat = self.seats[action["seat"]]
            target = _vote_target(self.svc, seat.exercise_id, seat.party)
            if target is None:
                raise QDError("no proposal to vote on")
            return lambda: {"proposal": self.svc.vote(code, bool(action["accept"]), target).id}
        raise QDError(f"unknown action {kind!r}")

    def wave(self, actions: list[dict[str, Any]], announce: Callable[[], None],
             wait_go: Callable[[], None]) -> list[dict[str, Any]]:
        """Prepare every action in its own thread, ``announce`` readiness, ``wait_go``, then act all at once."""
        ready = threading.Barrier(len(actions) + 1)
        go = threading.Event()
        results: list[dict[str, Any]] = [{} for _ in actions]

        def run(i: int, action: dict[str, Any]) -> None:
            out = {"seat": action["seat"], "kind": action["kind"], "id": action["id"], "ok": False}
            call = None
            try:
                call = self.prepare(action)
            except QDError as err:
                out["error"] = f"prepare: {err}"
            ready.wait()
            go.wait()
            start = time.perf_counter()
            if call is not None:
                try:
                    out.update(call())
                    out["ok"] = True
                except QDError as err:
                    out["error"] = str(err)
                except Exception as err:  # noqa: BLE001 - the driver reports anything else as a failure
                    out["error"] = f"{type(err).__name__}: {err}"
                    out["crash"] = True
            out["latency"] = time.perf_counter() - start
            results[i] = out

        threads = [threading.Thread(target=run, args=(i, a), daemon=True) for i, a in enumerate(actions)]
        for t in threads:
            t.start()
        ready.wait()
        announce()
        wait_go()
        go.set()
        for t in threads:
            t.join()
        return results

    def close(self) -> None:
        self.svc.store.dispose()


def serve(stdin: TextIO, stdout: TextIO) -> None:
    """Answer the driver's lines until ``quit`` or the end of input."""
    def send(obj: dict[str, Any]) -> None:
        stdout.write(json.dumps(obj) + "\n")
        stdout.flush()

    def expect(op: str) -> dict[str, Any]:
        line = stdin.readline()
        if not line:
            raise SystemExit(0)
        msg = json.loads(line)
        if msg.get("op") != op:
            raise SystemExit(f"expected {op!r}, got {msg.get('op')!r}")
        return msg

    opened = expect("open")
    worker = Worker(opened["database_url"], opened["seats"])
    send({"op": "opened"})
    try:
        while True:
            line = stdin.readline()
            if not line:
                return
            msg = json.loads(line)
            if msg.get("op") == "quit":
                return
            if msg.get("op") != "wave":
                raise SystemExit(f"unexpected {msg.get('op')!r}")
            marks: list[float] = []
            results = worker.wave(msg["actions"], lambda: send({"op": "ready"}),
                                  lambda: (expect("go"), marks.append(time.process_time())))
            send({"op": "done", "results": results, "cpu": time.process_time() - marks[0]})
    finally:
        worker.close()


def main() -> None:
    """Entry point: ``python -m dialogue_engine.exercise.load_worker``."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    serve(sys.stdin, sys.stdout)


if __name__ == "__main__":
    main()
