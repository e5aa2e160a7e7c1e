"""A :class:`~dialogue_engine.report.dealplot.DealPlot` as one self-contained SVG (no scripts, no links).

The legend and the list of proposals sit below the data area, never on it, and names are written in full:
the picture grows to fit them.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from html import escape

from dialogue_engine.report.charts import PALETTE, _num, _scale
from dialogue_engine.report.dealplot import DealPlot

PW, PH = 520, 340  # data area
LEFT, TOP, GAP = 64, 34, 44  # room for the y labels, the title, the x labels (one line each)
CHAR = 6.4  # generous width of one character at font-size 11 (the legend, the note, the proposals)
TITLE_CHAR, LABEL_CHAR = 8.0, 7.0  # the same for the bold title (13) and the axis labels (12)
ROW, TITLE_ROW, LABEL_ROW = 16, 17, 15


@dataclass(frozen=True, kw_only=True)
class _Frame:
    """Where the data area sits: long titles and axis labels wrap onto more lines and push it right and down."""

    left: float
    top: float
    gap: float
    title: tuple[str, ...]
    xlabel: tuple[str, ...]
    ylabel: tuple[str, ...]


def _wrap(text: str, width: float, char: float) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, max(12, int(width // char)))) or ("",)


def _left(plot: DealPlot) -> float:
    """Where the data area starts: one more label row for each extra line of the y label."""
    return LEFT + LABEL_ROW * (len(_wrap(plot.ylabel, PH, LABEL_CHAR)) - 1)


def _frame(plot: DealPlot, width: float) -> _Frame:
    ylabel = _wrap(plot.ylabel, PH, LABEL_CHAR)
    left = _left(plot)
    title = _wrap(plot.title, width - left - 8, TITLE_CHAR)
    xlabel = _wrap(plot.xlabel, PW, LABEL_CHAR)
    return _Frame(left=left, top=TOP + TITLE_ROW * (len(title) - 1), gap=GAP + LABEL_ROW * (len(xlabel) - 1),
                  title=title, xlabel=xlabel, ylabel=ylabel)
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


def _columns(items: list[tuple[str, str]], width: float) -> tuple[float, int]:
    col = max(CHAR * len(label) for label, _ in items) + 28
    return col, max(1, int(width // col))


def _legend(items: list[tuple[str, str]], x0: float, y0: float, width: float) -> list[str]:
    """Legend entries (label, svg marker) in as many columns as fit ``width``."""
    col, cols = _columns(items, width)
    out = []
    for k, (label, marker) in enumerate(items):
        x, y = x0 + (k % cols) * col, y0 + (k // cols) * ROW
        out.append(marker.format(x=x + 5, y=y - 4) + f'<text x="{x + 14:.1f}" y="{y:.1f}" font-size="11">'
                   f'{escape(label)}</text>')
    return out


def _legend_height(items: list[tuple[str, str]], width: float) -> float:
    cols = _columns(items, width)[1]
    return ((len(items) + cols - 1) // cols) * ROW


def deal_plot_svg(plot: DealPlot) -> str:
    """Render the plot: light dots for every package, darker for passable ones, the frontier as a line, dashed
    thresholds, the Nash point (green square), the proposals as a numbered path coloured by proposer and the
    agreed deal (red ring); a legend and the numbered list of proposals (with full names) below. A long title
    or axis label wraps onto more lines instead of running off the picture."""
    xs = [p[0] for p in plot.points] + [s.at[0] for s in plot.steps]
    ys = [p[1] for p in plot.points] + [s.at[1] for s in plot.steps]
    if plot.x_threshold is not None:
        xs.append(plot.x_threshold)
    if plot.y_threshold is not None:
        ys.append(plot.y_threshold)
    x0, x1 = _bounds(xs or [0.0])
    y0, y1 = _bounds(ys or [0.0])
    names_w = max([CHAR * len(f"{s.number}. {s.proposer} (round {s.round}, final vote)") for s in plot.steps] + [0])
    width = max(_left(plot) + PW + 24, names_w + 40)
    f = _frame(plot, width)
    sx = _scale(x0, x1, f.left, f.left + PW)
    sy = _scale(y0, y1, f.top + PH, f.top)
    proposers = list(dict.fromkeys(s.proposer for s in plot.steps))
    color = {p: PALETTE[k % len(PALETTE)] for k, p in enumerate(proposers)}
    parts = [f'<text x="{f.left}" y="{20 + TITLE_ROW * k}" font-size="13" font-weight="bold">{escape(line)}</text>'
             for k, line in enumerate(f.title)]
    parts.append(f'<rect x="{f.left}" y="{f.top}" width="{PW}" height="{PH}" fill="none" stroke="#444" '
                 'class="data-area"/>')
    parts += _axes(plot, f, x0, x1, y0, y1, sx, sy)
    parts += _data(plot, f, sx, sy, color)
    y = f.top + PH + f.gap + 4
    parts += ['<g class="legend">', *_legend(_legend_items(plot), f.left, y, width - f.left), "</g>"]
    y += _legend_height(_legend_items(plot), width - f.left) + 6
    for line in textwrap.wrap(plot.note, int((width - f.left - 8) / CHAR)):
        parts.append(f'<text x="{f.left}" y="{y:.0f}" font-size="11" fill="#555">{escape(line)}</text>')
        y += ROW
    if plot.steps:
        parts.append(f'<text x="{f.left}" y="{y:.0f}" font-size="11" font-weight="bold">Proposals in order</text>')
        for s in plot.steps:
            y += ROW
            tail = ", final vote" if s.final else ""
            parts.append(f'<text x="{f.left}" y="{y:.0f}" font-size="11" fill="{color[s.proposer]}" class="step">'
                         f'{s.number}. {escape(s.proposer)} (round {s.round}{tail})</text>')
        y += 6
    return _svg(plot.title, parts, width, y + 10)


def _legend_items(plot: DealPlot) -> list[tuple[str, str]]:
    """(label, svg marker) for what the plot draws."""
    items = [("package", f'<circle cx="{{x}}" cy="{{y}}" r="3" fill="{DOT}"/>')]
    if plot.passable:
        items.append(("passable package", f'<circle cx="{{x}}" cy="{{y}}" r="3" fill="{PASS}"/>'))
    if len(plot.frontier) > 1:
        items.append(("Pareto frontier", f'<path d="M{{x}},{{y}} m-6,0 h12" stroke="{FRONT}" stroke-width="2.5"/>'))
    if plot.x_threshold is not None or plot.y_threshold is not None:
        items.append(("minimum (threshold)", f'<path d="M{{x}},{{y}} m-6,0 h12" stroke="{THR}" '
                                             'stroke-dasharray="3 2"/>'))
    if plot.nash:
        items.append(("Nash point", f'<path d="M{{x}},{{y}} m-5,-5 h10 v10 h-10 z" fill="none" stroke="{NASH}" '
                                    'stroke-width="2"/>'))
    if plot.agreed:
        items.append(("agreed deal", f'<circle cx="{{x}}" cy="{{y}}" r="5" fill="none" stroke="{AGREED}" '
                                     'stroke-width="2.5"/>'))
    if plot.steps:
        items.append(("proposal (number: order; colour: who proposed it, listed below)",
                      f'<circle cx="{{x}}" cy="{{y}}" r="4" fill="{PALETTE[0]}"/>'))
    return items


def _axes(plot: DealPlot, f: _Frame, x0, x1, y0, y1, sx, sy) -> list[str]:
    out = []
    for t in _ticks(x0, x1):
        out.append(f'<text x="{sx(t):.1f}" y="{f.top + PH + 15}" font-size="11" text-anchor="middle">{_num(t)}</text>')
    for t in _ticks(y0, y1, whole=plot.ylabel == "Proposal number"):
        out.append(f'<line x1="{f.left}" y1="{sy(t):.1f}" x2="{f.left + PW}" y2="{sy(t):.1f}" stroke="#eee"/>'
                   f'<text x="{f.left - 5}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end">{_num(t)}</text>')
    for k, line in enumerate(f.xlabel):
        out.append(f'<text x="{f.left + PW / 2:.0f}" y="{f.top + PH + 32 + LABEL_ROW * k}" font-size="12" '
                   f'text-anchor="middle">{escape(line)}</text>')
    cy = f.top + PH / 2
    for k, line in enumerate(f.ylabel):
        x = 16 + LABEL_ROW * k
        out.append(f'<text x="{x}" y="{cy:.0f}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 {x} {cy:.0f})">{escape(line)}</text>')
    return out


def _pixels(points, sx, sy) -> list[tuple[float, float]]:
    """Points in pixels, one per pixel (a large space draws as many dots as the picture can show)."""
    return sorted({(round(sx(x)), round(sy(y))) for x, y in points})


def _data(plot: DealPlot, f: _Frame, sx, sy, color: dict[str, str]) -> list[str]:
    out = [f'<circle cx="{x}" cy="{y}" r="2" fill="{DOT}"/>' for x, y in _pixels(plot.points, sx, sy)]
    out += [f'<circle cx="{x}" cy="{y}" r="2.5" fill="{PASS}" class="passable"/>'
            for x, y in _pixels(plot.passable, sx, sy)]
    if plot.x_threshold is not None:
        tx = sx(plot.x_threshold)
        out.append(f'<line x1="{tx:.1f}" y1="{f.top}" x2="{tx:.1f}" y2="{f.top + PH}" stroke="{THR}" '
                   'stroke-dasharray="5 4" class="threshold"/>')
    if plot.y_threshold is not None:
        ty = sy(plot.y_threshold)
        out.append(f'<line x1="{f.left}" y1="{ty:.1f}" x2="{f.left + PW}" y2="{ty:.1f}" stroke="{THR}" '
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
