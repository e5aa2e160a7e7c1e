"""Headless play: every seat an AI persona, results and reports written to a folder; batches on an executor."""

from __future__ import annotations

import csv
import json
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialogue_engine.domain import Scenario, load_scenario
from dialogue_engine.report.executors import BatchExecutor, PoolExecutor


@dataclass(frozen=True)
class HeadlessRun:
    """One finished headless run: its id, its scored result and the files written."""

    exercise_id: str
    result: Any
    files: dict[str, Path]
    state: Any = None


def _scenario(scenario: Scenario | str | Path | dict) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return Scenario.model_validate(scenario)
    return load_scenario(scenario)


def finish(svc: Any, exercise_id: str, out_dir: str | Path | None) -> tuple[Any, dict[str, Path], Any]:
    """Play a stored exercise to its end, score it and write its files into ``out_dir`` (when given).

    Raises:
        QDError: ``out_dir`` exists and is not a folder (one line; nothing is played).
    """
    from dialogue_engine.errors import QDError
    from dialogue_engine.report.aar import build_report, to_html, to_markdown
    from dialogue_engine.report.scoring import score

    out = Path(out_dir) if out_dir is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise QDError(f"--out {out}: exists and is not a folder")
    svc.run_to_end(exercise_id)
    state = svc.state(exercise_id)
    result = score(state)
    files: dict[str, Path] = {}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files["events"] = out / "events.jsonl"
        svc.export_jsonl(exercise_id, files["events"])
        files["result"] = out / "result.json"
        files["result"].write_text(json.dumps(result.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        rep = build_report(state, result)
        files["report"] = out / "report.md"
        files["report"].write_text(to_markdown(rep), encoding="utf-8")
        files["html"] = out / "report.html"
        files["html"].write_text(to_html(rep), encoding="utf-8")
    return result, files, state


def resume_exercise(exercise_id: str, database_url: str, out_dir: str | Path | None = None, *,
                    knowledge: bool = True) -> HeadlessRun:
    """Continue a stored exercise where its log stops (AI seats play every remaining turn), then score it.

    Raises:
        QDError: no such exercise in that database (one line).
    """
    from dialogue_engine.exercise.runtime import build_runtime

    runtime = build_runtime(knowledge=knowledge)
    svc = runtime.service(runtime.store(database_url))
    try:
        svc.state(exercise_id)
        result, files, state = finish(svc, exercise_id, out_dir)
    finally:
        svc.store.dispose()
    return HeadlessRun(exercise_id, result, files, state)


def run_exercise(scenario: Scenario | str | Path, seed: int = 0, out_dir: str | Path | None = None, *,
                 knowledge: bool = True, database_url: str | None = None, agent_factory=None, realizer=None,
                 rounds: int | None = None, protocol: str | None = None, retriever=None) -> HeadlessRun:
    """Play a scenario with AI personas in every seat and score it.

    Args:
        scenario: a scenario, its id or its file.
        seed: the exercise seed; the same seed gives the same ``result.json`` with the built-in realizer.
        out_dir: where to write ``events.jsonl``, ``result.json``, ``report.md`` and ``report.html``
            (nothing is written when None).
        knowledge: use the default knowledge base for citations when it exists.
        database_url: keep the exercise in this database (default: a temporary SQLite file).
        agent_factory, realizer, retriever: override the runtime's parts (default: built from settings by
            :func:`~dialogue_engine.exercise.runtime.build_runtime`, so ``QD_LLM`` applies).
    """
    from dialogue_engine.exercise.runtime import build_runtime
    from dialogue_engine.exercise.service import ExerciseService

    scen = _scenario(scenario)
    runtime = build_runtime(knowledge=knowledge, retriever=retriever)
    with tempfile.TemporaryDirectory(prefix="qd-run-") as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'exercise.db'}"
        svc = ExerciseService(database_url=url, agent_factory=agent_factory or runtime.agent_factory,
                              retriever=runtime.retriever, realizer=realizer if realizer is not None else runtime.realizer)
        try:
            info = svc.create(scen, [], seed, rounds=rounds, protocol=protocol)
            result, files, state = finish(svc, info.exercise_id, out_dir)
        finally:
            svc.store.dispose()
    return HeadlessRun(info.exercise_id, result, files, state)


def summary_row(run: int, seed: int, result: Any) -> dict[str, Any]:
    """One CSV row of a batch (the Nash and welfare ratios are empty without a deal: no deal is not the BATNA's
    welfare, and the aggregates count it 0)."""
    m = result.metrics if result.agreement else {}
    return {
        "run": run, "seed": seed, "agreement": result.agreement,
        "rounds_to_agreement": result.process.rounds_to_agreement, "rounds_played": result.process.rounds_played,
        "nash_ratio": m.get("nash_ratio"), "welfare_ratio": m.get("welfare_ratio"), "gini": m.get("gini"),
        "proposals": result.process.proposals, "citations": result.process.citations_used,
        "threshold_violations": result.process.threshold_violations,
        "deal": json.dumps(result.deal, sort_keys=True) if result.deal else "",
    }


def _run_one(args: tuple) -> tuple[dict[str, Any], dict[str, bytes]]:
    """One batch job, wherever it runs: its CSV row and, when asked, its files' bytes (written by the caller)."""
    from dialogue_engine.report.deal_rates import run_figures

    scen_data, seed, run, with_files, knowledge = args
    with tempfile.TemporaryDirectory(prefix="qd-batch-") as tmp:
        res = run_exercise(scen_data, seed, Path(tmp) if with_files else None, knowledge=knowledge)
        files = {path.name: path.read_bytes() for path in res.files.values()}
    figures = run_figures(res.state, res.result)
    row = summary_row(run, seed, res.result) | {
        "any_round": figures["any_round"], "agreement_strict": figures["strict"],
        "verified_violations": figures["violations"], "welfare_no_deal_zero": round(figures["welfare"], 6)}
    return row, files


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Agreement rate, mean Nash and welfare ratios (no deal counts 0), rounds to agreement."""
    n = len(rows)
    deals = [r for r in rows if r["agreement"]]

    def mean(vals: list[float]) -> float | None:
        return round(statistics.fmean(vals), 6) if vals else None

    return {
        "runs": n,
        "agreements": len(deals),
        "agreement_rate": round(len(deals) / n, 6) if n else 0.0,
        "mean_nash_ratio": mean([r["nash_ratio"] or 0.0 for r in rows]),
        "mean_nash_ratio_of_deals": mean([r["nash_ratio"] or 0.0 for r in deals]),
        "mean_welfare_ratio": mean([r["welfare_ratio"] or 0.0 for r in rows]),
        "mean_welfare_ratio_of_deals": mean([r["welfare_ratio"] or 0.0 for r in deals]),
        "mean_rounds_to_agreement": mean([r["rounds_to_agreement"] for r in deals]),
        "threshold_violations": sum(int(r["threshold_violations"]) for r in rows),
    } | _rates(rows)


def _rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Final-round, any-round and strict deal rates with 95% Wilson intervals, recomputed from the scores."""
    from dialogue_engine.report.deal_rates import wilson

    if not rows or "any_round" not in rows[0]:
        return {}
    n = len(rows)
    out: dict[str, Any] = {}
    for key, field in (("final_round", "agreement"), ("any_round", "any_round"), ("strict", "agreement_strict")):
        k = sum(1 for r in rows if r[field])
        lo, hi = wilson(k, n)
        out[f"{key}_rate"] = round(k / n, 6)
        out[f"{key}_ci95"] = [round(lo, 6), round(hi, 6)]
    out["verified_violations"] = sum(int(r["verified_violations"]) for r in rows)
    out["mean_welfare_no_deal_zero"] = round(statistics.fmean(r["welfare_no_deal_zero"] for r in rows), 6)
    return out


def run_batch(scenario: Scenario | str | Path, runs: int, *, workers: int = 1, out_dir: str | Path | None = None,
              seed: int = 0, knowledge: bool = True, executor: BatchExecutor | None = None) -> dict[str, Any]:
    """Play ``runs`` headless exercises (seeds ``seed .. seed+runs-1``) and aggregate them.

    Each run plays on ``executor`` (default :class:`~dialogue_engine.report.executors.PoolExecutor` with
    ``workers`` processes; a :class:`~dialogue_engine.report.executors.RayExecutor` gives the same results
    for the same seeds). Runs send their files back, and this process writes them: ``runs.json``,
    ``runs.csv``, ``summary.json`` and a folder per run in ``out_dir``.

    Returns:
        ``{"scenario", "aggregate", "runs"}``.

    Raises:
        QDError: ``out_dir`` exists and is not a folder, or the executor cannot start (one line; nothing is played).
    """
    from dialogue_engine.errors import QDError

    scen = _scenario(scenario)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and out.exists() and not out.is_dir():
        raise QDError(f"--out {out}: exists and is not a folder")
    data = scen.model_dump(mode="json")
    jobs = [(data, seed + i, i + 1, out is not None, knowledge) for i in range(runs)]
    rows: list[dict[str, Any]] = []
    with executor or PoolExecutor(workers) as ex:
        for row, files in ex.map(_run_one, jobs):
            rows.append(row)
            if out is not None:
                _write_run(out / f"run-{row['run']:04d}", files)
    summary = {"scenario": scen.id, "aggregate": aggregate(rows), "runs": rows}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "runs.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
        (out / "summary.json").write_text(json.dumps(summary["aggregate"] | {"scenario": scen.id}, indent=2) + "\n",
                                          encoding="utf-8")
        with (out / "runs.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else ["run"])
            writer.writeheader()
            writer.writerows(rows)
    return summary


def _write_run(run_dir: Path, files: dict[str, bytes]) -> None:
    """Write one run's files (as the run produced them) into its folder."""
    from dialogue_engine.errors import QDError

    if run_dir.exists() and not run_dir.is_dir():
        raise QDError(f"{run_dir}: exists and is not a folder")
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (run_dir / name).write_bytes(content)
