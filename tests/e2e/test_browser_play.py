"""Real-browser play: a solo turn with a cited reply; two seats in two browsers see each other's proposal."""

from __future__ import annotations

import pytest
from qd_browser import (chat, click_button, page_text, screenshot, screenshot_path, type_into, wait_for, wait_idle,
                        wait_text)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_solo_turn_shows_a_cited_reply(app_url, new_browser):
    from selenium.webdriver.common.by import By

    d = new_browser()
    d.get(f"{app_url}/solo")
    click_button(d, "Start the dialogue", timeout=120)
    wait_text(d, "Your private brief", timeout=120)
    chat(d, "What do you propose on the military crisis channel?")
    wait_for(d, lambda x: "move:" in page_text(x), 120, "a reply with its move")
    wait_idle(d)
    expanders = d.find_elements(By.CSS_SELECTOR, '[data-testid="stChatMessage"] [data-testid="stExpander"]')
    assert expanders, "the reply cites no passage"
    expanders[0].click()
    screenshot(d, "solo")


def test_two_seats_in_two_browsers(app_url, new_browser):
    from selenium.webdriver.common.by import By

    fac = new_browser()
    fac.get(f"{app_url}/exercise")
    click_button(fac, "Create an exercise (facilitator)")
    click_button(fac, "Create exercise", timeout=60)
    wait_text(fac, "join code", timeout=60)
    wait_idle(fac)
    codes = wait_for(fac, lambda x: [c.text.strip() for c in x.find_elements(By.CSS_SELECTOR, '[data-testid="stCode"] code')
                                     if c.text.strip()][:3] or None, 30, "three codes")
    assert len(codes) == 3
    fac_code = codes[0]
    (a_code, _), (b_code, b_link) = (c.splitlines() for c in codes[1:])  # each seat: its code, then its link
    assert b_link.startswith(app_url) and b_link.endswith(f"/exercise?seat={b_code}")
    screenshot(fac, "exercise-create")
    fac.get(f"{app_url}/facilitator")
    type_into(fac, "Facilitator code", fac_code)
    wait_text(fac, "Live scoreboard", timeout=60)
    click_button(fac, "Start")
    wait_idle(fac)
    for _ in range(4):  # briefing -> round 1 injects -> statements (AI seats speak)
        if "statements" in page_text(fac) or "proposals" in page_text(fac):
            break
        click_button(fac, "Advance")
        wait_idle(fac, timeout=120)

    a = new_browser()  # seat A types its code loosely; seat B opens its join link
    a.get(f"{app_url}/exercise")
    type_into(a, "Join code", a_code.lower().replace("-", " "))
    wait_text(a, "Public channel", timeout=60)
    b = new_browser()
    b.get(b_link)
    wait_text(b, "Public channel", timeout=60)
    click_button(a, "Make a proposal")
    type_into(a, "Say something with it (optional)", "Opening package from seat A", submit=False)
    click_button(a, "Propose")
    wait_text(a, "Opening package from seat A", timeout=60)
    wait_text(b, "Opening package from seat A", timeout=30)  # arrives by polling, no reload
    assert "Traceback" not in b.page_source
    screenshot(a, "exercise-seat")
    wait_idle(fac)
    screenshot(fac, "facilitator")
    fac.get(f"{app_url}/debrief")
    type_into(fac, "Facilitator or seat code", fac_code)
    wait_text(fac, "Exercise log (JSONL)", timeout=60)
    wait_idle(fac)
    screenshot(fac, "debrief")
    try:
        wait_for(fac, lambda x: x.find_elements(By.CSS_SELECTOR, "svg.deal-plot"), 30, "the deal-space plot")
    except AssertionError:
        pytest.xfail("known gap (#14): the deal-space plot passes AppTest but does not show in a real browser's debrief")
    plot = fac.find_elements(By.CSS_SELECTOR, "svg.deal-plot")[0]
    fac.execute_script("arguments[0].scrollIntoView({block: 'start'});", plot)
    plot.screenshot(str(screenshot_path("deal-plot")))
