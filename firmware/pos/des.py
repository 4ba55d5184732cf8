"""DES and 3DES (FIPS 46-3, SP 800-67) for the PIN block, MAC and key check values.

MicroPython's cryptolib has AES only. Small ints on the ESP32 are 31-bit
signed, so a 32-bit DES half would be a heap-allocated big int on every
operation; here no value ever reaches 2**30:

- the state between rounds is each half expanded by E: 48 bits kept as two
  24-bit words (S-boxes 1-4, S-boxes 5-8), so a round key XORs in with two
  operations and each S-box index is a shift and a mask;
- the SP table gives E(P(S(x))) for each S-box, already expanded, as two
  24-bit words, so the new half is XORed in without re-expanding;
- the initial and final permutations (and PC-1) are bit-matrix transposes,
  done with 16-entry tables on 16-bit quarters; the key schedule rotates
  28-bit C and D halves and applies PC-2 through nibble tables.

3DES runs the initial permutation once and the final permutation once (the
ones between the three DES passes cancel). Key schedules are cached for the
last few keys, because a terminal uses the same PIK and MAK for many blocks.

The SP and PC-2 tables are bytes literals in pos/des_tables.py, made from
FIPS 46-3 by tools/desgen.py: a frozen build keeps them in flash, and a word
is three byte reads.
"""

from pos import const
from pos.des_tables import PC2, SP

_CACHE_SIZE = const(4)
_MASK28 = const(0xFFFFFFF)


class DesError(ValueError):
    """A key or data length DES cannot use."""


_ROTATIONS = (1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1)

# IP output byte j is bit column (2, 4, 6, 8, 1, 3, 5, 7)[j] of the input
# bytes, input byte b landing at bit b: of each input nibble, columns 2 and 4
# go to a quarter of L and columns 1 and 3 to the same quarter of R.
_IP_L = (0, 1, 0, 1, 256, 257, 256, 257, 0, 1, 0, 1, 256, 257, 256, 257)
_IP_R = (0, 0, 1, 1, 0, 0, 1, 1, 256, 256, 257, 257, 256, 256, 257, 257)
# FP is the inverse: bit b of preoutput byte j lands in output byte b, at the
# bit given by j's column; a nibble's bits 0-1 fill one quarter, 2-3 the next.
_FP_A = (0, 256, 1, 257, 0, 256, 1, 257, 0, 256, 1, 257, 0, 256, 1, 257)
_FP_B = (0, 0, 0, 0, 256, 256, 256, 256, 1, 1, 1, 1, 257, 257, 257, 257)

# PC-1 is a transpose as well: key byte b gives C its bit columns 1, 2, 3 and
# D its columns 7, 6, 5 at bits 20+b, 12+b, 4+b; column 4 of bytes 4-7 ends C
# and of bytes 0-3 ends D (column 8 is parity).
# _PC1_C[h] is (h & 8) << 17 | (h & 4) << 10 | (h & 2) << 3, _PC1_D[v] (v & 2) << 19 | (v & 4) << 10 | (v & 8) << 1.
_PC1_C = (0, 0, 16, 16, 4096, 4096, 4112, 4112, 1048576, 1048576, 1048592, 1048592, 1052672, 1052672, 1052688,
          1052688)
_PC1_D = (0, 0, 1048576, 1048576, 4096, 4096, 1052672, 1052672, 16, 16, 1048592, 1048592, 4112, 4112, 1052688,
          1052688)

_ZERO_BLOCK = bytes(8)


def _spread(bits18):
    """Four overlapping 6-bit windows of 18 bits, side by side: half of E."""
    return (((bits18 & 0x3F000) << 6) | ((bits18 & 0x3F00) << 4)
            | ((bits18 & 0x3F0) << 2) | (bits18 & 0x3F))


def expand_1(hi16, lo16):
    """E bits 1-24 (S-boxes 1-4) of the half hi16:lo16: its bits 32, 1-17."""
    return _spread(((lo16 & 1) << 17) | (hi16 << 1) | (lo16 >> 15))


def expand_2(hi16, lo16):
    """E bits 25-48 (S-boxes 5-8) of the half hi16:lo16: its bits 16-32, 1."""
    return _spread(((hi16 & 1) << 17) | (lo16 << 1) | (hi16 >> 15))


# (key, encryption passes, decryption passes), most recently used first.
_schedules = []


def _round_keys(key8):
    """The 16 round keys of a DES key as 24-bit word pairs, (encryption, decryption) order."""
    c = d = column_4 = 0
    for b in range(8):
        v = key8[b]
        c |= _PC1_C[v >> 4] << b
        d |= _PC1_D[v & 15] << b
        column_4 |= ((v >> 4) & 1) << b
    c |= column_4 >> 4
    d |= column_4 & 15
    forward = []
    for r in _ROTATIONS:
        c = ((c << r) | (c >> (28 - r))) & _MASK28
        d = ((d << r) | (d >> (28 - r))) & _MASK28
        k1 = k2 = 0
        for p in range(7):
            shift = 24 - 4 * p
            i = 48 * p + 3 * ((c >> shift) & 15)
            k1 |= PC2[i] << 16 | PC2[i + 1] << 8 | PC2[i + 2]
            i = 336 + 48 * p + 3 * ((d >> shift) & 15)
            k2 |= PC2[i] << 16 | PC2[i + 1] << 8 | PC2[i + 2]
        forward.append(k1)
        forward.append(k2)
    backward = []
    for n in range(30, -1, -2):
        backward.append(forward[n])
        backward.append(forward[n + 1])
    return tuple(forward), tuple(backward)


def _passes(key):
    """(key, encryption passes, decryption passes) for an 8, 16 or 24 byte key, cached."""
    if not isinstance(key, bytes):
        key = bytes(key)
    for i in range(len(_schedules)):
        entry = _schedules[i]
        if entry[0] == key:
            if i:
                _schedules.pop(i)
                _schedules.insert(0, entry)
            return entry
    n = len(key)
    if n == 8:
        k1 = _round_keys(key)
        entry = (key, (k1[0],), (k1[1],))
    elif n == 16 or n == 24:
        k1 = _round_keys(key[0:8])
        k2 = _round_keys(key[8:16])
        k3 = _round_keys(key[16:24]) if n == 24 else k1
        entry = (key, (k1[0], k2[1], k3[0]), (k3[1], k2[0], k1[1]))
    else:
        raise DesError("DES key must be 8, 16 or 24 bytes, not %d" % n)
    if len(_schedules) >= _CACHE_SIZE:
        _schedules.pop()
    _schedules.insert(0, entry)
    return entry


def _crypt(passes, src, si, dst, di):
    """Run the 8 bytes at src[si] through IP, the DES passes and FP into dst[di]."""
    ip_l = _IP_L
    ip_r = _IP_R
    lh = ll = rh = rl = 0
    for b in range(8):
        v = src[si + b]
        h = v >> 4
        v &= 15
        lh |= ip_l[h] << b
        rh |= ip_r[h] << b
        ll |= ip_l[v] << b
        rl |= ip_r[v] << b
    l1 = expand_1(lh, ll)
    l2 = expand_2(lh, ll)
    r1 = expand_1(rh, rl)
    r2 = expand_2(rh, rl)
    sp = SP
    for ks in passes:
        for n in range(0, 32, 2):
            # f(R): each S-box's entry, E(P(S(input))) as two words, read from the SP bytes; S-box 8
            # takes the lowest 6 bits of the second word, S-box 1 the highest of the first.
            x = r1 ^ ks[n]
            v = r2 ^ ks[n + 1]
            w1 = w2 = 0
            for o in range(2688, -1, -384):
                if o == 1152:
                    v = x
                i = o + 6 * (v & 63)
                w1 ^= sp[i] << 16 | sp[i + 1] << 8 | sp[i + 2]
                w2 ^= sp[i + 3] << 16 | sp[i + 4] << 8 | sp[i + 5]
                v >>= 6
            l1, r1 = r1, l1 ^ w1
            l2, r2 = r2, l2 ^ w2
        l1, r1 = r1, l1
        l2, r2 = r2, l2
    # Each word holds two preoutput bytes as the middle 4 bits of its 6-bit
    # windows; the bytes of l1, l2, r1, r2 land at bits (6, 4), (2, 0), (7, 5), (3, 1).
    fp_a = _FP_A
    fp_b = _FP_B
    q0 = q1 = q2 = q3 = 0
    s = 6
    for e in (l1, l2, r1, r2):
        h = (e >> 19) & 15
        v = (e >> 13) & 15
        q2 |= fp_a[h] << s
        q3 |= fp_b[h] << s
        q0 |= fp_a[v] << s
        q1 |= fp_b[v] << s
        h = (e >> 7) & 15
        v = (e >> 1) & 15
        q2 |= fp_a[h] << (s - 2)
        q3 |= fp_b[h] << (s - 2)
        q0 |= fp_a[v] << (s - 2)
        q1 |= fp_b[v] << (s - 2)
        s = 7 if s == 2 else s - 4
    dst[di] = q0 >> 8
    dst[di + 1] = q0 & 255
    dst[di + 2] = q1 >> 8
    dst[di + 3] = q1 & 255
    dst[di + 4] = q2 >> 8
    dst[di + 5] = q2 & 255
    dst[di + 6] = q3 >> 8
    dst[di + 7] = q3 & 255


def _block(passes, block8):
    """One checked block through the passes, as new bytes."""
    if len(block8) != 8:
        raise DesError("DES block must be 8 bytes, not %d" % len(block8))
    out = bytearray(8)
    _crypt(passes, block8, 0, out, 0)
    return bytes(out)


def _single_key(key8):
    """The cache entry of a key that must be single DES."""
    if len(key8) != 8:
        raise DesError("single DES key must be 8 bytes, not %d" % len(key8))
    return _passes(key8)


def des_encrypt_block(key8, block8):
    """Single DES encryption of one block (the CUP MAC's cipher)."""
    return _block(_single_key(key8)[1], block8)


def des_decrypt_block(key8, block8):
    """Single DES decryption of one block."""
    return _block(_single_key(key8)[2], block8)


def tdes_encrypt_block(key, block8):
    """3DES (EDE) encryption of one block; a 16-byte key is K1K2K1, an 8-byte key single DES."""
    return _block(_passes(key)[1], block8)


def tdes_decrypt_block(key, block8):
    """3DES (DED) decryption of one block, keys as tdes_encrypt_block."""
    return _block(_passes(key)[2], block8)


def _ecb(passes, data):
    """Each 8-byte block of data through the passes, into one new buffer."""
    n = len(data)
    if n % 8:
        raise DesError("ECB data must be a multiple of 8 bytes, not %d" % n)
    out = bytearray(n)
    for off in range(0, n, 8):
        _crypt(passes, data, off, out, off)
    return bytes(out)


def ecb_encrypt(key, data):
    """ECB encryption: DES for an 8-byte key, 3DES for 16 or 24 bytes."""
    return _ecb(_passes(key)[1], data)


def ecb_decrypt(key, data):
    """ECB decryption, e.g. of working keys sent under the TMK at sign-in."""
    return _ecb(_passes(key)[2], data)


def check_value(key):
    """Key check value: the first 4 bytes of the key encrypting 8 zero bytes."""
    return _block(_passes(key)[1], _ZERO_BLOCK)[:4]
