"""Perception: labelled messages -> dialogue acts, option mentions and stated proposals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialogue_engine.agents.perception import RulePerceiver
from dialogue_engine.agents.acts import Act
from dialogue_engine.domain import Scenario, parse_model

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"


@pytest.fixture(scope="module")
def perceiver() -> RulePerceiver:
    return RulePerceiver(parse_model(MINI.read_text(), Scenario, str(MINI)), embed=None)


LABELLED = [
    ("I propose A2, B1 and nothing else.", {Act.PROPOSE}, {"A": "A2", "B": "B1"}),
    ("We propose A3 and B2.", {Act.PROPOSE}, {"A": "A3", "B": "B2"}),
    ("How about Mid on money and Later on time?", {Act.PROPOSE}, {"A": "A2", "B": "B2"}),
    ("Our offer: High money, paid Soon.", {Act.PROPOSE}, {"A": "A3", "B": "B1"}),
    ("What if we settle on A1?", {Act.PROPOSE}, {"A": "A1"}),
    ("We suggest B3 for the timing question.", {Act.PROPOSE}, {"B": "B3"}),
    ("What do you need on money?", {Act.ASK_PRIORITIES}, None),
    ("Can you explain why timing matters so much to you?", {Act.ASK_WHY}, None),
    ("Which issue is most important for your capital?", {Act.ASK_PRIORITIES}, None),
    ("Why?", {Act.ASK_WHY}, None),
    ("If you do not move we will walk away.", {Act.THREATEN}, None),
    ("This is our final offer: A1 and B3, take it or leave it.", {Act.THREATEN}, {"A": "A1", "B": "B3"}),
    ("Accept this or else we block everything.", {Act.THREATEN}, None),
    ("We are prepared to veto any text without it.", {Act.THREATEN}, None),
    ("We can be flexible on money if you move on time.", {Act.CONDITIONAL_TRADE}, None),
    ("As a compromise we could accept A2 in return for B2.", {Act.CONDITIONAL_TRADE}, {"A": "A2", "B": "B2"}),
    ("We are willing to drop our demand on timing.", {Act.PROPOSE}, None),
    ("We accept.", {Act.ACCEPT}, None),
    ("Agreed, that works for us.", {Act.ACCEPT}, None),
    ("It's a deal.", {Act.ACCEPT}, None),
    ("We cannot accept that package.", {Act.REJECT}, None),
    ("That is unacceptable.", {Act.REJECT}, None),
    ("We reject the proposal outright.", {Act.REJECT}, None),
    ("Thank you, we have noted your position.", {Act.GREET}, None),
    ("Understood.", set(), None),
    ("Good morning everyone.", {Act.GREET}, None),
    ("I had pasta for lunch.", {Act.OFF_TOPIC}, None),
    ("The football was great last night.", {Act.OFF_TOPIC}, None),
]


@pytest.mark.parametrize("text, acts, proposal", LABELLED, ids=[t for t, _, _ in LABELLED])
def test_labelled_messages(perceiver, text, acts, proposal):
    p = perceiver.perceive(text)
    assert set(p.acts) == acts
    if proposal is not None:
        assert p.proposal == proposal


def test_at_least_25_labelled():
    assert len(LABELLED) >= 25


def test_option_and_issue_mentions(perceiver):
    p = perceiver.perceive("On money we could live with Mid, but not Never on time.")
    assert "A2" in p.options and "B3" in p.rejected_options
    assert p.issues[:2] == ("A", "B")
    assert perceiver.perceive("Let us talk about issue B.").issues == ("B",)


def test_structured_proposal_bypasses_parsing(perceiver):
    p = perceiver.perceive("anything at all", proposal={"A": "A1", "B": "B2"})
    assert Act.PROPOSE in p.acts and p.proposal == {"A": "A1", "B": "B2"} and p.confidence == 1.0


def test_completeness(perceiver):
    scen = perceiver.scenario
    assert scen.is_complete(perceiver.perceive("I propose A2 and B1").proposal)
    assert not scen.is_complete(perceiver.perceive("I propose A2").proposal)


def test_embedding_prototypes_with_a_fake_embedder():
    import numpy as np

    vocab = ["weather", "joke", "football", "walk", "accept", "thank", "compromise", "propose", "explain"]

    def embed(texts):
        return np.array([[1.0 + 0 * len(t) if w in t.lower() else 0.0 for w in vocab] + [0.01] for t in texts])

    scen = parse_model(MINI.read_text(), Scenario, str(MINI))
    p = RulePerceiver(scen, embed=embed)
    assert p.perceive("lovely weather we have").acts == (Act.OFF_TOPIC,)


def test_readings_are_shared_between_seats_and_keyed_by_embedding_and_model(monkeypatch):
    from dialogue_engine.agents import perception

    calls = []
    real = perception.detect_acts
    monkeypatch.setattr(perception, "detect_acts", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    scen = parse_model(MINI.read_text(), Scenario, str(MINI))
    line = "We can be flexible on money if you move on time, colleagues of the seventh seat."
    seats = [RulePerceiver(scen, embed=None) for _ in range(5)]
    assert len({p.perceive(line).acts for p in seats}) == 1
    assert calls == [line]  # the first seat read it; the other four were served the same reading

    def embed(texts):
        return np.ones((len(texts), 3))

    with_embedding = RulePerceiver(scen, embed=embed, model=None)
    with_embedding.perceive(line)
    assert len(calls) == 2  # another embedding function is another reading
