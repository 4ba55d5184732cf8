"""The LCD screen model: a title, body lines and a hint line, measured in cells.

A half-width character takes one cell, a CJK (wide) character two. Drivers
and the simulator render a Screen; flows only build them.
"""


def is_wide(cp):
    """True for a codepoint that takes two cells (East Asian wide/fullwidth): the LCD's and the slip's rule."""
    return (0x1100 <= cp <= 0x115F or 0x2E80 <= cp <= 0xA4CF or 0xAC00 <= cp <= 0xD7A3
            or 0xF900 <= cp <= 0xFAFF or 0xFE30 <= cp <= 0xFE4F
            or 0xFF00 <= cp <= 0xFF60 or 0xFFE0 <= cp <= 0xFFE6 or cp >= 0x20000)


def cell_width(ch):
    return 2 if is_wide(ord(ch)) else 1


def text_width(s):
    n = 0
    for ch in s:
        n += cell_width(ch)
    return n


def fit(s, cols):
    """s cut to at most cols cells (a wide character never straddles the edge)."""
    n = i = 0
    for ch in s:
        n += cell_width(ch)
        if n > cols:
            return s[:i]
        i += 1
    return s


def center(s, cols):
    s = fit(s, cols)
    return " " * ((cols - text_width(s)) // 2) + s


def wrap(s, cols):
    """s broken into lines of at most cols cells."""
    out = []
    start = i = n = 0
    for ch in s:
        w = cell_width(ch)
        if n + w > cols:
            out.append(s[start:i])          # slices only: no string grown a character at a time
            start, n = i, 0
        n += w
        i += 1
    if i > start or not out:
        out.append(s[start:])
    return out


class Screen:
    """What the LCD shows: title, lines, an optional hint and a selected line; and a QR code (a
    pos.qr.Qr) where the flow set one, drawn by the runtime in the App's qr_area."""

    qr = None

    def __init__(self, title, lines=(), hint=None, selected=None):
        self.title = title
        self.lines = list(lines)
        self.hint = hint
        self.selected = selected

    def with_lines(self, extra, selected=None):
        s = Screen(self.title, self.lines + list(extra), self.hint, selected)
        if selected is not None:
            s.selected = len(self.lines) + selected
        return s

    def rows(self, cols=40, nrows=15):
        """The screen laid out as nrows strings of at most cols cells."""
        out = [center(self.title, cols), "-" * cols]
        body = nrows - 2 - (1 if self.hint else 0)
        for line in self.lines:
            out.extend(wrap(line, cols))
        out = out[:2 + body]
        while len(out) < 2 + body:
            out.append("")
        if self.hint:
            out.append(center(self.hint, cols))
        return out

    def selected_row(self, cols=40):
        """Index in rows() of the selected line, or None."""
        if self.selected is None:
            return None
        row = 2
        for line in self.lines[:self.selected]:
            row += len(wrap(line, cols))
        return row

    def text(self):
        """All the screen's words in one string (for tests and scenarios)."""
        parts = [self.title] + self.lines
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)
