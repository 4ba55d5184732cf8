# Bitmap font reader: glyphs are read one at a time from the font file on
# flash (assets/font16.bin, written by tools/fontgen.py: all of CJK, ~670 KB,
# or the GB2312 set, ~290 KB, for 4 MB boards), never loaded whole, and so is
# the range table; glyph() reads into one preallocated 32-byte buffer.
# Text is walked as UTF-8 bytes: iterating a str on MicroPython interns every
# character it meets as a qstr, which would never be freed.
from array import array

from pos.screen import is_wide  # noqa: F401  (the one rule of what is two cells wide)

from pos import const

MAGIC = b"PF16"
HEIGHT = const(16)
REPLACEMENT = const(0xFFFD)
WIDE_REPLACEMENT = const(0xFF1F)    # ？: what a wide character the font lacks is drawn as
_HEADER = const(8)
_RANGE = const(16)
_MAX_RANGES = const(8192)
_BLOCK = const(32)

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
    """A font file opened on a path or an injected binary file object.

    The range table stays in the file: RAM keeps only the first codepoint of
    every _BLOCK-th range (a few hundred bytes even for the GB2312 subset's
    3,500 ranges), a lookup reads at most log2(_BLOCK) ranges, and the range
    last found is remembered, since text runs in one script.
    """

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
        size = f.seek(0, 2)
        self._count = count
        self._range = bytearray(_RANGE)
        self._probe = array("I", [0, 0, 0, 0])
        self._hit = array("I", [0, 0, 0, 0])     # the range last found ([1] == 0: none yet)
        self._coarse = array("I", [0] * ((count + _BLOCK - 1) // _BLOCK))
        previous = -1
        probe = self._probe
        for r in range(count):
            first, last, row_bytes, offset = self._read_range(r, probe)
            if not previous < first <= last or row_bytes not in (1, 2):
                raise FontError("bad range %d" % r)
            if offset + (last - first + 1) * row_bytes * HEIGHT > size:
                raise FontError("range %d runs past the end of the file" % r)
            if r % _BLOCK == 0:
                self._coarse[r // _BLOCK] = first
            previous = last
        self._fallback = array("I", [0, 0, 0, 0])
        self._wide_fallback = array("I", [0, 0, 0, 0])
        for cp, into in ((REPLACEMENT, self._fallback), (WIDE_REPLACEMENT, self._wide_fallback)):
            found = self._find(cp)
            if found is not None:
                into[0], into[1], into[2], into[3] = found[0], found[1], found[2], found[3]
        if not self._fallback[1]:
            raise FontError("no U+FFFD replacement glyph")
        self._buf = bytearray(2 * HEIGHT)
        mv = memoryview(self._buf)
        # Preallocated results: glyph() returns one of these, never a new tuple.
        self._half = (8, mv[:HEIGHT])
        self._full = (16, mv)

    def close(self):
        self._file.close()

    def _read_range(self, r, into):
        """Range r as (first, last, row bytes, offset) into the array `into`; nothing allocated."""
        f = self._file
        f.seek(_HEADER + r * _RANGE)
        t = self._range
        if f.readinto(t) != _RANGE:
            raise FontError("truncated range table")
        into[0] = _u32(t, 0)       # one by one: a four-way assignment would build a tuple
        into[1] = _u32(t, 4)
        into[2] = t[8]
        into[3] = _u32(t, 12)
        return into

    def _find(self, cp):
        """The range holding cp as [first, last, row bytes, offset], or None."""
        hit = self._hit
        if hit[1] and hit[0] <= cp <= hit[1]:
            return hit
        coarse = self._coarse
        lo, hi = 0, len(coarse)
        while lo < hi:                      # the last block whose first range starts at or below cp
            mid = (lo + hi) >> 1
            if coarse[mid] <= cp:
                lo = mid + 1
            else:
                hi = mid
        if lo == 0:
            return None
        lo = (lo - 1) * _BLOCK
        hi = min(lo + _BLOCK, self._count)
        probe = self._probe
        while lo < hi:
            mid = (lo + hi) >> 1
            self._read_range(mid, probe)
            if probe[1] < cp:
                lo = mid + 1
            elif probe[0] > cp:
                hi = mid
            else:
                hit[0] = probe[0]
                hit[1] = probe[1]
                hit[2] = probe[2]
                hit[3] = probe[3]
                return hit
        return None

    def _missing(self, cp):
        """The range of what is drawn for a codepoint the font lacks: a wide ？ for a wide one, else U+FFFD."""
        return self._wide_fallback if is_wide(cp) and self._wide_fallback[1] else self._fallback

    def width_px(self, cp):
        """Advance width of cp in pixels (8 or 16); the replacement's for a missing one."""
        found = self._find(cp)
        if found is None:
            found = self._missing(cp)
        return found[2] << 3

    def glyph(self, cp):
        """(width_px, bits): 16 rows of width_px/8 bytes, MSB left.

        bits is a view of a buffer reused by the next call: copy it to keep it.
        """
        found = self._find(cp)
        if found is None:
            found = self._missing(cp)
            cp = WIDE_REPLACEMENT if found is self._wide_fallback else REPLACEMENT
        row_bytes = found[2]
        result = self._half if row_bytes == 1 else self._full
        size = row_bytes * HEIGHT
        self._file.seek(found[3] + (cp - found[0]) * size)
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
