"""Shared fixtures: isolated settings per test, paths to the shipped content."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dialogue_engine.config import get_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory, monkeypatch):
    """Each test gets its own data dir (store, database) and the checkout's content."""
    data = tmp_path_factory.mktemp("qd-data")
    monkeypatch.setenv("QD_DATA_DIR", str(data))
    monkeypatch.setenv("QD_CONTENT_DIR", str(ROOT))
    monkeypatch.setenv("QD_ENV_FILE", "")  # never read a developer's .env
    for var in ("QD_STORE_DIR", "QD_DATABASE_URL", "QD_CHROMA_URL", "QD_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                "QD_LLM_MODEL", "QD_LLM_TIMEOUT", "QD_LLM_OUTPUT", "QD_LLM_MAX_TOKENS", "QD_LLM_DECIDES"):
        monkeypatch.delenv(var, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) across processes."""
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _kb_build(data: Path) -> Path:
    """``kb build`` of the shipped notes into ``data`` in a child process (so the store is closed after it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QD_", "OPENAI_"))}
    env |= {"QD_DATA_DIR": str(data), "QD_CONTENT_DIR": str(ROOT), "QD_ENV_FILE": ""}
    run = subprocess.run([sys.executable, "-m", "dialogue_engine.cli", "kb", "build"], env=env,
                         capture_output=True, text=True, timeout=600)
    if run.returncode:
        pytest.fail(f"kb build for the test index failed ({run.returncode}): {run.stderr[-2000:]}")
    return data / "store"


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """The shipped notes indexed once per test run, to be copied, never opened in place.

    Under pytest-xdist the workers share one build: the first to take the lock builds it in the run's common
    temporary folder, the others wait and then reuse it.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _kb_build(tmp_path_factory.mktemp("qd-index"))
    shared = tmp_path_factory.getbasetemp().parent / "qd-index"
    with locked(shared.with_suffix(".lock")):
        if not (shared / "built").exists():
            shared.mkdir(exist_ok=True)
            _kb_build(shared)
            (shared / "built").touch()
    return shared / "store"


@pytest.fixture
def shipped_index(built_index) -> Iterator[Path]:
    """This test's data folder starts with the shipped notes already indexed: a copy of one build per run,
    so pages that open the knowledge base skip a build of about 20 seconds and writes stay with the test.
    The copy (about 16 MB) is removed afterwards."""
    store = get_settings().resolved_store_dir
    shutil.copytree(built_index, store)
    yield store
    shutil.rmtree(store, ignore_errors=True)
