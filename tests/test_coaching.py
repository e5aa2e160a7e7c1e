"""The quiet-dialogue coaching rubric."""

from __future__ import annotations

from dialogue_engine.domain import load_scenario
from dialogue_engine.report.coaching import PlayerLine, coach

SCEN = load_scenario("tests/data/mini_scenario.yaml")


def _crit(lines, **kw):
    return {c.id: c for c in coach(SCEN, "alpha", lines, **kw).criteria}


def test_a_quiet_dialogue_meets_every_criterion():
    lines = [
        PlayerLine("What matters most to you about the timing, and why?"),
        PlayerLine("I understand your concern about cost; that makes sense."),
        PlayerLine("According to the port authority report [1], delays cost 12% a year."),
        PlayerLine("In exchange for a later date we could move on the money.", proposal={"A": "A2", "B": "B2"}),
    ]
    crit = _crit(lines, proposals_before=[{"A": "A1", "B": "B3"}])
    assert all(c.met for c in crit.values()), {k: c.feedback for k, c in crit.items() if not c.met}
    assert crit["asked_interests"].quotes == ["What matters most to you about the timing, and why?"]
    assert crit["used_evidence"].quotes[0].startswith("According to the port authority")


def test_a_hard_line_player_gets_quoted_feedback():
    lines = [
        PlayerLine("Money low, time never. That is our final offer."),
        PlayerLine("Our threshold is 50 points, we will not go below it."),
    ]
    crit = _crit(lines, walked_away=True)
    assert not crit["asked_interests"].met and "asked no questions" in crit["asked_interests"].feedback
    assert not crit["acknowledged"].met
    assert not crit["avoided_ultimatums"].met
    assert crit["avoided_ultimatums"].quotes == ["That is our final offer."]  # the sentence, not the whole line
    assert "walked away" in crit["avoided_ultimatums"].feedback
    assert not crit["kept_private"].met
    assert crit["kept_private"].quotes == ["Our threshold is 50 points, we will not go below it."]
    assert not crit["used_evidence"].met
    assert not crit["packaged"].met


def test_private_channel_lines_do_not_count_as_leaks():
    crit = _crit([PlayerLine("Between us: our threshold is 50.", private=True)])
    assert crit["kept_private"].met


def test_positional_questions_are_not_interest_questions():
    crit = _crit([PlayerLine("Will you accept option A2?")])
    assert not crit["asked_interests"].met
    assert "positions rather than needs" in crit["asked_interests"].feedback


def test_coaching_reads_acts_not_keywords():
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.report.coaching import PlayerLine, coach

    scenario = load_scenario("refugee-burden-sharing")
    lines = [PlayerLine("What does Amman need most from this compact, and why?"),
             PlayerLine("Forced returns are a non-starter for us."),
             PlayerLine("Jordan has hosted Syrian refugees for over a decade. If you fund five-year envelopes, "
                        "we can open work permits in agriculture.")]
    crit = {c.id: c for c in coach(scenario, scenario.parties[0].id, lines).criteria}
    assert crit["avoided_ultimatums"].met  # a red line is not an ultimatum
    assert crit["packaged"].met and crit["used_evidence"].met and crit["asked_interests"].met
    quoted = [q for c in crit.values() for q in c.quotes]
    assert len(quoted) == len(set(quoted))  # one sentence serves one criterion
    assert "Jordan has hosted Syrian refugees for over a decade." in quoted
