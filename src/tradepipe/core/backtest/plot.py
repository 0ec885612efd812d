"""A dependency-free SVG line chart of an equity curve (no matplotlib in the environment)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape


def equity_svg(equity: Sequence[float], title: str, width: int = 720, height: int = 240) -> str:
    """An SVG document: the curve as one polyline, the start level dashed, min/max labelled."""
    pad = 30
    values = list(equity) or [0.0]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (v - low) / span * (height - 2 * pad)

    points = " ".join(f"{pad + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    colour = "#2a9d4b" if values[-1] >= values[0] else "#c0392b"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<rect width="100%" height="100%" fill="white"/>'
        f'<text x="{pad}" y="18" font-family="sans-serif" font-size="13">{escape(title)}</text>'
        f'<line x1="{pad}" x2="{width - pad}" y1="{y(values[0]):.1f}" y2="{y(values[0]):.1f}" '
        f'stroke="#999" stroke-dasharray="4 3"/>'
        f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'
        f'<text x="{width - pad}" y="{pad - 4}" text-anchor="end" font-family="sans-serif" font-size="11">'
        f"max {high:,.2f}</text>"
        f'<text x="{width - pad}" y="{height - 8}" text-anchor="end" font-family="sans-serif" font-size="11">'
        f"min {low:,.2f}</text></svg>"
    )


def report_markdown(summary: dict[str, object], heading: str, svg: str, plot_path: str) -> str:
    """The backtest summary as markdown: a statistics table, the curve inline (data URI) and a link to the file."""
    rows = "\n".join(f"| {key.replace('_', ' ')} | {value} |" for key, value in summary.items())
    inline = base64.b64encode(svg.encode()).decode()
    return (
        f"# {heading}\n\n| statistic | value |\n|---|---|\n{rows}\n\n"
        f"![equity curve](data:image/svg+xml;base64,{inline})\n\n[equity curve (SVG)](file://{plot_path})\n"
    )
