"""Shared fixtures: isolated settings per test, paths to the shipped content."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def _built_index(tmp_path_factory) -> Path:
    """The shipped notes indexed once per test process (``kb build`` in a child process, so the store is closed)."""
    data = tmp_path_factory.mktemp("qd-index")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QD_", "OPENAI_"))}
    env |= {"QD_DATA_DIR": str(data), "QD_CONTENT_DIR": str(ROOT), "QD_ENV_FILE": ""}
    run = subprocess.run([sys.executable, "-m", "dialogue_engine.cli", "kb", "build"], env=env,
                         capture_output=True, text=True, timeout=600)
    if run.returncode:
        pytest.fail(f"kb build for the test index failed ({run.returncode}): {run.stderr[-2000:]}")
    return data / "store"


@pytest.fixture
def shipped_index(_built_index) -> Iterator[Path]:
    """This test's data folder starts with the shipped notes already indexed: a copy of one build per process,
    so pages that open the knowledge base skip a build of about 20 seconds and writes stay with the test.
    The copy (about 16 MB) is removed afterwards."""
    store = get_settings().resolved_store_dir
    shutil.copytree(_built_index, store)
    yield store
    shutil.rmtree(store, ignore_errors=True)
