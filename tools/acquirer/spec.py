"""The CUP POS wire as the acquirer sees it: a pyiso8583 spec plus framing.

A frame is a 2-byte big-endian length, then the payload: TPDU (5 bytes),
header (6 bytes BCD), and the ISO 8583 body (MTI, 8-byte bitmap, fields).
`SPEC` describes the body only; TPDU and header are split off first.

Message dicts use the firmware's convention: key 0 is the MTI, other keys
are int field numbers; n/z/an/ans values are `str`, b values are `bytes`,
track data (fields 35, 36) uses '=' as the separator (nibble D on the wire).

`TRANSACTIONS` is the table of protocol sections 7 and 13: which MTI, 60.1 and
60.3 make each transaction type, and what the host reads in its request.
"""

import collections

import iso8583

MAX_FRAME = 2048
TPDU_LEN = 5
HEADER_LEN = 6
_BITMAP_LEN = 8
MIN_PAYLOAD = TPDU_LEN + HEADER_LEN + 2 + _BITMAP_LEN

REQUEST_TPDU = bytes.fromhex("6000030000")
HEADER = bytes.fromhex("603100000000")
_TPDU_ID = 0x60
_HEADER_ID = 0x60
_REQUIREMENT_BYTE = 2  # low nibble of the 3rd header byte: digit index 5

REQUIREMENT_NONE = 0
REQUIREMENT_DOWNLOAD = 1
REQUIREMENT_SIGN_IN = 3
REQUIREMENT_DOWNLOAD_IC = 4     # the CA public keys and the AID parameters (370, then 380)
REQUIREMENT_DOWNLOAD_APP = 6


class WireError(ValueError):
    """A frame or message that does not follow the CUP profile."""


def _fixed_n(digits, desc):
    return {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": digits,
            "len_count": "nibbles", "left_pad": "0", "desc": desc}


def _var_n(prefix_bytes, max_digits, desc):
    return {"data_enc": "b", "len_enc": "bcd", "len_type": prefix_bytes,
            "max_len": max_digits, "len_count": "nibbles", "right_pad": "0",
            "desc": desc}


def _fixed_text(chars, desc):
    return {"data_enc": "ascii", "len_enc": "b", "len_type": 0, "max_len": chars,
            "desc": desc}


def _var_text(prefix_bytes, max_chars, desc):
    return {"data_enc": "ascii", "len_enc": "bcd", "len_type": prefix_bytes,
            "max_len": max_chars, "desc": desc}


def _fixed_b(size, desc):
    return {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": size,
            "desc": desc}


def _var_b(prefix_bytes, max_bytes, desc):
    return {"data_enc": "b", "len_enc": "bcd", "len_type": prefix_bytes,
            "max_len": max_bytes, "desc": desc}


SPEC = {
    "h": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 0,
          "desc": "No header inside the body: TPDU and header are framing"},
    "t": {"data_enc": "b", "len_enc": "b", "len_type": 0, "max_len": 2,
          "desc": "Message Type, BCD"},
    "p": _fixed_b(8, "Bitmap, Primary"),
    "2": _var_n(1, 19, "Primary Account Number"),
    "3": _fixed_n(6, "Processing Code"),
    "4": _fixed_n(12, "Amount, fen"),
    "11": _fixed_n(6, "System Trace Audit Number"),
    "12": _fixed_n(6, "Local Time hhmmss"),
    "13": _fixed_n(4, "Local Date MMDD"),
    "14": _fixed_n(4, "Expiry YYMM"),
    "15": _fixed_n(4, "Settlement Date MMDD"),
    "22": _fixed_n(3, "POS Entry Mode"),
    "23": _fixed_n(3, "Card Sequence Number"),
    "25": _fixed_n(2, "POS Condition Code"),
    "26": _fixed_n(2, "POS PIN Capture Code"),
    "32": _var_n(1, 11, "Acquiring Institution Id"),
    "35": _var_n(1, 37, "Track 2 Data"),
    "36": _var_n(2, 104, "Track 3 Data"),
    "37": _fixed_text(12, "Retrieval Reference Number"),
    "38": _fixed_text(6, "Authorisation Code"),
    "39": _fixed_text(2, "Response Code"),
    "41": _fixed_text(8, "Terminal Id"),
    "42": _fixed_text(15, "Merchant Id"),
    "44": _var_text(1, 25, "Additional Response Data: issuer + acquirer bank ids"),
    "48": _var_n(2, 322, "Additional Data"),
    "49": _fixed_text(3, "Currency Code"),
    "52": _fixed_b(8, "PIN Block"),
    "53": _fixed_n(16, "Security Control Information"),
    "54": _var_text(2, 20, "Balance Amount"),
    "55": _var_b(2, 255, "ICC Data"),
    "60": _var_n(2, 17, "Reserved: type, batch, network code, 60.4, 60.5"),
    "61": _var_n(2, 29, "Original Message Data"),
    "62": _var_b(2, 999, "Reserved Private: sign-in keys, or TLV data"),
    "63": _var_text(2, 163, "Reserved Private: card organisation + issuer"),
    "64": _fixed_b(8, "MAC"),
}

FIELDS = frozenset(int(k) for k in SPEC if k.isdigit())
_TRACK_FIELDS = (35, 36)
_NUMERIC_FIELDS = frozenset(
    int(k) for k, f in SPEC.items()
    if k.isdigit() and f["data_enc"] == "b" and f.get("len_count") == "nibbles"
) - frozenset(_TRACK_FIELDS)
_BINARY_FIELDS = frozenset(
    int(k) for k, f in SPEC.items()
    if k.isdigit() and f["data_enc"] == "b" and f.get("len_count") != "nibbles"
)
_TRACK_CHARS = frozenset("0123456789=")
_DIGITS = frozenset("0123456789")


# -- framing -----------------------------------------------------------------

def frame(payload):
    """Prefix a payload with its 2-byte big-endian length."""
    if len(payload) > MAX_FRAME:
        raise WireError("payload of %d bytes is over %d" % (len(payload), MAX_FRAME))
    return len(payload).to_bytes(2, "big") + bytes(payload)


def split_message(payload):
    """Payload -> (tpdu, header, body). Checks the TPDU and header ids."""
    if len(payload) < MIN_PAYLOAD:
        raise WireError("payload of %d bytes is too short" % len(payload))
    if len(payload) > MAX_FRAME:
        raise WireError("payload of %d bytes is over %d" % (len(payload), MAX_FRAME))
    tpdu = bytes(payload[:TPDU_LEN])
    header = bytes(payload[TPDU_LEN:TPDU_LEN + HEADER_LEN])
    if tpdu[0] != _TPDU_ID:
        raise WireError("TPDU id %02X is not 60" % tpdu[0])
    if header[0] != _HEADER_ID:
        raise WireError("header id %02X is not 60" % header[0])
    return tpdu, header, bytes(payload[TPDU_LEN + HEADER_LEN:])


def join_message(tpdu, header, body):
    return bytes(tpdu) + bytes(header) + bytes(body)


def answer_tpdu(tpdu):
    """The answer's TPDU swaps destination and source addresses."""
    return tpdu[:1] + tpdu[3:5] + tpdu[1:3]


def header_with_requirement(requirement, header=HEADER):
    """The header with the host's processing requirement in digit 5."""
    if not 0 <= requirement <= 9:
        raise WireError("processing requirement %r is not one digit" % (requirement,))
    out = bytearray(header)
    out[_REQUIREMENT_BYTE] = (out[_REQUIREMENT_BYTE] & 0xF0) | requirement
    return bytes(out)


def processing_requirement(header):
    return header[_REQUIREMENT_BYTE] & 0x0F


# -- body --------------------------------------------------------------------

def decode_body(body):
    """MTI + bitmap + fields -> message dict. Raises WireError only."""
    if len(body) < 2 + _BITMAP_LEN:
        raise WireError("body of %d bytes is too short" % len(body))
    bitmap = int.from_bytes(body[2:2 + _BITMAP_LEN], "big")
    present = [n for n in range(1, 65) if bitmap >> (64 - n) & 1]
    unknown = [n for n in present if n not in FIELDS]
    if unknown:
        raise WireError("bitmap has fields outside the CUP profile: %s" % unknown)
    try:
        decoded, _ = iso8583.decode(bytes(body), SPEC)
    except iso8583.DecodeError as e:
        raise WireError("field %s at %d: %s" % (e.field, e.pos, e.msg)) from None
    except Exception as e:  # pyiso8583 must never take the host down
        raise WireError("undecodable body: %r" % e) from None
    mti = decoded["t"]
    if not set(mti) <= _DIGITS:
        raise WireError("MTI %r is not BCD" % mti)
    message = {0: mti}
    for n in present:
        value = decoded[str(n)]
        if n in _BINARY_FIELDS:
            value = bytes.fromhex(value)
        elif n in _TRACK_FIELDS:
            value = value.replace("D", "=")
            if not set(value) <= _TRACK_CHARS:
                raise WireError("field %d is not track data" % n)
        elif n in _NUMERIC_FIELDS and not set(value) <= _DIGITS:
            raise WireError("field %d is not numeric" % n)
        message[n] = value
    return message


def encode_body(message):
    """Message dict -> MTI + bitmap + fields. Raises WireError only."""
    doc = {"t": message[0]}
    for n, value in message.items():
        if n == 0:
            continue
        if n not in FIELDS:
            raise WireError("field %d is outside the CUP profile" % n)
        if n in _BINARY_FIELDS:
            value = bytes(value).hex().upper()
        elif n in _TRACK_FIELDS:
            if not set(value) <= _TRACK_CHARS:
                raise WireError("field %d is not track data" % n)
            value = value.replace("=", "D")
        elif n in _NUMERIC_FIELDS and not set(value) <= _DIGITS:
            raise WireError("field %d is not numeric" % n)
        doc[str(n)] = value
    try:
        body, _ = iso8583.encode(doc, SPEC)
    except (iso8583.EncodeError, ValueError, TypeError) as e:
        raise WireError("cannot encode: %s" % e) from None
    return bytes(body)


def mac_data(body):
    """The bytes a MAC covers: the body up to the end of field 63."""
    return bytes(body[:-8])


# -- transaction types (protocol section 7) ----------------------------------

# needs: fields the host reads besides 11, 41, 42, 60 and 64; card: 2 or 35; arqc: read from
# a chip (22 = 05x, 07x) it carries the card's ARQC in 55, with 23 (emv.py).
Transaction = collections.namedtuple(
    "Transaction", "mti type_code network_code processing_code card needs arqc",
    defaults=(False,))

FINANCIAL = "000"
SCRIPT_RESULT = "951"      # 脚本处理结果通知: the card's results of the issuer's scripts
TC_UPLOAD = "203"          # IC卡TC上送: a chip transaction's TC, at settlement
ERECEIPT = "800"           # 电子签购单上送: a transaction's electronic receipt, in parts
TRANSACTIONS = {
    "signin": Transaction("0800", "00", "003", None, False, ()),
    "signoff": Transaction("0820", "00", "002", None, False, ()),
    "ereceipt": Transaction("0820", "00", ERECEIPT, None, False, (61, 62)),
    "params": Transaction("0800", "00", "360", None, False, ()),
    "capk_download": Transaction("0800", "00", "370", None, False, ()),
    "aid_download": Transaction("0800", "00", "380", None, False, ()),
    "app_download": Transaction("0800", "00", "392", None, False, (62,)),
    "backup": Transaction("0800", "00", "390", None, False, (62,)),
    "restore": Transaction("0800", "00", "391", None, False, (62,)),
    "sale": Transaction("0200", "22", FINANCIAL, "000000", True, (4,), True),
    "void": Transaction("0200", "23", FINANCIAL, "200000", True, (4, 37, 61)),
    "refund": Transaction("0220", "25", FINANCIAL, "200000", True, (4, 37, 61)),
    "balance": Transaction("0200", "01", FINANCIAL, "310000", True, (), True),
    "preauth": Transaction("0100", "10", FINANCIAL, "030000", True, (4,), True),
    "preauth_void": Transaction("0100", "11", FINANCIAL, "200000", True, (4, 38, 61)),
    "preauth_complete": Transaction("0200", "20", FINANCIAL, "000000", True, (4, 38, 61)),
    "bill_inquiry": Transaction("0100", "60", FINANCIAL, "300000", False, (62,)),
    "bill_payment": Transaction("0200", "61", FINANCIAL, "500000", True, (4, 62), True),
    "repay_inquiry": Transaction("0100", "62", FINANCIAL, "300000", False, (62,)),
    "repayment": Transaction("0200", "63", FINANCIAL, "400000", True, (4, 62), True),
    "qr_sale": Transaction("0200", "70", FINANCIAL, "000000", False, (4, 22, 62)),
    "qr_order": Transaction("0200", "71", FINANCIAL, "000000", False, (4, 22)),
    "qr_query": Transaction("0100", "72", FINANCIAL, "300000", False, (61,)),
    "qr_cancel": Transaction("0200", "73", FINANCIAL, "200000", False, (4, 22, 61)),
    "qr_void": Transaction("0200", "74", FINANCIAL, "200000", False, (4, 22, 37, 61)),
    "qr_refund": Transaction("0220", "75", FINANCIAL, "200000", False, (4, 22, 37, 61)),
    "settle": Transaction("0500", "00", "201", None, False, (48,)),
    "upload": Transaction("0320", "00", "201", None, False, (48,)),
    "upload_end": Transaction("0320", "00", "202", None, False, (48,)),
    "tc_upload": Transaction("0320", "00", TC_UPLOAD, None, False, (55, 61)),
    "reversal": Transaction("0400", None, None, None, False, (39,)),
    "script_result": Transaction("0620", "00", SCRIPT_RESULT, None, True, (55, 61)),
}
_BY_KEY = {(t.mti, t.type_code, t.network_code): name
           for name, t in TRANSACTIONS.items() if t.type_code is not None}
REQUEST_MTIS = frozenset(t.mti for t in TRANSACTIONS.values())
# 60.1 of a financial type -> its name: what a reversal may name as its original.
FINANCIAL_TYPES = {t.type_code: name for name, t in TRANSACTIONS.items()
                   if t.network_code == FINANCIAL}


def transaction_name(mti, field60):
    """The type a request is (protocol section 7), or None if no row matches.
    Every 0400 is a reversal; its handler checks the 60.1 it names."""
    if mti == TRANSACTIONS["reversal"].mti:
        return "reversal"
    try:
        type_code, _, network_code, _ = split_field60(field60 or "")
    except WireError:
        return None
    return _BY_KEY.get((mti, type_code, network_code))


def answer_mti(mti):
    """The answer's MTI: the request's with the third digit plus one."""
    return mti[:2] + str(int(mti[2]) + 1) + mti[3]


# -- field 60 ----------------------------------------------------------------

def split_field60(value):
    """-> (type, batch, network code, rest); WireError if too short."""
    if len(value) < 11:
        raise WireError("field 60 %r is shorter than 11 digits" % value)
    return value[:2], value[2:8], value[8:11], value[11:]
