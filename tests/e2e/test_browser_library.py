"""The Library and Knowledge pages in a real browser (and their screenshots)."""

from __future__ import annotations

import pytest
from qd_browser import screenshot, wait_idle, wait_text

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_home_and_library_render(app_url, new_browser):
    d = new_browser()
    d.get(app_url)
    wait_text(d, "Rehearse a negotiation")
    wait_idle(d)
    screenshot(d, "home")
    d.get(f"{app_url}/library")
    wait_text(d, "Check a file")
    wait_idle(d)
    assert "Traceback" not in d.page_source
    screenshot(d, "library")
