"""Browser fixtures: one app server per test module, fresh headless chromium sessions per test."""

from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from qd_browser import browser_missing, build_knowledge, close_driver, make_driver, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@contextmanager
def locked(path: Path):
    """Hold an exclusive lock on ``path`` (created if missing) across processes."""
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def knowledge_store(tmp_path_factory):
    """The knowledge index, built once per session (each module's server starts from a copy of it).

    Under pytest-xdist the workers share one build: the first to take the lock builds it in the run's
    common temporary folder, the others wait and then reuse it.
    """
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build_knowledge(tmp_path_factory.mktemp("qd-kb"))
    shared = tmp_path_factory.getbasetemp().parent / "qd-kb"
    with locked(shared.with_suffix(".lock")):
        if not (shared / "built").exists():
            shared.mkdir(exist_ok=True)
            build_knowledge(shared)
            (shared / "built").touch()
    return shared / "store"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, knowledge_store):
    data = tmp_path_factory.mktemp("qd-e2e")
    if knowledge_store.is_dir():
        shutil.copytree(knowledge_store, data / "store")  # kb build then finds it up to date
    with running_app(data) as url:
        yield url


@pytest.fixture
def new_browser():
    """Open as many independent browser sessions as a test needs."""
    drivers = []

    def factory():
        drivers.append(make_driver())
        return drivers[-1]

    yield factory
    for d in drivers:
        close_driver(d)
