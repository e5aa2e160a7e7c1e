"""Browser fixtures: one app server per test module, fresh headless chromium sessions per test."""

from __future__ import annotations

import pytest

from qd_browser import browser_missing, close_driver, make_driver, running_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    with running_app(tmp_path_factory.mktemp("qd-e2e")) as url:
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
