"""unifont.hex -> firmware/assets/font16.bin, the terminal's bitmap font.

    python -m tools.fontgen /usr/share/unifont/unifont.hex firmware/assets/font16.bin
    python -m tools.fontgen --charset gb2312 firmware/assets/font16.bin firmware/assets/font16_gb2312.bin

The second keeps only what GB2312 has (its 6,763 hanzi and symbols) besides
the ASCII, Latin-1 and punctuation blocks: the font of boards whose 4 MB
flash cannot hold two application slots with all of CJK. The source may be
unifont.hex or a font file already built. A character without a glyph
prints as U+FFFD.

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


def read_pf16(data):
    """{codepoint: glyph bytes} of a font file this tool wrote."""
    magic, version, height, count = HEADER.unpack_from(data, 0)
    if magic != MAGIC or version != VERSION or height != HEIGHT:
        raise FontgenError("not a PF16 version 1 font file")
    glyphs = {}
    for r in range(count):
        first, last, row_bytes, offset = RANGE.unpack_from(data, HEADER.size + r * RANGE.size)
        size = row_bytes * HEIGHT
        for i, cp in enumerate(range(first, last + 1)):
            glyphs[cp] = data[offset + i * size:offset + (i + 1) * size]
    return glyphs


def gb2312_set():
    """The codepoints GB2312 encodes."""
    found = set()
    for hi in range(0xA1, 0xFF):
        for lo in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return found


# The blocks every font keeps whole, whatever the character set: Latin text, digits, punctuation.
LATIN = tuple(b for b in BLOCKS if b[0] < 0x3000) + ((REPLACEMENT, REPLACEMENT, "replacement character"),)


def ranges(glyphs, blocks=BLOCKS, only=None):
    """[(first, last, row_bytes)]: runs of consecutive present glyphs of one width.

    only: a set of codepoints kept besides the LATIN blocks (None keeps the blocks whole).
    """
    runs = []
    for first, last, _ in blocks:
        for cp in range(first, last + 1):
            if only is not None and cp not in only and not any(a <= cp <= b for a, b, _w in LATIN):
                continue
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


def build(glyphs, blocks=BLOCKS, only=None):
    """The font file as bytes."""
    if REPLACEMENT not in glyphs:
        raise FontgenError("the input has no U+FFFD replacement glyph")
    table = ranges(glyphs, blocks, only)
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
    only = None
    if argv[:1] == ["--charset"] and len(argv) >= 2:
        if argv[1] != "gb2312":
            print("fontgen: the one character set is gb2312", file=sys.stderr)
            return 2
        only = gb2312_set()
        argv = argv[2:]
    if len(argv) != 2:
        print("usage: python -m tools.fontgen [--charset gb2312] UNIFONT.hex|FONT.bin OUT.bin", file=sys.stderr)
        return 2
    source, out = argv
    try:
        if source.endswith(".bin"):
            with open(source, "rb") as f:
                glyphs = read_pf16(f.read())
        else:
            with open(source, encoding="ascii") as f:
                glyphs = read_hex(f)
        data = build(glyphs, only=only)
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
