"""Batch executors: the process pool and Ray play the same seeds to the same results, files and printed rates.

The Ray tests skip (with the reason) when ray is not importable; `make test` installs the ``ray`` extra.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.errors import QDError
from dialogue_engine.report.executors import PoolExecutor, RayExecutor, executor_for, parse_address

ROOT = Path(__file__).resolve().parents[1]
BASE = str(ROOT / "src/dialogue_engine/negotiation/data/harbour_sport_park.yaml")
MINI = str(ROOT / "tests/data/mini_scenario.yaml")
RUN_FILES = ("result.json", "report.md", "report.html")
runner = CliRunner()

try:
    import ray  # noqa: F401

    HAVE_RAY = True
except ImportError:
    HAVE_RAY = False
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason="ray is not installed (the 'ray' extra: pip install -e '.[ray]')")
# One pytest-xdist worker runs this module: the Ray tests count the machine's Ray processes before and after,
# and the Ray runs compare against the module's one process-pool batch.
pytestmark = pytest.mark.xdist_group("ray")


def _square(x: int) -> int:
    return x * x


def _fails(x: int) -> int:
    raise QDError(f"job {x} refused")


def _batch(args: list[str], out: Path, env: dict[str, str] | None = None) -> list[str]:
    """Run `exercise batch` on the base game (in-process, or in a child process when ``env`` is given: a crash
    inside Ray then fails the test instead of ending pytest); return its printed lines without the last one,
    which names ``out``."""
    argv = ["exercise", "batch", BASE, "--runs", "3", "--workers", "2", "--no-knowledge", "--out", str(out), *args]
    if env is None:
        res = runner.invoke(app, argv)
        assert res.exit_code == 0, res.output
        stdout = res.stdout
    else:
        proc = subprocess.run([sys.executable, "-c", "from dialogue_engine.cli import main; main()", *argv],
                              capture_output=True, text=True, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stderr == "", proc.stderr[-2000:]  # Ray starts quietly
        stdout = proc.stdout
    lines = stdout.splitlines()
    assert lines[-1].startswith(f"wrote {out}/")
    return lines[:-1]


def _cluster_env() -> dict[str, str]:
    """The environment of the tests' one-machine cluster and its driver: no usage reporting, and loopback
    only (Ray otherwise rewrites 127.0.0.1 in an address to this machine's outward IP)."""
    return os.environ | {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def _events(path: Path) -> list[dict]:
    """A run's event log without what differs by design between two plays (the exercise id, the clock)."""
    return [{k: v for k, v in json.loads(line).items() if k not in ("exercise_id", "ts")}
            for line in path.read_text(encoding="utf-8").splitlines()]


def _assert_same_batch(a: Path, b: Path, runs: int) -> None:
    """Two batch folders hold the same per-run rows, aggregate and per-run files."""
    assert json.loads((a / "runs.json").read_text()) == json.loads((b / "runs.json").read_text())
    for name in ("runs.csv", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for run in range(1, runs + 1):
        ra, rb = a / f"run-{run:04d}", b / f"run-{run:04d}"
        for name in RUN_FILES:
            assert (ra / name).read_bytes() == (rb / name).read_bytes(), f"{ra.name}/{name}"
        assert _events(ra / "events.jsonl") == _events(rb / "events.jsonl"), f"{ra.name}/events.jsonl"


def _ray_pids() -> set[int]:
    """Processes of a Ray instance (GCS, raylet, workers, monitors) now on this machine."""
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    marks = ("gcs_server", "raylet", "ray::", "default_worker.py", "log_monitor.py", "monitor.py --",
             "runtime_env/agent", "dashboard/agent.py")
    return {int(line.split(None, 1)[0]) for line in out.splitlines()
            if len(line.split(None, 1)) == 2 and any(m in line.split(None, 1)[1] for m in marks)}


def _assert_ray_gone(before: set[int]) -> None:
    """Every Ray process started since ``before`` has ended (waits a little for shutdown)."""
    deadline = time.monotonic() + 30
    while (left := _ray_pids() - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, f"Ray processes left behind: {sorted(left)}"


def test_pool_executor_keeps_job_order_in_one_process_and_over_processes():
    jobs = [5, 3, 9, 1]
    assert list(PoolExecutor(1).map(_square, jobs)) == [25, 9, 81, 1]
    with PoolExecutor(2) as ex:
        assert list(ex.map(_square, jobs)) == [25, 9, 81, 1]
    with pytest.raises(QDError, match="job 3 refused"):
        list(PoolExecutor(2).map(_fails, [3, 4]))


def test_ray_addresses_are_checked_before_anything_starts():
    assert parse_address(None) is None and parse_address("local") is None
    for ok in ("ray://head.example:10001", "10.1.2.3:6379", "auto", "[::1]:6379"):
        assert parse_address(ok) == ok
    for bad in ("http://x:1", "head", "ray://head", "a b:1", "x:port"):
        with pytest.raises(QDError, match="expected ray://host:port"):
            parse_address(bad)
    assert isinstance(executor_for(None, 2), PoolExecutor)
    assert isinstance(executor_for("local", 2), RayExecutor) and executor_for("local", 3).workers == 3


def test_bad_ray_address_is_one_line_and_plays_nothing(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["exercise", "batch", MINI, "--runs", "1", "--out", str(out), "--ray", "http://x"])
    assert res.exit_code != 0 and res.stderr.startswith("error: ") and res.stderr.count("\n") == 1
    assert "expected ray://host:port" in res.stderr and not out.exists()


def test_an_out_that_is_a_file_is_refused_before_any_run(tmp_path):
    out = tmp_path / "taken"
    out.write_text("keep me", encoding="utf-8")
    res = runner.invoke(app, ["exercise", "batch", MINI, "--runs", "2", "--out", str(out), "--no-knowledge"])
    assert res.exit_code != 0 and res.stderr.count("\n") == 1 and "not a folder" in res.stderr, res.output
    assert out.read_text(encoding="utf-8") == "keep me" and sorted(tmp_path.iterdir()) == [out]


def test_missing_ray_is_one_line_naming_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    out = tmp_path / "out"
    res = runner.invoke(app, ["exercise", "batch", MINI, "--runs", "2", "--out", str(out), "--ray"])
    assert res.exit_code != 0 and res.stderr.count("\n") == 1, res.output
    assert "install the 'ray' extra: pip install -e '.[ray]'" in res.stderr and not out.exists()


@pytest.mark.ray
@needs_ray
def test_unreachable_ray_cluster_is_one_line_and_quick(tmp_path):
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = _ray_pids()
    start = time.monotonic()
    res = runner.invoke(app, ["exercise", "batch", MINI, "--runs", "1", "--out", str(tmp_path / "o"),
                              "--ray", f"127.0.0.1:{port}"])
    assert res.exit_code != 0 and res.stderr.count("\n") == 1, res.output
    assert f"Ray at 127.0.0.1:{port}: cannot connect" in res.stderr
    assert time.monotonic() - start < 30 and not (tmp_path / "o").exists()
    assert _ray_pids() == before


@pytest.fixture(scope="module")
def pool_batch(tmp_path_factory) -> tuple[Path, list[str]]:
    """The base game, seeds 0-2, over two processes: the reference the Ray runs must match."""
    out = tmp_path_factory.mktemp("pool") / "batch"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QD_DATA_DIR", str(tmp_path_factory.mktemp("qd-data")))
        mp.setenv("QD_ENV_FILE", "")
        lines = _batch([], out)
    return out, lines


@pytest.mark.slow
@pytest.mark.ray
@needs_ray
def test_local_ray_plays_the_same_runs_as_the_process_pool(pool_batch, tmp_path):
    pool_out, pool_lines = pool_batch
    before = _ray_pids()
    lines = _batch(["--ray"], tmp_path / "ray", env=dict(os.environ))  # the command's own quiet settings
    _assert_ray_gone(before)
    assert lines == pool_lines
    assert any("final-round deals" in line for line in lines)
    _assert_same_batch(pool_out, tmp_path / "ray", runs=3)
    rows = json.loads((tmp_path / "ray" / "runs.json").read_text())
    assert [r["seed"] for r in rows] == [0, 1, 2] and rows[0]["deal"] != ""


# A running Ray "cluster" started by someone else: a process holding a local Ray open until its stdin closes.
HEAD = """
import sys, ray
ctx = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
               _node_ip_address="127.0.0.1")
print(ctx.address_info["gcs_address"], flush=True)
sys.stdin.read()
ray.shutdown()
"""


@pytest.mark.slow
@pytest.mark.ray
@needs_ray
def test_a_running_ray_cluster_plays_the_same_runs_as_the_process_pool(pool_batch, tmp_path):
    pool_out, pool_lines = pool_batch
    before = _ray_pids()
    head = subprocess.Popen([sys.executable, "-c", HEAD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=_cluster_env(), cwd=tmp_path)
    try:
        address = head.stdout.readline().strip()
        assert address.startswith("127.0.0.1:"), address
        lines = _batch(["--ray", address], tmp_path / "cluster", env=_cluster_env())
    finally:
        head.stdin.close()
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            head.kill()
            head.wait(timeout=10)
    _assert_ray_gone(before)
    assert lines == pool_lines
    _assert_same_batch(pool_out, tmp_path / "cluster", runs=3)
