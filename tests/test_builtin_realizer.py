"""Built-in realizer: varied openings, persona voice, one citation per turn, clear proposals; the guard."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import numpy as np
import pytest

from dialogue_engine.agents.builtin import BuiltinRealizer, _opening_key, mid_sentence, talking_point
from dialogue_engine.agents.guard import check_reply, renumber_citations, scrub
from dialogue_engine.agents.realizer import RealizeRequest
from dialogue_engine.agents.types import Citation, Move, MoveKind
from dialogue_engine.domain import Persona, Scenario, parse_model

MINI = Path(__file__).parent / "data" / "mini_scenario.yaml"
PERSONA = Persona.model_validate({
    "id": "tester", "name": "Republic of Test", "short_name": "Test", "kind": "state",
    "public_profile": "A small state.",
    "voice": {"formality": "formal", "tone": "calm", "phrases": ["steady as she goes"],
              "openers": ["Colleagues, a word on substance.", "We have come to listen and to decide."],
              "taboo_words": ["surrender"]},
})
PASSAGES = [
    Citation(n=1, chunk_id="c1", source="finance.md", title="Climate finance", section="Money",
             text="Pledges have lagged far behind needs for years. Countries that pay in want to see how money is spent."),
    Citation(n=2, chunk_id="c2", source="timing.md", title="Timing", section="Deadlines",
             text="Deadlines concentrate minds, and most concessions arrive near the end of talks."),
]


def scenario() -> Scenario:
    return parse_model(MINI.read_text(), Scenario, str(MINI))


def request(kind=MoveKind.PROPOSE, turn=0, passages=PASSAGES) -> RealizeRequest:
    s = scenario()
    deal = {"A": "A2", "B": "B1"}
    return RealizeRequest(persona=PERSONA, scenario_title=s.title, situation=s.situation,
                          move=Move(kind=kind, proposal=deal if kind != MoveKind.ASK else None, issue="A"),
                          proposal_lines=tuple(s.describe_deal(deal)) if kind != MoveKind.ASK else (),
                          passages=tuple(passages), turn=turn, issue_title="Money")


def test_no_frame_comes_back_before_its_variants_run_out():
    r = BuiltinRealizer(seed=3)
    openings = []
    for turn in range(1, 13):
        text = asyncio.run(r.realize(request(MoveKind.PROPOSE, turn))).text
        openings.append(_opening_key(text))
    assert all(a != b for a, b in zip(openings, openings[1:]))
    assert len(set(openings[:3])) == 3  # the three proposal frames, each once, before any repeats


def test_states_proposal_by_issue_and_label_and_cites_one_passage():
    real = BuiltinRealizer(seed=1).compose(request(MoveKind.PROPOSE))
    assert "Money, Mid" in real.text and "Time, Soon" in real.text
    cites = re.findall(r"\[(\d+)\]", real.text)
    assert len(cites) == 1 and real.cited == (int(cites[0]),)
    assert real.source == "builtin"


def test_no_passages_no_citations():
    real = BuiltinRealizer().compose(request(passages=[]))
    assert "[" not in real.text and real.cited == ()


def test_deterministic_for_a_seed_and_varied_across_seeds():
    a = [BuiltinRealizer(seed=5).compose(request(turn=t)).text for t in range(3)]
    b = [BuiltinRealizer(seed=5).compose(request(turn=t)).text for t in range(3)]
    c = [BuiltinRealizer(seed=6).compose(request(turn=t)).text for t in range(3)]
    assert a == b and a != c


def test_every_move_kind_is_worded():
    for kind in MoveKind:
        text = BuiltinRealizer().compose(request(kind)).text
        assert len(text) > 20
        assert not check_reply(text, scenario().party("alpha"), PASSAGES, public_text="Money Time Mid Soon")


def test_guard_catches_leaked_numbers_and_score_talk():
    party = scenario().party("alpha")
    assert any("private number" in v for v in check_reply("We would get 40 out of this.", party, PASSAGES))
    assert any("private scores" in v for v in check_reply("Our threshold is high.", party, PASSAGES))
    assert not check_reply("Money matters to us, and so does time.", party, PASSAGES)
    # a number that a retrieved passage states is fine to repeat
    cited = [Citation(n=1, chunk_id="c", source="x.md", title="X", text="Some 40 countries signed.")]
    assert not check_reply("Some 40 countries signed [1].", party, cited)


def test_guard_catches_brief_text_and_bad_citations():
    party = scenario().party("alpha").model_copy(update={"private_brief": "Your capital secretly wants the money released before the election in May."})
    leak = "Frankly, our capital secretly wants the money released before the election."
    assert any("brief" in v for v in check_reply(leak, party, PASSAGES))
    assert any("not retrieved" in v for v in check_reply("As shown [7].", party, PASSAGES))
    assert any("taboo" in v for v in check_reply("We will never surrender.", party, PASSAGES, taboo=["surrender"]))


def test_scrub_removes_leaks_and_bad_citations():
    party = scenario().party("alpha")
    text = "We want Mid on money [1]. We would get 40 out of it [9]. Deadlines help [2]."
    problems = check_reply(text, party, PASSAGES)
    clean = scrub(text, party, PASSAGES)
    assert problems and "40" not in clean and "[9]" not in clean and "[1]" in clean and "[2]" in clean
    assert not check_reply(clean, party, PASSAGES)
    assert scrub("Fine [1].", party, []) == "Fine."


@pytest.mark.parametrize("written", ["61pts", "sixty-one", "sixty one", "\uff16\uff11", "\u0666\u0661", "6 1", "$61m",
                                     "6\u200b1", "61.0", "a floor of sixty one points"])
def test_the_guard_sees_a_private_number_in_any_written_form(written):
    party = scenario().party("alpha").model_copy(update={"threshold": 61.0})
    assert any("private number" in v for v in check_reply(f"We could live with {written} here.", party, PASSAGES))


def test_the_guard_leaves_public_years_and_small_numbers_alone():
    party = scenario().party("alpha").model_copy(update={"threshold": 61.0})
    assert not check_reply("Two issues remain since COP28 in 2023.", party, PASSAGES, public_text="COP28 2023")


def test_the_cheap_frame_test_agrees_with_the_frame_pattern():
    from dialogue_engine.agents.builtin import FORMAL, PLAIN, _frame_pattern, _uses_frame

    templates = [t for frames in (FORMAL, PLAIN) for options in frames.values() for t in options]
    filled = [re.sub(r"\{[^}]*\}", "the agenda", t) for t in templates]
    texts = filled + [f"Well. {a} And then: {b}".upper() for a, b in zip(filled, reversed(filled))] + [
        "We hear you.", "", "On the hotline, yes; on the statement, not yet."]
    for template in templates:
        for text in texts:
            assert _uses_frame(template, text, text.lower()) == bool(_frame_pattern(template).search(text))
    assert all(_uses_frame(t, f, f.lower()) for t, f in zip(templates, filled))


def test_scenario_names_inside_a_sentence_lose_their_capital_unless_they_look_proper():
    assert mid_sentence("What the dialogue takes up first") == "what the dialogue takes up first"
    assert mid_sentence("Military crisis channel") == "military crisis channel"
    assert mid_sentence("A pilot with a sunset") == "a pilot with a sunset"
    assert mid_sentence("Refugees' right to work") == "refugees' right to work"
    assert mid_sentence("Stronger U.S. language") == "stronger U.S. language"
    for proper in ("Taiwan Strait language", "Middle East stability", "AI in nuclear command and control",
                   "U.S. export controls", "AI-enabled biological design tools", ""):
        assert mid_sentence(proper) == proper


def test_a_talking_point_never_quotes_a_pointer_to_another_note():
    text = ("See the note on the Rodrik-Walt buckets. Many governments seek outside money for a low-carbon "
            "transition and for adapting to harsher weather (see the note on climate finance).")
    passage = Citation(n=2, chunk_id="c2", source="finance.md", title="Finance", text=text)
    point = talking_point(passage, "money for the transition", np.random.default_rng(0))
    assert point is not None and "see the note" not in point.lower() and "Rodrik" not in point
    assert point.endswith("harsher weather [2].")


def test_citations_are_renumbered_in_the_order_the_reply_cites_them():
    passages = [Citation(n=k, chunk_id=f"c{k}", source=f"s{k}.md", text=f"passage {k}") for k in (1, 2, 3)]
    text, cited = renumber_citations("The record says so [3]. And again [3], and here [1]. Not this [9].", passages)
    assert text == "The record says so [1]. And again [1], and here [2]. Not this [9]."
    assert [(c.n, c.chunk_id) for c in cited] == [(1, "c3"), (2, "c1")]
    assert renumber_citations("No sources.", passages) == ("No sources.", ())
