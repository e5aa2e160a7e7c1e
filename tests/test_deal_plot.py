"""The deal-space plot: well-formed SVG, proposals in order, thresholds, Nash point, escaping, the no-leak gate."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.exercise.service import ExerciseService
from dialogue_engine.exercise.testing import stand_in_factory
from dialogue_engine.negotiation.space import DealSpace
from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.charts import line_chart
from dialogue_engine.report.dealchart import deal_plot_svg
from dialogue_engine.report.dealplot import bilateral_plot, needed_margin, own_plot, party_plot, plot_for
from dialogue_engine.report.scoring import score
from dialogue_engine.ui.debrief import build_player_debrief
from dialogue_engine.ui.figures import inline_svg

SVG = "{http://www.w3.org/2000/svg}"
ALPHA = 'Alpha & <Sons> "Ltd" of the Very Long Name Republic'


def _mini(**names) -> Scenario:
    data = load_scenario("tests/data/mini_scenario.yaml").model_dump(mode="json")
    for p in data["parties"]:
        p["name"] = names.get(p["id"], p.get("name"))
    return Scenario.model_validate(data)


def _played(tmp_path, scen: Scenario, seed: int = 3):
    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    info = svc.create(scen, [], seed=seed)
    svc.run_to_end(info.exercise_id)
    return svc, info.exercise_id, svc.state(info.exercise_id)


@pytest.fixture
def played(tmp_path):
    return _played(tmp_path, _mini(alpha=ALPHA))


def _texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_bilateral_svg_is_well_formed_with_every_element(played):
    _, _, state = played
    assert state.proposals, "the stand-ins made proposals"
    svg = deal_plot_svg(bilateral_plot(state))
    root = ET.fromstring(svg)  # well-formed, names escaped
    classes = [e.get("class") for e in root.iter()]
    assert classes.count("threshold") == 2 and "nash" in classes and "frontier" in classes
    assert "passable" in classes
    steps = [t for t in _texts(root) if t[:1].isdigit() and ". " in t and "(round" in t]
    names = [state.base.party_name(p.proposer) for p in sorted(state.proposals.values(), key=lambda p: p.id)]
    assert [s.split(". ", 1)[1].split(" (round")[0] for s in steps] == names, "every proposal, in order, by name"
    assert [int(s.split(".")[0]) for s in steps] == list(range(1, len(names) + 1))
    assert ALPHA in " ".join(_texts(root)), "names are written in full"
    assert "&lt;Sons&gt;" in svg and "<Sons>" not in svg
    if state.outcome.get("agreement"):
        assert "agreed" in classes


def test_thresholds_nash_and_agreed_deal_sit_where_the_space_says(played):
    _, _, state = played
    space = DealSpace.from_scenario(state.scenario)
    plot = bilateral_plot(state, space=space)
    assert (plot.x_threshold, plot.y_threshold) == tuple(float(t) for t in space.thresholds)
    nash = space.analysis.nash
    assert plot.nash == (nash.utilities["alpha"], nash.utilities["beta"])
    assert plot.nash in plot.frontier and set(plot.frontier) <= set(plot.passable) <= set(plot.points)
    if state.outcome.get("agreement"):
        deal = state.proposals[state.outcome["proposal"]].deal
        assert plot.agreed == (space.utility("alpha", deal), space.utility("beta", deal))


def test_party_plot_margin_follows_the_rule(played):
    _, _, state = played
    space = DealSpace.from_scenario(state.scenario)
    m = needed_margin(space, "alpha")
    assert np.allclose(m, space.utilities[:, 1] - space.thresholds[1]), "two parties: the other's margin"
    plot = party_plot(state, "alpha", space)
    assert plot.y_threshold == 0.0 and plot.x_threshold == float(space.thresholds[0])
    ET.fromstring(deal_plot_svg(plot))


def test_multi_party_plot_reads_for_ten_seats(tmp_path):
    data = load_scenario("tests/data/mini_scenario.yaml").model_dump(mode="json")
    base = data["parties"][1]
    data["parties"] += [dict(base, id=f"p{k}", name=f"Delegation of the Federated Islands number {k}",
                             veto=False, threshold=40 + k) for k in range(8)]
    data["rule"] = {"kind": "majority"}
    scen = Scenario.model_validate(data)
    _, _, state = _played(tmp_path, scen)
    svg = deal_plot_svg(plot_for(state, None, revealed=True))
    root = ET.fromstring(svg)
    text = " ".join(_texts(root))
    assert "Lowest margin of the other parties the rule needs" in text
    width = float(root.get("width"))
    longest = max(len(t) for t in _texts(root))
    assert width >= 6 * longest, "the picture is wide enough for its longest line"


def test_a_player_sees_only_its_own_numbers_before_the_reveal(played, tmp_path):
    svc, ex, state = played
    svg = deal_plot_svg(plot_for(state, "beta", revealed=False))
    classes = [e.get("class") for e in ET.fromstring(svg).iter()]
    assert not {"passable", "frontier", "nash"} & set(classes)
    assert classes.count("threshold") == 1
    # Change everything private about the other seat: the player's picture must not move.
    other = state.scenario.model_dump(mode="json")
    other["parties"][0]["threshold"] = 11
    other["parties"][0]["scores"]["A"] = {"A1": 7, "A2": 3, "A3": 99}
    changed = Scenario.model_validate(other)
    twin = dataclasses.replace(state, scenario=changed)
    assert deal_plot_svg(plot_for(twin, "beta", revealed=False)) == svg
    assert deal_plot_svg(plot_for(twin, "beta", revealed=True)) != deal_plot_svg(plot_for(state, "beta", revealed=True))
    d = build_player_debrief(svc, ex, "beta")
    assert d.plot_svg == svg and d.name == "beta"
    shown = build_player_debrief(svc, ex, "beta", revealed=True)  # after a reveal: the seat's full picture
    assert shown.plot_svg == deal_plot_svg(plot_for(state, "beta", revealed=True)) != svg
    assert 'class="passable"' in shown.plot_svg and 'aria-label="Deal space: beta and Alpha' in shown.plot_svg


def test_report_embeds_the_plot_and_the_markdown_describes_it(played):
    _, _, state = played
    rep = build_report(state, score(state))
    html, md = to_html(rep), to_markdown(rep)
    assert html.count('class="deal-plot"') == 1
    assert "## Charts" in md and "Deal space:" in md and "report.html" in md
    for svg in html.split("<svg")[1:]:
        ET.fromstring("<svg" + svg.split("</svg>")[0] + "</svg>")


def test_long_titles_and_axis_labels_wrap_inside_the_picture(tmp_path):
    beta = "Beta Union of Exceedingly Verbose Delegations Worldwide"
    _, _, state = _played(tmp_path, _mini(alpha=ALPHA, beta=beta))
    plot = bilateral_plot(state)
    root = ET.fromstring(deal_plot_svg(plot))
    width = float(root.get("width"))
    title = [t.text for t in root.iter(f"{SVG}text") if t.get("font-size") == "13"]
    assert len(title) >= 2 and " ".join(title) == plot.title, "the title wraps, nothing lost"
    assert all(8.0 * len(t) <= width for t in title), "each title line fits the picture"
    rotated = [t for t in root.iter(f"{SVG}text") if (t.get("transform") or "").startswith("rotate")]
    assert len(rotated) == 2 and " ".join(t.text for t in rotated) == plot.ylabel
    assert all(7.0 * len(t.text) <= 340 for t in rotated), "each y-label line fits the height of the data area"
    frame = next(e for e in root.iter(f"{SVG}rect") if e.get("class") == "data-area")
    assert float(frame.get("x")) > 64 and float(frame.get("y")) > 34, "the data area moves over to make room"
    legend = next(e for e in root.iter(f"{SVG}g") if e.get("class") == "legend")
    bottom = float(frame.get("y")) + float(frame.get("height"))
    assert min(float(t.get("y")) for t in legend.iter(f"{SVG}text")) > bottom, "the legend sits below the data"


def test_inline_svg_is_one_html_block_and_refuses_anything_else():
    chart = line_chart({"Alpha": [1.0, 2.0]}, "t")
    assert "\n" in chart
    html = inline_svg(chart)
    assert "\n" not in html and html.startswith('<div class="qd-figure"') and html.endswith("</svg></div>")
    ET.fromstring(html)
    for bad in ("<script>alert(1)</script>", "<svg></svg><script>x</script>", "", "plain text",
                "<svg></svg><script>x</script><svg></svg>", '<svg><foreignObject><img src=x></foreignObject></svg>',
                "<svg><script>x</script></svg>"):
        with pytest.raises(ValueError, match="not an SVG figure"):
            inline_svg(bad)


def test_the_facilitators_reveal_opens_the_full_plot_in_each_seats_debrief(tmp_path):
    from dialogue_engine.ui.debrief import can_reveal, reveal_outcome

    svc = ExerciseService(database_url=f"sqlite:///{tmp_path / 'ex.db'}", agent_factory=stand_in_factory)
    info = svc.create(_mini(alpha=ALPHA), [], seed=3)
    assert not can_reveal(svc, info.exercise_id), "nothing to reveal before the end"
    svc.run_to_end(info.exercise_id)
    hidden = build_player_debrief(svc, info.exercise_id, "beta")
    assert 'class="passable"' not in hidden.plot_svg
    assert can_reveal(svc, info.exercise_id)
    reveal_outcome(svc, info.facilitator_code)
    shown = build_player_debrief(svc, info.exercise_id, "beta")
    assert 'class="passable"' in shown.plot_svg and not can_reveal(svc, info.exercise_id)
