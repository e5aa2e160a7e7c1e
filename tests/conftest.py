"""Shared fixtures: isolated settings per test, paths to the shipped content."""

from __future__ import annotations

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
