"""Importer for LLM-Deliberation games, the ``scenario`` CLI and the shipped copy of the base game."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.domain import RuleKind, load_scenario
from dialogue_engine.errors import QDError
from dialogue_engine.negotiation.analysis import analyze
from dialogue_engine.negotiation.deliberation import GameFormatError, import_game, scenario_yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT.parent / "shared" / "external" / "llm-deliberation-base"
SHIPPED = ROOT / "src" / "dialogue_engine" / "negotiation" / "data" / "harbour_sport_park.yaml"
needs_base = pytest.mark.skipif(not (BASE / "config.txt").exists(),
                                reason=f"the LLM-Deliberation base game is not at {BASE} (../shared/external)")
runner = CliRunner()


def check_base_facts(s) -> None:
    a = analyze(s)
    assert (a.deals, a.passable, a.unanimous) == (720, 55, 12)
    w = a.max_welfare
    assert w.total == 391 and w.deal == {"A": "A2", "B": "B3", "C": "C2", "D": "D2", "E": "E4"}
    assert a.space.passes[a.nash_idx] and a.is_pareto(a.nash_idx)


@needs_base
def test_base_game_facts():
    s = import_game(BASE)
    check_base_facts(s)
    assert [i.id for i in s.issues] == list("ABCDE")
    assert [o.id for o in s.issue("C").options] == ["C1", "C2", "C3", "C4"]
    assert s.issue("A").title == "Infrastructure Mix" and s.issue("E").title == "Compensation to other cities"
    assert s.issue("A").option("A1").label == "water-based"
    assert s.issue("D").option("D1").label == "$3 billion"
    assert s.issue("C").option("C4").label == "No Union preference"
    assert s.rule.kind == RuleKind.QUORUM and s.rule.min_parties == 5
    assert sorted(s.veto_parties) == ["dot", "sportco"] == sorted(s.rule.required)
    assert s.initial_deal == {"A": "A1", "B": "B1", "C": "C4", "D": "D1", "E": "E5"}
    assert all(p.persona is None for p in s.parties)
    sportco = s.party("sportco")
    assert sportco.name == "SportCo" and sportco.role == "p1" and sportco.threshold == 55
    assert sportco.scores["E"] == {"E1": 0, "E2": 5, "E3": 10, "E4": 15, "E5": 23}
    # greedy incentive for SportCo (config.txt), placeholders filled from its scores
    greedy = (BASE / "individual_instructions" / "greedy" / "SportCo.txt").read_text()
    assert sportco.private_brief.startswith(greedy.strip().splitlines()[0].strip())
    assert "Issue E (max score 23): E1 (0), E2 (5), E3 (10), E4 (15), E5 (23)" in sportco.private_brief
    assert "#" not in s.party("mayor").private_brief
    assert s.situation.startswith('"SportCo" is a company') and "Issue A" in s.situation
    assert "Abdelnabi" in s.source and "MIT" in s.source


def test_shipped_copy_of_base_game():
    s = load_scenario(SHIPPED)
    assert s.id == "harbour-sport-park" and s.title == "Harbour Sport Park"
    check_base_facts(s)
    assert "Abdelnabi" in SHIPPED.read_text().splitlines()[1]


@needs_base
def test_shipped_copy_is_up_to_date():
    fresh = import_game(BASE, scenario_id="harbour-sport-park", title="Harbour Sport Park",
                        incentives={"*": "cooperative"})
    assert load_scenario(SHIPPED) == fresh
    assert {p.incentive.value for p in fresh.parties} == {"cooperative"}


@needs_base
def test_incentive_column_becomes_behaviour():
    as_configured = import_game(BASE)
    assert {p.id: p.incentive.value for p in as_configured.parties} == {
        "mayor": "cooperative", "other_cities": "cooperative", "union": "cooperative",
        "sportco": "greedy", "dot": "greedy", "enviroment": "greedy"}
    sabotage = import_game(BASE, incentives={"enviroment": "untargeted_adv"})
    assert sabotage.party("enviroment").incentive.value == "saboteur"
    assert "sabotage" in sabotage.party("enviroment").private_brief
    targeted = import_game(BASE, incentives={"enviroment": "targeted_adv"})
    assert (targeted.party("enviroment").incentive.value, targeted.party("enviroment").target) == ("targeted", "sportco")
    with pytest.raises(GameFormatError, match="missing file"):
        import_game(BASE, incentives={"mayor": "untargeted_adv"})  # no such brief for the mayor


def synthetic_game(root: Path, crlf: bool = True) -> Path:
    """Three parties, two issues, messy whitespace and Windows line endings."""
    game = root / "tiny_game"
    (game / "scores_files").mkdir(parents=True)
    (game / "individual_instructions" / "fair").mkdir(parents=True)
    (game / "individual_instructions" / "sly").mkdir(parents=True)
    nl = "\r\n" if crlf else "\n"

    def put(rel: str, lines: list[str]) -> None:
        (game / rel).write_bytes(nl.join(lines).encode())

    put("config.txt", ["", "Harbour Board ,board, p1 , fair, gpt-x  ", "Fishers' Guild,fishers,player,sly,m",
                       "  River Town,town,p2,fair,m", "", ""])
    put("scores_files/board.txt", ["10, 0 ,5  ", "", "3 7", "  12 "])
    put("scores_files/fishers.txt", ["0,10,5", "8, 2", "", "9"])
    put("scores_files/town.txt", ["4, 4, 10", "0, 6", "10", ""])
    put("initial_deal.txt", [" A1, B2 ", ""])
    put("global_instructions.txt", [
        "The harbour needs a plan.  ", "", "Issue A: \"Dredging\"", "Whether to dredge the channel.",
        "A1 \"deep\": dredge to 12 m.", "A2: no dredging.", "A3 shallow only", "=====",
        "Issue B \"Quotas\"", "B1 \"strict\"", ""])
    put("individual_instructions/fair/board.txt", ["You run the board.", "Issue A (max score #A_MAX_NUM): A1 (#A1_NUM)"])
    put("individual_instructions/sly/fishers.txt", ["You speak for the fishers.  ", ""])
    put("individual_instructions/fair/town.txt", ["You are the town.", "B2 is worth #B2_NUM to you."])
    return game


def test_synthetic_game(tmp_path):
    s = import_game(synthetic_game(tmp_path))
    assert s.id == "tiny_game" and [p.id for p in s.parties] == ["board", "fishers", "town"]
    assert [p.name for p in s.parties] == ["Harbour Board", "Fishers' Guild", "River Town"]
    assert [i.id for i in s.issues] == ["A", "B"]
    assert [o.id for o in s.issue("A").options] == ["A1", "A2", "A3"]
    assert s.issue("A").title == "Dredging" and s.issue("B").title == "Quotas"
    assert s.issue("A").description == "Whether to dredge the channel."
    labels = [o.label for o in s.issue("A").options] + [o.label for o in s.issue("B").options]
    assert labels == ["deep", "no dredging", "shallow only", "strict", "Option B2"]
    assert s.issue("A").option("A1").description == "dredge to 12 m."
    assert s.party("board").scores == {"A": {"A1": 10, "A2": 0, "A3": 5}, "B": {"B1": 3, "B2": 7}}
    assert [p.threshold for p in s.parties] == [12, 9, 10]
    assert [p.veto for p in s.parties] == [True, False, True]
    assert s.rule.min_parties == 2 and sorted(s.rule.required) == ["board", "town"]
    assert s.initial_deal == {"A": "A1", "B": "B2"}
    assert s.party("board").private_brief == "You run the board.\nIssue A (max score 10): A1 (10)"
    assert s.party("fishers").private_brief == "You speak for the fishers."
    assert s.party("town").private_brief == "You are the town.\nB2 is worth 6 to you."
    assert "\r" not in s.situation and s.situation.startswith("The harbour needs a plan.\n")
    # facts against a direct count: board+town must reach 12 and 10; fishers optional (quorum 2 of 3)
    a = analyze(s)
    expect = sum(1 for x in range(3) for y in range(2)
                 if [10, 0, 5][x] + [3, 7][y] >= 12 and [4, 4, 10][x] + [0, 6][y] >= 10)
    assert a.deals == 6 and a.passable == expect


def test_yaml_round_trip(tmp_path):
    s = import_game(synthetic_game(tmp_path, crlf=False))
    out = tmp_path / "tiny.yaml"
    out.write_text(scenario_yaml(s, "a header\nsecond line"), encoding="utf-8")
    assert out.read_text().startswith("# a header\n# second line\n")
    assert load_scenario(out) == s


@pytest.mark.parametrize("breakage,needle", [
    (lambda g: (g / "config.txt").unlink(), "config.txt: missing file"),
    (lambda g: (g / "scores_files" / "town.txt").unlink(), "town.txt: missing file"),
    (lambda g: (g / "scores_files" / "board.txt").write_text("10, x, 5\n3, 7\n12\n"), "board.txt:1: 'x' is not a number"),
    (lambda g: (g / "scores_files" / "board.txt").write_text("10, 0\n3, 7\n12\n"), "board.txt: options per issue"),
    (lambda g: (g / "scores_files" / "board.txt").write_text("10, 0, 5\n3, 7\n12 13\n"), "board.txt:3: the last line"),
    (lambda g: (g / "scores_files" / "board.txt").write_text("12\n"), "board.txt: expected one line per issue"),
    (lambda g: (g / "config.txt").write_text("Board,board\n"), "config.txt:1: expected"),
    (lambda g: (g / "config.txt").write_text("Board,board,p1,fair,m\n"), "at least two parties"),
    (lambda g: (g / "initial_deal.txt").write_text("A1,C9\n"), "initial_deal.txt: unknown option 'C9'"),
    (lambda g: (g / "initial_deal.txt").write_text("A1\n"), "initial_deal.txt: no option for issue(s) B"),
    (lambda g: (g / "individual_instructions" / "sly" / "fishers.txt").unlink(), "fishers.txt: missing file"),
    (lambda g: (g / "scores_files" / "town.txt").write_text("4, 4, 10\n0, 6\n99\n"), "threshold"),
])
def test_bad_game_folders(tmp_path, breakage, needle):
    game = synthetic_game(tmp_path)
    breakage(game)
    with pytest.raises(GameFormatError) as err:
        import_game(game)
    msg = str(err.value)
    assert isinstance(err.value, QDError) and "\n" not in msg and needle in msg


def test_not_a_folder(tmp_path):
    with pytest.raises(GameFormatError, match="not a folder"):
        import_game(tmp_path / "missing")


def test_cli_import_and_analyze(tmp_path):
    game = synthetic_game(tmp_path)
    out = tmp_path / "out" / "tiny.yaml"
    result = runner.invoke(app, ["scenario", "import-deliberation", str(game), "--out", str(out), "--id", "tiny"])
    assert result.exit_code == 0, result.output
    assert "3 parties, 2 issues, 6 deals" in result.stdout
    s = load_scenario(out)
    assert s.id == "tiny" and s == import_game(game, scenario_id="tiny")
    result = runner.invoke(app, ["scenario", "analyze", str(out), "--json"])
    assert result.exit_code == 0
    facts = json.loads(result.stdout)
    a = analyze(s)
    assert facts["deals"] == 6 and facts["passable"] == a.passable and facts["unanimous"] == a.unanimous
    assert facts["max_welfare"]["total"] == a.max_welfare.total
    table = runner.invoke(app, ["scenario", "analyze", str(out)])
    assert table.exit_code == 0 and "Nash" in table.stdout and "Kalai-Smorodinsky" in table.stdout


def test_cli_analyze_shipped_base_game():
    result = runner.invoke(app, ["scenario", "analyze", str(SHIPPED), "--json", "--pareto-cap", "3"])
    facts = json.loads(result.stdout)
    assert (facts["deals"], facts["passable"], facts["unanimous"]) == (720, 55, 12)
    assert facts["max_welfare"]["total"] == 391 and facts["max_welfare"]["deal"] == {
        "A": "A2", "B": "B3", "C": "C2", "D": "D2", "E": "E4"}
    assert len(facts["pareto_deals"]) == 3 and facts["pareto_deals_truncated"] is True
    assert set(facts["nash"]) == {"deal", "utilities"}


def test_cli_errors_are_one_line(tmp_path):
    bad = tmp_path / "empty_game"
    bad.mkdir()
    result = subprocess.run([sys.executable, "-m", "dialogue_engine.cli", "scenario", "import-deliberation",
                             str(bad), "--out", str(tmp_path / "x.yaml")], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {bad / 'config.txt'}: missing file"
