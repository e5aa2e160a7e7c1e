"""Real-browser play: a solo turn with a cited reply; two seats in two browsers see each other's proposal, the
facilitator's live and debrief deal-space plots and a player's own plot are drawn (screenshots of each)."""

from __future__ import annotations

import pytest
from qd_browser import (chat, click_button, page_text, screenshot, screenshot_path, svg_layout, type_into, wait_for,
                        wait_idle, wait_text)

# One pytest-xdist worker runs this module, so its tests share one app server (the module's app_url).
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("e2e-play")]


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
    click_button(fac, "Deal space (live)")  # the console's live plot: both seats' totals, seat A's proposal on it
    live = _plot(fac, "the live deal-space plot")
    assert live["proposals"] >= 1, live
    _element_shot(fac, "deal-plot-live")

    fac.get(f"{app_url}/debrief")
    type_into(fac, "Facilitator or seat code", fac_code)
    wait_text(fac, "Exercise log (JSONL)", timeout=60)
    wait_idle(fac)
    screenshot(fac, "debrief")
    full = _plot(fac, "the debrief's deal-space plot")
    assert {"passable", "frontier", "nash", "threshold"} <= set(full["classes"]), full["classes"]
    _element_shot(fac, "deal-plot")

    a.get(f"{app_url}/debrief")  # the player's own debrief: its own totals only until a reveal
    type_into(a, "Facilitator or seat code", a_code)
    wait_text(a, "Your debrief", timeout=60)
    wait_idle(a)
    own = _plot(a, "the player's own deal-space plot")
    assert not {"passable", "frontier", "nash"} & set(own["classes"]), own["classes"]
    assert "Your deal space" in a.find_elements(By.CSS_SELECTOR, "svg.deal-plot")[0].get_attribute("aria-label")
    assert own["proposals"] >= 1, own
    _element_shot(a, "deal-plot-player")


def _plot(driver, what: str) -> dict:
    """The first deal-space plot on the page as the browser drew it: visible marks, nothing cut off, the legend
    off the data area."""
    from selenium.webdriver.common.by import By

    svg = wait_for(driver, lambda x: [e for e in x.find_elements(By.CSS_SELECTOR, "svg.deal-plot") if e.is_displayed()],
                   60, what)[0]
    layout = svg_layout(driver, svg)
    assert layout["width"] > 300 and layout["height"] > 300, layout
    assert layout["marks"] >= 5, f"{what}: only {layout['marks']} visible marks"
    assert not layout["cut"] and not layout["onData"], layout
    return layout


def _element_shot(driver, name: str) -> None:
    from selenium.webdriver.common.by import By

    svg = driver.find_elements(By.CSS_SELECTOR, "svg.deal-plot")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", svg)
    svg.screenshot(str(screenshot_path(name)))
