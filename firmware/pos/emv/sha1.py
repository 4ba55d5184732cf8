# SHA-1 (FIPS 180-4) for offline data authentication, EMV's only hash (algorithm indicator 01).
# MicroPython's hashlib has sha1 only in builds with the TLS module (the ESP32 port's, CPython);
# the 32-bit unix VM of the tests is built without it, so the hash is also here in Python ints.
#
#   digest(*parts)          the 20-byte SHA-1 of the parts one after the other (bytes-like)
#   python_digest(*parts)   the same, always from the code below
try:
    from hashlib import sha1 as _hashlib_sha1
except ImportError:
    _hashlib_sha1 = None

_MASK = 0xFFFFFFFF
_H0 = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
_K = (0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xCA62C1D6)


def digest(*parts):
    if _hashlib_sha1 is None:
        return python_digest(*parts)
    h = _hashlib_sha1()
    for part in parts:
        h.update(part)
    return h.digest()


def python_digest(*parts):
    message = bytearray()
    for part in parts:
        message.extend(part)
    bits = len(message) * 8
    message.append(0x80)
    message.extend(bytes(-(len(message) + 8) % 64))
    message.extend(bits.to_bytes(8, "big"))
    h = list(_H0)
    w = [0] * 80
    mask = _MASK
    for block in range(0, len(message), 64):
        for i in range(16):
            w[i] = int.from_bytes(message[block + 4 * i:block + 4 * i + 4], "big")
        for i in range(16, 80):
            x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = (x << 1 | x >> 31) & mask
        a, b, c, d, e = h
        for i in range(80):
            if i < 20:
                f = d ^ (b & (c ^ d))
            elif 40 <= i < 60:
                f = (b & c) | (d & (b | c))
            else:
                f = b ^ c ^ d
            t = ((a << 5 | a >> 27) + f + e + _K[i // 20] + w[i]) & mask
            e, d, c, b, a = d, c, (b << 30 | b >> 2) & mask, a, t
        h = [(x + y) & mask for x, y in zip(h, (a, b, c, d, e))]
    out = bytearray()
    for x in h:
        out.extend(x.to_bytes(4, "big"))
    return bytes(out)
