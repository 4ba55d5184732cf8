"""CUP POS terminal MAC for field 64 (the "ECB" algorithm, single-DES MAK).

Over the message bytes from the MTI to the end of field 63: XOR the 8-byte
blocks (the last one zero-padded) into R; take hex(R) upper-case as 16 ASCII
bytes; X = DES(MAK, first 8) XOR last 8; E = DES(MAK, X); the MAC is the
first 8 characters of hex(E) upper-case, sent as 8 ASCII bytes.
"""

from pos import des

_HEX_DIGITS = b"0123456789ABCDEF"


def _hex_into(dst, src, first):
    """Upper-case ASCII hex of src[first:first + 4] into the 8 bytes of dst."""
    for i in range(4):
        v = src[first + i]
        dst[2 * i] = _HEX_DIGITS[v >> 4]
        dst[2 * i + 1] = _HEX_DIGITS[v & 15]


def cup_ecb_mac(mak8, data):
    """The 8 ASCII hex characters of field 64 for the bytes data (MTI to field 63)."""
    folded = bytearray(8)
    for i in range(len(data)):
        folded[i & 7] ^= data[i]
    left = bytearray(8)
    right = bytearray(8)
    _hex_into(left, folded, 0)
    _hex_into(right, folded, 4)
    x = des.des_encrypt_block(mak8, left)
    for i in range(8):
        right[i] ^= x[i]
    mac = bytearray(8)
    _hex_into(mac, des.des_encrypt_block(mak8, right), 0)
    return bytes(mac)


def verify(mak8, data, mac8):
    """True when mac8 is the MAC of data; compares every byte, whatever differs first."""
    expected = cup_ecb_mac(mak8, data)
    if len(mac8) != 8:
        return False
    diff = 0
    for i in range(8):
        diff |= expected[i] ^ mac8[i]
    return diff == 0
