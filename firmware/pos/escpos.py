# ESC/POS bytes for a slip. Every line is a raster bit image (GS v 0) drawn
# with the terminal's own font, so Chinese prints the same on any printer and
# needs no GBK codec (docs/printing.md). A slip is rendered line by line into
# one line buffer (at most 1.5 KB), which the printer driver allocates once:
# a buffer of that size allocated per slip or per line would soon find no
# room in a fragmented 110 KB heap.
from pos import const
from pos.font import HEIGHT

# A slip line's style: flags or-ed together (the layout, pos/receipt.py, sets them).
NORMAL = const(0)
BOLD = const(1)
DOUBLE = const(2)  # twice as wide and as high: the title and the amount
CENTER = const(4)
RIGHT = const(8)
IMAGE = const(16)  # the line's "text" is an image: fill(bits, stride, rows) puts its next rows in bits

WIDTH_DOTS = const(384)  # 58 mm paper, 8 dots/mm
LINE_GAP = const(6)  # dots fed after each raster line
BLANK_LINE = const(22)  # dots fed for an empty line
CUT_FEED = const(96)  # dots from the last line to past the cutter
_RASTER_HEAD = const(8)


class EscPosError(Exception):
    pass


def init():
    """ESC @: reset the printer to its defaults."""
    return b"\x1b@"


def feed(dots):
    """ESC J n, repeated for more than 255 dots."""
    out = bytearray()
    while dots > 0:
        n = dots if dots < 255 else 255
        out += bytes((0x1B, 0x4A, n))
        dots -= n
    return bytes(out)


def cut():
    """GS V 1: partial cut (one point left uncut)."""
    return b"\x1dV\x01"


_TAIL = feed(CUT_FEED) + cut()


def raster_header(width_bytes, height):
    """GS v 0 m xL xH yL yH (m 0: normal density); the bits follow."""
    return bytes((0x1D, 0x76, 0x30, 0, width_bytes & 0xFF, width_bytes >> 8,
                  height & 0xFF, height >> 8))


def parse_status(byte):
    """The answer to DLE EOT 4: "ok", "paper_near_end" or "paper_out".

    Bits 2-3 set: near-end sensor sees paper low; bits 5-6 set: end sensor
    sees no paper. Bits 1 and 4 are fixed on, 0 and 7 fixed off.
    """
    if isinstance(byte, (bytes, bytearray)):
        if len(byte) != 1:
            raise EscPosError("status is one byte")
        byte = byte[0]
    if not 0 <= byte <= 255 or byte & 0x93 != 0x12:
        raise EscPosError("not a paper sensor status byte: %r" % byte)
    if byte & 0x60:
        return "paper_out"
    if byte & 0x0C:
        return "paper_near_end"
    return "ok"


def _embolden(mv, stride, rows):
    """Widen every stroke one dot to the right."""
    for r in range(rows):
        base = r * stride
        for c in range(base + stride - 1, base, -1):
            mv[c] |= mv[c] >> 1 | (mv[c - 1] & 1) << 7
        mv[base] |= mv[base] >> 1


def raster_line(text, style, font, chunk, width=WIDTH_DOTS):
    """The bytes printing one slip line, built in chunk (a bytearray big
    enough for a DOUBLE line); returns how many bytes of chunk were used."""
    stride = width >> 3
    scale = 2 if style & DOUBLE else 1
    rows = HEIGHT * scale
    size = stride * rows
    mv = memoryview(chunk)
    chunk[:_RASTER_HEAD] = raster_header(stride, rows)
    bits = mv[_RASTER_HEAD:_RASTER_HEAD + size]
    for i in range(size):
        bits[i] = 0
    x = 0
    if style & (CENTER | RIGHT):
        room = width - font.text_width_px(text) * scale
        if room > 0:
            x = room if style & RIGHT else room >> 1
    font.render_line(text, bits, width, x, scale)
    if style & BOLD:
        _embolden(bits, stride, rows)
    end = _RASTER_HEAD + size
    chunk[end] = 0x1B  # ESC J: the gap to the next line
    chunk[end + 1] = 0x4A
    chunk[end + 2] = LINE_GAP
    return end + 3


class Rows:
    """An image on a slip from a generator of its raster rows (stride bytes each, MSB the leftmost
    dot) and how many there are: a layout yields (image, IMAGE) lines() times among a slip's lines,
    and each IMAGE line takes the next rows, a DOUBLE line's height at most (the signature,
    pos.receipt.Ink; a QR code, pos.qr.Image)."""

    def __init__(self, rows, height, stride=WIDTH_DOTS >> 3):
        self.height = height
        self._rows = rows
        self._stride = stride

    def lines(self):
        return (self.height + HEIGHT * 2 - 1) // (HEIGHT * 2)

    def fill(self, bits, stride, most):
        """Copy the next rows, at most most of them, into bits; how many."""
        if stride != self._stride:
            raise EscPosError("rows of %d bytes asked of an image of %d" % (stride, self._stride))
        n = 0
        for row in self._rows:
            bits[n * stride:(n + 1) * stride] = row
            n += 1
            if n == most:
                break
        return n


def raster_image(source, chunk, width=WIDTH_DOTS):
    """The bytes printing an image line's next rows (at most a DOUBLE line's), built in chunk;
    returns how many bytes of chunk were used (0: the image had no rows left)."""
    stride = width >> 3
    rows = source.fill(memoryview(chunk)[_RASTER_HEAD:], stride, HEIGHT * 2)
    if not rows:
        return 0
    chunk[:_RASTER_HEAD] = raster_header(stride, rows)
    return _RASTER_HEAD + rows * stride


def _chunk(line, font, chunk, width, last):
    text, style = line
    if style & IMAGE:
        n = raster_image(text, chunk, width)
    elif text:
        n = raster_line(text, style, font, chunk, width)
    else:
        chunk[0] = 0x1B  # ESC J: an empty line is only paper
        chunk[1] = 0x4A
        chunk[2] = BLANK_LINE
        n = 3
    if last:
        chunk[n:n + len(_TAIL)] = _TAIL
        n += len(_TAIL)
    return memoryview(chunk)[:n]


def _line_bytes(width):
    if width & 7 or not 0 < width <= 2040:
        raise EscPosError("paper width must be a multiple of 8 dots")
    return _RASTER_HEAD + (width >> 3) * HEIGHT * 2 + 3 + len(_TAIL)


def line_buffer(width=WIDTH_DOTS):
    """A buffer render_slip can draw any line of a slip into."""
    return bytearray(_line_bytes(width))


def render_slip(lines, font, width=WIDTH_DOTS, chunk=None):
    """Generator of chunks, exactly one per (text, style) line; the last one
    ends with the feed and the cut. Send init() first. Resuming a job at line
    k: init(), then chunks k, k + 1, ...

    Each chunk is a memoryview of one line buffer (chunk, or one made here by
    line_buffer(width)), valid until the next one is asked for: write it out
    (or copy it) before then.
    """
    if chunk is None:
        chunk = line_buffer(width)
    elif len(chunk) < _line_bytes(width):
        raise EscPosError("line buffer too small for %d dots" % width)
    pending = None  # one line behind, to know which line is the last
    for line in lines:
        if pending is not None:
            yield _chunk(pending, font, chunk, width, False)
        pending = line
    if pending is not None:
        yield _chunk(pending, font, chunk, width, True)
