"""Run every benchmark in turn (``make bench``); each prints its figures beside same-run baselines.

``train_acts.py --check`` rebuilds the act model from the shipped data (about five minutes on two cores) and
fails if it differs from the shipped ``act_model.npz``; ``make test`` checks only that the data's hash matches.
``bench_second_voice.py`` is not run here: its candidate model is not a dependency and lives in a throwaway venv
that the script's docstring says how to make.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = [
    "bench_analysis.py",
    "bench_retrieval.py",
    "bench_embeddings.py",
    "bench_ingest.py",
    "bench_turn.py",
    "bench_stream.py",
    "bench_acts.py",
    "train_acts.py --check",
    "bench_coaching.py",
    "bench_dialogue.py",
    "bench_concurrency.py",
    "bench_selfplay.py",
    "bench_tournament.py",
    "bench_headless.py",
    "bench_deliberation.py",
    "bench_runtime.py",
    "bench_classroom.py",
]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for name in BENCHES:
        sys.stdout.write(f"\n=== {name} ===\n")
        sys.stdout.flush()
        script, *args = name.split()
        if subprocess.call([sys.executable, str(here / script), *args], cwd=here.parent) != 0:
            failed.append(name)
    if failed:
        sys.stdout.write(f"\nfailed: {', '.join(failed)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
