# Bitmap font reader: glyphs are read one at a time from the font file on
# flash (assets/font16.bin, ~670 KB, written by tools/fontgen.py), never
# loaded whole. Only the range table (a few hundred bytes) stays in RAM, and
# glyph() reads into one preallocated 32-byte buffer, so it allocates nothing.
# Text is walked as UTF-8 bytes: iterating a str on MicroPython interns every
# character it meets as a qstr, which would never be freed.
from array import array

from pos.screen import is_wide  # noqa: F401  (the one rule of what is two cells wide)

try:
    from micropython import const
except ImportError:
    def const(x):
        return x

MAGIC = b"PF16"
HEIGHT = const(16)
REPLACEMENT = const(0xFFFD)
_HEADER = const(8)
_RANGE = const(16)
_MAX_RANGES = const(256)

# Nibble -> byte with every bit doubled: scale 2 draws each pixel twice.
_DOUBLE = b"\x00\x03\x0c\x0f\x30\x33\x3c\x3f\xc0\xc3\xcc\xcf\xf0\xf3\xfc\xff"


class FontError(Exception):
    pass


def _u32(b, i):
    return b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24


def next_char(data, i, end):
    """Decode the UTF-8 sequence at data[i]: (codepoint << 3) | its length.

    A malformed sequence decodes as U+FFFD and consumes one byte.
    """
    b = data[i]
    if b < 0x80:
        return b << 3 | 1
    if 0xC2 <= b < 0xE0:
        n, cp = 2, b & 0x1F
    elif 0xE0 <= b < 0xF0:
        n, cp = 3, b & 0x0F
    elif 0xF0 <= b < 0xF5:
        n, cp = 4, b & 0x07
    else:
        return REPLACEMENT << 3 | 1
    if i + n > end:
        return REPLACEMENT << 3 | 1
    for k in range(i + 1, i + n):
        c = data[k]
        if c & 0xC0 != 0x80:
            return REPLACEMENT << 3 | 1
        cp = cp << 6 | c & 0x3F
    return cp << 3 | n


def utf8(text):
    """text as UTF-8 bytes (bytes are taken as already encoded)."""
    return text.encode() if isinstance(text, str) else text


def cells(text):
    """Width of text in half-width cells (8 px each), CJK two: no font needed.

    Never less than Font.text_width_px(text) // 8, so a layout that fits in
    cells fits on paper.
    """
    data = utf8(text)
    end = len(data)
    i = n = 0
    while i < end:
        v = next_char(data, i, end)
        i += v & 7
        n += 2 if is_wide(v >> 3) else 1
    return n


class Font:
    """A font file opened on a path or an injected binary file object."""

    def __init__(self, source):
        self._file = open(source, "rb") if isinstance(source, str) else source
        f = self._file
        head = f.read(_HEADER)
        if head is None or len(head) != _HEADER or head[:4] != MAGIC:
            raise FontError("not a PF16 font file")
        if head[4] != 1 or head[5] != HEIGHT:
            raise FontError("unsupported font version or height")
        count = head[6] | head[7] << 8
        if not 0 < count <= _MAX_RANGES:
            raise FontError("bad range count")
        table = f.read(count * _RANGE)
        if table is None or len(table) != count * _RANGE:
            raise FontError("truncated range table")
        size = f.seek(0, 2)
        self._first = array("I", [0] * count)
        self._last = array("I", [0] * count)
        self._offset = array("I", [0] * count)
        self._row_bytes = bytearray(count)
        previous = -1
        for r in range(count):
            p = r * _RANGE
            first, last, row_bytes, offset = _u32(table, p), _u32(table, p + 4), table[p + 8], _u32(table, p + 12)
            if not previous < first <= last or row_bytes not in (1, 2):
                raise FontError("bad range %d" % r)
            if offset + (last - first + 1) * row_bytes * HEIGHT > size:
                raise FontError("range %d runs past the end of the file" % r)
            self._first[r], self._last[r] = first, last
            self._offset[r], self._row_bytes[r] = offset, row_bytes
            previous = last
        self._fallback = self._find(REPLACEMENT)
        if self._fallback < 0:
            raise FontError("no U+FFFD replacement glyph")
        self._buf = bytearray(2 * HEIGHT)
        mv = memoryview(self._buf)
        # Preallocated results: glyph() returns one of these, never a new tuple.
        self._half = (8, mv[:HEIGHT])
        self._full = (16, mv)

    def close(self):
        self._file.close()

    def _find(self, cp):
        """Index of the range holding cp, or -1."""
        last = self._last
        lo, hi = 0, len(last)
        while lo < hi:
            mid = (lo + hi) >> 1
            if last[mid] < cp:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(last) and self._first[lo] <= cp:
            return lo
        return -1

    def width_px(self, cp):
        """Advance width of cp in pixels (8 or 16); U+FFFD's for a missing one."""
        r = self._find(cp)
        return self._row_bytes[r if r >= 0 else self._fallback] << 3

    def glyph(self, cp):
        """(width_px, bits): 16 rows of width_px/8 bytes, MSB left.

        bits is a view of a buffer reused by the next call: copy it to keep it.
        """
        r = self._find(cp)
        if r < 0:
            r, cp = self._fallback, REPLACEMENT
        row_bytes = self._row_bytes[r]
        if row_bytes == 1:
            result = self._half
        else:
            result = self._full
        size = row_bytes * HEIGHT
        self._file.seek(self._offset[r] + (cp - self._first[r]) * size)
        if self._file.readinto(result[1]) != size:
            raise FontError("short read")
        return result

    def text_width_px(self, text):
        """Width of text in pixels at scale 1."""
        data = utf8(text)
        end = len(data)
        i = w = 0
        while i < end:
            v = next_char(data, i, end)
            i += v & 7
            w += self.width_px(v >> 3)
        return w

    def render_line(self, text, buf, width_px, x=0, scale=1):
        """OR one line of text into buf; return the x after the last glyph drawn.

        buf holds HEIGHT * scale rows of width_px / 8 bytes (width_px a multiple
        of 8), 1 = ink, MSB left; it is not cleared first. scale 2 doubles
        width and height. Drawing stops at the first glyph that does not fit.
        """
        if width_px & 7 or scale not in (1, 2) or x < 0:
            raise ValueError("width_px must be a multiple of 8, scale 1 or 2, x >= 0")
        stride = width_px >> 3
        if len(buf) < stride * HEIGHT * scale:
            raise ValueError("buffer too small")
        data = utf8(text)
        end = len(data)
        i = 0
        while i < end:
            v = next_char(data, i, end)
            i += v & 7
            w, bits = self.glyph(v >> 3)
            if x + w * scale > width_px:
                break
            self._blit(buf, stride, x, bits, w >> 3, scale)
            x += w * scale
        return x

    @staticmethod
    def _blit(buf, stride, x, bits, row_bytes, scale):
        col = x >> 3
        shift = x & 7
        back = 8 - shift
        for r in range(HEIGHT):
            for k in range(row_bytes):
                b = bits[r * row_bytes + k]
                if not b:
                    continue
                if scale == 1:
                    p = r * stride + col + k
                    buf[p] |= b >> shift
                    if shift:
                        buf[p + 1] |= (b << back) & 0xFF
                    continue
                hi = _DOUBLE[b >> 4]
                lo = _DOUBLE[b & 15]
                for row in range(2 * r, 2 * r + 2):
                    p = row * stride + col + 2 * k
                    buf[p] |= hi >> shift
                    buf[p + 1] |= lo >> shift | (hi << back) & 0xFF
                    if shift:
                        buf[p + 2] |= (lo << back) & 0xFF
