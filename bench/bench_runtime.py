"""CPU time per headless run against a reference commit (issue #12: runtime within 1.5x of the code it was filed on).

Plays the 6-party LLM-Deliberation base game (harbour-sport-park) headless, all seats AI with the default agent,
no knowledge base, built-in realizer, in two long-lived worker processes: one on this checkout, one on a
temporary ``git worktree`` of the reference commit (default ``5a4de6e``, the tree issue #12 measured). Seeds
alternate between the two workers, one at a time, so load on a shared machine hits both alike. The figure is
CPU seconds (``time.process_time``: every thread of the worker) of ``run_exercise`` for each seed, after one
untimed warm-up run per worker.

Run: ``.venv/bin/python bench/bench_runtime.py [--seeds N] [--reference COMMIT]``. Without git or the reference
commit (a source archive), only this checkout is timed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_note, ROOT, table  # noqa: E402

log = logging.getLogger("bench_runtime")
REFERENCE = "5a4de6e"
GAME = "src/dialogue_engine/negotiation/data/harbour_sport_park.yaml"
TARGET = 1.5

WORKER = """
import json, sys, time
from dialogue_engine.domain import load_scenario
from dialogue_engine.report.headless import run_exercise
scenario = load_scenario(sys.argv[1])
run_exercise(scenario, 10_000, None, knowledge=False)
print("ready", flush=True)
for line in sys.stdin:
    seed = int(line)
    start = time.process_time()
    run_exercise(scenario, seed, None, knowledge=False)
    print(json.dumps({"seed": seed, "cpu": time.process_time() - start}), flush=True)
"""


class Worker:
    """A Python process on one source tree that times ``run_exercise`` for the seeds it is sent."""

    def __init__(self, tree: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("QD_")}
        env.update(QD_ENV_FILE="", PYTHONPATH=str(tree / "src"))
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, str(tree / GAME)], cwd=tree, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the worker on {tree} did not start")

    def cpu(self, seed: int) -> float:
        self.proc.stdin.write(f"{seed}\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["cpu"])

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _reference_tree(commit: str, into: Path) -> Path | None:
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(into), commit],
                       check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as err:
        log.warning("no reference tree for %s (%s): timing this checkout only", commit, err)
        return None
    return into


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--reference", default=REFERENCE, help="the commit to compare with")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log.info(machine_note())
    with tempfile.TemporaryDirectory(prefix="qd-runtime-") as tmp:
        ref_tree = _reference_tree(args.reference, Path(tmp) / "reference")
        try:
            workers = {"this checkout": Worker(ROOT)}
            if ref_tree is not None:
                workers[f"reference {args.reference}"] = Worker(ref_tree)
            times: dict[str, list[float]] = {name: [] for name in workers}
            for seed in range(args.seeds):
                for name, worker in workers.items():
                    times[name].append(worker.cpu(seed))
            for worker in workers.values():
                worker.close()
        finally:
            if ref_tree is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(ref_tree)],
                               capture_output=True)
    rows = [[name, f"{statistics.median(v):.2f}", f"{statistics.fmean(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}"]
            for name, v in times.items()]
    log.info("CPU seconds per base-game run, %d seeds each, alternating:\n%s", args.seeds,
             table(["code", "median", "mean", "min", "max"], rows))
    if len(times) == 2:
        mine, ref = (statistics.fmean(v) for v in times.values())
        log.info("ratio of means: %.2fx (target <= %.1fx)", mine / ref, TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
