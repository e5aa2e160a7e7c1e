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
    out = [f'<rect x="{PAD}" y="16" width="{W - 16 - PAD}" height="{H - PAD - 16}" fill="none" class="data-area"/>',
           f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 16}" y2="{H - PAD}" stroke="#444"/>',
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
        parts.append(f'<g class="legend"><rect x="{W + 4}" y="{20 + 16 * k}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{W + 18}" y="{29 + 16 * k}" font-size="11">{escape(name)}</text></g>')
    legend_w = max((6.4 * len(n) for n in series), default=0) + 30  # the legend sits right of the data, names whole
    return _svg(title, parts, width=W + legend_w, height=max(H, 36 + 16 * len(series)))


def _svg(title: str, parts: list[str], width: float = W, height: float = H) -> str:
    body = "\n".join(parts)
    w, h = int(width + 0.5), int(height + 0.5)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<rect width="{w}" height="{h}" fill="white"/>{body}</svg>')
