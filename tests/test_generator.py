"""Game generator in the LLM-Deliberation format: round trip through the importer, difficulty, determinism."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dialogue_engine.cli import app
from dialogue_engine.errors import QDError
from dialogue_engine.negotiation.analysis import analyze
from dialogue_engine.negotiation.deliberation import import_game
from dialogue_engine.negotiation.generator import (
    INCENTIVES, PASSABLE, UNANIMOUS, GeneratedGame, game_scenario, generate_game, write_game)
from dialogue_engine.negotiation.space import DealSpace

ROOT = Path(__file__).resolve().parent.parent
FAST = settings(max_examples=8, deadline=None)
BASE_PASSABLE, BASE_UNANIMOUS = 55 / 720, 12 / 720  # the LLM-Deliberation base game


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check_game(game: GeneratedGame, passable: tuple[float, float], unanimous: tuple[float, float]) -> None:
    """Write, import back, and check the difficulty and the facts on the imported scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_game(game, Path(tmp) / "game")
        imported = import_game(folder, scenario_id=f"generated-{game.seed}")
    direct = game_scenario(game)
    assert imported.model_dump(exclude={"source"}) == direct.model_dump(exclude={"source"})
    assert "Abdelnabi" in direct.source and "MIT" in direct.source
    a = analyze(imported)
    assert (a.deals, a.passable, a.unanimous) == (game.deals, game.passable, game.unanimous)
    assert passable[0] <= a.passable / a.deals <= passable[1]
    assert unanimous[0] <= a.unanimous / a.deals <= unanimous[1]
    space = a.space
    assert a.nash_idx is not None and space.passes[a.nash_idx] and a.is_pareto(a.nash_idx)
    reach = space.accepts[space.passes].any(axis=0)  # each party: some passable deal meets its minimum
    assert reach.all(), [p.id for p, ok in zip(imported.parties, reach) if not ok]
    # the rule is the importer's: N-1 parties including every p1/p2
    n = len(imported.parties)
    assert imported.rule.min_parties == max(1, n - 1)
    assert sorted(imported.rule.required) == sorted(p.id for p in imported.parties if p.role in ("p1", "p2"))
    for party, row in zip(game.parties, space.utilities.T):
        assert row.max() == 100 == sum(party.weights)  # every party's best total is 100, as in the base game
        assert all(min(r) == 0 and all(isinstance(x, int) and x >= 0 for x in r) for r in party.scores)
        assert 0 < party.minimum <= 100 and "#" not in imported.party(party.stem).private_brief
    p1 = [p for p in game.parties if p.role == "p1"]
    if p1:  # the initial deal is p1's best deal
        assert space.utility(p1[0].stem, imported.initial_deal) == 100


def test_default_ranges_bracket_the_base_game():
    assert PASSABLE[0] < BASE_PASSABLE < PASSABLE[1] and UNANIMOUS[0] < BASE_UNANIMOUS < UNANIMOUS[1]


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_default_games_round_trip_with_the_requested_difficulty(seed):
    game = generate_game(seed=seed)
    assert game.deals == 5 * 4 ** 4 and len(game.parties) == 6 and len(game.issues) == 5
    assert [p.role for p in game.parties] == ["p1", "p2"] + ["player"] * 4
    check_game(game, PASSABLE, UNANIMOUS)


@FAST
@given(seed=st.integers(0, 10**6), parties=st.integers(3, 8), issues=st.integers(3, 6),
       options=st.integers(3, 5), veto_roles=st.integers(0, 2),
       passable_lo=st.sampled_from([0.03, 0.1, 0.2]), width=st.sampled_from([0.1, 0.2]))
def test_other_shapes_and_difficulties(seed, parties, issues, options, veto_roles, passable_lo, width):
    passable = (passable_lo, passable_lo + width)
    # a lone party without a veto makes every deal it accepts unanimous: allow as many as pass
    unanimous = (0.0, passable[1] if parties - veto_roles < 2 else passable_lo)
    game = generate_game(seed=seed, parties=parties, issues=issues, options_per_issue=options, veto_roles=veto_roles,
                         passable_share=passable, unanimous_share=unanimous)
    assert game.deals == options ** issues
    assert sum(p.role in ("p1", "p2") for p in game.parties) == veto_roles
    check_game(game, passable, unanimous)


def test_per_issue_option_counts():
    game = generate_game(seed=5, issues=3, options_per_issue=(2, 6, 3), passable_share=(0.05, 0.3),
                         unanimous_share=(0.0, 0.3))
    assert [len(i.options) for i in game.issues] == [2, 6, 3]
    assert [len(r) for r in game.parties[0].scores] == [2, 6, 3]
    assert game.deals == 36 == DealSpace.from_scenario(game_scenario(game)).size


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_same_seed_same_files_other_seed_other_game(seed):
    with tempfile.TemporaryDirectory() as tmp:
        a, b, c = (write_game(generate_game(seed=s), Path(tmp) / name)
                   for s, name in ((seed, "a"), (seed, "b"), (seed + 1, "c")))
        fa, fb, fc = files_of(a), files_of(b), files_of(c)
    assert fa == fb
    scores = {k: v for k, v in fa.items() if k.startswith("scores_files/")}
    assert scores != {k: v for k, v in fc.items() if k.startswith("scores_files/")}
    assert len(scores) == 6 and {"config.txt", "initial_deal.txt", "global_instructions.txt"} <= set(fa)


def test_folder_layout_and_incentives(tmp_path):
    game = generate_game(seed=3, incentives={0: "greedy", 2: "untargeted_adv", 3: "targeted_adv"})
    folder = write_game(game, tmp_path / "game")
    config = (folder / "config.txt").read_text().splitlines()
    assert [line.split(", ")[2:4] for line in config] == [
        ["p1", "greedy"], ["p2", "cooperative"], ["player", "untargeted_adv"], ["player", "targeted_adv"],
        ["player", "cooperative"], ["player", "cooperative"]]
    stems = [p.stem for p in game.parties]
    for stem in stems:  # every party has cooperative and greedy instructions, like the base game
        for incentive in ("cooperative", "greedy"):
            assert (folder / "individual_instructions" / incentive / f"{stem}.txt").is_file()
    assert (folder / "individual_instructions" / "untargeted_adv" / f"{stems[2]}.txt").is_file()
    assert not (folder / "individual_instructions" / "untargeted_adv" / f"{stems[3]}.txt").exists()
    # briefs use the placeholders, one score line per issue; the importer fills them from the scores
    raw = (folder / "individual_instructions" / "targeted_adv" / f"{stems[3]}.txt").read_text()
    issue_a = game.issues[0]
    line = ", ".join(f"A{k} (#A{k}_NUM)" for k in range(1, len(issue_a.options) + 1))
    assert f"Issue A (max score #A_MAX_NUM): {line}" in raw and f'"{game.parties[0].name}"' in raw
    s = import_game(folder)
    row = game.parties[3].scores[0]
    filled = ", ".join(f"A{k} ({v})" for k, v in enumerate(row, 1))
    assert f"Issue A (max score {max(row)}): {filled}" in s.party(stems[3]).private_brief
    assert "no agreement" in s.party(stems[2]).private_brief
    assert "best possible deal" in s.party(stems[0]).private_brief
    assert s.title == game.title and s.issue("A").title == issue_a.title
    assert [o.label for o in s.issue("A").options] == list(issue_a.options)
    assert s.initial_deal == dict(zip([i.letter for i in game.issues], game.initial_deal))
    # scores files: one line per issue, then the minimum
    lines = (folder / "scores_files" / f"{stems[0]}.txt").read_text().splitlines()
    assert lines[-1] == str(game.parties[0].minimum) and len(lines) == len(game.issues) + 1
    # incentives change only the briefs, never the numbers
    plain = generate_game(seed=3)
    assert [p.scores for p in plain.parties] == [p.scores for p in game.parties]
    assert [p.minimum for p in plain.parties] == [p.minimum for p in game.parties]


@pytest.mark.parametrize("kwargs,needle", [
    ({"parties": 1}, "parties: expected 2 to 10"),
    ({"parties": 11}, "parties: expected 2 to 10"),
    ({"issues": 0}, "issues: expected 1 to 8"),
    ({"options_per_issue": (4, 4)}, "2 sizes given for 5 issues"),
    ({"options_per_issue": 7}, "2 to 6 options"),
    ({"passable_share": (0.2, 0.1)}, "passable_share: expected 0 <= low <= high <= 1"),
    ({"unanimous_share": (0.0, 1.5)}, "unanimous_share: expected"),
    ({"passable_share": (0.01, 0.02), "unanimous_share": (0.05, 0.1)}, "above the passable high"),
    ({"issues": 2, "options_per_issue": 3, "passable_share": (0.01, 0.05)}, "no count of the 9 deals"),
    ({"parties": 3, "issues": 3, "options_per_issue": 3, "passable_share": (0.03, 0.13),
      "unanimous_share": (0.0, 0.03)}, "reaching its minimum makes a deal unanimous"),
    ({"veto_roles": 3}, "veto_roles: expected 0 to 2"),
    ({"incentives": {6: "greedy"}}, "no party 6"),
    ({"incentives": {0: "sneaky"}}, "unknown incentive 'sneaky'"),
    ({"seed": -1}, "seed: expected a non-negative integer"),
    ({"max_tries": 0}, "max_tries: expected at least 1"),
    ({"passable_share": (0.999, 1.0), "unanimous_share": (0.0, 0.001), "max_tries": 20}, "found in 20 tries"),
])
def test_bad_arguments_are_one_line_errors(kwargs, needle):
    with pytest.raises(QDError) as err:
        generate_game(**{"seed": 1, **kwargs})
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_incentive_names_are_the_base_game_folders():
    base = ROOT.parent / "shared" / "external" / "llm-deliberation-base" / "individual_instructions"
    if not base.is_dir():
        pytest.skip(f"the LLM-Deliberation base game is not at {base}")
    assert {p.name for p in base.iterdir()} == set(INCENTIVES)


def test_cli_generate_game(tmp_path):
    out = tmp_path / "games" / "g7"
    result = CliRunner().invoke(app, ["scenario", "generate-game", str(out), "--seed", "7", "--parties", "5",
                                      "--issues", "4", "--passable", "0.1:0.2", "--unanimous", "0.02:0.08"])
    assert result.exit_code == 0, result.output
    game = generate_game(seed=7, parties=5, issues=4, passable_share=(0.1, 0.2), unanimous_share=(0.02, 0.08))
    assert f"{game.deals} deals, {game.passable} passable" in result.stdout and "5 parties, 4 issues" in result.stdout
    with tempfile.TemporaryDirectory() as tmp:
        assert files_of(out) == files_of(write_game(game, Path(tmp)))
    check_game(game, (0.1, 0.2), (0.02, 0.08))


def test_cli_bad_arguments_are_one_line(tmp_path):
    script = ("import sys\nfrom dialogue_engine.cli import main\n"
              "for args in (['--passable', 'abc'], ['--unanimous', '0.3:0.1'], ['--parties', '1']):\n"
              "    sys.argv = ['dialogue-engine', 'scenario', 'generate-game', sys.argv[1]] + args\n"
              "    try:\n        main()\n    except SystemExit as e:\n        print('exit', e.code, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "g")], capture_output=True, text=True)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [
        "error: --passable: expected LO:HI with 0 <= LO <= HI <= 1, such as 0.05:0.12; got 'abc'", "exit 1",
        "error: --unanimous: expected LO:HI with 0 <= LO <= HI <= 1, such as 0.05:0.12; got '0.3:0.1'", "exit 1",
        "error: parties: expected 2 to 10, got 1", "exit 1"]
    assert not (tmp_path / "g").exists()


def test_utilities_match_a_plain_count():
    """The difficulty figures against a loop over every deal, independent of DealSpace."""
    game = generate_game(seed=11, parties=4, issues=3, options_per_issue=4, passable_share=(0.05, 0.3),
                         unanimous_share=(0.0, 0.3))
    veto = [p.role in ("p1", "p2") for p in game.parties]
    passable = unanimous = 0
    for deal in np.ndindex(*[len(i.options) for i in game.issues]):
        ok = [sum(r[k] for r, k in zip(p.scores, deal)) >= p.minimum for p in game.parties]
        unanimous += all(ok)
        passable += sum(ok) >= len(ok) - 1 and all(o for o, v in zip(ok, veto) if v)
    assert (game.deals, game.passable, game.unanimous) == (64, passable, unanimous)
