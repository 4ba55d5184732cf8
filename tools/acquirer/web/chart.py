"""The daily takings chart, drawn on the server as SVG (no script in the browser)."""

import datetime

from markupsafe import Markup, escape

from ..receipts import format_fen

WIDTH, HEIGHT = 820, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 14, 34


def daily_svg(days, first, last):
    """Bars of each day's signed takings from first to last (dates), empty days included."""
    takings = {d["day"]: (d["takings_fen"], d["count"]) for d in days}
    span = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    values = [takings.get(day.isoformat(), (0, 0)) for day in span]
    top = max([v for v, _ in values] + [0])
    bottom = min([v for v, _ in values] + [0])
    if top == bottom:
        top = bottom + 100
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    scale = plot_h / (top - bottom)
    zero_y = TOP + top * scale
    step = plot_w / len(span)
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" '
             'aria-label="每日交易金额 daily takings">' % (WIDTH, HEIGHT)]
    for value in (top, bottom) if bottom < 0 else (top,):
        y = TOP + (top - value) * scale
        parts.append('<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#555">%s</text>'
                     % (LEFT - 6, y + 4, escape(format_fen(value))))
        parts.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>'
                     % (LEFT, WIDTH - RIGHT, y, y))
    parts.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#888"/>'
                 % (LEFT, WIDTH - RIGHT, zero_y, zero_y))
    label_every = max(1, len(span) // 10)
    for i, (day, (fen, count)) in enumerate(zip(span, values)):
        x = LEFT + i * step
        h = abs(fen) * scale
        y = zero_y - h if fen >= 0 else zero_y
        parts.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s 元, '
                     '%d 笔</title></rect>' % (x + step * 0.1, y, max(step * 0.8, 1), h,
                                               "#c0392b" if fen < 0 else "#2e6da4",
                                               escape(day.isoformat()), escape(format_fen(fen)), count))
        if i % label_every == 0:
            parts.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="11" fill="#555">%s</text>'
                         % (x + step / 2, HEIGHT - 12, escape(day.strftime("%m-%d"))))
    parts.append("</svg>")
    return Markup("".join(parts))
