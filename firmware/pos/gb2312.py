# 区位码 -> character: the table is a file on flash (assets/gb2312.bin,
# 17.7 KB, written by tools/gbgen.py) read two bytes per lookup, because the
# device has no GB2312/GBK codec and the table would not fit in RAM as a dict.
# The result is made by decoding UTF-8 from a preallocated buffer, not by
# chr(): on MicroPython chr() interns its result as a qstr, never freed.
from pos import const

MAGIC = b"GBQW"
_VERSION = const(1)
_AREAS = const(94)
_POSITIONS = const(94)
_HEADER = const(8)
_SIZE = const(17680)  # _HEADER + 2 * _AREAS * _POSITIONS


class Gb2312Error(Exception):
    pass


class Gb2312Table:
    """A 区位码 table file opened on a path or an injected binary file object."""

    def __init__(self, source):
        self._file = open(source, "rb") if isinstance(source, str) else source
        f = self._file
        head = f.read(_HEADER)
        if head is None or len(head) != _HEADER or head[:4] != MAGIC:
            raise Gb2312Error("not a GBQW table file")
        if head[4] != _VERSION or head[5] != _AREAS or head[6] != _POSITIONS:
            raise Gb2312Error("unsupported table version or shape")
        if f.seek(0, 2) != _SIZE:
            raise Gb2312Error("table file is not %d bytes" % _SIZE)
        self._entry = bytearray(2)
        self._utf8 = bytearray(3)
        mv = memoryview(self._utf8)
        self._utf8_2 = mv[:2]
        self._utf8_3 = mv

    def close(self):
        self._file.close()

    def char(self, quwei):
        """The character (str) of a 4-digit 区位码 such as "1601", or None.

        None for an unassigned position and for anything but 4 ASCII digits
        making area 01-94 and position 01-94.
        """
        if not isinstance(quwei, str) or len(quwei) != 4:
            return None
        code = 0
        for i in range(4):
            d = ord(quwei[i]) - 48
            if not 0 <= d <= 9:
                return None
            code = code * 10 + d
        area, position = code // 100, code % 100
        if not (1 <= area <= _AREAS and 1 <= position <= _POSITIONS):
            return None
        f = self._file
        f.seek(_HEADER + 2 * ((area - 1) * _POSITIONS + position - 1))
        entry = self._entry
        if f.readinto(entry) != 2:
            raise Gb2312Error("short read")
        cp = entry[0] << 8 | entry[1]
        if cp == 0:
            return None
        # GB2312 has nothing below U+0080 and no surrogates: 2 or 3 UTF-8 bytes.
        if cp < 0x80 or 0xD800 <= cp < 0xE000:
            raise Gb2312Error("bad entry U+%04X at %s" % (cp, quwei))
        out = self._utf8
        if cp < 0x800:
            out[0] = 0xC0 | cp >> 6
            out[1] = 0x80 | cp & 0x3F
            return str(self._utf8_2, "utf-8")
        out[0] = 0xE0 | cp >> 12
        out[1] = 0x80 | cp >> 6 & 0x3F
        out[2] = 0x80 | cp & 0x3F
        return str(self._utf8_3, "utf-8")
