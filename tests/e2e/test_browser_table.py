"""Real-browser table discipline (#12 item 5): six AI seats over two rounds leave a readable table."""

from __future__ import annotations

import collections
import re

import pytest
from qd_browser import click_button, page_text, screenshot, type_into, wait_for, wait_idle, wait_text

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HEADER = re.compile(r"^Proposal \d+ \(#(\d+)\) by (.+?) \(round (\d+), (\w+)\) — worth", re.M)


def rendered_proposals(text: str) -> list[dict]:
    """Each proposal block of a seat's page: id, proposer, round, status and its package's lines."""
    heads = list(HEADER.finditer(text))
    out = []
    for k, m in enumerate(heads):
        body = text[m.end():heads[k + 1].start() if k + 1 < len(heads) else len(text)]
        package = []
        for line in body.splitlines()[1:]:
            if line.startswith(("Seat", "no votes yet", "Make a proposal")):
                break
            package.append(line.strip())
        out.append({"id": int(m.group(1)), "by": m.group(2), "round": int(m.group(3)), "status": m.group(4),
                    "package": "\n".join(p for p in package if p)})
    return out


def test_six_ai_seats_table_one_package_each_per_round(app_url, new_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    fac = new_browser()
    fac.get(f"{app_url}/exercise")
    click_button(fac, "Create an exercise (facilitator)")
    box = wait_for(fac, lambda x: [e for e in x.find_elements(By.CSS_SELECTOR, '[data-testid="stSelectbox"] input')
                                   if e.is_displayed()], 30, "the scenario picker")[0]
    box.click()
    box.send_keys("Refugee")
    box.send_keys(Keys.ENTER)
    wait_idle(fac)
    click_button(fac, "Create exercise", timeout=60)
    wait_text(fac, "join code", timeout=60)
    wait_idle(fac)
    codes = wait_for(fac, lambda x: [c.text.strip() for c in x.find_elements(By.CSS_SELECTOR, '[data-testid="stCode"] code')
                                     if c.text.strip()][:3] or None, 30, "three codes")
    assert len(codes) == 3, "two human seats, six AI seats"
    fac_code, seat_code = codes[0], codes[1].splitlines()[0]
    fac.get(f"{app_url}/facilitator")
    type_into(fac, "Facilitator code", fac_code)
    wait_text(fac, "Live scoreboard", timeout=60)
    click_button(fac, "Start")
    wait_idle(fac)
    for _ in range(12):  # briefing, then two rounds of statements, proposals and responses
        if re.search(r"Round\s*3 /", page_text(fac)) or "Ended" in page_text(fac):
            break
        click_button(fac, "Advance", timeout=60)
        wait_idle(fac, timeout=300)
    assert re.search(r"Round\s*3 /", page_text(fac)), "two rounds were played"

    seat = new_browser()
    seat.get(f"{app_url}/exercise?seat={seat_code}")
    wait_text(seat, "Proposals", timeout=60)
    wait_idle(seat)
    shown = wait_for(seat, lambda x: rendered_proposals(page_text(x)) or None, 60, "the proposals")
    assert "Traceback" not in seat.page_source
    screenshot(seat, "exercise-table-six-ai")
    per_seat = collections.Counter((p["round"], p["by"]) for p in shown)  # the human seats table nothing here
    per_round = collections.Counter(p["round"] for p in shown)
    assert {1, 2} <= set(per_round), per_round
    assert max(per_seat.values()) <= 1, per_seat
    assert all(n <= 6 for n in per_round.values()), per_round
    for rnd in per_round:
        packages = [p["package"] for p in shown if p["round"] == rnd]
        assert len(packages) == len(set(packages)), f"a package tabled twice in round {rnd}"
    live = [p["package"] for p in shown if p["status"] == "open"]
    assert len(live) == len(set(live))
