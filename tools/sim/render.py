"""Pictures of what the terminal prints and shows, for the simulator and tests.

escpos_to_png() interprets ESC/POS bytes the way a 58 mm thermal printer
would (384 dots a line) and writes the slip as a PNG; lcd_png() draws LCD
rows. Both draw with firmware/pos/font.py and the firmware's own font file,
so the pictures show exactly the glyphs the terminal has.

The interpreter knows the commands the firmware sends (ESC @, GS v 0, ESC J,
ESC d, LF, GS V) plus the printer driver's heating (ESC 7) and status queries
(DLE EOT) and the common one-parameter settings, which it accepts and
ignores. An unknown ESC/GS/FS/DLE command is skipped (its two bytes; its
parameters, if any, then fall through as data, the way a printer would).
Input that ends inside a command, or a raster image with fewer bytes than
its header promises, raises EscPosDataError: nothing is drawn from a
truncated job, so a test cannot mistake half a slip for a slip.

    python -m tools.sim.render slip.escpos slip.png
"""
import os
import struct
import sys
import zlib

from tools.sim import FIRMWARE
from pos.font import HEIGHT, Font

FONT_PATH = os.path.join(FIRMWARE, "assets", "font16.bin")
PAPER_DOTS = 384
DEFAULT_LINE_SPACING = 30  # ESC 2: 1/6 inch at 180 dpi motion units
MAX_PAPER_DOTS = 200_000  # 25 m of paper: more is a runaway job

ESC, GS, FS, DLE, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x0A, 0x0D
# Commands accepted and ignored, by prefix: command byte -> parameter count.
_IGNORED = {
    ESC: {0x20: 1, 0x21: 1, 0x2D: 1, 0x45: 1, 0x47: 1, 0x4D: 1, 0x52: 1, 0x74: 1,
          0x7B: 1, 0x56: 1, 0x63: 2, 0x70: 3, 0x37: 3},
    GS: {0x21: 1, 0x42: 1, 0x48: 1, 0x66: 1, 0x68: 1, 0x77: 1, 0x61: 1, 0x72: 1,
         0x4C: 2, 0x57: 2},
    FS: {0x26: 0, 0x2E: 0, 0x21: 1},
    DLE: {0x04: 1, 0x05: 1, 0x14: 3},
}


class EscPosDataError(ValueError):
    """The ESC/POS stream ends inside a command or raster image."""


def png_bytes(width, height, rows, bit_depth=1):
    """A greyscale PNG (bit depth 1 or 8) from packed rows, top to bottom."""
    if bit_depth not in (1, 8):
        raise ValueError("bit depth 1 or 8")
    stride = (width * bit_depth + 7) // 8
    raw = bytearray()
    for row in rows:
        if len(row) != stride:
            raise ValueError("row of %d bytes, expected %d" % (len(row), stride))
        raw += b"\x00" + bytes(row)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def write_png(path, width, height, rows, bit_depth=1):
    with open(path, "wb") as f:
        f.write(png_bytes(width, height, rows, bit_depth))


class Paper:
    """The printed roll: rows of 1-bit dots (1 = ink), plus the text state."""

    def __init__(self, font, width=PAPER_DOTS):
        self.font = font
        self.width = width
        self.stride = width // 8
        self.rows = []
        self.reset()

    def reset(self):
        self.line_spacing = DEFAULT_LINE_SPACING
        self.align = 0
        self.text = bytearray()

    def feed(self, dots):
        if len(self.rows) + dots > MAX_PAPER_DOTS:
            raise EscPosDataError("more than %d dots of paper" % MAX_PAPER_DOTS)
        self.rows.extend(bytearray(self.stride) for _ in range(dots))

    def image(self, width_bytes, height, bits):
        """A raster image at the print position, cropped to the paper."""
        self.flush_text(feed=False)
        top = len(self.rows)
        self.feed(height)
        keep = min(width_bytes, self.stride)
        for r in range(height):
            self.rows[top + r][:keep] = bits[r * width_bytes:r * width_bytes + keep]

    def flush_text(self, feed=True):
        """Print the buffered text line (LF); with nothing buffered just feed."""
        if self.text:
            text = self.text.decode("latin-1")
            self.text = bytearray()
            line = bytearray(self.stride * HEIGHT)
            room = self.width - self.font.text_width_px(text)
            x = 0 if self.align == 0 or room <= 0 else (room // 2 if self.align == 1 else room)
            self.font.render_line(text, line, self.width, x)
            top = len(self.rows)
            self.feed(max(self.line_spacing, HEIGHT))
            for r in range(HEIGHT):
                self.rows[top + r][:] = line[r * self.stride:(r + 1) * self.stride]
        elif feed:
            self.feed(self.line_spacing)

    def cut(self):
        """A dashed line where the knife went."""
        self.flush_text(feed=False)
        self.feed(4)
        self.rows.append(bytearray(b"\xf0" * self.stride))
        self.feed(4)


def _need(data, i, n, what):
    if i + n > len(data):
        raise EscPosDataError("%s at byte %d: %d bytes needed, %d left"
                              % (what, i, n, len(data) - i))
    return data[i:i + n]


def interpret(data, paper):
    """Run ESC/POS bytes on paper."""
    i = 0
    end = len(data)
    while i < end:
        b = data[i]
        if b == LF:
            paper.flush_text()
            i += 1
        elif b in (ESC, GS, FS, DLE):
            i = _command(data, i, paper)
        elif 0x20 <= b < 0x7F:
            paper.text.append(b)
            i += 1
        else:
            i += 1  # CR and other control bytes: nothing to draw
    paper.flush_text(feed=False)


def _command(data, i, paper):
    """Run the command starting at data[i]; return the index after it."""
    prefix = data[i]
    cmd = _need(data, i + 1, 1, "command")[0]
    if prefix == ESC and cmd == 0x40:  # ESC @
        paper.flush_text(feed=False)
        paper.reset()
        return i + 2
    if prefix == ESC and cmd in (0x4A, 0x64, 0x33, 0x61):  # ESC J n / d n / 3 n / a n
        n = _need(data, i + 2, 1, "ESC %c parameter" % cmd)[0]
        if cmd == 0x4A:
            paper.flush_text(feed=False)
            paper.feed(n)
        elif cmd == 0x64:
            paper.flush_text(feed=False)
            paper.feed(n * paper.line_spacing)
        elif cmd == 0x33:
            paper.line_spacing = n
        else:
            paper.align = n % 48 if n in (0, 1, 2, 48, 49, 50) else 0
        return i + 3
    if prefix == ESC and cmd == 0x32:  # ESC 2
        paper.line_spacing = DEFAULT_LINE_SPACING
        return i + 2
    if prefix == GS and cmd == 0x76:  # GS v 0 m xL xH yL yH d1..dk
        head = _need(data, i, 8, "GS v 0 header")
        if head[2] not in (0x00, 0x30):
            raise EscPosDataError("GS v at byte %d: expected '0', got 0x%02x" % (i, head[2]))
        width_bytes = head[4] | head[5] << 8
        height = head[6] | head[7] << 8
        bits = _need(data, i + 8, width_bytes * height, "GS v 0 raster data")
        paper.image(width_bytes, height, bits)
        return i + 8 + width_bytes * height
    if prefix == GS and cmd == 0x56:  # GS V m [n]
        m = _need(data, i + 2, 1, "GS V parameter")[0]
        if m in (65, 66, 97, 98, 103, 104):
            n = _need(data, i + 3, 1, "GS V feed")[0]
            paper.feed(n)
            paper.cut()
            return i + 4
        paper.cut()
        return i + 3
    count = _IGNORED[prefix].get(cmd)
    if count is None:
        return i + 2  # unknown: skipped
    _need(data, i + 2, count, "parameters")
    return i + 2 + count


def whole_lines(data):
    """(data up to the end of its last whole slip line, how many lines that is): what came out of
    a printer whose paper ended in the middle of data. Every slip line ends with ESC J."""
    paper = Paper(None)                  # no text is drawn, so no font
    i = end = lines = 0
    while i < len(data):
        try:
            j = _command(data, i, paper) if data[i] in (ESC, GS, FS, DLE) else i + 1
        except EscPosDataError:
            break
        if data[i] == ESC and data[i + 1] == 0x4A:
            lines += 1
            end = j
        i = j
    return bytes(data[:end]), lines


def escpos_to_rows(data, font=None, width=PAPER_DOTS):
    """The printed dots: a list of rows of width/8 bytes, 1 = ink."""
    paper = Paper(font or Font(FONT_PATH), width)
    interpret(bytes(data), paper)
    return paper.rows


def escpos_to_png(data, path, font=None, width=PAPER_DOTS):
    """Write the slip the bytes would print as a PNG width dots wide."""
    rows = escpos_to_rows(data, font, width) or [bytearray(width // 8)]
    # PNG grey 1-bit: 0 is black, printer bits are 1 for ink.
    write_png(path, width, len(rows), [bytes(b ^ 0xFF for b in r) for r in rows])


def lcd_png(rows, path, inverse_row=None, width=320, height=240, font=None,
            ink=0x20, background=0xD8):
    """Draw LCD text rows (16 px each, CJK two cells) as a greyscale PNG."""
    font = font or Font(FONT_PATH)
    stride = width // 8
    pixels = []
    for r in range(height // HEIGHT):
        line = bytearray(stride * HEIGHT)
        if r < len(rows) and rows[r]:
            font.render_line(rows[r], line, width)
        fg, bg = (background, ink) if r == inverse_row else (ink, background)
        for y in range(HEIGHT):
            bits = line[y * stride:(y + 1) * stride]
            pixels.append(bytes(fg if bits[x >> 3] & (0x80 >> (x & 7)) else bg
                                for x in range(width)))
    while len(pixels) < height:
        pixels.append(bytes([background]) * width)
    write_png(path, width, height, pixels, bit_depth=8)


def main(argv):
    if len(argv) != 2:
        print("usage: python -m tools.sim.render SLIP.escpos OUT.png", file=sys.stderr)
        return 2
    with open(argv[0], "rb") as f:
        data = f.read()
    try:
        escpos_to_png(data, argv[1])
    except EscPosDataError as e:
        print("render: %s: %s" % (argv[0], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
