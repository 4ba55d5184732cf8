"""The cardholder's signature as the terminal uploads it, read on the acquirer's side.

Written from docs/signature.md alone, never from the firmware (host_tests/
test_signature_peers.py checks one against the other). `decode(blob)` gives
(width, height, strokes) or raises SignatureError; `png(blob)` draws it for the
back-office and its PDFs: black lines on white, 8-bit greyscale, written here
with zlib and struct (no imaging library needed to serve it).
"""
import struct
import zlib

MAX_BYTES = 4000
MAX_POINTS = 1000
MAGIC = b"SG"
VERSION = 1
HEADER = struct.Struct(">2sBHHB")


class SignatureError(ValueError):
    """A blob that is not a signature in the documented format."""


def decode(data):
    """(width, height, strokes): strokes a list of lists of (x, y) in pad pixels."""
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise SignatureError("signature of %d bytes, more than %d" % (len(data), MAX_BYTES))
    if len(data) < HEADER.size:
        raise SignatureError("signature header truncated")
    magic, version, width, height, count = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SignatureError("not a signature: magic %r" % magic)
    if version != VERSION:
        raise SignatureError("signature version %d unknown" % version)
    if not (1 <= width <= 4095 and 1 <= height <= 4095):
        raise SignatureError("pad of %dx%d" % (width, height))
    if count == 0:
        raise SignatureError("signature without strokes")

    def point(at):
        if at + 3 > len(data):
            raise SignatureError("point truncated at byte %d" % at)
        b0, b1, b2 = data[at:at + 3]
        return inside(b0 << 4 | b1 >> 4, (b1 & 0x0F) << 8 | b2)

    def inside(x, y):
        if not (0 <= x < width and 0 <= y < height):
            raise SignatureError("point (%d, %d) outside the %dx%d pad" % (x, y, width, height))
        return x, y

    strokes = []
    total = 0
    pos = HEADER.size
    for n in range(count):
        if pos + 2 > len(data):
            raise SignatureError("stroke %d truncated" % n)
        (points,) = struct.unpack_from(">H", data, pos)
        total += points
        if points == 0 or total > MAX_POINTS:
            raise SignatureError("stroke %d with %d points (%d in all)" % (n, points, total))
        x, y = point(pos + 2)
        pos += 5
        stroke = [(x, y)]
        for _ in range(points - 1):
            if pos >= len(data):
                raise SignatureError("stroke %d truncated" % n)
            code = data[pos]
            if code == 0:
                x, y = point(pos + 1)
                pos += 4
            else:
                hi, lo = code >> 4, code & 0x0F
                if hi == 0 or lo == 0:
                    raise SignatureError("step byte 0x%02x at %d" % (code, pos))
                x, y = inside(x + hi - 8, y + lo - 8)
                pos += 1
            stroke.append((x, y))
        strokes.append(stroke)
    if pos != len(data):
        raise SignatureError("%d bytes after the last stroke" % (len(data) - pos))
    return width, height, strokes


def _chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _disc(radius):
    """Offsets (dx, dy) of a round nib 2 * radius + 1 pixels wide."""
    r2 = radius * radius + radius  # a little fuller than the circle: no gaps on diagonals
    return [(dx, dy) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)
            if dx * dx + dy * dy <= r2]


def png(data, scale=1.0, max_width=640, pen=None):
    """PNG bytes of the signature on its whole pad, scale times its size (no wider than
    max_width); pen the line's width in pixels, drawn as a round nib of the next odd width
    (default: 2 at scale 1, growing with the scale)."""
    width, height, strokes = decode(data)
    if scale <= 0 or max_width < 1:
        raise ValueError("scale and max_width must be positive")
    scale = min(scale, max_width / width)
    out_w = max(1, round(width * scale))
    out_h = max(1, round(height * scale))
    if pen is None:
        pen = max(2, round(2 * scale))
    nib = _disc(pen // 2)
    ink = bytearray(b"\xff" * (out_w * out_h))

    def dot(cx, cy):
        for dx, dy in nib:
            x, y = cx + dx, cy + dy
            if 0 <= x < out_w and 0 <= y < out_h:
                ink[y * out_w + x] = 0

    for stroke in strokes:
        pts = [(min(out_w - 1, int(x * scale + scale / 2)), min(out_h - 1, int(y * scale + scale / 2)))
               for x, y in stroke]
        dot(*pts[0])
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            steps = max(abs(x1 - x0), abs(y1 - y0))
            for k in range(1, steps + 1):
                dot(x0 + round((x1 - x0) * k / steps), y0 + round((y1 - y0) * k / steps))
    raw = b"".join(b"\x00" + bytes(ink[r * out_w:(r + 1) * out_w]) for r in range(out_h))
    return (b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", out_w, out_h, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))
