"""Debrief page data: the after-action report, its chart tables and the downloads; a player's own debrief.

The gate: the full report and the deal-space plot with every seat's numbers open with the facilitator code
only. A seat code opens :class:`PlayerDebrief`: the player's own deal space (its own totals, the proposals in
order, who made them, the agreed deal) and the outcome line, never another seat's scores or minimums, until
the facilitator reveals the outcome after the end (the ``revealed`` event, :func:`reveal_outcome`); then the
player's plot is the full one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dialogue_engine.report.aar import build_report, to_html, to_markdown
from dialogue_engine.report.dealchart import deal_plot_svg
from dialogue_engine.report.dealplot import plot_for
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
    plot_svg: str = ""
    """The deal-space plot of the report (every seat's numbers: facilitator only)."""

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
                   verdict=report.outcome.verdict(), plot_svg=report.charts[-1][1] if report.charts else "")


@dataclass(frozen=True, kw_only=True)
class PlayerDebrief:
    """What one seat's debrief shows: its name, the outcome line and its own deal-space plot."""

    exercise_id: str
    party: str
    name: str
    verdict: tuple[str, str]
    plot_svg: str
    caption: str


def build_player_debrief(service: Any, exercise_id: str, party: str, *, revealed: bool | None = None) -> PlayerDebrief:
    """A seat's own debrief (see the module docstring for what it may show; ``revealed`` defaults to whether
    the facilitator has revealed the outcome)."""
    state = service.state(exercise_id)
    revealed = state.revealed if revealed is None else revealed
    out = state.outcome or {}
    if not state.ended:
        verdict = ("info", "Not finished yet: no deal has passed so far")
    elif out.get("agreement"):
        verdict = ("success", f"Agreement: {out.get('reason') or 'the deal passed'}")
    else:
        verdict = ("warning", f"Ended — no agreement ({out.get('reason') or 'no reason recorded'})")
    plot = plot_for(state, party, revealed=revealed)
    return PlayerDebrief(exercise_id=exercise_id, party=party, name=state.base.party_name(party), verdict=verdict,
                         plot_svg=deal_plot_svg(plot), caption=plot.note)


def can_reveal(service: Any, exercise_id: str) -> bool:
    """Whether the facilitator may reveal the outcome to the seats now (after the end, once)."""
    state = service.state(exercise_id)
    return state.ended and not state.revealed


def reveal_outcome(service: Any, facilitator_code: str) -> None:
    """Reveal every seat's outcome to the seats (their debriefs then show the full deal-space plot)."""
    service.reveal(facilitator_code)


def live_plot_svg(service: Any, exercise_id: str, party: str | None = None) -> str:
    """The facilitator's live deal-space plot of the current state (``party``: whose view in a multi-party)."""
    return deal_plot_svg(plot_for(service.state(exercise_id), party, revealed=True))
