"""``scenario`` commands: import or generate an LLM-Deliberation game, analyse a scenario's deal space."""

from __future__ import annotations

import json
from pathlib import Path

import typer

scenario_app = typer.Typer(help="Scenario tools: import and generate games, analyse deal spaces.", no_args_is_help=True)


@scenario_app.command("import-deliberation")
def import_deliberation(
    game_dir: Path = typer.Argument(..., help="Game folder in the LLM-Deliberation format."),
    out: Path = typer.Option(..., "--out", "-o", help="Scenario YAML file to write."),
    scenario_id: str = typer.Option(None, "--id", help="Scenario id (default: from the folder name)."),
    title: str = typer.Option(None, "--title", help="Scenario title (default: from the instructions)."),
    rounds: int = typer.Option(4, "--rounds", min=1, max=100, help="Rounds (each party speaks once a round)."),
    incentive: list[str] = typer.Option(None, "--incentive", help="STEM=FOLDER overriding the config's incentive "
                                        "column for one seat, or FOLDER for every seat (e.g. cooperative)."),
) -> None:
    """Convert an LLM-Deliberation game folder into a scenario YAML file."""
    from dialogue_engine.domain.loading import load_scenario
    from dialogue_engine.errors import QDError
    from dialogue_engine.negotiation.analysis import analyze
    from dialogue_engine.negotiation.deliberation import SOURCE, import_game, scenario_yaml

    overrides = {}
    for item in incentive or []:
        stem, _, folder = item.rpartition("=")
        if not folder.strip():
            raise QDError(f"--incentive: expected STEM=FOLDER or FOLDER, got {item!r}")
        overrides[stem.strip() or "*"] = folder.strip()
    scenario = import_game(game_dir, scenario_id=scenario_id, title=title, rounds=rounds, incentives=overrides)
    header = (f"Imported by `dialogue-engine scenario import-deliberation` from {game_dir.resolve().name}.\n"
              f"Source: {SOURCE}.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(scenario_yaml(scenario, header), encoding="utf-8")
    except OSError as err:
        raise QDError(f"{out}: cannot write: {err.strerror or err}") from None
    back = load_scenario(out)
    a = analyze(back)
    typer.echo(f"wrote {out}: {len(back.parties)} parties, {len(back.issues)} issues, {a.deals} deals, "
               f"{a.passable} passable, {a.unanimous} unanimous")


def _share_range(flag: str, text: str) -> tuple[float, float]:
    """``LO:HI`` shares (0 to 1) from the command line."""
    from dialogue_engine.errors import QDError

    parts = text.split(":")
    try:
        lo, hi = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        lo = hi = None
    if lo is None or hi is None or not 0.0 <= lo <= hi <= 1.0:
        raise QDError(f"{flag}: expected LO:HI with 0 <= LO <= HI <= 1, such as 0.05:0.12; got {text!r}")
    return lo, hi


@scenario_app.command("generate-game")
def generate_game_cmd(
    out_dir: Path = typer.Argument(..., help="Folder to write the game to (LLM-Deliberation format)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: the same seed and options give the same game."),
    parties: int = typer.Option(6, "--parties", help="Number of parties (2 to 10)."),
    issues: int = typer.Option(5, "--issues", help="Number of issues (1 to 8)."),
    passable: str = typer.Option("0.05:0.12", "--passable", help="Share of deals that pass the rule, LO:HI."),
    unanimous: str = typer.Option("0.01:0.03", "--unanimous", help="Share of deals every party accepts, LO:HI."),
) -> None:
    """Generate a game folder with a chosen difficulty (passable and unanimous shares of all deals)."""
    from dialogue_engine.negotiation.deliberation import import_game
    from dialogue_engine.negotiation.generator import generate_game, write_game

    game = generate_game(seed=seed, parties=parties, issues=issues,
                         passable_share=_share_range("--passable", passable),
                         unanimous_share=_share_range("--unanimous", unanimous))
    write_game(game, out_dir)
    back = import_game(out_dir)
    typer.echo(f"wrote {out_dir}: {game.title}, {len(back.parties)} parties, {len(back.issues)} issues, "
               f"{game.deals} deals, {game.passable} passable ({game.passable_share:.1%}), "
               f"{game.unanimous} unanimous ({game.unanimous_share:.1%})")


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


@scenario_app.command("analyze")
def analyze_cmd(
    scenario: str = typer.Argument(..., help="Scenario YAML file or id."),
    json_out: bool = typer.Option(False, "--json", help="Print the facts as JSON."),
    pareto_cap: int = typer.Option(1000, "--pareto-cap", min=0, help="At most this many deals in pareto_deals."),
) -> None:
    """Deal-space facts: passable and unanimous deals, Pareto frontier, Nash, max welfare, KS."""
    from dialogue_engine.domain.loading import load_scenario
    from dialogue_engine.negotiation.analysis import analyze

    s = load_scenario(scenario)
    a = analyze(s)
    if json_out:
        typer.echo(json.dumps(a.to_json(pareto_cap=pareto_cap), indent=2))
        return
    ids = a.space.party_ids
    lines = [
        f"{s.title} ({s.id})",
        f"rule: {s.rule.describe(len(ids), s.veto_parties)}",
        f"deals: {a.deals}   passable: {a.passable}   unanimous: {a.unanimous}   Pareto-optimal passable: {a.pareto}",
    ]
    points = [("Nash", a.nash), ("Max welfare", a.max_welfare), ("Kalai-Smorodinsky", a.kalai_smorodinsky)]
    if a.passable == 0:
        lines.append("no deal passes the rule")
    else:
        rows = [["", "deal"] + ids + ["total"], ["threshold", ""] + [f"{t:g}" for t in a.space.thresholds] + [""]]
        for name, p in points:
            rows.append([name, " ".join(p.deal.values())] + [f"{p.utilities[i]:g}" for i in ids] + [f"{p.total:g}"])
        lines += ["", _table(rows)]
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` group to the root command."""
    app.add_typer(scenario_app, name="scenario")
