"""Inline SVG bar charts: no script, a <title> and <desc> for screen readers, and every number as text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLOURS = {"allowed": "#2e7d32", "warned": "#b26a00", "denied": "#c62828", "error": "#6a1b9a"}
LABEL_COLOUR = "#1f2933"
GRID_COLOUR = "#d9dee3"
MAX_X_LABELS = 31  # more columns than this get every n-th date and no totals on top; the table has them all
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"

Series = Sequence[tuple[str, str]]  # (key in each row, legend label)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def nice_step(maximum: int, ticks: int = 4) -> int:
    if maximum <= ticks:
        return 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _svg_open(chart_id: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{esc(chart_id)}" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{esc(chart_id)}-title {esc(chart_id)}-desc" style="{FONT}">'
        f'<title id="{esc(chart_id)}-title">{esc(title)}</title>'
        f'<desc id="{esc(chart_id)}-desc">{esc(description)}</desc>'
    )


def _legend(series: Series, x: int, y: int) -> str:
    parts = []
    for key, label in series:
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{COLOURS[key]}"/>'
            f'<text x="{x + 16}" y="{y}" font-size="12" fill="{LABEL_COLOUR}">{esc(label)}</text>'
        )
        x += 24 + 7 * len(label)
    return f'<g class="legend">{"".join(parts)}</g>'


def _describe(rows: Sequence[dict], label_key: str, series: Series) -> str:
    return "; ".join(
        f"{row[label_key]}: " + ", ".join(f"{row[key]} {label}" for key, label in series) for row in rows
    ) or "no decisions"


def stacked_columns(chart_id: str, title: str, rows: Sequence[dict], label_key: str, series: Series) -> str:
    """One column per row (a day or a week), stacked by series, its total printed above it."""
    width, height = 920, 312
    left, right, top, bottom = 44, 12, 46, 74
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(row[key] for key, _ in series) for row in rows]
    step = nice_step(max(totals, default=0))
    ceiling = max(step, math.ceil(max(totals, default=0) / step) * step)
    slot = plot_w / max(len(rows), 1)
    bar_w = max(2.0, slot * 0.7)
    parts = [_svg_open(chart_id, width, height, title, _describe(rows, label_key, series)), _legend(series, left, 18)]
    parts.append(_y_axis(left, top, plot_w, plot_h, ceiling, step))
    label_every = math.ceil(len(rows) / MAX_X_LABELS)
    for index, (row, total) in enumerate(zip(rows, totals, strict=True)):
        x = left + index * slot + (slot - bar_w) / 2
        parts.append(_column(row, label_key, series, x, bar_w, top + plot_h, plot_h / ceiling, total,
                             show_total=len(rows) <= MAX_X_LABELS))
        if index % label_every == 0:
            parts.append(_x_label(row[label_key], x + bar_w / 2, top + plot_h + 12, len(rows)))
    parts.append("</svg>")
    return "".join(parts)


def _y_axis(left: int, top: int, plot_w: int, plot_h: int, ceiling: int, step: int) -> str:
    lines = []
    for value in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * value / ceiling
        lines.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{LABEL_COLOUR}">{value}</text>'
        )
    return f'<g class="axis" aria-hidden="true">{"".join(lines)}</g>'


def _column(row: dict, label_key: str, series: Series, x: float, bar_w: float, base: float, scale: float,
            total: int, show_total: bool) -> str:
    parts = [f'<g class="bar" data-label="{esc(row[label_key])}" data-total="{total}">']
    y = base
    for key, label in series:
        height = row[key] * scale
        if row[key]:
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" fill="{COLOURS[key]}">'
                f'<title>{esc(row[label_key])}: {row[key]} {esc(label)}</title></rect>'
            )
    if show_total:
        # A column of zero still says so, on the baseline where its bar would start.
        parts.append(
            f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{LABEL_COLOUR}">{total}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _x_label(text: str, x: float, y: float, count: int) -> str:
    shown = text[5:] if count > 20 else text  # drop the year when labels are crowded
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="11" text-anchor="end" fill="{LABEL_COLOUR}" '
        f'transform="rotate(-45 {x:.1f} {y:.1f})">{esc(shown)}</text>'
    )


def horizontal_bars(chart_id: str, title: str, rows: Sequence[dict], label_key: str, series: Series,
                    stacked: bool) -> str:
    """One row of bars per entry: stacked by series, or one bar per series; numbers at the bar ends."""
    label_w, bar_h = 170, 18
    row_gap = 10 if stacked else 16
    bars_per_row = 1 if stacked else len(series)
    row_h = bars_per_row * bar_h + row_gap
    width, top = 920, 34
    plot_w = width - label_w - 60
    height = top + max(len(rows), 1) * row_h + 10
    values = [_row_extent(row, series, stacked) for row in rows]
    scale = plot_w / max(max(values, default=0), 1)
    parts = [_svg_open(chart_id, width, height, title, _describe(rows, label_key, series)), _legend(series, label_w, 18)]
    for index, row in enumerate(rows):
        y = top + index * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bars_per_row * bar_h / 2 + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="{LABEL_COLOUR}">{esc(row[label_key])}</text>'
        )
        draw = _stacked_row if stacked else _grouped_row
        parts.append(draw(row, label_key, series, label_w, y, bar_h, scale))
    if not rows:
        parts.append(f'<text x="{label_w}" y="{top + 14}" font-size="12" fill="{LABEL_COLOUR}">no decisions</text>')
    parts.append("</svg>")
    return "".join(parts)


def _row_extent(row: dict, series: Series, stacked: bool) -> int:
    numbers = [row[key] for key, _ in series]
    return sum(numbers) if stacked else max(numbers, default=0)


def _bar(x: float, y: float, width: float, height: float, colour: str, tooltip: str) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height}" fill="{colour}">'
            f'<title>{esc(tooltip)}</title></rect>')


def _value(x: float, y: float, value: int) -> str:
    return f'<text class="value" x="{x + 6:.1f}" y="{y:.1f}" font-size="12" fill="{LABEL_COLOUR}">{value}</text>'


def _stacked_row(row: dict, label_key: str, series: Series, x: float, y: float, bar_h: int, scale: float) -> str:
    total = sum(row[key] for key, _ in series)
    parts: list[str] = [f'<g class="bar" data-label="{esc(row[label_key])}" data-total="{total}">']
    for key, label in series:
        if row[key]:
            width = row[key] * scale
            parts.append(_bar(x, y, width, bar_h, COLOURS[key], f"{row[label_key]}: {row[key]} {label}"))
            x += width
    parts.append(_value(x, y + bar_h - 4, total))
    parts.append("</g>")
    return "".join(parts)


def _grouped_row(row: dict, label_key: str, series: Series, x: float, y: float, bar_h: int, scale: float) -> str:
    parts: list[str] = [f'<g class="bar" data-label="{esc(row[label_key])}">']
    for offset, (key, label) in enumerate(series):
        top = y + offset * bar_h
        width = row[key] * scale
        parts.append(_bar(x, top + 1, width, bar_h - 2, COLOURS[key], f"{row[label_key]}: {row[key]} {label}"))
        parts.append(f'<g data-series="{key}">{_value(x + width, top + bar_h - 5, row[key])}</g>')
    parts.append("</g>")
    return "".join(parts)
