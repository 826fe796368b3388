"""Small charts as SVG markup, drawn on the server.

No script and no inline style (the pages' CSP allows neither): shapes carry SVG
presentation attributes and classes that ``static/books/reports.css`` colours, and the
same markup prints into the PDFs. Each chart names itself for screen readers (``title``
and ``desc``) and is shown with its table beside it, which holds the exact figures.

* ``bars`` - one bar per label, stacked by series (sales per channel), negative values
  below the zero line (a month's loss);
* ``hbars`` - one horizontal bar per row, its label above it (top products);
* ``line`` - one line through the values (money held over time).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from merdeka.core.money import format_rupiah

WIDTH, HEIGHT = 320, 170
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 22
# the series' colours, as presentation attributes (WeasyPrint draws SVG from them); on
# screen reports.css may restyle the classes .s0 ... .s7 (dark mode)
COLOURS = ("#2f7d6d", "#ee4d2d", "#3b6fd4", "#e0a100", "#8b5cc7", "#13a8a8", "#c2417b", "#6b7b8c")
SERIES_CLASSES = len(COLOURS)
INK, MUTED, RULE = "#1f2933", "#52606d", "#d9e2ec"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def short_rupiah(amount: int) -> str:
    """An axis label: Rp350rb, Rp1,2jt, Rp3M (ribu, juta, miliar)."""
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    for size, unit in ((10**12, "T"), (10**9, "M"), (10**6, "jt"), (10**3, "rb")):
        if amount >= size:
            value = amount / size
            text = f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
            return f"{sign}Rp{text.replace('.', ',')}{unit}"
    return f"{sign}Rp{amount}"


def _nice(value: int) -> int:
    """A round number at or above ``value`` for the top of the axis."""
    if value <= 0:
        return 0
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return 10 * magnitude


def _open(title: str, desc: str, height: int = HEIGHT, css: str = "chart") -> tuple[str, str]:
    n = next(_ids)
    head = (
        f'<svg class="{css}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chart{n}-t chart{n}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart{n}-t">{escape(title)}</title>'
        f'<desc id="chart{n}-d">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def _scale(low: int, high: int):
    top, bottom = _nice(high), -_nice(-low)
    if top == bottom:
        top = 1
    plot = HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return TOP + (top - value) * plot / (top - bottom)

    return top, bottom, y


def _text(css: str, x: float, y: float, text: str, *, anchor="start", size=9) -> str:
    fill = INK if css == "label" else MUTED
    return (
        f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
        f'font-size="{size}" fill="{fill}">{escape(text)}</text>'
    )


def _fill(n: int) -> str:
    return f'class="s{n % SERIES_CLASSES}" fill="{COLOURS[n % SERIES_CLASSES]}"'


def _axis(top: int, bottom: int, y) -> list[str]:
    parts = []
    for value in sorted({top, 0, bottom}):
        y_at = f"{y(value):.1f}"
        parts.append(
            f'<line class="grid{" zero" if value == 0 else ""}" '
            f'stroke="{MUTED if value == 0 else RULE}" '
            f'x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y_at}" y2="{y_at}"/>'
            + _text("axis", LEFT - 4, y(value) + 3, short_rupiah(value), anchor="end")
        )
    return parts


def _x_labels(labels: list[str], x_of) -> list[str]:
    step = max(1, -(-len(labels) // 6))  # at most six labels under the axis
    return [
        _text("axis", x_of(i), HEIGHT - 6, label, anchor="middle")
        for i, label in enumerate(labels)
        if i % step == 0
    ]


def bars(*, title: str, desc: str, labels: list[str], series: list[Series]) -> SafeString:
    """Stacked bars: one per label, a segment per series (positive up, negative down)."""
    count = max(len(labels), 1)
    ups = [sum(max(s.values[i], 0) for s in series) for i in range(len(labels))]
    downs = [sum(min(s.values[i], 0) for s in series) for i in range(len(labels))]
    top, bottom, y = _scale(min(downs, default=0), max(ups, default=0))
    slot = (WIDTH - LEFT - RIGHT) / count
    width = max(min(slot * 0.7, 28), 1.5)

    def x_of(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    head, tail = _open(title, desc)
    parts = [head, *_axis(top, bottom, y)]
    for i, label in enumerate(labels):
        up = down = 0
        for n, one in enumerate(series):
            value = one.values[i]
            if not value:
                continue
            start = up if value > 0 else down
            end = start + value
            if value > 0:
                up = end
            else:
                down = end
            y1, y2 = sorted((y(start), y(end)))
            parts.append(
                f'<rect {_fill(n)} x="{x_of(i) - width / 2:.1f}" '
                f'y="{y1:.1f}" width="{width:.1f}" height="{max(y2 - y1, 0.5):.1f}">'
                f"<title>{escape(label)} · {escape(one.name)}: "
                f"{escape(format_rupiah(value))}</title></rect>"
            )
    parts += _x_labels(labels, x_of)
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line(*, title: str, desc: str, labels: list[str], values: list[int]) -> SafeString:
    """A line through the values, a dot on each (one dot alone for a single value)."""
    count = max(len(values), 1)
    top, bottom, y = _scale(min([0, *values]), max([0, *values]))
    span = (WIDTH - LEFT - RIGHT) / max(count - 1, 1)

    def x_of(i: int) -> float:
        if count == 1:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + span * i

    head, tail = _open(title, desc)
    parts = [head, *_axis(top, bottom, y)]
    points = " ".join(f"{x_of(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    if len(values) > 1:
        parts.append(
            f'<polyline class="line s0" fill="none" stroke="{COLOURS[0]}" '
            f'stroke-width="2" points="{points}"/>'
        )
    if len(values) <= 40:
        parts += [
            f'<circle {_fill(0)} cx="{x_of(i):.1f}" cy="{y(v):.1f}" r="2.5">'
            f"<title>{escape(labels[i])}: {escape(format_rupiah(v))}</title></circle>"
            for i, v in enumerate(values)
        ]
    parts += _x_labels(labels, x_of)
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def hbars(*, title: str, desc: str, labels: list[str], values: list[int]) -> SafeString:
    """A horizontal bar per row with its label above it: long product names fit."""
    row = 30
    height = max(len(values), 1) * row + 4
    high = max([1, *values])
    inner = WIDTH - 4 - 78  # room on the right for the amount
    head, tail = _open(title, desc, height, "chart hchart")
    parts = [head]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        top = i * row + 2
        name = label if len(label) <= 48 else label[:47] + "…"
        size = max(inner * max(value, 0) / high, 1)
        parts.append(
            _text("label", 2, top + 10, name, size=10)
            + f'<rect {_fill(i)} x="2" y="{top + 14}" width="{size:.1f}" height="10" rx="2"/>'
            + _text("axis", size + 6, top + 23, short_rupiah(value))
        )
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
