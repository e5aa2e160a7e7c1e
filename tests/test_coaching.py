"""The coaching rubric: findings from dialogue acts and the event log, whole-sentence quotes, one per criterion."""

from __future__ import annotations

import re

import pytest

from dialogue_engine.domain import load_scenario
from dialogue_engine.domain.deal import Deal
from dialogue_engine.report.coaching import PlayerLine, coach
from dialogue_engine.report.findings import CRITERIA, line_findings

MINI = load_scenario("tests/data/mini_scenario.yaml")
REFUGEE = load_scenario("refugee-burden-sharing")
RUSSIA = load_scenario("us-russia-quiet-dialogue")


def _crit(scenario, party, lines, **kw):
    return {c.id: c for c in coach(scenario, party, lines, **kw).criteria}


def _yes(text, scenario=RUSSIA):
    return {k for k, v in line_findings(text, scenario).items() if v}


# ---- the per-line detector, one criterion at a time ---------------------------------------------------------


@pytest.mark.parametrize("text, criterion", [
    ("What would Moscow need to see before it could sign anything on verification?", "asked_interests"),
    ("Why does the missile defence link matter so much to your side?", "asked_interests"),
    ("Verification is what we need most, because the Senate will not ratify limits it cannot check.",
     "shared_interest"),
    ("I understand that your government sees sanctions relief as the test of our good faith.", "acknowledged"),
    ("If you accept notifications, we can restore the deconfliction line.", "conditional_trade"),
    ("Our offer: observe the old limits with data, notifications for verification, and narrow waivers on energy.",
     "multi_issue_package"),
    ("Take this package by tonight or we walk out and brief the press.", "ultimatum"),
    ("Frankly anything that scores under 56 for us is a loss.", "revealed_number"),
    ("Inspections were suspended in 2023 and no data has been exchanged since.", "used_evidence"),
    ("Fine, we drop the stockpile inspections.", "conceded_unilaterally"),
])
def test_each_criterion_is_found_in_a_line_that_does_it(text, criterion):
    assert criterion in _yes(text), (criterion, line_findings(text, RUSSIA))


@pytest.mark.parametrize("text, criterion", [
    ("What if we started with the deconfliction line?", "asked_interests"),  # a proposal phrased as a question
    ("I hear you.", "acknowledged"),  # names no concern
    ("You move on energy first, then we will see.", "conditional_trade"),  # commits to nothing
    ("That is a non-starter.", "ultimatum"),  # a rejection, not a threat
    ("I am not here to issue ultimatums.", "ultimatum"),
    ("We have all the evidence we need, believe me.", "used_evidence"),  # the word, not a fact
    ("Our minimum ask is that inspections stay reciprocal.", "revealed_number"),  # no number
    ("We vote yes on the package as tabled.", "conceded_unilaterally"),  # accepting is not conceding
])
def test_lookalikes_are_not_counted(text, criterion):
    assert criterion not in _yes(text), (criterion, line_findings(text, RUSSIA))


def test_line_findings_has_every_criterion_and_nothing_for_small_talk():
    found = line_findings("Good morning, everyone. Lovely view from the hotel.", RUSSIA)
    assert set(found) == set(CRITERIA) and not any(found.values())


def test_a_denied_threat_followed_by_one_is_an_ultimatum():
    assert "ultimatum" in _yes("This is not a threat, but if the Iran language goes, we will leave the talks.")


# ---- the issue's examples --------------------------------------------------------------------------------


def test_the_issue_examples_are_read_from_acts_not_keywords():
    lines = [PlayerLine("What does Amman need most from this compact, and why?"),
             PlayerLine("Forced returns are a non-starter for us."),
             PlayerLine("Jordan has hosted Syrian refugees for over a decade. If you fund five-year envelopes, "
                        "we can open work permits in agriculture.")]
    crit = _crit(REFUGEE, REFUGEE.parties[0].id, lines)
    assert crit["avoided_ultimatums"].met  # a red line is not an ultimatum
    assert crit["packaged"].met and crit["used_evidence"].met and crit["asked_interests"].met
    assert crit["used_evidence"].quotes == ["Jordan has hosted Syrian refugees for over a decade."]
    assert crit["packaged"].quotes == ["If you fund five-year envelopes, we can open work permits in agriculture."]
    quoted = [q for c in crit.values() for q in c.quotes]
    assert len(quoted) == len(set(quoted))  # one sentence serves one criterion


def test_inspections_in_exchange_for_sanctions_relief_is_a_trade_and_a_package():
    found = _yes("We could offer reciprocal inspections in exchange for broad energy relief.")
    assert {"conditional_trade", "multi_issue_package"} <= found
    crit = _crit(RUSSIA, "united-states", [PlayerLine("We could offer reciprocal inspections in exchange for "
                                                      "broad energy relief.")])
    assert crit["packaged"].met and crit["no_unilateral_concession"].met


def test_accepting_16_against_a_minimum_of_56_is_called_a_mistake():
    bad = Deal({"arms": "arm-defence-link", "energy": "en-relief", "region": "rg-none", "verification": "ver-notify"})
    assert RUSSIA.party("united-states").utility(bad) == 16
    crit = _crit(RUSSIA, "united-states", [PlayerLine("Let us get this done. We accept."),
                                           PlayerLine("", proposal=None)], agreed=bad)
    mistake = crit["accepted_above_minimum"]
    assert not mistake.met and mistake.feedback.startswith("Mistake:")
    assert "16" in mistake.feedback and "56" in mistake.feedback and "Next time" in mistake.feedback
    assert mistake.quotes == ["We accept."]


# ---- quotes ------------------------------------------------------------------------------------------------


def test_quotes_are_whole_sentences_one_per_criterion_and_never_cut():
    long = ("According to the data the two sides exchanged until 2023, the deployed arsenals stayed within the "
            "central limits for every one of the treaty's ten years, which is a record of compliance that no other "
            "arms control arrangement in the nuclear age can match, and it shows limits can be checked.")
    lines = [PlayerLine(f"Thank you. {long} What does Moscow most need from this channel?"),
             PlayerLine("I understand that energy revenue matters to your budget. Our priority is verification, "
                        "because we cannot defend limits we cannot check."),
             PlayerLine("If you accept reciprocal inspections, we can offer narrow waivers on energy.")]
    crit = _crit(RUSSIA, "united-states", lines)
    quoted = [q for c in crit.values() for q in c.quotes]
    assert long in quoted  # a long sentence is quoted whole, not cut
    assert len(quoted) == len(set(quoted)) and all(len(c.quotes) <= 1 for c in crit.values())
    sentences = {s for ln in lines for s in re.split(r"(?<=[.!?])\s+", ln.text)}
    assert all(q in sentences for q in quoted), quoted  # every quote is one of the player's own sentences
    for c in crit.values():
        assert "Next time" in c.feedback, c.id


def test_private_channel_lines_do_not_count_as_leaks_and_are_not_quoted():
    crit = _crit(MINI, "alpha", [PlayerLine("Between us: our threshold is 50 points.", private=True)])
    assert crit["kept_private"].met and not crit["kept_private"].quotes
    crit = _crit(MINI, "alpha", [PlayerLine("Our threshold is 50 points, we will not go below it.")])
    assert not crit["kept_private"].met
    assert crit["kept_private"].quotes == ["Our threshold is 50 points, we will not go below it."]


def test_a_hard_line_player_gets_quoted_feedback():
    lines = [PlayerLine("Money low. That is our final offer, take it or leave it.")]
    crit = _crit(MINI, "alpha", lines, walked_away=True)
    assert not crit["asked_interests"].met and "asked no questions" in crit["asked_interests"].feedback
    assert not crit["avoided_ultimatums"].met and "walked away" in crit["avoided_ultimatums"].feedback
    assert crit["avoided_ultimatums"].quotes == ["That is our final offer, take it or leave it."]
    assert not crit["acknowledged"].met and not crit["used_evidence"].met and not crit["packaged"].met


def test_positional_questions_are_not_interest_questions():
    crit = _crit(MINI, "alpha", [PlayerLine("Will you accept option A2?")])
    assert not crit["asked_interests"].met
    assert "positions rather than needs" in crit["asked_interests"].feedback
    assert crit["asked_interests"].quotes == ["Will you accept option A2?"]


# ---- the event log: proposals, concessions, the agreed deal --------------------------------------------------


def test_a_package_that_moves_two_issues_counts_as_packaging():
    crit = _crit(MINI, "alpha", [PlayerLine("Here it is.", proposal=Deal({"A": "A2", "B": "B2"}))],
                 proposals_before=[Deal({"A": "A3", "B": "B1"})])
    assert crit["packaged"].met and "Mid" in crit["packaged"].feedback


def test_lowering_ones_own_package_twice_with_no_counter_move_is_a_unilateral_concession():
    first, second = Deal({"A": "A1", "B": "B3"}), Deal({"A": "A2", "B": "B3"})
    crit = _crit(MINI, "alpha", [PlayerLine("Opening.", proposal=first), PlayerLine("Moving.", proposal=second)],
                 proposals_before=[None, first])
    assert not crit["no_unilateral_concession"].met
    crit = _crit(MINI, "alpha", [PlayerLine("Opening.", proposal=first), PlayerLine("Moving.", proposal=second)],
                 proposals_before=[None, Deal({"A": "A3", "B": "B1"})])  # the other side moved in between
    assert crit["no_unilateral_concession"].met


def test_anchoring_compares_the_first_package_with_the_minimum_and_the_best_passable():
    high = _crit(MINI, "alpha", [PlayerLine("", proposal=Deal({"A": "A1", "B": "B3"}))], proposals_before=[None])
    low = _crit(MINI, "alpha", [PlayerLine("", proposal=Deal({"A": "A2", "B": "B2"}))], proposals_before=[None])
    none = _crit(MINI, "alpha", [PlayerLine("Hello.")])
    assert high["anchored"].met and not low["anchored"].met and not none["anchored"].met
    assert "never put a complete package" in none["anchored"].feedback


def test_value_left_on_the_table_is_measured_against_the_passable_deals():
    # 56 / 55: observe-data, waivers, deconfliction and notifications give 66 / 57, better for both.
    dominated = Deal({"arms": "arm-observe", "energy": "en-none", "region": "rg-deconfliction",
                      "verification": "ver-national"})
    crit = _crit(RUSSIA, "united-states", [], agreed=dominated)
    assert not crit["left_no_value"].met and "gave you 10 more without costing" in crit["left_no_value"].feedback
    better = Deal({"arms": "arm-observe-data", "energy": "en-waiver", "region": "rg-deconfliction",
                   "verification": "ver-notify"})
    assert _crit(RUSSIA, "united-states", [], agreed=better)["left_no_value"].met
    assert "left_no_value" not in _crit(RUSSIA, "united-states", [])  # no deal, no claim about its value
