"""``exercise`` commands: headless runs and batches, export and import of exercise logs, forks."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.core import TyperCommand

exercise_app = typer.Typer(help="Exercises: headless runs, batches, export and import.", no_args_is_help=True)


def _default_out(scenario_id: str, seed: int) -> Path:
    from dialogue_engine.config import get_settings

    return get_settings().data_dir / "runs" / f"{scenario_id}-seed{seed}"


@exercise_app.command("run")
def run_cmd(
    scenario: str = typer.Argument(..., help="Scenario YAML file or id."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same result.json."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for events.jsonl, result.json, report.md/html."),
    json_out: bool = typer.Option(False, "--json", help="Print result.json (with the output files) to stdout."),
    no_knowledge: bool = typer.Option(False, "--no-knowledge", help="Play without the knowledge base."),
    rounds: int = typer.Option(None, "--rounds", min=1, max=100, help="Override the scenario's rounds."),
    protocol: str = typer.Option(None, "--protocol", help="free or deliberation (default: the scenario's)."),
    db: str = typer.Option(None, "--db", help="Keep the exercise in this database URL (default: temporary)."),
) -> None:
    """Play a scenario with AI personas in every seat; write the log, the result and the report."""
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.errors import QDError
    from dialogue_engine.report.headless import run_exercise

    if protocol is not None and protocol not in ("free", "deliberation"):
        raise QDError(f"--protocol: expected free or deliberation, got {protocol!r}")
    scen = load_scenario(scenario)
    out = out or _default_out(scen.id, seed)
    run = run_exercise(scen, seed, out, knowledge=not no_knowledge, rounds=rounds, protocol=protocol,
                       database_url=db)
    res = run.result
    if json_out:
        typer.echo(json.dumps(res.to_json() | {"files": {k: str(v) for k, v in run.files.items()},
                                                "exercise_id": run.exercise_id}, indent=2, sort_keys=True))
        return
    if res.agreement:
        deal = "; ".join(f"{t}: {o}" for t, o in res.deal_lines)
        typer.echo(f"agreement in round {res.round}: {deal}")
        typer.echo("utilities: " + ", ".join(f"{p} {u:g} (min {res.thresholds[p]:g})" for p, u in res.utilities.items()))
        nr, wr = res.metrics.get("nash_ratio"), res.metrics.get("welfare_ratio")
        typer.echo(f"Nash ratio {'n/a' if nr is None else f'{nr:.3f}'}, welfare ratio "
                   f"{'n/a' if wr is None else f'{wr:.3f}'}")
    else:
        typer.echo(f"no agreement after {res.process.rounds_played} rounds ({res.reason})")
    typer.echo(f"wrote {out}/events.jsonl, result.json, report.md, report.html")


@exercise_app.command("resume")
def resume_cmd(
    exercise_id: str = typer.Argument(..., help="The stored exercise's id (see `exercise list`)."),
    db: str = typer.Option(None, "--db", help="Database URL (default: QD_DATABASE_URL or the SQLite file)."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for events.jsonl, result.json, report.md/html."),
    json_out: bool = typer.Option(False, "--json", help="Print result.json (with the output files) to stdout."),
    no_knowledge: bool = typer.Option(False, "--no-knowledge", help="Play without the knowledge base."),
) -> None:
    """Continue a stored exercise where its log stops (AI seats play the rest), then score it and report."""
    from dialogue_engine.config import get_settings
    from dialogue_engine.report.headless import resume_exercise

    url = db or get_settings().resolved_database_url
    out = out or get_settings().data_dir / "runs" / f"{exercise_id}-resumed"
    run = resume_exercise(exercise_id, url, out, knowledge=not no_knowledge)
    res = run.result
    if json_out:
        typer.echo(json.dumps(res.to_json() | {"files": {k: str(v) for k, v in run.files.items()},
                                                "exercise_id": run.exercise_id}, indent=2, sort_keys=True))
        return
    typer.echo(f"{exercise_id}: {'agreement in round ' + str(res.round) if res.agreement else 'no agreement'}; "
               f"wrote {out}/events.jsonl, result.json, report.md, report.html")


class _OptionalRayValue(TyperCommand):
    """``--ray`` with no value (last, or followed by another option) means ``--ray local``: start a local Ray."""

    def parse_args(self, ctx, args):  # noqa: ANN001, ANN201 - the base class signature
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--ray" and (i + 1 == len(args) or args[i + 1].startswith("-")):
                fixed.append("local")
        return super().parse_args(ctx, fixed)


@exercise_app.command("batch", cls=_OptionalRayValue)
def batch_cmd(
    scenario: str = typer.Argument(..., help="Scenario YAML file or id."),
    runs: int = typer.Option(10, "--runs", "-n", min=1, help="Number of runs (seeds seed..seed+runs-1)."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Processes to run in parallel (CPUs of a local Ray)."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for runs.json, runs.csv, summary.json and runs."),
    seed: int = typer.Option(0, "--seed", help="First seed."),
    no_knowledge: bool = typer.Option(False, "--no-knowledge", help="Play without the knowledge base."),
    json_out: bool = typer.Option(False, "--json", help="Print the aggregate as JSON."),
    ray: str = typer.Option(None, "--ray", metavar="[ADDRESS]",
                            help="Run on Ray: alone (after SCENARIO), a local Ray with --workers CPUs; with "
                                 "ray://host:port or host:port, an existing cluster. Same results as processes "
                                 "for the same seeds. Needs the 'ray' extra."),
) -> None:
    """Play many headless runs over processes or Ray; write per-run results and an aggregate (JSON and CSV)."""
    from dialogue_engine.domain import load_scenario
    from dialogue_engine.report.executors import executor_for
    from dialogue_engine.report.headless import run_batch

    executor = executor_for(ray, workers)
    scen = load_scenario(scenario)
    out = out or _default_out(scen.id, seed).with_name(f"{scen.id}-batch-seed{seed}-n{runs}")
    summary = run_batch(scen, runs, workers=workers, out_dir=out, seed=seed, knowledge=not no_knowledge,
                        executor=executor)
    agg = summary["aggregate"]
    if json_out:
        typer.echo(json.dumps(agg | {"scenario": scen.id, "out": str(out)}, indent=2))
        return
    typer.echo(f"{scen.id}: {agg['agreements']}/{agg['runs']} agreements ({agg['agreement_rate']:.0%}), "
               f"mean Nash ratio {_fmt(agg['mean_nash_ratio'])}, mean welfare ratio {_fmt(agg['mean_welfare_ratio'])}, "
               f"mean rounds to agreement {_fmt(agg['mean_rounds_to_agreement'])}, "
               f"threshold violations {agg['threshold_violations']}")
    n = agg["runs"]
    for label, key in (("final-round deals", "final_round"), ("any-round passable proposal", "any_round"),
                       ("deals with every counted party strictly above its minimum", "strict")):
        lo, hi = agg[f"{key}_ci95"]
        typer.echo(f"  {label}: {agg[f'{key}_rate']:.0%} ({round(agg[f'{key}_rate'] * n)}/{n}, "
                   f"95% CI {lo:.0%}-{hi:.0%})")
    typer.echo(f"  verified violations (yes votes below a voter's minimum, from the scores): "
               f"{agg['verified_violations']}; mean welfare, no deal counted as 0: {agg['mean_welfare_no_deal_zero']:.3f}")
    typer.echo(f"wrote {out}/runs.csv, runs.json, summary.json")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


@exercise_app.command("export")
def export_cmd(
    exercise_id: str = typer.Argument(..., help="Exercise id."),
    out: Path = typer.Option(..., "--out", "-o", help="JSONL file to write."),
    db: str = typer.Option(None, "--db", help="Database URL (default: QD_DATABASE_URL or the SQLite file)."),
) -> None:
    """Write an exercise's event log as JSONL."""
    from dialogue_engine.exercise.service import ExerciseService

    svc = ExerciseService(database_url=db)
    text = svc.export_jsonl(exercise_id, out)
    typer.echo(f"wrote {out}: {text.count(chr(10))} events")


@exercise_app.command("import")
def import_cmd(
    source: Path = typer.Argument(..., help="JSONL file from `exercise export` or `exercise run`."),
    exercise_id: str = typer.Option(None, "--id", help="Id for the imported exercise (default: a new one)."),
    keep_id: bool = typer.Option(False, "--keep-id", help="Keep the exercise's original id."),
    db: str = typer.Option(None, "--db", help="Database URL (default: QD_DATABASE_URL or the SQLite file)."),
) -> None:
    """Load an exported log into the database (new join codes are issued)."""
    from dialogue_engine.errors import QDError
    from dialogue_engine.exercise.service import ExerciseService

    if not source.is_file():
        raise QDError(f"{source}: no such file")
    svc = ExerciseService(database_url=db)
    info = svc.import_jsonl(source, exercise_id=exercise_id, keep_id=keep_id)
    typer.echo(f"imported {info.exercise_id} ({info.title}); facilitator code {info.facilitator_code}")


@exercise_app.command("fork")
def fork_cmd(
    exercise_id: str = typer.Argument(..., help="The exercise to fork (see `exercise list`)."),
    at: int = typer.Option(..., "--at", help="Copy the log up to and including this event seq."),
    db: str = typer.Option(None, "--db", help="Database URL (default: QD_DATABASE_URL or the SQLite file)."),
    seed: int = typer.Option(None, "--seed", min=0, help="Seed for what follows the fork (default: the source's)."),
    inject: str = typer.Option(None, "--inject", help="Fire this scenario inject (by id) at the fork point."),
    inject_text: str = typer.Option(None, "--inject-text", help="Fire a free-text inject at the fork point."),
) -> None:
    """A new exercise that replays this one up to event --at and plays on from there (new join codes)."""
    from dialogue_engine.exercise.branching import ForkInject
    from dialogue_engine.exercise.service import ExerciseService

    extra = ForkInject(inject_id=inject, text=inject_text or "") if inject or inject_text else None
    info = ExerciseService(database_url=db).fork_exercise(exercise_id, at, seed=seed, inject=extra)
    typer.echo(f"forked {exercise_id} at event {at} into {info.exercise_id} (seed {info.seed}); "
               f"facilitator code {info.facilitator_code}")
    for s in info.seats:
        if s.code:
            typer.echo(f"  {s.party}: {s.code}")


@exercise_app.command("list")
def list_cmd(
    db: str = typer.Option(None, "--db", help="Database URL (default: QD_DATABASE_URL or the SQLite file)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the exercises in the database, newest first."""
    from dialogue_engine.exercise.service import ExerciseService

    rows = ExerciseService(database_url=db).list_exercises()
    if json_out:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        typer.echo(f"{r['exercise_id']}  {r['mode']:<8}  {r['created'][:19]}  {r['title']}")


def register(app: typer.Typer) -> None:
    """Add the ``exercise`` group to the root command."""
    app.add_typer(exercise_app, name="exercise")
