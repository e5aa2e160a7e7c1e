"""Batch executors: where the runs of a batch are played (this process, a process pool, or Ray).

Every executor is a context manager with one method, ``map(fn, jobs)``, that yields ``fn(job)`` for each
job in the order of ``jobs``. ``fn`` must be a module-level function and each job plain picklable data,
so a run plays the same wherever it lands: the results depend on the job (its seed), not on the executor.

Ray is optional (the ``ray`` extra) and imported only when a :class:`RayExecutor` is entered.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from dialogue_engine.errors import QDError

log = logging.getLogger(__name__)

LOCAL = "local"
RAY_MISSING = "Ray is not installed: install the 'ray' extra: pip install -e '.[ray]'"
_ADDRESS = re.compile(r"^(?P<client>ray://)?(?P<host>[A-Za-z0-9][A-Za-z0-9.\-]*|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$")
CONNECT_TIMEOUT = 5.0


class BatchExecutor(Protocol):
    """Plays jobs somewhere and yields their results in job order."""

    name: str

    def __enter__(self) -> BatchExecutor: ...

    def __exit__(self, *exc: object) -> None: ...

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(job)`` for every job, in the order of ``jobs``."""
        ...


class PoolExecutor:
    """This process (``workers`` <= 1 or a single job) or a pool of ``workers`` local processes."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, int(workers))
        self.name = "process pool" if self.workers > 1 else "one process"

    def __enter__(self) -> PoolExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(job)`` in job order; over processes when there are several workers and jobs."""
        jobs = list(jobs)
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield fn(job)
            return
        with ProcessPoolExecutor(max_workers=self.workers) as pool:
            yield from pool.map(fn, jobs)


def parse_address(address: str | None) -> str | None:
    """Check a Ray address: None or ``local`` (start a local Ray), ``auto``, ``ray://host:port`` or ``host:port``.

    Returns:
        None for a local Ray, else the address as given.

    Raises:
        QDError: any other text (one line).
    """
    if address is None or address.strip() in ("", LOCAL):
        return None
    address = address.strip()
    if address == "auto" or _ADDRESS.match(address):
        return address
    raise QDError(f"Ray address {address!r}: expected ray://host:port, host:port, auto, or nothing for a local Ray")


def _reachable(address: str) -> None:
    """Fail in one line, quickly, when nothing listens at ``host:port`` (Ray itself would retry for minutes)."""
    m = _ADDRESS.match(address)
    if m is None:
        return
    host, port = m["host"].strip("[]"), int(m["port"])
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise QDError(f"Ray at {address}: cannot connect ({reason})") from None


class RayExecutor:
    """Ray: a local Ray started for the batch (``address`` None) or an existing cluster.

    A local Ray gets ``num_cpus=workers``, no dashboard, no usage reporting, logs kept out of the
    terminal, and listens on 127.0.0.1 only; it is shut down (its processes end) when the executor exits.
    With an address, the package's code is shipped with the tasks (``runtime_env`` ``py_modules``), so the
    cluster plays this checkout's code; its nodes still need the dependencies and read their own settings.
    A Ray already initialised in this process is used as it is and left running.
    """

    def __init__(self, address: str | None = None, *, workers: int = 1) -> None:
        self.address = parse_address(address)
        self.workers = max(1, int(workers))
        self.name = f"Ray at {self.address}" if self.address else f"local Ray ({self.workers} CPUs)"
        self._ray: Any = None
        self._owned = False

    def __enter__(self) -> RayExecutor:
        try:
            import ray
        except ImportError:
            raise QDError(RAY_MISSING) from None
        self._ray = ray
        if ray.is_initialized():
            return self
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        quiet = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        try:
            if self.address is None:
                ray.init(num_cpus=self.workers, _node_ip_address="127.0.0.1", **quiet)
            else:
                _reachable(self.address)
                package = str(Path(__file__).resolve().parents[1])
                ray.init(address=self.address, runtime_env={"py_modules": [package]}, **quiet)
        except QDError:
            raise
        except Exception as err:  # noqa: BLE001 - Ray raises many kinds; each ends as one line
            text = str(err).strip().splitlines()
            raise QDError(f"{self.name}: could not start ({text[0] if text else type(err).__name__})") from None
        self._owned = True
        log.info("batch on %s", self.name)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned and self._ray is not None:
            self._ray.shutdown()
        self._owned = False

    def map(self, fn: Callable[[Any], Any], jobs: Iterable[Any]) -> Iterator[Any]:
        """Submit every job as a Ray task (one CPU each) and yield the results in job order.

        A task's own exception is raised as it was raised in the task (as the process pool does).
        """
        ray = self._ray
        if ray is None:
            raise RuntimeError("enter the RayExecutor (with ...) before map()")
        task = ray.remote(num_cpus=1)(fn)
        refs = [task.remote(job) for job in jobs]
        for ref in refs:
            try:
                yield ray.get(ref)
            except ray.exceptions.RayTaskError as err:
                cause = getattr(err, "cause", None)
                if isinstance(cause, BaseException):
                    raise cause from None
                raise


def executor_for(ray_address: str | None, workers: int = 1) -> BatchExecutor:
    """The executor a command line asks for: Ray when ``ray_address`` is given (``local`` starts one), else the pool."""
    if ray_address is None:
        return PoolExecutor(workers)
    return RayExecutor(ray_address, workers=workers)
