"""The deal space of an exercise as plot data: every package, the passable ones, the frontier, the thresholds,
the Nash point and the proposals in order, for one pair of axes.

Three views, all pure functions of the folded state (render them with :func:`dialogue_engine.report.dealchart.deal_plot_svg`):

- :func:`bilateral_plot`: x = party A's total, y = party B's total (the classic two-party picture).
- :func:`party_plot`: x = one party's total, y = the lowest margin (total minus minimum) among the other
  parties the rule needs for the deal to pass (every other party under unanimity; under a quorum or a
  majority the weakest of the best-placed others that make up the count, never leaving out a required or
  veto party). With two parties this is the other party's margin.
- :func:`own_plot`: what a player may see before the other seats' numbers are revealed: only its own
  totals. x = its total, y = the proposal number; every package sits as a tick on the bottom row, the
  proposals climb in order. No passable set, frontier or Nash point: each depends on the others' private
  scores and minimums, and even an aggregate (the others' lowest margin) is the other seat's exact margin
  in a bilateral.

:func:`plot_for` picks the view for a viewer and a reveal flag (see report/README.md, "The deal-space plot").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dialogue_engine.domain.scenario import RuleKind
from dialogue_engine.exercise.state import ExerciseState
from dialogue_engine.negotiation.space import DealSpace

XY = tuple[float, float]


@dataclass(frozen=True, kw_only=True)
class Step:
    """One proposal on the path: its number in order, who proposed it (a name), its position, its round."""

    number: int
    proposer: str
    round: int
    at: XY
    final: bool = False


@dataclass(frozen=True, kw_only=True)
class DealPlot:
    """What a deal-space chart draws; every coordinate is in the chart's own units.

    Attributes:
        points: every package (deduplicated). passable: the packages the rule lets pass.
        frontier: the Pareto frontier of the passable packages in these two coordinates, sorted by x.
        x_threshold, y_threshold: the dashed lines (None: not drawn).
        nash: the Nash point of the whole space (None: none passes, or hidden).
        steps: the proposals in order. agreed: the deal that passed (None: no agreement).
        note: one sentence on what the axes mean.
    """

    title: str
    xlabel: str
    ylabel: str
    points: tuple[XY, ...]
    passable: tuple[XY, ...] = ()
    frontier: tuple[XY, ...] = ()
    x_threshold: float | None = None
    y_threshold: float | None = None
    nash: XY | None = None
    steps: tuple[Step, ...] = ()
    agreed: XY | None = None
    note: str = ""


def _r(v: float) -> float:
    return round(float(v), 6)


def _frontier(xy: np.ndarray) -> tuple[XY, ...]:
    """The upper-right staircase (maximal points) of ``xy`` rows, sorted by x."""
    if not xy.shape[0]:
        return ()
    pts = sorted({(_r(x), _r(y)) for x, y in xy}, key=lambda p: (-p[0], -p[1]))
    out, best_y = [], -np.inf
    for x, y in pts:
        if y > best_y + 1e-9:
            out.append((x, y))
            best_y = y
    return tuple(sorted(out))


def _steps(state: ExerciseState, space: DealSpace, coords: np.ndarray) -> tuple[Step, ...]:
    steps = []
    for prop in sorted(state.proposals.values(), key=lambda p: p.id):
        n = prop.number
        try:
            i = space.index_of(prop.deal)
        except KeyError:  # an incomplete package has no place in the space
            continue
        steps.append(Step(number=n, proposer=state.base.party_name(prop.proposer), round=prop.round,
                          at=(_r(coords[i, 0]), _r(coords[i, 1])), final=prop.final))
    return tuple(steps)


def _agreed(state: ExerciseState, space: DealSpace, coords: np.ndarray) -> XY | None:
    out = state.outcome or {}
    prop = state.proposals.get(out.get("proposal") or -1)
    if not out.get("agreement") or prop is None:
        return None
    try:
        i = space.index_of(prop.deal)
    except KeyError:
        return None
    return _r(coords[i, 0]), _r(coords[i, 1])


def _plot(state: ExerciseState, space: DealSpace, coords: np.ndarray, **labels) -> DealPlot:
    passes = space.passes
    nash_idx = space.analysis.nash_idx
    return DealPlot(
        points=tuple(sorted({(_r(x), _r(y)) for x, y in coords})),
        passable=tuple(sorted({(_r(x), _r(y)) for x, y in coords[passes]})),
        frontier=_frontier(coords[passes]),
        nash=None if nash_idx is None else (_r(coords[nash_idx, 0]), _r(coords[nash_idx, 1])),
        steps=_steps(state, space, coords), agreed=_agreed(state, space, coords), **labels)


def bilateral_plot(state: ExerciseState, a: str | None = None, b: str | None = None,
                   space: DealSpace | None = None) -> DealPlot:
    """x = ``a``'s total, y = ``b``'s total (default: the first two parties) for every package."""
    space = space or DealSpace.from_scenario(state.scenario)
    ids = space.party_ids
    a = a or ids[0]
    b = b or next(p for p in ids if p != a)
    ia, ib = space.party_index(a), space.party_index(b)
    na, nb = state.base.party_name(a), state.base.party_name(b)
    coords = space.utilities[:, [ia, ib]]
    return _plot(state, space, coords, title=f"Deal space: {na} and {nb}", xlabel=f"{na}: total",
                 ylabel=f"{nb}: total", x_threshold=float(space.thresholds[ia]),
                 y_threshold=float(space.thresholds[ib]),
                 note=f"Each dot is a package; the dashed lines are the minimums of {na} and {nb}.")


def needed_margin(space: DealSpace, party: str) -> np.ndarray:
    """Per package, the lowest margin among the other parties the rule needs (see the module docstring)."""
    sc = space.scenario
    i = space.party_index(party)
    others = [k for k in range(len(space.party_ids)) if k != i]
    margins = (space.utilities - space.thresholds[None, :])[:, others]
    n = len(space.party_ids)
    rule = sc.rule
    if rule.kind == RuleKind.UNANIMITY or not others:
        need = len(others)
    elif rule.kind == RuleKind.QUORUM:
        need = max(0, int(rule.min_parties or n) - 1)
    else:
        need = n // 2  # a majority (count * 2 > n) with the player: n // 2 others
    need = min(max(need, 1), len(others))
    must = [others.index(space.party_index(p)) for p in set(rule.required) | set(sc.veto_parties)
            if p in space.party_ids and p != party]
    kth = -np.sort(-margins, axis=1)[:, need - 1]
    if must:
        kth = np.minimum(kth, margins[:, must].min(axis=1))
    return kth


def party_plot(state: ExerciseState, party: str, space: DealSpace | None = None) -> DealPlot:
    """x = ``party``'s total, y = the lowest margin of the other parties the rule needs, for every package."""
    space = space or DealSpace.from_scenario(state.scenario)
    i = space.party_index(party)
    name = state.base.party_name(party)
    coords = np.column_stack([space.utilities[:, i], needed_margin(space, party)])
    unanimous = space.scenario.rule.kind == RuleKind.UNANIMITY
    who = "the other parties" if unanimous else "the other parties the rule needs"
    return _plot(state, space, coords, title=f"Deal space for {name}: own total against the others",
                 xlabel=f"{name}: total", ylabel=f"Lowest margin of {who}",
                 x_threshold=float(space.thresholds[i]), y_threshold=0.0,
                 note=(f"Above the horizontal dashed line every one of {who} gets at least its minimum; right of "
                       f"the vertical one {name} does."))


def own_plot(state: ExerciseState, party: str, space: DealSpace | None = None) -> DealPlot:
    """A player's private view: its own total for every package (bottom row) and for each proposal in order."""
    space = space or DealSpace.from_scenario(state.scenario)
    i = space.party_index(party)
    name = state.base.party_name(party)
    own = space.utilities[:, i]
    coords = np.column_stack([own, np.zeros_like(own)])
    steps = tuple(Step(number=s.number, proposer=s.proposer, round=s.round, at=(s.at[0], float(s.number)),
                       final=s.final) for s in _steps(state, space, coords))
    agreed = _agreed(state, space, coords)
    if agreed is not None:
        passed = (state.outcome or {}).get("proposal")
        n = state.proposals[passed].number if passed in state.proposals else 0
        agreed = (agreed[0], float(n))
    return DealPlot(title=f"Your deal space, {name}", xlabel=f"{name}: total (your score sheet)",
                    ylabel="Proposal number", points=tuple(sorted({(_r(x), 0.0) for x in own})),
                    x_threshold=float(space.thresholds[i]), steps=steps, agreed=agreed,
                    note=("Bottom row: your total for every possible package; above it each proposal in order. "
                          "The other seats' scores stay private until the facilitator reveals them."))


def plot_for(state: ExerciseState, party: str | None = None, *, revealed: bool = False,
             space: DealSpace | None = None) -> DealPlot:
    """The plot a viewer may see.

    Args:
        party: the player's seat, or None for the facilitator (who sees everything).
        revealed: whether the other seats' numbers have been revealed to the players.
    """
    space = space or DealSpace.from_scenario(state.scenario)
    ids = space.party_ids
    if party is not None and not revealed:
        return own_plot(state, party, space)
    if len(ids) == 2:
        first = party or ids[0]
        return bilateral_plot(state, first, next(p for p in ids if p != first), space)
    return party_plot(state, party or next((p for p in ids if state.humans.get(p)), ids[0]), space)
