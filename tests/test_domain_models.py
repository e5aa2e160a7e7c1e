"""Persona and scenario models, loaders and their error messages; inject effects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from dialogue_engine.domain import (
    AddOption,
    ChangeRelationship,
    ChangeScore,
    ChangeThreshold,
    DomainError,
    Persona,
    RemoveOption,
    Scenario,
    apply_effects,
    load_persona,
    load_scenario,
    parse_model,
    relationship_changes,
)
from dialogue_engine.errors import QDError

DATA = Path(__file__).parent / "data"

PERSONA = textwrap.dedent("""\
    id: test-state
    name: Republic of Testland
    short_name: Testland
    kind: state
    public_profile: A small coastal state.
    worldview: Rules first.
    interests:
      - {name: fisheries, weight: 0.8}
      - {name: trade, description: open markets, weight: 0.4}
    red_lines: [no foreign bases]
    style: {concession: 0.5, opening_ambition: 0.9, patience: 0.7, risk_attitude: -0.2}
    voice: {formality: formal, tone: dry, phrases: ["as we have said"]}
    knowledge: {tags: [fisheries], sources: [law-of-the-sea.md]}
    relationships:
      other-state: {trust: 0.3, commonality: -0.5}
    """)


def mini_data() -> dict:
    return yaml.safe_load((DATA / "mini_scenario.yaml").read_text())


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def problems_of(text: str, model=Scenario, file: str = "s.yaml") -> list[str]:
    with pytest.raises(DomainError) as err:
        parse_model(text, model, file)
    assert isinstance(err.value, QDError)
    return [str(p) for p in err.value.problems]


def test_valid_persona_loads(tmp_path):
    p = load_persona(write(tmp_path, "test-state.yaml", PERSONA))
    assert p.id == "test-state" and p.display_name == "Testland" and p.is_state
    assert p.interests[0].weight == 0.8
    assert p.relationship("other-state").commonality == -0.5
    assert p.relationship("stranger").trust == 0.0


def test_valid_scenario_loads_from_file():
    s = load_scenario(DATA / "mini_scenario.yaml")
    assert s.id == "mini" and s.party_ids == ["alpha", "beta"] and s.veto_parties == ["alpha"]
    assert s.option_index()["B2"][0] == "B"
    assert s.describe_deal({"A": "A1", "B": "B3"}) == [("Money", "Low"), ("Time", "Never")]


def test_persona_self_relationship_is_rejected():
    text = PERSONA.replace("other-state:", "test-state:")
    [msg] = problems_of(text, Persona)
    assert "relationships" in msg and "itself" in msg


def test_malformed_yaml_names_file_and_line():
    text = "id: mini\ntitle: Mini\nsituation: [unclosed\nparties: []\n"
    [msg] = problems_of(text, file="broken.yaml")
    assert msg.startswith("broken.yaml:") and "invalid YAML" in msg
    line = int(msg.split(":")[1])
    assert 3 <= line <= 5


def test_top_level_must_be_a_mapping():
    [msg] = problems_of("- just\n- a list\n")
    assert "expected a mapping" in msg


def test_unknown_field_is_named_with_its_line():
    data = mini_data()
    text = yaml.safe_dump(data, sort_keys=False).replace("  threshold: 50\n", "  threshold: 50\n  colour: red\n", 1)
    [msg] = problems_of(text)
    assert "parties[0].colour" in msg and "unknown field" in msg
    line = int(msg.split(":")[1])
    assert text.splitlines()[line - 1].strip() == "colour: red"


def test_unknown_top_level_field():
    text = (DATA / "mini_scenario.yaml").read_text() + "budget: 12\n"
    [msg] = problems_of(text)
    assert "budget: unknown field" in msg


def test_missing_required_field():
    data = mini_data()
    del data["situation"]
    [msg] = problems_of(yaml.safe_dump(data))
    assert "situation" in msg and "required" in msg


def test_missing_score_is_reported_per_option_with_line():
    text = (DATA / "mini_scenario.yaml").read_text().replace("A: {A1: 0, A2: 30, A3: 50}", "A: {A1: 0, A3: 50}")
    [msg] = problems_of(text)
    assert "parties[1] (beta).scores.A.A2: missing score" in msg
    assert msg.startswith("s.yaml:15:")  # the line of beta's scores


def test_missing_issue_scores_and_unknown_option_score():
    data = mini_data()
    del data["parties"][0]["scores"]["B"]
    data["parties"][1]["scores"]["A"]["A9"] = 3
    msgs = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert any("parties[0] (alpha).scores.B: missing scores for this issue" in m for m in msgs)
    assert any("parties[1] (beta).scores.A.A9: no such option on issue A" in m for m in msgs)


@pytest.mark.parametrize("where", ["parties", "issues", "options"])
def test_duplicate_ids(where):
    data = mini_data()
    if where == "parties":
        data["parties"][1]["id"] = "alpha"
        expect = "parties: duplicate id 'alpha'"
    elif where == "issues":
        data["issues"][1]["id"] = "A"
        expect = "issues: duplicate id 'A'"
    else:
        data["issues"][1]["options"][0]["id"] = "A1"
        expect = "options: duplicate id 'A1'"
    msgs = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert any(expect in m for m in msgs), msgs


def test_threshold_no_deal_can_meet():
    data = mini_data()
    data["parties"][1]["threshold"] = 101
    [msg] = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert "parties[1] (beta).threshold" in msg
    assert "101 is above the best total this party can reach (100)" in msg and "no deal" in msg


def test_threshold_check_runs_even_when_another_party_has_problems():
    data = mini_data()
    del data["parties"][0]["scores"]["A"]["A2"]
    data["parties"][1]["threshold"] = 500
    msgs = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert any("alpha" in m and "missing score" in m for m in msgs)
    assert any("beta" in m and "threshold" in m for m in msgs)


def test_threshold_exactly_reachable_is_fine():
    data = mini_data()
    data["parties"][1]["threshold"] = 100
    assert Scenario.model_validate(data).party("beta").threshold == 100


def test_inject_naming_missing_option():
    data = mini_data()
    data["injects"][0]["effects"] = [
        {"kind": "remove_option", "issue": "A", "option": "A9"},
        {"kind": "change_score", "party": "alpha", "issue": "B", "option": "B7", "delta": 2},
        {"kind": "change_threshold", "party": "gamma", "delta": 1},
    ]
    text = yaml.safe_dump(data, sort_keys=False)
    msgs = problems_of(text)
    assert any("injects[0] (shock).effects[0].option: no option 'A9' on issue A" in m for m in msgs)
    assert any("injects[0] (shock).effects[1].option: no option 'B7' on issue B" in m for m in msgs)
    assert any("injects[0] (shock).effects[2].party: no party 'gamma'" in m for m in msgs)
    assert all(m.startswith("s.yaml:") and m.split(":")[1].isdigit() for m in msgs)


def test_inject_needs_a_time_and_rule_needs_a_count():
    data = mini_data()
    del data["injects"][0]["at_round"]
    data["rule"] = {"kind": "quorum"}
    msgs = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert any("injects[0]" in m and "at_round or trigger" in m for m in msgs)
    assert any(m.split(": ", 1)[1].startswith("rule") and "min_parties" in m for m in msgs)


def test_initial_deal_and_rule_references_are_checked():
    data = mini_data()
    data["initial_deal"] = {"A": "B1", "Z": "Z1"}
    data["rule"] = {"kind": "quorum", "min_parties": 3, "required": ["gamma"]}
    msgs = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert any("initial_deal.A: no option 'B1'" in m for m in msgs)
    assert any("initial_deal.Z: no such issue" in m for m in msgs)
    assert any("rule.required: no party 'gamma'" in m for m in msgs)
    assert any("rule.min_parties: 3 is more than the 2 parties" in m for m in msgs)


def test_load_unknown_id_and_missing_file(tmp_path):
    with pytest.raises(DomainError, match="unknown scenario id"):
        load_scenario("no-such-scenario-xyz")
    with pytest.raises(DomainError, match="no such file"):
        load_scenario(tmp_path / "absent.yaml")


def test_non_utf8_file(tmp_path):
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"id: \xff\xfe\n")
    with pytest.raises(DomainError, match="not a UTF-8"):
        load_scenario(p)


def test_json_schema_exports():
    schema = Scenario.model_json_schema()
    assert schema["additionalProperties"] is False
    assert {"parties", "issues", "situation"} <= set(schema["required"])
    assert "kind" in Persona.model_json_schema()["properties"]


# ---- apply_effects


def mini() -> Scenario:
    return load_scenario(DATA / "mini_scenario.yaml")


def test_change_score_and_threshold_delta_and_value():
    s = apply_effects(mini(), [
        ChangeScore(kind="change_score", party="alpha", issue="A", option="A2", delta=5),
        ChangeScore(kind="change_score", party="beta", issue="B", option="B3", value=7),
        ChangeThreshold(kind="change_threshold", party="beta", delta=-5),
        ChangeThreshold(kind="change_threshold", party="alpha", value=60),
    ])
    assert s.party("alpha").scores["A"]["A2"] == 25
    assert s.party("beta").scores["B"]["B3"] == 7
    assert s.party("beta").threshold == 45 and s.party("alpha").threshold == 60
    assert mini().party("alpha").scores["A"]["A2"] == 20  # the original is untouched
    assert s.injects == mini().injects


def test_add_and_remove_option():
    from dialogue_engine.domain import Option

    s0 = mini().model_copy(update={"initial_deal": {"A": "A3", "B": "B1"}})
    s = apply_effects(s0, [
        AddOption(kind="add_option", issue="A", option=Option(id="A4", label="Split"), scores={"alpha": 25, "beta": 25}),
        RemoveOption(kind="remove_option", issue="A", option="A3"),
    ])
    assert [o.id for o in s.issue("A").options] == ["A1", "A2", "A4"]
    assert s.party("beta").scores["A"] == {"A1": 0, "A2": 30, "A4": 25}
    assert s.initial_deal is None  # it named the removed option


def test_effect_on_a_removed_option_is_skipped():
    s = apply_effects(mini(), [
        RemoveOption(kind="remove_option", issue="B", option="B2"),
        ChangeScore(kind="change_score", party="alpha", issue="B", option="B2", delta=3),
    ])
    assert "B2" not in s.party("alpha").scores["B"]


def test_effect_making_threshold_unreachable_raises():
    with pytest.raises(ValidationError, match="threshold"):
        apply_effects(mini(), [ChangeThreshold(kind="change_threshold", party="beta", value=1000)])


def test_relationship_changes_are_left_to_agents():
    eff = [ChangeRelationship(kind="change_relationship", party="alpha", other="beta", trust_delta=-0.2),
           ChangeThreshold(kind="change_threshold", party="beta", delta=-1)]
    assert relationship_changes(eff) == [eff[0]]
    assert apply_effects(mini(), eff).party("beta").threshold == 49


@pytest.mark.parametrize("trigger,field", [
    ({"kind": "no_agreement_by"}, "round"),
    ({"kind": "option_proposed"}, "option"),
    ({"kind": "party_walked_out"}, "party"),
])
def test_trigger_needs_its_field(trigger, field):
    data = mini_data()
    data["injects"][0]["trigger"] = trigger
    [msg] = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert f"injects[0] (shock).trigger.{field}: a {trigger['kind']} trigger needs {field}" in msg


def test_inject_removing_every_option_of_an_issue():
    data = mini_data()
    data["injects"][0]["effects"] = [{"kind": "remove_option", "issue": "B", "option": o} for o in ("B1", "B2", "B3")]
    [msg] = problems_of(yaml.safe_dump(data, sort_keys=False))
    assert "injects[0] (shock).effects: removes every option of issue B" in msg


def test_duplicate_yaml_key_is_reported_with_its_line():
    text = (DATA / "mini_scenario.yaml").read_text().replace(
        "      B: {B1: 50, B2: 30, B3: 0}\n", "      B: {B1: 50, B2: 30, B3: 0}\n      A: {A1: 1, A2: 1, A3: 1}\n")
    [msg] = problems_of(text)
    assert msg == "s.yaml:17: parties[1].scores.A: duplicate key (written twice)"


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_are_one_line_errors(tmp_path, value):
    from dialogue_engine.domain.loading import DomainError, load_scenario

    path = tmp_path / "bad.yaml"
    path.write_text(f"""id: bad
title: Bad
situation: Two parties.
parties:
  - id: alpha
    threshold: {value}
    scores: {{A: {{A1: 1, A2: 2}}}}
  - id: beta
    threshold: 1
    scores: {{A: {{A1: 1, A2: 2}}}}
issues:
  - id: A
    title: A
    options: [{{id: A1, label: One}}, {{id: A2, label: Two}}]
""")
    with pytest.raises(DomainError, match="finite") as err:
        load_scenario(path)
    assert "parties[0].threshold" in str(err.value)


def test_yaml_bombs_and_deep_nesting_are_refused_quickly(tmp_path):
    import time

    from dialogue_engine.domain.loading import DomainError, Scenario, parse_model

    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    for text, reason in ((bomb, "aliases"), (deep, "nested")):
        start = time.perf_counter()
        with pytest.raises(DomainError, match=reason) as err:
            parse_model(text, Scenario, "bad.yaml")
        assert time.perf_counter() - start < 5 and "\n" not in str(err.value)
