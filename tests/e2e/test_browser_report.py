"""Real-browser report: ``report.html`` as written by a headless run, opened from disk, draws both charts with
visible marks, nothing cut off and legends off the data (screenshots of the page and of the deal-space plot)."""

from __future__ import annotations

import pytest
from qd_browser import browser_missing, screenshot, screenshot_path, svg_layout

from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.report.headless import run_exercise

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LONG = {"alpha": 'Alpha & <Sons> "Ltd" of the Very Long Name Republic',
        "beta": "Beta Union of Exceedingly Verbose Delegations Worldwide"}


def _long_names() -> Scenario:
    data = load_scenario("tests/data/mini_scenario.yaml").model_dump(mode="json")
    for p in data["parties"]:
        p["name"] = LONG[p["id"]]
    return Scenario.model_validate(data)


@pytest.mark.parametrize("case", ["long-names", "refugee-burden-sharing"])
def test_report_html_draws_its_charts(case, tmp_path, new_browser):
    from selenium.webdriver.common.by import By

    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    scen = _long_names() if case == "long-names" else load_scenario(case)
    run = run_exercise(scen, seed=1, out_dir=tmp_path, knowledge=False, agent_factory=stand_in_factory)
    d = new_browser()
    d.get(run.files["html"].resolve().as_uri())
    svgs = d.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(svgs) == 2, "the utility trajectories and the deal-space plot"
    for svg in svgs:
        layout = svg_layout(d, svg)
        assert layout["marks"] >= 5 and layout["width"] > 300, layout
        assert not layout["cut"], f"cut off: {layout['cut']}"
        assert not layout["onData"], f"legend on the data: {layout['onData']}"
    plot = d.find_element(By.CSS_SELECTOR, "svg.deal-plot")
    layout = svg_layout(d, plot)
    assert layout["proposals"] == len(run.state.proposals) - _incomplete(run), "every proposal on the path"
    assert {"passable", "threshold", "proposal"} <= set(layout["classes"]), layout["classes"]
    names = d.execute_script("return [...arguments[0].querySelectorAll('text.step')].map(t => t.textContent)", plot)
    for proposer in {p.proposer for p in run.state.proposals.values()}:
        name = run.state.base.party_name(proposer)
        assert any(f". {name} (round" in n for n in names), f"{name} written in full"
    screenshot(d, f"report-{case}")
    d.execute_script("arguments[0].scrollIntoView({block: 'start'});", plot)
    plot.screenshot(str(screenshot_path(f"report-deal-plot-{case}")))


def _incomplete(run) -> int:
    """Proposals whose package leaves an issue open (they have no place on the plot)."""
    issues = {i.id for i in run.state.scenario.issues}
    return sum(1 for p in run.state.proposals.values() if set(p.deal) != issues)
