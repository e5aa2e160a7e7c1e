"""Debrief page data: the after-action report, its chart tables and the downloads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.scoring import ExerciseResult, score


@dataclass(frozen=True)
class Debrief:
    """Everything the Debrief page shows and offers for download."""

    exercise_id: str
    result: ExerciseResult
    markdown: str
    html: str
    jsonl: str
    verdict: tuple[str, str] = ("info", "")
    """(tone, line) for the page's status box: ``success`` only for an agreement, ``warning`` for an ending
    without one, ``info`` while it runs (from the report's outcome model)."""

    def outcome_rows(self) -> list[dict[str, Any]]:
        """Per seat: points in the outcome against threshold (for a bar chart)."""
        rows = []
        for s in self.result.seats:
            rows.append({"Seat": s.name, "Measure": "points", "Value": s.utility if s.utility is not None else 0.0})
            rows.append({"Seat": s.name, "Measure": "threshold", "Value": s.threshold})
        return rows

    def trajectory_rows(self) -> list[dict[str, Any]]:
        """Per seat and step: points of the deal on the table (for a line chart)."""
        names = {s.party: s.name for s in self.result.seats}
        return [{"Step": i + 1, "Seat": names.get(p, p), "Points": v}
                for p, series in self.result.trajectories.items() for i, v in enumerate(series) if v is not None]


def build_debrief(service: Any, exercise_id: str) -> Debrief:
    """Score the exercise and render its report (Markdown, HTML) and JSONL log."""
    state = service.state(exercise_id)
    result = score(state)
    report = build_report(state, result)
    return Debrief(exercise_id, result, to_markdown(report), to_html(report), service.export_jsonl(exercise_id),
                   verdict=report.outcome.verdict())
