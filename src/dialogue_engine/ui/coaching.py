"""Debrief material for one seat: outcome against its threshold and the coaching rubric."""

from __future__ import annotations

from typing import Any

from dialogue_engine.report.markdown import plain_markdown
from dialogue_engine.report.scoring import score


def seat_debrief(service: Any, exercise_id: str, party: str) -> str:
    """Markdown: how ``party`` came out and the rubric with quoted lines (its own data only)."""
    result = score(service.state(exercise_id))
    seat = next(s for s in result.seats if s.party == party)
    out: list[str] = []
    if result.agreement:
        deal = "; ".join(f"{t}: {o}" for t, o in result.deal_lines)
        verdict = "at or above" if seat.above_threshold else "below"
        out.append(f"**Agreement** ({result.reason}): {deal}.")
        best = f" (the best any passable deal gives you: {seat.best:g})" if seat.best is not None else ""
        out.append(f"It is worth **{seat.utility:g}** points to you, {verdict} your threshold of "
                   f"{seat.threshold:g}{best}.")
    else:
        out.append(f"**No agreement** ({result.reason or 'not settled'}). You keep your fallback "
                   f"(threshold {seat.threshold:g}).")
    coaching = result.coaching.get(party)
    if coaching:
        out.append(f"**Coaching** — {coaching.met} of {coaching.applicable} criteria met:")
        for c in coaching.criteria:
            mark = "–" if not c.applies else "✓" if c.met else "✗"
            line = f"- {mark} **{c.title}** — {c.feedback}"
            for q in c.quotes[:2]:
                line += f"\n  > {plain_markdown(q)}"
            out.append(line)
    return "\n\n".join(out)
