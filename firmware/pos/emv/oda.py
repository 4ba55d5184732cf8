# Offline data authentication, the terminal's side (EMV 4.3 Book 2 sections 5 and 6, which PBOC 3.0
# takes over): the issuer's public key from its certificate under a CA key the terminal
# holds, the ICC's from its certificate under the issuer's, and the signatures SDA and DDA check.
#
# RSA is pow() on MicroPython's big ints; SHA-1 is pos.emv.sha1. A key is (modulus bytes,
# exponent int). Everything from the card is checked in Book 2's order: signature length = the
# key's, below the modulus, trailer BC, header 6A, format, hash algorithm 01, the hash, then the
# certificate's fields (issuer identifier or PAN, expiry MMYY against today, key algorithm 01,
# key and exponent lengths). Any failure raises OdaError with a short reason and nothing else,
# whatever the card sent. Certificate revocation (Book 2 5.3 step 10) is the caller's: a
# certificate's serial is not returned, as no revocation list exists here.
#
#   issuer_key(ca_modulus, ca_exponent, cert90, remainder92, exponent9F32, pan, today)
#       -> (modulus, exponent) of the issuer             Book 2 5.3, table 6
#   verify_sda(issuer, ssad93, static_data) -> the 2-byte Data Authentication Code   5.4, table 7
#   icc_key(issuer, cert9F46, remainder9F48, exponent9F47, static_data, pan, today)
#       -> (modulus, exponent) of the ICC                6.4, table 14
#   verify_dda(icc, sdad9F4B, ddol_data) -> the ICC Dynamic Number                   6.5, table 17
#
# pan is the PAN's digits (str); today is 'YYMMDD'; static_data is the static data to be
# authenticated (Book 3 10.3: the AFL's ODA records, then the SDA tag list's values); a missing
# remainder is None or b"".
from pos import const
from pos.emv.kernel import hexstr
from pos.emv.sha1 import digest

_HEADER = const(0x6A)
_TRAILER = const(0xBC)
_HASH_SHA1 = const(0x01)
_PK_RSA = const(0x01)
_FORMAT_ISSUER = const(0x02)
_FORMAT_SSAD = const(0x03)
_FORMAT_ICC = const(0x04)
_FORMAT_SDAD = const(0x05)
_HASH_LEN = const(20)
# Per format 02 to 05: the bytes of its fixed fields (the least a key can recover it in) and where its
# hash algorithm indicator is (tables 6, 7, 14, 17).
_LAYOUT = ((36, 11), (26, 2), (42, 17), (25, 2))


class OdaError(ValueError):
    """Offline data authentication failed: a certificate or signature that does not check."""


def _data(value, what):
    """value as bytes; a missing or non-bytes value fails."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise OdaError(what + " missing")
    return bytes(value)


def _recover(key, signature, what, fmt):
    """The data the key recovers from signature, its trailer, header, format and hash algorithm checked."""
    modulus, exponent = key
    signature = _data(signature, what)
    size = len(modulus)
    fixed, algorithm_at = _LAYOUT[fmt - _FORMAT_ISSUER]
    if len(signature) != size:
        raise OdaError("%s: %d bytes, key of %d" % (what, len(signature), size))
    if size < fixed:
        raise OdaError("%s: key of %d bytes is too short" % (what, size))
    n = int.from_bytes(modulus, "big")
    s = int.from_bytes(signature, "big")
    if s >= n:
        raise OdaError(what + ": not below the modulus")
    data = pow(s, exponent, n).to_bytes(size, "big")
    if data[-1] != _TRAILER:
        raise OdaError(what + ": trailer")
    if data[0] != _HEADER:
        raise OdaError(what + ": header")
    if data[1] != fmt:
        raise OdaError(what + ": format %02X" % data[1])
    if data[algorithm_at] != _HASH_SHA1:
        raise OdaError(what + ": hash algorithm %02X" % data[algorithm_at])
    return data


def _check_hash(data, what, *more):
    """The hash at the end of recovered data against fields 2.. (all but header, hash, trailer) and more."""
    end = len(data) - 1 - _HASH_LEN
    if digest(memoryview(data)[1:end], *more) != data[end:-1]:
        raise OdaError(what + ": hash")


def _check_expiry(mmyy, today, what):
    """A certificate is good to the end of its month MMYY (Book 2 5.3 step 9; YY below 50 is 20YY)."""
    text = hexstr(mmyy)
    if not text.isdigit() or not 1 <= int(text[:2]) <= 12:
        raise OdaError(what + ": expiry " + text)
    if not (isinstance(today, str) and len(today) == 6 and today.isdigit()):
        raise OdaError("today %r is not YYMMDD" % (today,))
    year = int(text[2:])
    now = int(today[:2])
    if (year < 50, year, int(text[:2])) < (now < 50, now, int(today[2:4])):
        raise OdaError(what + ": expired " + text)


def _exponent(raw, length, what):
    """The public exponent from its tag (9F32, 9F47): 3 or 2^16 + 1 (Book 2 annex B2), of the length
    the certificate says."""
    raw = _data(raw, what + " exponent")
    value = int.from_bytes(raw, "big")
    if len(raw) != length or value not in (3, 65537):
        raise OdaError(what + ": exponent")
    return value


def _modulus(leftmost, remainder, size, what):
    """The key's modulus of size bytes: the certificate's leftmost digits (cut, when it fits there and
    the rest is pad BB), then the remainder."""
    room = len(leftmost)
    if size == 0:
        raise OdaError(what + ": key length 0")
    if size <= room:
        if remainder or leftmost[size:] != b"\xbb" * (room - size):
            raise OdaError(what + ": key padding")
        return leftmost[:size]
    if len(remainder) != size - room:
        raise OdaError("%s: remainder of %d bytes, %d expected" % (what, len(remainder), size - room))
    return leftmost + remainder


def _pan_digits(raw, what):
    """The digits of a cn field padded on the right with F."""
    text = hexstr(raw).rstrip("F")
    if not text.isdigit():
        raise OdaError(what + ": PAN field " + hexstr(raw))
    return text


def _certified_key(data, at, remainder, exponent, today, what):
    """The key a recovered certificate carries, from its expiry at `at` on: expiry (2), serial (3),
    hash algorithm, key algorithm, modulus length, exponent length, then the modulus (EMV Book 2
    tables 6 and 14 alike, the ICC's 6 bytes further on for its longer PAN)."""
    _check_expiry(data[at:at + 2], today, what)
    if data[at + 6] != _PK_RSA:
        raise OdaError(what + ": key algorithm %02X" % data[at + 6])
    modulus = _modulus(data[at + 9:-1 - _HASH_LEN], remainder, data[at + 7], what)
    return modulus, _exponent(exponent, data[at + 8], what)


def issuer_key(ca_modulus, ca_exponent, cert90, remainder92, exponent9F32, pan, today):
    what = "issuer certificate"
    data = _recover((ca_modulus, ca_exponent), cert90, what, _FORMAT_ISSUER)
    remainder = _data(remainder92 or b"", what + " remainder")
    exponent = _data(exponent9F32, what + " exponent")
    _check_hash(data, what, remainder, exponent)
    issuer_id = _pan_digits(data[2:6], what)
    if not (3 <= len(issuer_id) <= 8 and isinstance(pan, str) and pan.startswith(issuer_id)):
        raise OdaError(what + ": issuer " + issuer_id + " is not the PAN's")
    return _certified_key(data, 6, remainder, exponent, today, what)


def verify_sda(issuer, ssad93, static_data):
    what = "signed static data"
    data = _recover(issuer, ssad93, what, _FORMAT_SSAD)
    _check_hash(data, what, _data(static_data, "static data"))
    return data[3:5]


def icc_key(issuer, cert9F46, remainder9F48, exponent9F47, static_data, pan, today):
    what = "ICC certificate"
    data = _recover(issuer, cert9F46, what, _FORMAT_ICC)
    remainder = _data(remainder9F48 or b"", what + " remainder")
    exponent = _data(exponent9F47, what + " exponent")
    _check_hash(data, what, remainder, exponent, _data(static_data, "static data"))
    if _pan_digits(data[2:12], what) != pan:
        raise OdaError(what + ": not this PAN's")
    return _certified_key(data, 12, remainder, exponent, today, what)


def verify_dda(icc, sdad9F4B, ddol_data):
    what = "signed dynamic data"
    data = _recover(icc, sdad9F4B, what, _FORMAT_SDAD)
    _check_hash(data, what, _data(ddol_data, "DDOL data"))
    size = data[3]
    # ICC Dynamic Data (table 18): the number's length (2 to 8), the number, then what CDA adds.
    if size > len(data) - 25 or not 2 <= data[4] <= 8 or data[4] >= size:
        raise OdaError(what + ": dynamic data length")
    return data[5:5 + data[4]]
