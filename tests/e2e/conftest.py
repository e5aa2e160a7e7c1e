"""Browser fixtures: one app server per test module, fresh headless chromium sessions per test."""

from __future__ import annotations

import shutil

import pytest

from qd_browser import browser_missing, close_driver, make_driver, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="session")
def knowledge_store(built_index):
    """The knowledge index, built once per run (``built_index``); each module's server starts from a copy of it."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    return built_index


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
