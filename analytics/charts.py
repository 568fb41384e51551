"""Charts for the staff dashboards as inline SVG, drawn on the server: no script, no CDN, and
readable with styles off (every chart has a title and a text table beside it in the page)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT, GAP, LABEL_WIDTH, WIDTH = 24, 8, 200, 520
INK, MUTED, BAR, GRID = "#1f2430", "#6b7280", "#6d5dfc", "#e5e7eb"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def bar_chart(rows: Sequence[tuple[str, float | None]], *, title: str, unit: str = "") -> SafeString:
    """Horizontal bars, one per (label, value); a value of None is drawn as "no data"."""
    values = [v for _label, v in rows if v is not None]
    top = max(values, default=0) or 1
    plot = WIDTH - LABEL_WIDTH - 70
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    bars = []
    for i, (label, value) in enumerate(rows):
        y = GAP + i * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT * 0.7
        length = 0 if value is None else max(2, round(value / top * plot)) if value else 0
        shown = "no data" if value is None else f"{_number(value)}{unit}"
        bars.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="{}"></rect>'
                '<text x="{}" y="{}" fill="{}">{}</text>',
                LABEL_WIDTH - 8,
                text_y,
                INK,
                label,
                LABEL_WIDTH,
                y,
                length,
                BAR_HEIGHT,
                BAR,
                LABEL_WIDTH + length + 6,
                text_y,
                MUTED,
                shown,
            )
        )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" font-size="15" '
        'font-family="system-ui, sans-serif"><title>{}</title>{}</svg>',
        WIDTH,
        height,
        title,
        mark_safe("".join(bars)),  # noqa: S308  (each bar built by format_html above)
    )


def line_chart(points: Sequence[tuple[str, float]], *, title: str) -> SafeString:
    """A line over evenly spaced points (label, value), with the first, middle and last label."""
    height, left, bottom, top_pad = 220, 44, 28, 12
    plot_w, plot_h = WIDTH - left - 12, height - bottom - top_pad
    top = max((v for _label, v in points), default=0) or 1
    step = plot_w / max(1, len(points) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return round(left + i * step, 1), round(top_pad + plot_h - value / top * plot_h, 1)

    path = " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, (_label, v) in enumerate(points)))
    gridlines = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}"></line>'
        '<text x="{}" y="{}" text-anchor="end" fill="{}">{}</text>',
        (
            (left, WIDTH - 12, y, y, GRID, left - 6, y + 4, MUTED, _number(value))
            for value in (0, top / 2, top)
            for y in [xy(0, value)[1]]
        ),
    )
    ticks = sorted({0, len(points) // 2, len(points) - 1}) if points else []
    # The first label starts at its point and the last ends at its point, so neither is cut off.
    anchors = {0: "start", len(points) - 1: "end"}
    labels = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
        ((xy(i, 0)[0], height - 8, anchors.get(i, "middle"), MUTED, points[i][0]) for i in ticks),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2.5" fill="{}"><title>{}: {}</title></circle>',
        ((*xy(i, v), BAR, label, _number(v)) for i, (label, v) in enumerate(points)),
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" font-size="14" '
        'font-family="system-ui, sans-serif"><title>{}</title>{}'
        '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>{}{}</svg>',
        WIDTH,
        height,
        title,
        gridlines,
        path,
        BAR,
        dots,
        labels,
    )
