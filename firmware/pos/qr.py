# QR codes (ISO/IEC 18004), as the terminal shows and prints its payment code (扫码, docs/qr.md):
# byte mode, error correction level M, versions 1 to 10 (up to 213 bytes), the data mask the
# four penalty rules choose. encode() gives a Qr, its modules packed one bit each; fit(), draw()
# (the LCD's fill_rect runs) and raster_rows() / image() (the printer's rows, pos.escpos's layout)
# put it on glass or paper.
#
# The symbol is built in one bytearray of a byte a module: bit 0 dark, bit 1 a function module
# (finders, separators, timing, alignment, format and version information), which no mask
# touches. Each mask is applied to it in place, scored and taken off again (a mask is its own
# inverse), so choosing among the eight needs no second copy; the Qr keeps only the packed bits.
#
# pos.flows.qrpay shows it on the LCD (the runtime's shell draws it) and prints it.
from pos import const

MAX_VERSION = const(10)
QUIET = const(4)  # the light margin around a symbol, in modules
_DARK = const(1)
_FUNCTION = const(2)
_MASK_ROWS = const(12)  # every mask repeats every 12 rows (and every 6 columns)

# ISO/IEC 18004:2015 Table 9, level M, versions 1..10: EC codewords per block, blocks in group
# 1, data codewords in each of its blocks, blocks in group 2 (each one data codeword more).
_BLOCKS = (
    b"\x0a\x01\x10\x00"  # 1: 26 codewords, 16 data
    b"\x10\x01\x1c\x00"  # 2: 44, 28
    b"\x1a\x01\x2c\x00"  # 3: 70, 44
    b"\x12\x02\x20\x00"  # 4: 100, 64
    b"\x18\x02\x2b\x00"  # 5: 134, 86
    b"\x10\x04\x1b\x00"  # 6: 172, 108
    b"\x12\x04\x1f\x00"  # 7: 196, 124
    b"\x16\x02\x26\x02"  # 8: 242, 154
    b"\x16\x03\x24\x02"  # 9: 292, 182
    b"\x1a\x04\x2b\x01"  # 10: 346, 216
)
# Annex E: the alignment patterns' centre rows/columns besides 6, per version (0: none).
_ALIGN = b"\x00\x00\x12\x00\x16\x00\x1a\x00\x1e\x00\x22\x00\x16\x26\x18\x2a\x1a\x2e\x1c\x32"

# GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D): _EXP[i] = 2^i for i in 0..509
# (doubled, so a sum of two logs needs no modulo), _LOG[_EXP[i]] = i.
_EXP = (
    b"\x01\x02\x04\x08\x10\x20\x40\x80\x1d\x3a\x74\xe8\xcd\x87\x13\x26\x4c\x98\x2d\x5a\xb4\x75\xea\xc9"
    b"\x8f\x03\x06\x0c\x18\x30\x60\xc0\x9d\x27\x4e\x9c\x25\x4a\x94\x35\x6a\xd4\xb5\x77\xee\xc1\x9f\x23"
    b"\x46\x8c\x05\x0a\x14\x28\x50\xa0\x5d\xba\x69\xd2\xb9\x6f\xde\xa1\x5f\xbe\x61\xc2\x99\x2f\x5e\xbc"
    b"\x65\xca\x89\x0f\x1e\x3c\x78\xf0\xfd\xe7\xd3\xbb\x6b\xd6\xb1\x7f\xfe\xe1\xdf\xa3\x5b\xb6\x71\xe2"
    b"\xd9\xaf\x43\x86\x11\x22\x44\x88\x0d\x1a\x34\x68\xd0\xbd\x67\xce\x81\x1f\x3e\x7c\xf8\xed\xc7\x93"
    b"\x3b\x76\xec\xc5\x97\x33\x66\xcc\x85\x17\x2e\x5c\xb8\x6d\xda\xa9\x4f\x9e\x21\x42\x84\x15\x2a\x54"
    b"\xa8\x4d\x9a\x29\x52\xa4\x55\xaa\x49\x92\x39\x72\xe4\xd5\xb7\x73\xe6\xd1\xbf\x63\xc6\x91\x3f\x7e"
    b"\xfc\xe5\xd7\xb3\x7b\xf6\xf1\xff\xe3\xdb\xab\x4b\x96\x31\x62\xc4\x95\x37\x6e\xdc\xa5\x57\xae\x41"
    b"\x82\x19\x32\x64\xc8\x8d\x07\x0e\x1c\x38\x70\xe0\xdd\xa7\x53\xa6\x51\xa2\x59\xb2\x79\xf2\xf9\xef"
    b"\xc3\x9b\x2b\x56\xac\x45\x8a\x09\x12\x24\x48\x90\x3d\x7a\xf4\xf5\xf7\xf3\xfb\xeb\xcb\x8b\x0b\x16"
    b"\x2c\x58\xb0\x7d\xfa\xe9\xcf\x83\x1b\x36\x6c\xd8\xad\x47\x8e\x01\x02\x04\x08\x10\x20\x40\x80\x1d"
    b"\x3a\x74\xe8\xcd\x87\x13\x26\x4c\x98\x2d\x5a\xb4\x75\xea\xc9\x8f\x03\x06\x0c\x18\x30\x60\xc0\x9d"
    b"\x27\x4e\x9c\x25\x4a\x94\x35\x6a\xd4\xb5\x77\xee\xc1\x9f\x23\x46\x8c\x05\x0a\x14\x28\x50\xa0\x5d"
    b"\xba\x69\xd2\xb9\x6f\xde\xa1\x5f\xbe\x61\xc2\x99\x2f\x5e\xbc\x65\xca\x89\x0f\x1e\x3c\x78\xf0\xfd"
    b"\xe7\xd3\xbb\x6b\xd6\xb1\x7f\xfe\xe1\xdf\xa3\x5b\xb6\x71\xe2\xd9\xaf\x43\x86\x11\x22\x44\x88\x0d"
    b"\x1a\x34\x68\xd0\xbd\x67\xce\x81\x1f\x3e\x7c\xf8\xed\xc7\x93\x3b\x76\xec\xc5\x97\x33\x66\xcc\x85"
    b"\x17\x2e\x5c\xb8\x6d\xda\xa9\x4f\x9e\x21\x42\x84\x15\x2a\x54\xa8\x4d\x9a\x29\x52\xa4\x55\xaa\x49"
    b"\x92\x39\x72\xe4\xd5\xb7\x73\xe6\xd1\xbf\x63\xc6\x91\x3f\x7e\xfc\xe5\xd7\xb3\x7b\xf6\xf1\xff\xe3"
    b"\xdb\xab\x4b\x96\x31\x62\xc4\x95\x37\x6e\xdc\xa5\x57\xae\x41\x82\x19\x32\x64\xc8\x8d\x07\x0e\x1c"
    b"\x38\x70\xe0\xdd\xa7\x53\xa6\x51\xa2\x59\xb2\x79\xf2\xf9\xef\xc3\x9b\x2b\x56\xac\x45\x8a\x09\x12"
    b"\x24\x48\x90\x3d\x7a\xf4\xf5\xf7\xf3\xfb\xeb\xcb\x8b\x0b\x16\x2c\x58\xb0\x7d\xfa\xe9\xcf\x83\x1b"
    b"\x36\x6c\xd8\xad\x47\x8e"
)
_LOG = (
    b"\x00\x00\x01\x19\x02\x32\x1a\xc6\x03\xdf\x33\xee\x1b\x68\xc7\x4b\x04\x64\xe0\x0e\x34\x8d\xef\x81"
    b"\x1c\xc1\x69\xf8\xc8\x08\x4c\x71\x05\x8a\x65\x2f\xe1\x24\x0f\x21\x35\x93\x8e\xda\xf0\x12\x82\x45"
    b"\x1d\xb5\xc2\x7d\x6a\x27\xf9\xb9\xc9\x9a\x09\x78\x4d\xe4\x72\xa6\x06\xbf\x8b\x62\x66\xdd\x30\xfd"
    b"\xe2\x98\x25\xb3\x10\x91\x22\x88\x36\xd0\x94\xce\x8f\x96\xdb\xbd\xf1\xd2\x13\x5c\x83\x38\x46\x40"
    b"\x1e\x42\xb6\xa3\xc3\x48\x7e\x6e\x6b\x3a\x28\x54\xfa\x85\xba\x3d\xca\x5e\x9b\x9f\x0a\x15\x79\x2b"
    b"\x4e\xd4\xe5\xac\x73\xf3\xa7\x57\x07\x70\xc0\xf7\x8c\x80\x63\x0d\x67\x4a\xde\xed\x31\xc5\xfe\x18"
    b"\xe3\xa5\x99\x77\x26\xb8\xb4\x7c\x11\x44\x92\xd9\x23\x20\x89\x2e\x37\x3f\xd1\x5b\x95\xbc\xcf\xcd"
    b"\x90\x87\x97\xb2\xdc\xfc\xbe\x61\xf2\x56\xd3\xab\x14\x2a\x5d\x9e\x84\x3c\x39\x53\x47\x6d\x41\xa2"
    b"\x1f\x2d\x43\xd8\xb7\x7b\xa4\x76\xc4\x17\x49\xec\x7f\x0c\x6f\xf6\x6c\xa1\x3b\x52\x29\x9d\x55\xaa"
    b"\xfb\x60\x86\xb1\xbb\xcc\x3e\x5a\xcb\x59\x5f\xb0\x9c\xa9\xa0\x51\x0b\xf5\x16\xeb\x7a\x75\x2c\xd7"
    b"\x4f\xae\xd5\xe9\xe6\xe7\xad\xe8\x74\xd6\xf4\xea\xa8\x50\x58\xaf"
)


class QrError(ValueError):
    pass


def capacity(version):
    """The bytes a version's level-M symbol holds in byte mode: its data codewords less the
    mode (4 bits) and the count (8 bits; 16 from version 10)."""
    if not 1 <= version <= MAX_VERSION:
        raise QrError("version %r: 1 to %d" % (version, MAX_VERSION))
    b = (version - 1) * 4
    data = _BLOCKS[b + 1] * _BLOCKS[b + 2] + _BLOCKS[b + 3] * (_BLOCKS[b + 2] + 1)
    return (data * 8 - 4 - _count_bits(version)) >> 3


def _count_bits(version):
    return 8 if version < 10 else 16


def format_bits(mask):
    """The 15 bits of format information for level M and a mask: 00 and the mask's 3 bits, then
    BCH(15,5) with generator 0x537, XOR-ed with 0x5412."""
    rem = mask << 10
    for i in range(14, 9, -1):
        if rem >> i & 1:
            rem ^= 0x537 << (i - 10)
    return (mask << 10 | rem) ^ 0x5412


def version_bits(version):
    """The 18 bits of version information (versions 7 and up): the version's 6 bits, then
    BCH(18,6) with generator 0x1F25."""
    rem = version << 12
    for i in range(17, 11, -1):
        if rem >> i & 1:
            rem ^= 0x1F25 << (i - 12)
    return version << 12 | rem


class Qr:
    """A QR symbol: its version, size (modules a side), mask, and its modules in bits, packed one
    bit each (1 dark), stride bytes a row, the MSB the leftmost module."""

    def __init__(self, version, mask, bits):
        self.version = version
        self.size = 17 + 4 * version
        self.stride = (self.size + 7) >> 3
        self.mask = mask
        self.bits = bits

    def module(self, x, y):
        """True where the module in column x, row y is dark; False outside the symbol (the quiet
        zone is light)."""
        if not (0 <= x < self.size and 0 <= y < self.size):
            return False
        return self.bits[y * self.stride + (x >> 3)] >> (7 - (x & 7)) & 1 == 1


def encode(data, max_version=MAX_VERSION):
    """The Qr of data (bytes, or a str taken as UTF-8) in byte mode at level M: the smallest
    version that holds it, the mask with the least penalty (the first of a tie). QrError for
    nothing to encode, something not bytes or str, or more than version max_version holds."""
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, (bytes, bytearray, memoryview)):
        raise QrError("a QR code holds bytes or a str, not %s" % type(data).__name__)
    if not isinstance(max_version, int) or not 1 <= max_version <= MAX_VERSION:
        raise QrError("max_version %r: 1 to %d" % (max_version, MAX_VERSION))
    n = len(data)
    if not n:
        raise QrError("nothing to encode")
    version = 1
    while capacity(version) < n:
        if version == max_version:
            raise QrError("%d bytes: a QR code of version %d, level M, holds at most %d"
                          % (n, max_version, capacity(max_version)))
        version += 1
    size = 17 + 4 * version
    grid = _function_patterns(version, size)
    _place(grid, size, _codewords(data, version))
    pattern = bytearray(_MASK_ROWS * size)
    best = 0
    least = -1
    for mask in range(8):
        _mask_pattern(mask, size, pattern)
        dark = _apply(grid, size, pattern)
        _put_format(grid, size, mask)
        score = _penalty(grid, size, dark, least)
        _apply(grid, size, pattern)
        if least < 0 or score < least:
            best = mask
            least = score
    _mask_pattern(best, size, pattern)
    _apply(grid, size, pattern)
    _put_format(grid, size, best)
    stride = (size + 7) >> 3
    bits = bytearray(stride * size)
    i = 0
    for y in range(size):
        base = y * stride
        for x in range(size):
            if grid[i] & _DARK:
                bits[base + (x >> 3)] |= 0x80 >> (x & 7)
            i += 1
    return Qr(version, best, bits)


# The codewords

def _codewords(data, version):
    """The data codewords (mode, count, data, terminator, pad) split into the version's blocks,
    each block's Reed-Solomon codewords after them, all interleaved as they are placed."""
    b = (version - 1) * 4
    ec = _BLOCKS[b]
    n1 = _BLOCKS[b + 1]
    k1 = _BLOCKS[b + 2]
    n2 = _BLOCKS[b + 3]
    blocks = n1 + n2
    ndata = n1 * k1 + n2 * (k1 + 1)
    stream = bytearray(ndata)
    count = _count_bits(version)
    acc = 4 << count | len(data)  # mode 0100: bytes
    nbits = 4 + count
    i = 0
    for byte in data:
        acc = acc << 8 | byte
        nbits += 8
        while nbits >= 8:
            nbits -= 8
            stream[i] = acc >> nbits & 255
            i += 1
        acc &= (1 << nbits) - 1
    stream[i] = acc << 4  # the last 4 bits and the terminator 0000: capacity() leaves room
    i += 1
    pad = 0xEC
    while i < ndata:
        stream[i] = pad
        pad ^= 0xEC ^ 0x11
        i += 1
    out = bytearray(ndata + blocks * ec)
    rem = bytearray(ec)
    gen = _generator(ec)
    view = memoryview(stream)
    start = 0
    for blk in range(blocks):
        k = k1 if blk < n1 else k1 + 1
        for i in range(k1):
            out[i * blocks + blk] = stream[start + i]
        if k > k1:
            out[k1 * blocks + blk - n1] = stream[start + k1]
        _remainder(view[start:start + k], gen, rem)
        for j in range(ec):
            out[ndata + j * blocks + blk] = rem[j]
        start += k
    return out


def _generator(degree):
    """The logs of the Reed-Solomon generator's coefficients, (x - 2^0)...(x - 2^(degree-1)),
    highest degree first, less the leading 1 (none of them is 0)."""
    gen = bytearray(degree + 1)
    gen[0] = 1
    for i in range(degree):
        for j in range(i + 1, 0, -1):
            c = gen[j - 1]
            if c:
                gen[j] ^= _EXP[_LOG[c] + i]
    logs = bytearray(degree)
    for j in range(degree):
        logs[j] = _LOG[gen[j + 1]]
    return logs


def _remainder(block, gen, rem):
    """rem = block(x) * x^len(rem) mod the generator: the block's EC codewords."""
    n = len(rem)
    last = n - 1
    exp = _EXP
    for j in range(n):
        rem[j] = 0
    for d in block:
        f = d ^ rem[0]
        if f:
            lf = _LOG[f]
            for j in range(last):
                rem[j] = rem[j + 1] ^ exp[gen[j] + lf]
            rem[last] = exp[gen[last] + lf]
        else:
            for j in range(last):
                rem[j] = rem[j + 1]
            rem[last] = 0


# The symbol

def _function_patterns(version, size):
    """A grid of the version with its function modules set (format information for mask 0)."""
    grid = bytearray(size * size)
    for i in range(size):  # timing: dark on even rows and columns
        v = _FUNCTION | (i & 1 ^ 1)
        grid[6 * size + i] = v
        grid[i * size + 6] = v
    _finder(grid, size, 0, 0)
    _finder(grid, size, size - 7, 0)
    _finder(grid, size, 0, size - 7)
    if version > 1:
        a = _ALIGN[2 * version - 2]
        b = _ALIGN[2 * version - 1]
        centres = (6, a, b) if b else (6, a)
        last = centres[-1]
        for cy in centres:
            for cx in centres:
                if not ((cx == 6 and (cy == 6 or cy == last)) or (cy == 6 and cx == last)):
                    _alignment(grid, size, cx, cy)
    _put_format(grid, size, 0)
    grid[(size - 8) * size + 8] = _FUNCTION | _DARK  # the dark module beside the lower format copy
    if version >= 7:
        bits = version_bits(version)
        for i in range(18):
            v = _FUNCTION | (bits >> i & 1)
            grid[(i // 3) * size + size - 11 + i % 3] = v  # above the top right finder
            grid[(size - 11 + i % 3) * size + i // 3] = v  # left of the bottom left finder
    return grid


def _finder(grid, size, x0, y0):
    """A finder pattern with its top left corner at x0, y0, and its light separator."""
    for dy in range(-1, 8):
        y = y0 + dy
        if 0 <= y < size:
            for dx in range(-1, 8):
                x = x0 + dx
                if 0 <= x < size:
                    d = max(abs(dx - 3), abs(dy - 3))  # rings: 0-1 dark, 2 light, 3 dark, 4 separator
                    grid[y * size + x] = _FUNCTION | _DARK if d != 2 and d != 4 else _FUNCTION


def _alignment(grid, size, cx, cy):
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            ring = max(abs(dx), abs(dy))
            grid[(cy + dy) * size + cx + dx] = _FUNCTION if ring == 1 else _FUNCTION | _DARK


def _put_format(grid, size, mask):
    """The format information of level M and mask, both copies."""
    bits = format_bits(mask)
    for i in range(15):
        v = _FUNCTION | (bits >> i & 1)
        # Around the top left finder: up column 8 from row 0, then along row 8 to column 0.
        if i < 6:
            grid[i * size + 8] = v
        elif i < 8:
            grid[(i + 1) * size + 8] = v
        elif i == 8:
            grid[8 * size + 7] = v
        else:
            grid[8 * size + 14 - i] = v
        # Along row 8 under the top right finder, then down column 8 beside the bottom left one.
        if i < 8:
            grid[8 * size + size - 1 - i] = v
        else:
            grid[(size - 15 + i) * size + 8] = v


def _place(grid, size, codewords):
    """The codewords' bits, MSB first, up and down two-module columns from the bottom right,
    over the modules no function pattern holds; those left over stay light."""
    total = len(codewords) * 8
    i = 0
    x = size - 1
    up = True
    while x > 0:
        if x == 6:  # the vertical timing pattern: the column pairs shift left past it
            x = 5
        for k in range(size):
            row = (size - 1 - k if up else k) * size
            for at in (row + x, row + x - 1):
                if not grid[at] & _FUNCTION:
                    if i < total and codewords[i >> 3] >> (7 - (i & 7)) & 1:
                        grid[at] = _DARK
                    i += 1
        up = not up
        x -= 2


# The masks

def _mask_pattern(mask, size, pattern):
    """pattern[r * size + x] = 1 where the mask flips column x of rows r, r + 12, r + 24, ..."""
    i = 0
    for y in range(_MASK_ROWS):
        for x in range(size):
            if mask == 0:
                flip = (y + x) % 2 == 0
            elif mask == 1:
                flip = y % 2 == 0
            elif mask == 2:
                flip = x % 3 == 0
            elif mask == 3:
                flip = (y + x) % 3 == 0
            elif mask == 4:
                flip = (y // 2 + x // 3) % 2 == 0
            elif mask == 5:
                flip = y * x % 2 + y * x % 3 == 0
            elif mask == 6:
                flip = (y * x % 2 + y * x % 3) % 2 == 0
            else:
                flip = ((y + x) % 2 + y * x % 3) % 2 == 0
            pattern[i] = 1 if flip else 0
            i += 1


def _apply(grid, size, pattern):
    """Flip the data modules the pattern marks (applied twice, a mask is undone); the dark
    modules of the whole symbol after."""
    dark = 0
    i = 0
    for y in range(size):
        p = (y % _MASK_ROWS) * size
        for x in range(size):
            v = grid[i]
            if v < _FUNCTION and pattern[p + x]:
                v ^= _DARK
                grid[i] = v
            dark += v & _DARK
            i += 1
    return dark


def _penalty(grid, size, dark, enough):
    """The four rules' penalty of the symbol as it stands; once it reaches enough (when not
    negative) the sum so far, as that mask cannot win."""
    total = size * size
    score = abs(dark * 20 - total * 10) // total * 10  # rule 4: 10 a 5% step away from half dark
    for i in range(size):
        score += _line(grid, i * size, 1, size) + _line(grid, i, size, size)
        if 0 <= enough <= score:
            return score
    for y in range(size - 1):  # rule 2: 3 for each 2x2 square of one colour
        i = y * size
        for x in range(size - 1):
            v = grid[i] & _DARK
            if (grid[i + 1] & _DARK) == v and (grid[i + size] & _DARK) == v and (grid[i + size + 1] & _DARK) == v:
                score += 3
            i += 1
        if 0 <= enough <= score:
            return score
    return score


def _line(grid, i, step, n):
    """Rules 1 and 3 on one row or column: 3 + (run - 5) for each run of 5 or more modules of
    one colour; 40 for each 1:1:3:1:1 finder look-alike with 4 light modules on a side (each side
    counts), beyond the symbol's edge the quiet zone, light."""
    score = 0
    window = 0  # the last 11 modules, the newest in bit 0
    colour = 2
    run = 0
    for _ in range(n):
        v = grid[i] & _DARK
        i += step
        window = (window << 1 | v) & 0x7FF
        if window == 0x5D or window == 0x5D0:  # 0000 1011101 and 1011101 0000
            score += 40
        if v == colour:
            run += 1
        else:
            if run >= 5:
                score += run - 2
            colour = v
            run = 1
    if run >= 5:
        score += run - 2
    for _ in range(4):  # the quiet zone after the last module
        window = window << 1 & 0x7FF
        if window == 0x5D0:
            score += 40
    return score


# Rendering

WIDTH_DOTS = const(384)  # the printer's row, pos.escpos.WIDTH_DOTS (58 mm paper, 8 dots/mm)
PRINT_SCALE = const(4)  # dots a module on paper: 0.5 mm, what a phone's camera reads at arm's length


def fit(qr, width, height, quiet=QUIET):
    """The largest whole scale at which qr and its quiet zone fit width x height pixels (0 when
    even scale 1 does not)."""
    side = qr.size + 2 * quiet
    return (width if width < height else height) // side


def _run_end(bits, base, x, size):
    """The first column from x on whose module is light (size at the row's end)."""
    while x < size and bits[base + (x >> 3)] >> (7 - (x & 7)) & 1:
        x += 1
    return x


def draw(qr, fill_rect, x0, y0, scale, dark=0x0000, light=0xFFFF, quiet=QUIET):
    """Draw qr with fill_rect(x, y, w, h, colour) (the LCD's and framebuf's call): the symbol
    and its quiet zone as one light square, (size + 2 quiet) * scale pixels a side with its top
    left corner at x0, y0, then each row's runs of dark modules as one rectangle each."""
    if scale < 1 or quiet < 0:
        raise ValueError("scale %r, quiet zone %r" % (scale, quiet))
    size = qr.size
    side = (size + 2 * quiet) * scale
    fill_rect(x0, y0, side, side, light)
    left = x0 + quiet * scale
    top = y0 + quiet * scale
    bits = qr.bits
    stride = qr.stride
    for y in range(size):
        base = y * stride
        x = 0
        while x < size:
            end = _run_end(bits, base, x, size)
            if end > x:
                fill_rect(left + x * scale, top + y * scale, (end - x) * scale, scale, dark)
                x = end
            else:
                x += 1


def raster_height(qr, scale, quiet=QUIET):
    """How many rows raster_rows(qr, scale, ..., quiet) gives."""
    return (qr.size + 2 * quiet) * scale


def raster_rows(qr, scale, width_dots=WIDTH_DOTS, quiet=QUIET):
    """Generator of qr as printer rows, top to bottom, quiet zone included (raster_height()
    of them): width_dots / 8 bytes each, MSB the leftmost dot (pos.escpos's raster layout), a
    module scale x scale dots, the symbol centred across. Each row is a memoryview of one
    buffer, valid until the next is asked for. ValueError, before any row, when it is too wide."""
    if width_dots & 7 or not 8 <= width_dots <= 2040:
        raise ValueError("paper width must be a multiple of 8 dots, at most 2040")
    if scale < 1 or quiet < 0:
        raise ValueError("scale %r, quiet zone %r" % (scale, quiet))
    if (qr.size + 2 * quiet) * scale > width_dots:
        raise ValueError("a version %d QR code at scale %d is %d dots wide with its quiet zone: more than %d"
                         % (qr.version, scale, (qr.size + 2 * quiet) * scale, width_dots))
    return _rows(qr, scale, width_dots >> 3, quiet)


def _rows(qr, scale, stride, quiet):
    row = bytearray(stride)
    view = memoryview(row)
    size = qr.size
    bits = qr.bits
    left = ((stride << 3) - size * scale) >> 1
    for _ in range(quiet * scale):
        yield view
    for y in range(size):
        for i in range(stride):
            row[i] = 0
        base = y * qr.stride
        x = 0
        while x < size:
            end = _run_end(bits, base, x, size)
            if end > x:
                _ink(row, left + x * scale, left + end * scale)
                x = end
            else:
                x += 1
        for _ in range(scale):
            yield view
    for i in range(stride):
        row[i] = 0
    for _ in range(quiet * scale):
        yield view


def _ink(row, a, b):
    """Dots a to b - 1 of a row in ink."""
    while a < b and a & 7:
        row[a >> 3] |= 0x80 >> (a & 7)
        a += 1
    while a + 8 <= b:
        row[a >> 3] = 0xFF
        a += 8
    while a < b:
        row[a >> 3] |= 0x80 >> (a & 7)
        a += 1


def image(qr, scale=PRINT_SCALE, width_dots=WIDTH_DOTS, quiet=QUIET):
    """A QR code on a slip (a pos.escpos.Rows), as pos.receipt.Ink puts the signature there: yield
    (image, IMAGE) image.lines() times in a slip's lines; pos.escpos takes the next rows each time."""
    from pos.escpos import Rows
    return Rows(raster_rows(qr, scale, width_dots, quiet), raster_height(qr, scale, quiet), width_dots >> 3)
