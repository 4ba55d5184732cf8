"""unifont.hex -> firmware/assets/font16.bin, the terminal's one bitmap font.

    python -m tools.fontgen /usr/share/unifont/unifont.hex firmware/assets/font16.bin

The file (all integers little-endian; read by firmware/pos/font.py):

    header   8 bytes   magic b"PF16", version u8 (1), glyph height u8 (16),
                       range count u16
    ranges  16 bytes each, sorted by first codepoint, not overlapping:
                       first u32, last u32, bytes per glyph row u8 (1 = 8 px
                       wide, 2 = 16 px wide), 3 pad bytes, file offset u32
    glyphs             per range, (last - first + 1) glyphs of height x row
                       bytes, row-major, MSB = leftmost pixel

Unifont draws unassigned codepoints as a box holding the hex code and format
characters (soft hyphen, bidi controls) as a dashed box; neither is a glyph
to print, so they are left out and the reader falls back to U+FFFD for them.
"""
import struct
import sys

MAGIC = b"PF16"
VERSION = 1
HEIGHT = 16
HEADER = struct.Struct("<4sBBH")
RANGE = struct.Struct("<IIB3xI")
REPLACEMENT = 0xFFFD

# (first, last, what) of the blocks the terminal prints and displays.
BLOCKS = (
    (0x0020, 0x007E, "ASCII"),
    (0x00A0, 0x00FF, "Latin-1 printable"),
    (0x2010, 0x206F, "general punctuation"),
    (0x3000, 0x303F, "CJK symbols and punctuation"),
    (0x4E00, 0x9FFF, "CJK unified ideographs"),
    (0xFF00, 0xFFEF, "halfwidth and fullwidth forms"),
    (REPLACEMENT, REPLACEMENT, "replacement character"),
)


class FontgenError(Exception):
    pass


def read_hex(lines):
    """{codepoint: glyph bytes} from unifont .hex lines ("4E2D:0100...")."""
    glyphs = {}
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        code, sep, bits = line.partition(":")
        if not sep or len(bits) not in (32, 64):
            raise FontgenError("line %d: not a 16-row unifont glyph" % number)
        try:
            glyphs[int(code, 16)] = bytes.fromhex(bits)
        except ValueError:
            raise FontgenError("line %d: bad hex" % number) from None
    return glyphs


def is_placeholder(bits):
    """Unifont's box for an unassigned codepoint or a format character."""
    if len(bits) != 32:
        return False
    rows = [bits[i] << 8 | bits[i + 1] for i in range(0, 32, 2)]
    # A solid frame split in two halves, each holding two hex digits.
    framed = all(rows[r] == 0x7FFE for r in (1, 7, 8, 14))
    unassigned = framed and all(rows[r] & 0x6006 == 0x6006 for r in range(2, 14))
    # A dotted frame.
    control = rows[0] == 0xAAAA and rows[15] == 0x5555
    return unassigned or control


def ranges(glyphs, blocks=BLOCKS):
    """[(first, last, row_bytes)]: runs of consecutive present glyphs of one width."""
    runs = []
    for first, last, _ in blocks:
        for cp in range(first, last + 1):
            bits = glyphs.get(cp)
            if bits is None or is_placeholder(bits):
                continue
            row_bytes = len(bits) // HEIGHT
            if runs and runs[-1][1] == cp - 1 and runs[-1][2] == row_bytes:
                runs[-1][1] = cp
            else:
                runs.append([cp, cp, row_bytes])
    runs.sort()
    return [tuple(r) for r in runs]


def build(glyphs, blocks=BLOCKS):
    """The font file as bytes."""
    if REPLACEMENT not in glyphs:
        raise FontgenError("the input has no U+FFFD replacement glyph")
    table = ranges(glyphs, blocks)
    offset = HEADER.size + RANGE.size * len(table)
    head = [HEADER.pack(MAGIC, VERSION, HEIGHT, len(table))]
    body = []
    for first, last, row_bytes in table:
        head.append(RANGE.pack(first, last, row_bytes, offset))
        for cp in range(first, last + 1):
            body.append(glyphs[cp])
        offset += (last - first + 1) * row_bytes * HEIGHT
    return b"".join(head + body)


def main(argv):
    if len(argv) != 2:
        print("usage: python -m tools.fontgen UNIFONT.hex OUT.bin", file=sys.stderr)
        return 2
    source, out = argv
    try:
        with open(source, encoding="ascii") as f:
            data = build(read_hex(f))
    except FontgenError as e:
        print("fontgen: %s: %s" % (source, e), file=sys.stderr)
        return 1
    with open(out, "wb") as f:
        f.write(data)
    count = struct.unpack_from("<H", data, 6)[0]
    print("%s: %d bytes, %d ranges" % (out, len(data), count))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
