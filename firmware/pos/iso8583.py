# ISO 8583 codec driven by a profile table (pos/cup.py; docs/protocol.md).
#
# Body: MTI (2 bytes BCD) + primary bitmap (8 bytes) + fields in number order.
# A field spec is (kind, prefix, max): kind "n" | "z" | "an" | "ans" | "b";
# prefix 0 fixed, 1 LLVAR (1 byte BCD), 2 LLLVAR (2 bytes BCD); max counts
# digits for n/z, characters for an/ans, bytes for b.
#   n, z   BCD. Fixed odd: leading 0 nibble. Variable: length counts digits,
#          digits left-aligned, odd count padded with a trailing 0 nibble.
#          z (track data) writes '=' as nibble D.
#   an     ASCII letters, digits, space; ans printable ASCII (0x20..0x7E).
#          Fixed ones are right-padded with spaces on encode, kept on decode.
#   b      raw bytes; a variable length counts bytes.
# Nothing read from outside is trusted: every length is checked against the
# field maximum and the bytes left, and any malformed input raises CodecError.
from binascii import hexlify, unhexlify

from pos import const

_FRAME_HEAD = const(13)  # 2 length + 5 TPDU + 6 header
_MIN_BODY = const(10)  # MTI + bitmap


class CodecError(ValueError):
    """Malformed message. .field (None = whole message, 0 = MTI) and .pos (byte offset)."""

    def __init__(self, reason, field=None, pos=None):
        msg = reason
        if field is not None:
            msg = "field %d: %s" % (field, msg)
        if pos is not None:
            msg = "%s (at byte %d)" % (msg, pos)
        super().__init__(msg)
        self.reason = reason
        self.field = field
        self.pos = pos


def _bcd_table():
    t = bytearray(b"\xff" * 256)
    for v in range(100):
        t[((v // 10) << 4) | (v % 10)] = v
    return bytes(t)


_BCD = _bcd_table()  # BCD byte -> 0..99, 0xFF when a nibble is not a digit


def _digits(raw):
    return not raw or raw.isdigit()


def _an_ok(raw):
    for c in raw:
        if not (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 32):
            return False
    return True


def _ans_ok(raw):
    return not raw or (min(raw) >= 0x20 and max(raw) <= 0x7E)


def _put_len(buf, prefix, n):
    if prefix == 1:
        buf.append(((n // 10) << 4) | (n % 10))
    else:
        buf.append(((n // 1000) << 4) | ((n // 100) % 10))
        buf.append((((n // 10) % 10) << 4) | (n % 10))


def _put(buf, k, spec, value):
    kind, prefix, maxlen = spec
    if kind == "b":
        if type(value) is not bytes and type(value) is not bytearray:
            raise CodecError("binary field needs bytes", k)
        n = len(value)
        if (n != maxlen) if prefix == 0 else (n > maxlen):
            raise CodecError("%d bytes, %s %d" % (n, "needs" if prefix == 0 else "max", maxlen), k)
        if prefix:
            _put_len(buf, prefix, n)
        buf.extend(value)
        return
    if type(value) is not str:
        raise CodecError("needs str", k)
    raw = value.encode()
    n = len(raw)
    if kind == "n" or kind == "z":
        if (n != maxlen) if prefix == 0 else (n > maxlen):
            raise CodecError("%d digits, %s %d" % (n, "needs" if prefix == 0 else "max", maxlen), k)
        if kind == "z":
            if not _digits(raw.replace(b"=", b"")):
                raise CodecError("track data allows digits and '=' only", k)
            raw = raw.replace(b"=", b"D")
        elif not _digits(raw):
            raise CodecError("digits only", k)
        if prefix:
            _put_len(buf, prefix, n)
            if n & 1:
                raw += b"0"
        elif n & 1:
            raw = b"0" + raw
        buf.extend(unhexlify(raw))
        return
    if n != len(value) or not (_ans_ok(raw) if kind == "ans" else _an_ok(raw)):
        raise CodecError("characters outside %s" % kind, k)
    if n > maxlen:
        raise CodecError("%d characters, max %d" % (n, maxlen), k)
    if prefix:
        _put_len(buf, prefix, n)
    buf.extend(raw)
    if prefix == 0 and n < maxlen:
        buf.extend(b" " * (maxlen - n))


def encode_into(profile, msg, buf):
    """Append the body for msg (field number -> value, 0 = MTI) to bytearray buf.

    On CodecError buf may hold part of a body: discard it.
    """
    fields = profile.FIELDS
    mti = msg.get(0)
    if type(mti) is not str or len(mti) != 4 or not mti.encode().isdigit():
        raise CodecError("MTI must be 4 digits", 0)
    nums = []
    bitmap = bytearray(8)
    for k in msg:
        if k == 0:
            continue
        if type(k) is not int or k < 2 or k > 64 or fields[k] is None:
            raise CodecError("%r is not a field of this profile" % (k,))
        nums.append(k)
        bitmap[(k - 1) >> 3] |= 0x80 >> ((k - 1) & 7)
    nums.sort()
    buf.extend(unhexlify(mti))
    buf.extend(bitmap)
    for k in nums:
        _put(buf, k, fields[k], msg[k])


def encode(profile, msg):
    """Body bytes (MTI + bitmap + fields) for msg; raises CodecError."""
    buf = bytearray()
    encode_into(profile, msg, buf)
    return bytes(buf)


def _get(mv, pos, end, k, spec, msg):
    kind, prefix, maxlen = spec
    if prefix == 0:
        n = maxlen
    else:
        if pos + prefix > end:
            raise CodecError("length prefix truncated", k, pos)
        n = _BCD[mv[pos]]
        bad = n > 99
        if prefix == 2:
            lo = _BCD[mv[pos + 1]]
            bad = bad or lo > 99
            n = n * 100 + lo
        if bad:
            raise CodecError("length prefix is not BCD", k, pos)
        if n > maxlen:
            raise CodecError("length %d over maximum %d" % (n, maxlen), k, pos)
        pos += prefix
    nb = (n + 1) >> 1 if kind == "n" or kind == "z" else n
    if pos + nb > end:
        raise CodecError("needs %d bytes, %d left" % (nb, end - pos), k, pos)
    chunk = mv[pos:pos + nb]
    if kind == "b":
        msg[k] = bytes(chunk)
    elif kind == "n" or kind == "z":
        hx = hexlify(chunk)
        if n & 1:
            if prefix:
                pad = hx[n]
                hx = hx[:n]
            else:
                pad = hx[0]
                hx = hx[1:]
            if pad != 0x30:
                raise CodecError("pad nibble is not 0", k, pos)
        if kind == "z":
            hx = hx.replace(b"d", b"=")
            ok = _digits(hx.replace(b"=", b""))
        else:
            ok = _digits(hx)
        if not ok:
            raise CodecError("not BCD %s data" % kind, k, pos)
        msg[k] = hx.decode()
    else:
        raw = bytes(chunk)
        if not (_ans_ok(raw) if kind == "ans" else _an_ok(raw)):
            raise CodecError("characters outside %s" % kind, k, pos)
        msg[k] = raw.decode()
    return pos + nb


def decode(profile, body):
    """dict of field number -> value (0 = MTI) for a body; raises CodecError."""
    fields = profile.FIELDS
    mv = memoryview(body)
    end = len(mv)
    if end < _MIN_BODY:
        raise CodecError("body of %d bytes has no room for MTI and bitmap" % end, None, 0)
    mti = hexlify(mv[0:2])
    if not mti.isdigit():
        raise CodecError("MTI is not BCD", 0, 0)
    msg = {0: mti.decode()}
    if mv[2] & 0x80:
        raise CodecError("secondary bitmap: profile has no fields over 64", 1, 2)
    pos = _MIN_BODY
    for i in range(8):
        byte = mv[2 + i]
        if not byte:
            continue
        for j in range(8):
            if byte & (0x80 >> j):
                k = (i << 3) + j + 1
                spec = fields[k]
                if spec is None:
                    raise CodecError("not in this profile", k, 2 + i)
                pos = _get(mv, pos, end, k, spec, msg)
    if pos != end:
        raise CodecError("%d trailing bytes" % (end - pos), None, pos)
    return msg


def frame(tpdu, header, body):
    """2-byte big-endian length + TPDU (5) + header (6) + body."""
    if len(tpdu) != 5 or len(header) != 6:
        raise CodecError("TPDU is 5 bytes and header 6")
    n = 11 + len(body)
    if n > 0xFFFF:
        raise CodecError("frame of %d bytes is too long" % n)
    buf = bytearray(2)
    buf[0] = n >> 8
    buf[1] = n & 0xFF
    buf.extend(tpdu)
    buf.extend(header)
    buf.extend(body)
    return bytes(buf)


def unframe(data):
    """(tpdu, header, body) of a frame whose declared length must match."""
    n = len(data)
    if n < _FRAME_HEAD:
        raise CodecError("frame of %d bytes is shorter than length+TPDU+header" % n, None, 0)
    declared = (data[0] << 8) | data[1]
    if declared != n - 2:
        raise CodecError("declared length %d, %d bytes follow" % (declared, n - 2), None, 0)
    return bytes(data[2:7]), bytes(data[7:13]), bytes(data[13:])


def mac_data(body):
    """The bytes the MAC covers: MTI to the end of field 63 (body minus field 64)."""
    if len(body) < _MIN_BODY + 8 or not body[9] & 0x01:
        raise CodecError("no MAC field in this body", 64)
    return bytes(body[:len(body) - 8])


def processing_requirement(header):
    """The host's processing requirement: header digit 5 (low nibble of byte 2)."""
    if len(header) != 6:
        raise CodecError("header is 6 bytes, got %d" % len(header))
    d = header[2] & 0x0F
    if d > 9:
        raise CodecError("processing requirement nibble is not BCD", None, 2)
    return d
