"""Small inline-SVG charts for the HTML report: no plotting library, no scripts, nothing fetched.

Every text that reaches the markup goes through `html.escape` (task ids and messages come from datasets and
model output).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = {"OK": "#2e7d32", "MATCH": "#2e7d32", "WRONG_ANSWER": "#c62828", "NO_MATCH": "#c62828",
           "TIME_LIMIT": "#ef6c00", "MEMORY_LIMIT": "#6a1b9a", "OUTPUT_LIMIT": "#4527a0",
           "RUNTIME_ERROR": "#ad1457", "SYNTAX_ERROR": "#5d4037", "SANDBOX_ERROR": "#455a64"}
DEFAULT_COLOUR = "#1565c0"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value and colour."""

    label: str
    value: float
    colour: str = DEFAULT_COLOUR


def hbars(bars: Sequence[Bar], title: str, max_value: float | None = None, fmt: str = "{:.3f}",
          label_width: int = 330, width: int = 760) -> str:
    """A horizontal bar chart, one row per bar, value printed at the bar's end."""
    row, top = 24, 28
    scale_max = max_value if max_value else max((b.value for b in bars), default=1.0) or 1.0
    plot = width - label_width - 70
    parts = [_open(width, top + row * len(bars) + 8, title), _title(title)]
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(0.0, min(1.0, bar.value / scale_max)) * plot
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="l">'
                     f'{escape(_clip(bar.label, 52))}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
                     f'fill="{bar.colour}"><title>{escape(bar.label)}: {escape(fmt.format(bar.value))}</title></rect>')
        parts.append(f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" class="v">'
                     f'{escape(fmt.format(bar.value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(values: Sequence[tuple[str, float, float]], title: str, unit: str = "s", width: int = 760,
            height: int = 220) -> str:
    """One thin column per (label, value, limit), with the limit as a tick: e.g. time per problem."""
    left, bottom, top = 56, 24, 28
    plot_w, plot_h = width - left - 10, height - top - bottom
    top_value = max([v for _, v, _ in values] + [lim for _, _, lim in values] + [1e-9])
    step = plot_w / max(1, len(values))
    parts = [_open(width, height, title), _title(title)]
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="g"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="v">'
                     f'{escape(_fmt_seconds(top_value * frac, unit))}</text>')
    for i, (label, value, limit) in enumerate(values):
        x = left + i * step
        h = plot_h * value / top_value
        tip = f"{label}: {value:.4f} {unit} (limit {limit:g} {unit})"
        parts.append(f'<rect x="{x:.2f}" y="{top + plot_h - h:.2f}" width="{max(step * 0.8, 0.6):.2f}" '
                     f'height="{h:.2f}" fill="{DEFAULT_COLOUR}"><title>{escape(tip)}</title></rect>')
        if limit:
            ly = top + plot_h * (1 - limit / top_value)
            parts.append(f'<line x1="{x:.2f}" x2="{x + max(step * 0.8, 0.6):.2f}" y1="{ly:.2f}" y2="{ly:.2f}" '
                         f'class="lim"/>')
    parts.append(f'<text x="{left}" y="{height - 6}" class="v">{len(values)} problems in dataset order; '
                 f'bars: mean wall time per sample; orange ticks: the per-test time limit</text></svg>')
    return "".join(parts)


def stacked(counts: dict[str, int], title: str, width: int = 760) -> str:
    """One stacked bar of verdict counts with a legend."""
    total = sum(counts.values()) or 1
    left, bar_w = 10, width - 20
    labels = [f"{name} {count} ({100 * count / total:.1f}%)" for name, count in counts.items()]
    rows = 1 + sum(22 + 7 * len(label) for label in labels) // (width - 40)
    parts = [_open(width, 72 + 20 * rows, title), _title(title)]
    x = float(left)
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        w = bar_w * count / total
        parts.append(f'<rect x="{x:.1f}" y="30" width="{w:.1f}" height="24" fill="{PALETTE.get(name, "#777")}">'
                     f'<title>{escape(name)}: {count}</title></rect>')
        x += w
    lx, ly = left, 66
    for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
        label = f"{name} {count} ({100 * count / total:.1f}%)"
        if lx > left and lx + 22 + 7 * len(label) > width:
            lx, ly = left, ly + 20  # wrap the legend instead of running off the chart
        parts.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{PALETTE.get(name, "#777")}"/>'
                     f'<text x="{lx + 14}" y="{ly + 9}" class="v" font-family="sans-serif" '
                     f'font-size="12">{escape(label)}</text>')
        lx += 22 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">')


def _title(title: str) -> str:
    return f'<text x="10" y="18" class="t">{escape(title)}</text>'


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def _fmt_seconds(value: float, unit: str) -> str:
    return f"{value:.3g} {unit}"
