"""CPython's gb2312 codec -> firmware/assets/gb2312.bin, the 区位码 table.

    python -m tools.gbgen firmware/assets/gb2312.bin

The device has no GBK/GB2312 codec, so a 区位码 (area 01-94, position 01-94)
typed on the keypad is turned into a character by one seek and one 2-byte
read in this file (read by firmware/pos/gb2312.py):

    header   8 bytes   magic b"GBQW", version u8 (1), areas u8 (94),
                       positions u8 (94), one zero pad byte
    entries  94 x 94 of u16 big-endian, area-major: the entry of area a,
                       position p (both from 1) is at 8 + 2 * ((a - 1) * 94 + p - 1);
                       the Unicode code point, 0 for an unassigned position

区位码 a, p is the GB2312 byte pair (0xA0 + a, 0xA0 + p). Every assigned
character is in the BMP, so two bytes always hold it.
"""
import struct
import sys

MAGIC = b"GBQW"
VERSION = 1
AREAS = 94
POSITIONS = 94
HEADER = struct.Struct("<4sBBBx")
ENTRY = struct.Struct(">H")
SIZE = HEADER.size + AREAS * POSITIONS * ENTRY.size


class GbgenError(Exception):
    pass


def code_point(area, position):
    """The code point of 区位码 (area, position), or 0 if unassigned."""
    try:
        text = bytes((0xA0 + area, 0xA0 + position)).decode("gb2312")
    except UnicodeDecodeError:
        return 0
    if len(text) != 1 or not 0 < ord(text) <= 0xFFFF:
        raise GbgenError("%02d%02d decodes to %r, not one BMP character" % (area, position, text))
    return ord(text)


def build():
    """The table file as bytes."""
    out = [HEADER.pack(MAGIC, VERSION, AREAS, POSITIONS)]
    for area in range(1, AREAS + 1):
        for position in range(1, POSITIONS + 1):
            out.append(ENTRY.pack(code_point(area, position)))
    return b"".join(out)


def main(argv):
    if len(argv) != 1:
        print("usage: python -m tools.gbgen OUT.bin", file=sys.stderr)
        return 2
    out, = argv
    try:
        data = build()
    except GbgenError as e:
        print("gbgen: %s" % e, file=sys.stderr)
        return 1
    with open(out, "wb") as f:
        f.write(data)
    assigned = sum(1 for i in range(HEADER.size, len(data), 2) if data[i] or data[i + 1])
    print("%s: %d bytes, %d characters" % (out, len(data), assigned))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
