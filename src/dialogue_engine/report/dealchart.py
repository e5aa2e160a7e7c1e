"""A :class:`~dialogue_engine.report.dealplot.DealPlot` as one self-contained SVG (no scripts, no links).

The legend and the list of proposals sit below the data area, never on it, and names are written in full:
the picture grows to fit them.
"""

from __future__ import annotations

import math
import textwrap
from html import escape

from dialogue_engine.report.charts import PALETTE, _num, _scale
from dialogue_engine.report.dealplot import DealPlot

PW, PH = 520, 340  # data area
LEFT, TOP, GAP = 64, 34, 44  # room for the y labels, the title, the x labels
CHAR = 6.4  # approximate width of one character at font-size 11
ROW = 16
DOT, PASS, FRONT, NASH, AGREED, THR = "#c8c8c8", "#4a90c8", "#08306b", "#2ca02c", "#d62728", "#777"


def _bounds(vals: list[float]) -> tuple[float, float]:
    lo, hi = min(vals), max(vals)
    step = _step(lo, hi)
    return math.floor(lo / step) * step - step / 2, math.ceil(hi / step) * step + step / 2


def _step(lo: float, hi: float) -> float:
    raw = ((hi - lo) or 1.0) / 6
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _ticks(lo: float, hi: float, whole: bool = False) -> list[float]:
    """Round tick values inside ``lo..hi`` (``whole``: whole numbers only)."""
    step = max(_step(lo, hi), 1.0) if whole else _step(lo, hi)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 6) for k in range(int((hi - first) / step + 1e-9) + 1)]


def _legend(items: list[tuple[str, str]], x0: float, y0: float, width: float) -> tuple[list[str], float]:
    """Legend entries (label, svg marker) in as many columns as fit ``width``; returns (parts, height)."""
    col = max(CHAR * len(label) for label, _ in items) + 28
    cols = max(1, int(width // col))
    out = []
    for k, (label, marker) in enumerate(items):
        x, y = x0 + (k % cols) * col, y0 + (k // cols) * ROW
        out.append(marker.format(x=x + 5, y=y - 4) + f'<text x="{x + 14:.1f}" y="{y:.1f}" font-size="11">'
                   f'{escape(label)}</text>')
    return out, ((len(items) + cols - 1) // cols) * ROW


def deal_plot_svg(plot: DealPlot) -> str:
    """Render the plot: light dots for every package, darker for passable ones, the frontier as a line, dashed
    thresholds, the Nash point (green square), the proposals as a numbered path coloured by proposer and the
    agreed deal (red ring); a legend and the numbered list of proposals (with full names) below."""
    xs = [p[0] for p in plot.points] + [s.at[0] for s in plot.steps]
    ys = [p[1] for p in plot.points] + [s.at[1] for s in plot.steps]
    if plot.x_threshold is not None:
        xs.append(plot.x_threshold)
    if plot.y_threshold is not None:
        ys.append(plot.y_threshold)
    x0, x1 = _bounds(xs or [0.0])
    y0, y1 = _bounds(ys or [0.0])
    sx = _scale(x0, x1, LEFT, LEFT + PW)
    sy = _scale(y0, y1, TOP + PH, TOP)
    proposers = list(dict.fromkeys(s.proposer for s in plot.steps))
    color = {p: PALETTE[k % len(PALETTE)] for k, p in enumerate(proposers)}
    names_w = max([CHAR * len(f"{s.number}. {s.proposer} (round {s.round}, final vote)") for s in plot.steps] + [0])
    width = max(LEFT + PW + 24, names_w + 40)
    parts = [f'<text x="{LEFT}" y="20" font-size="13" font-weight="bold">{escape(plot.title)}</text>',
             f'<rect x="{LEFT}" y="{TOP}" width="{PW}" height="{PH}" fill="none" stroke="#444"/>']
    parts += _axes(plot, x0, x1, y0, y1, sx, sy)
    parts += _data(plot, sx, sy, color)
    y = TOP + PH + GAP + 4
    legend = [("package", f'<circle cx="{{x}}" cy="{{y}}" r="3" fill="{DOT}"/>')]
    if plot.passable:
        legend.append(("passable package", f'<circle cx="{{x}}" cy="{{y}}" r="3" fill="{PASS}"/>'))
    if len(plot.frontier) > 1:
        legend.append(("Pareto frontier", f'<path d="M{{x}},{{y}} m-6,0 h12" stroke="{FRONT}" '
                                          'stroke-width="2.5"/>'))
    if plot.x_threshold is not None or plot.y_threshold is not None:
        legend.append(("minimum (threshold)", f'<path d="M{{x}},{{y}} m-6,0 h12" stroke="{THR}" '
                                              'stroke-dasharray="3 2"/>'))
    if plot.nash:
        legend.append(("Nash point", f'<path d="M{{x}},{{y}} m-5,-5 h10 v10 h-10 z" fill="none" '
                                     f'stroke="{NASH}" stroke-width="2"/>'))
    if plot.agreed:
        legend.append(("agreed deal", f'<circle cx="{{x}}" cy="{{y}}" r="5" fill="none" stroke="{AGREED}" '
                                      'stroke-width="2.5"/>'))
    if plot.steps:
        legend.append(("proposal (number: order; colour: who proposed it, listed below)",
                       f'<circle cx="{{x}}" cy="{{y}}" r="4" fill="{PALETTE[0]}"/>'))
    leg, h = _legend(legend, LEFT, y, width - LEFT)
    parts += leg
    y += h + 6
    for line in textwrap.wrap(plot.note, int((width - LEFT - 8) / CHAR)):
        parts.append(f'<text x="{LEFT}" y="{y:.0f}" font-size="11" fill="#555">{escape(line)}</text>')
        y += ROW
    if plot.steps:
        parts.append(f'<text x="{LEFT}" y="{y:.0f}" font-size="11" font-weight="bold">Proposals in order</text>')
        for s in plot.steps:
            y += ROW
            tail = ", final vote" if s.final else ""
            parts.append(f'<text x="{LEFT}" y="{y:.0f}" font-size="11" fill="{color[s.proposer]}" class="step">'
                         f'{s.number}. {escape(s.proposer)} (round {s.round}{tail})</text>')
        y += 6
    return _svg(plot.title, parts, width, y + 10)


def _axes(plot: DealPlot, x0, x1, y0, y1, sx, sy) -> list[str]:
    out = []
    for t in _ticks(x0, x1):
        out.append(f'<text x="{sx(t):.1f}" y="{TOP + PH + 15}" font-size="11" text-anchor="middle">{_num(t)}</text>')
    for t in _ticks(y0, y1, whole=plot.ylabel == "Proposal number"):
        out.append(f'<line x1="{LEFT}" y1="{sy(t):.1f}" x2="{LEFT + PW}" y2="{sy(t):.1f}" stroke="#eee"/>'
                   f'<text x="{LEFT - 5}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end">{_num(t)}</text>')
    out.append(f'<text x="{LEFT + PW / 2:.0f}" y="{TOP + PH + 32}" font-size="12" text-anchor="middle">'
               f'{escape(plot.xlabel)}</text>')
    cy = TOP + PH / 2
    out.append(f'<text x="16" y="{cy:.0f}" font-size="12" text-anchor="middle" transform="rotate(-90 16 {cy:.0f})">'
               f'{escape(plot.ylabel)}</text>')
    return out


def _pixels(points, sx, sy) -> list[tuple[float, float]]:
    """Points in pixels, one per pixel (a large space draws as many dots as the picture can show)."""
    return sorted({(round(sx(x)), round(sy(y))) for x, y in points})


def _data(plot: DealPlot, sx, sy, color: dict[str, str]) -> list[str]:
    out = [f'<circle cx="{x}" cy="{y}" r="2" fill="{DOT}"/>' for x, y in _pixels(plot.points, sx, sy)]
    out += [f'<circle cx="{x}" cy="{y}" r="2.5" fill="{PASS}" class="passable"/>'
            for x, y in _pixels(plot.passable, sx, sy)]
    if plot.x_threshold is not None:
        tx = sx(plot.x_threshold)
        out.append(f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{TOP + PH}" stroke="{THR}" '
                   'stroke-dasharray="5 4" class="threshold"/>')
    if plot.y_threshold is not None:
        ty = sy(plot.y_threshold)
        out.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + PW}" y2="{ty:.1f}" stroke="{THR}" '
                   'stroke-dasharray="5 4" class="threshold"/>')
    if len(plot.frontier) > 1:
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in plot.frontier)
        out.append(f'<polyline fill="none" stroke="{FRONT}" stroke-width="2" points="{pts}" class="frontier"/>')
    if plot.nash:
        x, y = sx(plot.nash[0]), sy(plot.nash[1])
        out.append(f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" fill="none" stroke="{NASH}" '
                   'stroke-width="2.5" class="nash"/>')
    if len(plot.steps) > 1:
        pts = " ".join(f"{sx(s.at[0]):.1f},{sy(s.at[1]):.1f}" for s in plot.steps)
        out.append(f'<polyline fill="none" stroke="#555" stroke-width="1.2" stroke-dasharray="1 0" '
                   f'points="{pts}" opacity="0.7" class="path"/>')
    if plot.agreed:
        x, y = sx(plot.agreed[0]), sy(plot.agreed[1])
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="none" stroke="{AGREED}" stroke-width="3" '
                   'class="agreed"/>')
    at: dict[tuple[float, float], list[str]] = {}
    for s in plot.steps:
        x, y = round(sx(s.at[0]), 1), round(sy(s.at[1]), 1)
        out.append(f'<circle cx="{x}" cy="{y}" r="4.5" fill="{color[s.proposer]}" stroke="white" '
                   f'class="proposal" data-n="{s.number}"><title>{s.number}. {escape(s.proposer)}</title></circle>')
        at.setdefault((x, y), []).append(str(s.number))
    for (x, y), nums in at.items():
        out.append(f'<text x="{x + 6:.1f}" y="{y - 6:.1f}" font-size="10" font-weight="bold" '
                   f'paint-order="stroke" stroke="white" stroke-width="3">{",".join(nums)}</text>')
    return out


def _svg(title: str, parts: list[str], width: float, height: float) -> str:
    w, h = int(width + 0.5), int(height + 0.5)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{escape(title)}" class="deal-plot"><title>{escape(title)}</title>'
            f'<rect width="{w}" height="{h}" fill="white"/>' + "".join(parts) + "</svg>")
