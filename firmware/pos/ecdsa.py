"""ECDSA P-256 (secp256r1) verification of a SHA-256 digest, in Python ints.

Why this scheme (docs/update.md): MicroPython's hashlib has SHA-256 (in
hardware on the ESP32) but no SHA-512, which Ed25519 needs; so only the
curve arithmetic is ours. MicroPython's ints are arbitrary precision.

- Points are Jacobian (X, Y, Z), x = X/Z^2, y = Y/Z^3; Z == 0 is the point
  at infinity. Doubling uses a = -3 (dbl-2001-b), additions add an affine
  point (madd-2007-bl), so no inversion happens inside the loop.
- u1*G + u2*Q is one pass of Shamir's trick over 2-bit windows of both
  scalars: a table of i*G + j*Q (i, j in 0..3), made affine with a single
  inversion (Montgomery's trick), then 2 doublings and at most 1 addition
  per 2 bits.
- The only inversions are pow(x, m - 2, m) (p and n are prime); the result
  is compared as r*Z^2 == X (mod p), so the final point is never made affine.
- Anything from outside is checked: the key is 64 bytes x||y of a point on
  the curve with coordinates below p; the signature is 64 bytes r||s with
  1 <= r, s < n. Anything else is False, never an exception.
"""

_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

_INFINITY = (1, 1, 0)
_G_MULTIPLES = []   # affine 1G, 2G, 3G, made on first use


def _int(raw):
    return int.from_bytes(raw, "big")


def on_curve(x, y):
    """True for affine coordinates of a point of P-256 (not infinity)."""
    p = _P
    return 0 <= x < p and 0 <= y < p and (y * y - x * x * x + 3 * x - _B) % p == 0


def _double(x1, y1, z1):
    p = _P
    if z1 == 0 or y1 == 0:
        return _INFINITY
    delta = z1 * z1 % p
    gamma = y1 * y1 % p
    beta = x1 * gamma % p
    alpha = 3 * (x1 - delta) * (x1 + delta) % p
    x3 = (alpha * alpha - 8 * beta) % p
    z3 = ((y1 + z1) * (y1 + z1) - gamma - delta) % p
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % p
    return x3, y3, z3


def _add(x1, y1, z1, x2, y2):
    """Jacobian (x1, y1, z1) + affine (x2, y2)."""
    p = _P
    if z1 == 0:
        return x2, y2, 1
    z1z1 = z1 * z1 % p
    h = (x2 * z1z1 - x1) % p
    r = 2 * (y2 * z1 * z1z1 - y1) % p
    if h == 0:
        return _double(x1, y1, z1) if r == 0 else _INFINITY
    hh = h * h % p
    i = 4 * hh % p
    j = h * i % p
    v = x1 * i % p
    x3 = (r * r - j - 2 * v) % p
    y3 = (r * (v - x3) - 2 * y1 * j) % p
    z3 = ((z1 + h) * (z1 + h) - z1z1 - hh) % p
    return x3, y3, z3


def _affine(points):
    """Jacobian points -> affine (x, y) or None for infinity, with one inversion for all."""
    p = _P
    prefix = []
    acc = 1
    for pt in points:
        if pt[2]:
            acc = acc * pt[2] % p
        prefix.append(acc)
    inv = pow(acc, p - 2, p)
    out = [None] * len(points)
    for k in range(len(points) - 1, -1, -1):
        x, y, z = points[k]
        if not z:
            continue
        zi = inv * (prefix[k - 1] if k else 1) % p    # 1 / z
        inv = inv * z % p
        zi2 = zi * zi % p
        out[k] = (x * zi2 % p, y * zi2 * zi % p)
    return out


def _g_multiples():
    if not _G_MULTIPLES:
        two = _double(_GX, _GY, 1)
        _G_MULTIPLES.append((_GX, _GY))
        _G_MULTIPLES.extend(_affine((two, _add(two[0], two[1], two[2], _GX, _GY))))
    return _G_MULTIPLES


def _table(qx, qy):
    """Affine i*G + j*Q at index 4*i + j (index 0, and any infinity, is None)."""
    g = _g_multiples()
    q2 = _double(qx, qy, 1)
    q3 = _add(q2[0], q2[1], q2[2], qx, qy)
    jac = [q2, q3]
    for i in range(3):
        gx, gy = g[i]
        jac.append(_add(qx, qy, 1, gx, gy))
        jac.append(_add(q2[0], q2[1], q2[2], gx, gy))
        jac.append(_add(q3[0], q3[1], q3[2], gx, gy))
    aff = _affine(jac)
    table = [None, (qx, qy), aff[0], aff[1]]
    for i in range(3):
        table.append(g[i])
        table.extend(aff[2 + 3 * i:5 + 3 * i])
    return table


def _shamir(u1, u2, table):
    """u1*G + u2*Q as a Jacobian point."""
    x, y, z = _INFINITY
    for shift in range(254, -2, -2):
        if z:
            x, y, z = _double(x, y, z)
            x, y, z = _double(x, y, z)
        pt = table[((u1 >> shift) & 3) << 2 | ((u2 >> shift) & 3)]
        if pt is not None:
            x, y, z = _add(x, y, z, pt[0], pt[1])
    return x, y, z


def verify(public_key, digest, signature):
    """True when signature (r||s, 64 bytes) is P-256 ECDSA of digest (SHA-256, 32 bytes)
    under public_key (x||y, 64 bytes)."""
    if len(digest) != 32:
        raise ValueError("digest is not 32 bytes")
    if len(public_key) != 64 or len(signature) != 64:
        return False
    qx, qy = _int(public_key[:32]), _int(public_key[32:])
    r, s = _int(signature[:32]), _int(signature[32:])
    n = _N
    if not (0 < r < n and 0 < s < n) or not on_curve(qx, qy):
        return False
    w = pow(s, n - 2, n)
    e = _int(digest)
    x, _y, z = _shamir(e * w % n, r * w % n, _table(qx, qy))
    if not z:
        return False
    # The point's x is X/Z^2 < p < 2n, so x mod n == r means x is r or r + n.
    zz = z * z % _P
    return (r * zz - x) % _P == 0 or (r + n < _P and ((r + n) * zz - x) % _P == 0)
