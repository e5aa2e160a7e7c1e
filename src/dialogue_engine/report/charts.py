"""Small self-contained SVG charts (no scripts, no external links) for the after-action report."""

from __future__ import annotations

from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22"]
W, H, PAD = 560, 320, 48


def _scale(lo: float, hi: float, a: float, b: float):
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _axes(x0: float, x1: float, y0: float, y1: float, xlabel: str, ylabel: str, xticks: list[float],
          yticks: list[float], sx, sy) -> list[str]:
    out = [f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 16}" y2="{H - PAD}" stroke="#444"/>',
           f'<line x1="{PAD}" y1="16" x2="{PAD}" y2="{H - PAD}" stroke="#444"/>']
    for t in xticks:
        out.append(f'<text x="{sx(t):.1f}" y="{H - PAD + 16}" font-size="11" text-anchor="middle">{_num(t)}</text>')
    for t in yticks:
        out.append(f'<text x="{PAD - 6}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end">{_num(t)}</text>')
        out.append(f'<line x1="{PAD}" y1="{sy(t):.1f}" x2="{W - 16}" y2="{sy(t):.1f}" stroke="#eee"/>')
    out.append(f'<text x="{(PAD + W) / 2:.0f}" y="{H - 8}" font-size="12" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text x="14" y="{H / 2:.0f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {H / 2:.0f})">{escape(ylabel)}</text>')
    return out


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = (hi - lo) / n
    return [round(lo + i * step, 1) for i in range(n + 1)]


def line_chart(series: dict[str, list[float | None]], title: str, *, thresholds: dict[str, float] | None = None,
               xlabel: str = "round", ylabel: str = "utility") -> str:
    """Lines per party over rounds (None gaps skipped), with dashed threshold lines."""
    vals = [v for s in series.values() for v in s if v is not None] + list((thresholds or {}).values())
    n = max((len(s) for s in series.values()), default=1)
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    lo = min(lo, 0.0)
    sx = _scale(1, max(n, 2), PAD + 8, W - 24)
    sy = _scale(lo, hi if hi > lo else lo + 1, H - PAD, 24)
    parts = _axes(1, n, lo, hi, xlabel, ylabel, list(range(1, n + 1)), _ticks(lo, hi), sx, sy)
    for k, (name, s) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = [(sx(i + 1), sy(v)) for i, v in enumerate(s) if v is not None]
        if len(pts) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        if thresholds and name in thresholds:
            y = sy(thresholds[name])
            parts.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{W - 16}" y2="{y:.1f}" stroke="{color}" '
                         f'stroke-dasharray="4 3" opacity="0.6"/>')
        parts.append(f'<rect x="{W - 150}" y="{20 + 16 * k}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{W - 136}" y="{29 + 16 * k}" font-size="11">{escape(name)}</text>')
    return _svg(title, parts)


def scatter_chart(points: list[tuple[float, float]], frontier: list[tuple[float, float]], title: str, *,
                  xlabel: str, ylabel: str, passable: list[tuple[float, float]] | None = None,
                  nash: tuple[float, float] | None = None, outcome: tuple[float, float] | None = None,
                  thresholds: tuple[float, float] | None = None) -> str:
    """The deal space of two parties: all deals, passable ones, the frontier, the Nash point and the outcome."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    x0, x1, y0, y1 = min(xs + [0.0]), max(xs), min(ys + [0.0]), max(ys)
    sx = _scale(x0, x1 if x1 > x0 else x0 + 1, PAD + 8, W - 24)
    sy = _scale(y0, y1 if y1 > y0 else y0 + 1, H - PAD, 24)
    parts = _axes(x0, x1, y0, y1, xlabel, ylabel, _ticks(x0, x1), _ticks(y0, y1), sx, sy)
    if thresholds:
        tx, ty = sx(thresholds[0]), sy(thresholds[1])
        parts.append(f'<line x1="{tx:.1f}" y1="16" x2="{tx:.1f}" y2="{H - PAD}" stroke="#999" stroke-dasharray="3 3"/>')
        parts.append(f'<line x1="{PAD}" y1="{ty:.1f}" x2="{W - 16}" y2="{ty:.1f}" stroke="#999" stroke-dasharray="3 3"/>')
    for x, y in sorted(set(points)):
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2" fill="#bbb"/>')
    for x, y in sorted(set(passable or [])):
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="#6baed6"/>')
    fr = sorted(set(frontier))
    if len(fr) > 1:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in fr)
        parts.append(f'<polyline fill="none" stroke="#08519c" stroke-width="1.5" points="{path}"/>')
    legend = [("deal", "#bbb"), ("passable", "#6baed6"), ("frontier", "#08519c")]
    if nash:
        x, y = sx(nash[0]), sy(nash[1])
        parts.append(f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="none" stroke="#2ca02c" '
                     f'stroke-width="2"/>')
        legend.append(("Nash point", "#2ca02c"))
    if outcome:
        x, y = sx(outcome[0]), sy(outcome[1])
        parts.append(f'<path d="M{x - 6:.1f},{y - 6:.1f} L{x + 6:.1f},{y + 6:.1f} M{x - 6:.1f},{y + 6:.1f} '
                     f'L{x + 6:.1f},{y - 6:.1f}" stroke="#d62728" stroke-width="3"/>')
        legend.append(("outcome", "#d62728"))
    for k, (name, color) in enumerate(legend):
        parts.append(f'<rect x="{W - 130}" y="{20 + 16 * k}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{W - 116}" y="{29 + 16 * k}" font-size="11">{escape(name)}</text>')
    return _svg(title, parts)


def _svg(title: str, parts: list[str]) -> str:
    body = "\n".join(parts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<rect width="{W}" height="{H}" fill="white"/>{body}</svg>')
