"""DES and 3DES (FIPS 46-3, SP 800-67) for the PIN block, MAC and key check values.

MicroPython's cryptolib has AES only. Small ints on the ESP32 are 31-bit
signed, so a 32-bit DES half would be a heap-allocated big int on every
operation; here no value ever reaches 2**30:

- the state between rounds is each half expanded by E: 48 bits kept as two
  24-bit words (S-boxes 1-4, S-boxes 5-8), so a round key XORs in with two
  operations and each S-box index is a shift and a mask;
- the SP tables give E(P(S(x))) for each S-box, already expanded, as two
  24-bit words, so the new half is XORed in without re-expanding;
- the initial and final permutations (and PC-1) are bit-matrix transposes,
  done with 16-entry tables on 16-bit quarters; the key schedule rotates
  28-bit C and D halves and applies PC-2 through nibble tables.

3DES runs the initial permutation once and the final permutation once (the
ones between the three DES passes cancel). Key schedules are cached for the
last few keys, because a terminal uses the same PIK and MAK for many blocks.
"""

from array import array

from pos import const

_CACHE_SIZE = const(4)
_MASK28 = const(0xFFFFFFF)


class DesError(ValueError):
    """A key or data length DES cannot use."""


# FIPS 46-3 tables, bit numbers counted from 1 at the most significant bit.
# S-boxes 1-8, four rows of 16 entries each, one hex digit per entry.
_S_BOXES = (
    "E4D12FB83A6C5907" "0F74E2D1A6CB9538" "41E8D62BFC973A50" "FC8249175B3EA06D"
    "F18E6B34972DC05A" "3D47F28EC01A69B5" "0E7BA4D158C6932F" "D8A13F42B67C05E9"
    "A09E63F51DC7B428" "D709346A285ECBF1" "D6498F30B12C5AE7" "1AD069874FE3B52C"
    "7DE3069A1285BC4F" "D8B56F03472C1AE9" "A690CB7DF13E5284" "3F06A1D8945BC72E"
    "2C417AB6853FD0E9" "EB2C47D150FA3986" "421BAD78F9C5630E" "B8C71E2D6F09A453"
    "C1AF92680D34E75B" "AF427C9561DE0B38" "9EF528C3704A1DB6" "432C95FABE17608D"
    "4B2EF08D3C975A61" "D0B7491AE35C2F86" "14BDC37EAF680592" "6BD814A7950FE23C"
    "D2846FB1A93E50C7" "1FD8A374C56B0E92" "7B419CE206ADF358" "21E74A8DFC90356B"
)

_P = (
    16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
    2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
)

# PC-2 takes its first 24 bits from C (bits 1-28), the rest from D (29-56).
_PC2 = (
    14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
    23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
    41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
    44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
)

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
_PC1_C = tuple((h & 8) << 17 | (h & 4) << 10 | (h & 2) << 3 for h in range(16))
_PC1_D = tuple((v & 2) << 19 | (v & 4) << 10 | (v & 8) << 1 for v in range(16))

_ZERO_BLOCK = bytes(8)


def _spread(bits18):
    """Four overlapping 6-bit windows of 18 bits, side by side: half of E."""
    return (((bits18 & 0x3F000) << 6) | ((bits18 & 0x3F00) << 4)
            | ((bits18 & 0x3F0) << 2) | (bits18 & 0x3F))


def _expand_1(hi16, lo16):
    """E bits 1-24 (S-boxes 1-4) of the half hi16:lo16: its bits 32, 1-17."""
    return _spread(((lo16 & 1) << 17) | (hi16 << 1) | (lo16 >> 15))


def _expand_2(hi16, lo16):
    """E bits 25-48 (S-boxes 5-8) of the half hi16:lo16: its bits 16-32, 1."""
    return _spread(((hi16 & 1) << 17) | (lo16 << 1) | (hi16 >> 15))


def _nibble_table(selection, first, in_bits):
    """Entry 16*p + v: the output bits a bit selection takes from input nibble p valued v."""
    table = array("I", bytes(in_bits * 16))
    top = len(selection) - 1
    for o in range(len(selection)):
        src = selection[o] - first
        p = src >> 2
        bit = 8 >> (src & 3)
        for v in range(16):
            if v & bit:
                table[p * 16 + v] |= 1 << (top - o)
    return table


def _sp_tables():
    """E(P(S-box output)) per S-box and 6-bit input: 8 arrays of first words, 8 of second."""
    into_1 = []
    into_2 = []
    for m in range(32):
        k = _P.index(m + 1)
        hi16 = 0x8000 >> k if k < 16 else 0
        lo16 = 0x8000 >> (k - 16) if k >= 16 else 0
        into_1.append(_expand_1(hi16, lo16))
        into_2.append(_expand_2(hi16, lo16))
    words_1 = []
    words_2 = []
    for box in range(8):
        w1 = array("I", bytes(256))
        w2 = array("I", bytes(256))
        for x in range(64):
            s = int(_S_BOXES[box * 64 + ((x >> 4) & 2 | x & 1) * 16 + ((x >> 1) & 15)], 16)
            for t in range(4):
                if s & (8 >> t):
                    w1[x] ^= into_1[box * 4 + t]
                    w2[x] ^= into_2[box * 4 + t]
        words_1.append(w1)
        words_2.append(w2)
    return tuple(words_1), tuple(words_2)


_SP_1, _SP_2 = _sp_tables()
_PC2_C = _nibble_table(_PC2[:24], 1, 28)
_PC2_D = _nibble_table(_PC2[24:], 29, 28)

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
            k1 |= _PC2_C[p * 16 + ((c >> shift) & 15)]
            k2 |= _PC2_D[p * 16 + ((d >> shift) & 15)]
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
    l1 = _expand_1(lh, ll)
    l2 = _expand_2(lh, ll)
    r1 = _expand_1(rh, rl)
    r2 = _expand_2(rh, rl)
    a1, a2, a3, a4, a5, a6, a7, a8 = _SP_1
    b1, b2, b3, b4, b5, b6, b7, b8 = _SP_2
    for ks in passes:
        for n in range(0, 32, 4):
            x = r1 ^ ks[n]
            y = r2 ^ ks[n + 1]
            i1 = x >> 18
            i2 = (x >> 12) & 63
            i3 = (x >> 6) & 63
            i4 = x & 63
            i5 = y >> 18
            i6 = (y >> 12) & 63
            i7 = (y >> 6) & 63
            i8 = y & 63
            l1 ^= a1[i1] ^ a2[i2] ^ a3[i3] ^ a4[i4] ^ a5[i5] ^ a6[i6] ^ a7[i7] ^ a8[i8]
            l2 ^= b1[i1] ^ b2[i2] ^ b3[i3] ^ b4[i4] ^ b5[i5] ^ b6[i6] ^ b7[i7] ^ b8[i8]
            x = l1 ^ ks[n + 2]
            y = l2 ^ ks[n + 3]
            i1 = x >> 18
            i2 = (x >> 12) & 63
            i3 = (x >> 6) & 63
            i4 = x & 63
            i5 = y >> 18
            i6 = (y >> 12) & 63
            i7 = (y >> 6) & 63
            i8 = y & 63
            r1 ^= a1[i1] ^ a2[i2] ^ a3[i3] ^ a4[i4] ^ a5[i5] ^ a6[i6] ^ a7[i7] ^ a8[i8]
            r2 ^= b1[i1] ^ b2[i2] ^ b3[i3] ^ b4[i4] ^ b5[i5] ^ b6[i6] ^ b7[i7] ^ b8[i8]
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
