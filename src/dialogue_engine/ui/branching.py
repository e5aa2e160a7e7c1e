"""What-if controls for the pages: where an exercise can be forked, in words, and what a fork hands out.

The forking itself is :meth:`ExerciseService.fork` / :meth:`~ExerciseService.retry`; everything here is pure,
so it is tested without Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogue_engine.exercise.branching import cut_points
from dialogue_engine.exercise.events import Event, EventKind
from dialogue_engine.exercise.views import ExerciseInfo

__all__ = ["ForkPoint", "fork_codes", "fork_points", "retry_rounds"]


@dataclass(frozen=True, kw_only=True)
class ForkPoint:
    """An event the log may be cut after, with a label a facilitator can pick from."""

    seq: int
    label: str


def _what(ev: Event, names: dict[str, str]) -> str:
    p = ev.payload

    def who(party: str) -> str:
        return names.get(party, party)

    if ev.kind == EventKind.PHASE_CHANGED:
        return f"{p.get('phase', '').replace('_', ' ')} phase opens"
    if ev.kind == EventKind.ROUND_STARTED:
        return f"round {p.get('round')} opens"
    if ev.kind == EventKind.INJECT_FIRED:
        return f"inject: {p.get('title', '')}"
    if ev.kind == EventKind.PROPOSAL:
        return f"proposal by {who(p.get('proposer', ev.actor))}"
    if ev.kind == EventKind.MESSAGE:
        return f"{who(ev.actor)} speaks"
    return f"{ev.kind.value.replace('_', ' ')}" + (f" ({who(ev.actor)})" if ev.actor not in ("system",) else "")


def fork_points(events: list[Event], names: dict[str, str] | None = None) -> list[ForkPoint]:
    """Every point a fork may cut after, labelled ``#seq · round N · what happened``, in log order.

    ``names`` (party id -> display name) names the seats; a seat not in it is shown by its id.
    """
    names = names or {}
    rnd = 0
    by_seq = {}
    for ev in events:
        if ev.kind == EventKind.ROUND_STARTED:
            rnd = int(ev.payload["round"])
        by_seq[ev.seq] = (rnd, ev)
    out = []
    for seq in cut_points(events):
        rnd, ev = by_seq[seq]
        out.append(ForkPoint(seq=seq, label=f"#{seq} · {'round ' + str(rnd) if rnd else 'before round 1'} · "
                                            f"{_what(ev, names)}"))
    return out


def retry_rounds(current_round: int) -> list[int]:
    """The rounds a learner may retry from (1..current), the default (current - 2, "the last three") first."""
    if current_round < 1:
        return []
    default = max(1, current_round - 2)
    return [default] + [r for r in range(1, current_round + 1) if r != default]


def fork_codes(info: ExerciseInfo) -> list[tuple[str, str]]:
    """(who, code) for the codes a fork just issued: the facilitator's first, then each human seat's."""
    out = [("Facilitator", info.facilitator_code)] if info.facilitator_code else []
    return out + [(s.name, s.code) for s in info.seats if s.code]
