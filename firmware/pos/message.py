# Whole frames for a transaction type, from the profile's TRANSACTIONS table:
# build a request (MAC computed over iso8583.mac_data), parse an answer
# (MAC verified). The MAC function is injected: mac_fn(data) -> 8 bytes.
from pos import iso8583
from pos.iso8583 import CodecError
from pos.rescodes import is_approved

from pos import const

_BODY_AT = const(13)  # frame offset of the body: 2 length + 5 TPDU + 6 header

# A transaction type's row in a profile's TRANSACTIONS (pos/cup.py says what each is).
MTI = const(0)
PROC = const(1)
TYPE60 = const(2)
NET60 = const(3)
TAIL60 = const(4)
FIELDS = const(5)
OPTIONAL = const(6)
REVERSED = const(7)
_NO_MAC = bytes(8)


class MacError(CodecError):
    """The answer's MAC is missing or does not verify."""


def _check_mac(mac):
    if (type(mac) is not bytes and type(mac) is not bytearray) or len(mac) != 8:
        raise CodecError("mac_fn must return 8 bytes", 64)
    return mac


def _field60(row, values):
    batch = values.get("batch")
    if type(batch) is not str or len(batch) != 6:
        raise CodecError("batch must be 6 digits", 60)
    tail = values.get("tail60", row[TAIL60])
    if type(tail) is not str:
        raise CodecError("tail60 must be str", 60)
    return row[TYPE60] + batch + row[NET60] + tail


def answer_mti(mti):
    """The answer's MTI for a request's: the third digit plus one (0200 -> 0210)."""
    return mti[:2] + chr(ord(mti[2]) + 1) + mti[3]


def _row(profile, kind):
    row = profile.TRANSACTIONS.get(kind)
    if row is None:
        raise CodecError("no transaction type %r" % (kind,))
    return row


def build(profile, kind, values, mac_fn=None):
    """Request frame for transaction type kind.

    values: field number -> value. The table supplies the MTI, field 3
    (proc) and field 60 (type60 + batch + net60 + tail60): the caller gives
    either "batch" (60.2, six digits, optionally "tail60" for 60.4 + 60.5)
    or the whole field 60, which must carry the table's 60.1 and 60.3; a
    field 3 the caller gives must equal the table's. Where the row says None
    (a reversal) the caller gives fields 3 and 60 as the original had them.
    Field 64 is computed with mac_fn over iso8583.mac_data.
    """
    row = _row(profile, kind)
    allowed = row[FIELDS]
    msg = {0: row[MTI]}
    proc = row[PROC]
    if proc is not None:
        if values.get(3, proc) != proc:
            raise CodecError("%s has processing code %s" % (kind, proc), 3)
        msg[3] = proc
    type60 = row[TYPE60]
    if type60 is not None:
        f60 = values.get(60)
        if f60 is None:
            f60 = _field60(row, values)
        elif type(f60) is not str or f60[:2] != type60 or f60[8:11] != row[NET60]:
            raise CodecError("%s needs 60.1 %s and 60.3 %s" % (kind, type60, row[NET60]), 60)
        msg[60] = f60
    for k in values:
        if k == "batch" or k == "tail60":
            if type60 is None or 60 in values:
                raise CodecError("%s: field 60 is given whole in %s" % (k, kind), 60)
            continue
        if k not in allowed or k == 64:
            raise CodecError("not the caller's to give in %s" % kind, k if type(k) is int else None)
        if k not in msg:
            msg[k] = values[k]
    optional = row[OPTIONAL]
    for k in allowed:
        if k not in msg and k != 64 and k not in optional:
            raise CodecError("missing from %s" % kind, k)
    with_mac = 64 in allowed
    if with_mac:
        if mac_fn is None:
            raise CodecError("%s needs a MAC function" % kind, 64)
        msg[64] = _NO_MAC
    buf = bytearray(2)
    buf.extend(profile.TPDU)
    buf.extend(profile.HEADER)
    iso8583.encode_into(profile, msg, buf)
    n = len(buf) - 2
    if n > 0xFFFF:
        raise CodecError("frame of %d bytes is too long" % n)
    buf[0] = n >> 8
    buf[1] = n & 0xFF
    if with_mac:
        buf[len(buf) - 8:] = _check_mac(mac_fn(iso8583.mac_data(memoryview(buf)[_BODY_AT:])))
    return bytes(buf)


def _same(a, b):
    diff = len(a) ^ len(b)
    for i in range(min(len(a), len(b))):
        diff |= a[i] ^ b[i]
    return diff == 0


def parse(profile, frame, mac_fn=None, expect_mti=None):
    """(processing requirement, fields) of an answer frame.

    With mac_fn a field 64 must verify, and only a decline may come without
    one: hosts do not MAC answers they cannot authenticate (A0, 97), so an
    answer that approves, or has no field 39, must carry a MAC (MacError).
    Error positions are frame offsets.
    """
    tpdu, header, body = iso8583.unframe(frame)
    if tpdu != profile.TPDU_ANSWER:
        raise CodecError("TPDU is not the answer to ours", None, 2)
    try:
        requirement = iso8583.processing_requirement(header)
    except CodecError as e:
        raise CodecError(e.reason, None, 9)
    try:
        fields = iso8583.decode(profile, body)
    except CodecError as e:
        raise CodecError(e.reason, e.field, None if e.pos is None else e.pos + _BODY_AT)
    if expect_mti is not None and fields[0] != expect_mti:
        raise CodecError("MTI %s, expected %s" % (fields[0], expect_mti), 0, _BODY_AT)
    if mac_fn is not None:
        mac = fields.get(64)
        if mac is None:
            code = fields.get(39)
            if code is None or is_approved(code):
                raise MacError("answer carries no MAC", 64)
        elif not _same(mac, _check_mac(mac_fn(iso8583.mac_data(body)))):
            raise MacError("MAC does not verify", 64, len(frame) - 8)
    return requirement, fields


def signin_keys(profile, field62):
    """name -> bytes of the keys in a sign-in answer's field 62 (profile.SIGNIN_KEYS)."""
    if len(field62) != profile.SIGNIN_KEYS_LEN:
        raise CodecError("sign-in keys are %d bytes, got %d" % (profile.SIGNIN_KEYS_LEN, len(field62)), 62)
    keys = {}
    for name, at, n in profile.SIGNIN_KEYS:
        keys[name] = bytes(field62[at:at + n])
    return keys


def reversal_values(profile, kind, values, reason):
    """values for build(profile, "reversal", ...) undoing request kind.

    Keeps the original's fields the reversal row allows: the profile's 0400 is
    the original without 26, 35, 36, 52, 53 (no PIN, no track data), with its
    field 2; takes field 3 and 60 as the original had them; adds the reason.
    """
    if reason not in profile.REVERSAL_REASONS:
        raise CodecError("no reversal reason %r" % (reason,), 39)
    row = _row(profile, kind)
    if not row[REVERSED]:
        raise CodecError("%s is never reversed" % kind)
    allowed = profile.TRANSACTIONS["reversal"][FIELDS]
    out = {}
    for k in values:
        if type(k) is int and k in allowed:
            out[k] = values[k]
    if row[PROC] is not None:
        out[3] = row[PROC]
    if row[TYPE60] is not None and 60 not in values:
        out[60] = _field60(row, values)
    out[39] = reason
    return out


def field61(batch_no=0, trace_no=0, mmdd="0000"):
    """Field 61 naming an original: batch n6, trace n6, date MMDD."""
    if len(mmdd) != 4 or not mmdd.isdigit():
        raise CodecError("original date must be MMDD", 61)
    return "%06d%06d%s" % (batch_no, trace_no, mmdd)


def settle_totals(debit_fen, debit_count, credit_fen, credit_count, code="0"):
    """Field 48 of a settlement: the domestic group, then a foreign group of zeros."""
    if not (0 <= debit_count <= 999 and 0 <= credit_count <= 999):
        raise CodecError("more than 999 transactions of one kind", 48)
    if not (0 <= debit_fen <= 999999999999 and 0 <= credit_fen <= 999999999999):
        raise CodecError("total out of range", 48)
    return "%012d%03d%012d%03d%s" % (debit_fen, debit_count, credit_fen, credit_count, code) + "0" * 31


def parse_settle_totals(profile, f48):
    """(debit_fen, debit_count, credit_fen, credit_count, code) of the domestic group."""
    n = profile.FIELD48_GROUP_LEN
    if type(f48) is not str or len(f48) != 2 * n or not f48.isdigit():
        raise CodecError("settlement totals are %d digits" % (2 * n), 48)
    parts = [f48[at:at + size] for at, size in profile.FIELD48_GROUP]
    return int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]), parts[4]
