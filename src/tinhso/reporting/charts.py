"""Server-rendered SVG charts: no script, no library, readable by screen readers.

Every chart is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>`` (the figures in
words); each bar or point has its own ``<title>``; the page shows the same figures in a table beside it. Values are
written next to the bars, so colour is never the only cue.
"""

from collections.abc import Sequence
from decimal import Decimal
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_ids = count(1)
INK, MUTED, GRID = "#1a1a1a", "#4a4a4a", "#c9d1d9"
BLUE, GREEN, RED, ORANGE = "#0b4f9c", "#0a6b2e", "#a30000", "#8a4b00"


def _num(value) -> str:
    """Vietnamese number: 1.234 and 95,5."""
    if value is None:
        return "không có dữ liệu"
    if isinstance(value, Decimal | float):
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _frame(title: str, desc: str, width: int, height: int, body: list[str]) -> SafeString:
    n = next(_ids)
    return mark_safe(
        f'<svg class="chart" role="img" aria-labelledby="chart-{n}-t chart-{n}-d" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="14">'
        f'<title id="chart-{n}-t">{escape(title)}</title><desc id="chart-{n}-d">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def bar_chart(title: str, rows: Sequence[tuple[str, Decimal | int | None]], *, unit: str = "%",
              maximum: Decimal | int | None = None, color: str = BLUE, width: int = 420) -> SafeString:
    """Horizontal bars, one per row (label, value), the label above its bar (readable on a phone); ``None`` is
    written "không có dữ liệu"."""
    bar_h, row_h, left, top = 16, 44, 4, 6
    values = [v for _label, v in rows if v is not None]
    scale_max = Decimal(maximum if maximum is not None else (max(values) if values else 1)) or Decimal(1)
    plot_w = width - left - 84
    height = top * 2 + len(rows) * row_h
    body = []
    described = []
    for index, (label, value) in enumerate(rows):
        y = top + index * row_h
        text = f"{_num(value)}{unit if value is not None and unit == '%' else ''}"
        described.append(f"{label}: {text}")
        body.append(f'<g class="bar"><title>{escape(label)}: {escape(text)}</title>')
        body.append(f'<text x="{left}" y="{y + 13}" fill="{INK}">{escape(_short(label, 50))}</text>')
        bar_y = y + 18
        body.append(f'<rect x="{left}" y="{bar_y}" width="{plot_w}" height="{bar_h}" fill="#eef1f4"/>')
        if value is not None:
            w = max(float(Decimal(value) / scale_max) * plot_w, 1.0 if value else 0.0)
            body.append(f'<rect x="{left}" y="{bar_y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
            body.append(f'<text x="{left + plot_w + 6}" y="{bar_y + 13}" fill="{INK}" font-weight="600">'
                        f'{escape(text)}</text>')
        else:
            body.append(f'<text x="{left + 6}" y="{bar_y + 13}" fill="{MUTED}" font-style="italic">'
                        f'không có dữ liệu</text>')
        body.append("</g>")
    return _frame(title, "; ".join(described) or "Không có số liệu.", width, max(height, 40), body)


def stacked_chart(title: str, rows: Sequence[tuple[str, int, int]], *, labels=("Đúng hạn, trong hạn", "Quá hạn"),
                  colors=(GREEN, RED), width: int = 420) -> SafeString:
    """Horizontal stacked bars (label, first part, second part), e.g. on-time and late dossiers."""
    bar_h, row_h, left, top = 16, 44, 4, 28
    biggest = max((a + b for _label, a, b in rows), default=0) or 1
    plot_w = width - left - 84
    height = top + len(rows) * row_h + 6
    body = [
        f'<rect x="{left}" y="4" width="14" height="14" fill="{colors[0]}"/>'
        f'<text x="{left + 20}" y="16" fill="{INK}">{escape(labels[0])}</text>',
        f'<rect x="{left + 200}" y="4" width="14" height="14" fill="{colors[1]}"/>'
        f'<text x="{left + 220}" y="16" fill="{INK}">{escape(labels[1])}</text>',
    ]
    described = []
    for index, (label, first, second) in enumerate(rows):
        y = top + index * row_h
        text = f"{labels[0]} {_num(first)}, {labels[1].lower()} {_num(second)}"
        described.append(f"{label}: {text}")
        w1, w2 = plot_w * first / biggest, plot_w * second / biggest
        bar_y = y + 18
        body.append(f'<g class="bar"><title>{escape(label)}: {escape(text)}</title>'
                    f'<text x="{left}" y="{y + 13}" fill="{INK}">{escape(_short(label, 50))}</text>'
                    f'<rect x="{left}" y="{bar_y}" width="{w1:.1f}" height="{bar_h}" fill="{colors[0]}"/>'
                    f'<rect x="{left + w1:.1f}" y="{bar_y}" width="{w2:.1f}" height="{bar_h}" fill="{colors[1]}"/>'
                    f'<text x="{left + w1 + w2 + 6:.1f}" y="{bar_y + 13}" fill="{INK}" font-weight="600">'
                    f'{_num(first)} / {_num(second)}</text></g>')
    return _frame(title, "; ".join(described) or "Không có số liệu.", width, max(height, 40), body)


def line_chart(title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[Decimal | None], str]], *,
               unit: str = "%", maximum: Decimal | int = 100, width: int = 420, height: int = 300) -> SafeString:
    """Lines over months (0–``maximum``), one per series (name, values, colour); gaps where there is no data."""
    left, right, top, bottom = 48, 16, 12 + 20 * len(series), 32
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(labels) - 1, 1)
    scale = Decimal(maximum) or Decimal(1)
    body = []
    for k in range(5):
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                    f'{_num(int(scale * k / 4))}{unit if unit == "%" else ""}</text>')
    for index, label in enumerate(labels):
        x = left + index * step
        body.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="{MUTED}">'
                    f'{escape(label)}</text>')
    described = []
    for s_index, (name, values, color) in enumerate(series):
        ly = 6 + s_index * 20  # one legend line per series: narrow screens
        body.append(f'<rect x="{left}" y="{ly}" width="14" height="14" fill="{color}"/>'
                    f'<text x="{left + 20}" y="{ly + 12}" fill="{INK}">{escape(name)}</text>')
        points, segment = [], []
        for index, value in enumerate(values):
            if value is None:
                if segment:
                    points.append(segment)
                segment = []
                continue
            x = left + index * step
            y = top + plot_h - plot_h * float(Decimal(value) / scale)
            segment.append((x, y, labels[index], value))
        if segment:
            points.append(segment)
        for seg in points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _l, _v in seg)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5"/>')
            for x, y, label, value in seg:
                text = f"{name} {label}: {_num(value)}{unit if unit == '%' else ''}"
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>{escape(text)}'
                            f'</title></circle>')
        described.append(name + ": " + ", ".join(
            f"{label} {_num(v)}{unit if unit == '%' and v is not None else ''}" for label, v in zip(labels, values,
                                                                                                  strict=True)))
    return _frame(title, "; ".join(described), width, height, body)
