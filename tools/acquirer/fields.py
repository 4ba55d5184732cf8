"""The data inside fields 48, 54, 61 and 62 of the later types (protocol section 8).

Every decoder raises `spec.WireError` and nothing else; the handlers answer 30.

  61  original batch n6 + original trace n6 + original date MMDD n4
  62  TLV items: 2-character ASCII tag, 3-digit ASCII length, value (UTF-8)
  48  settlement: domestic then foreign half, each debit fen n12, debit
      count n3, credit fen n12, credit count n3, settlement code n1
  48  batch upload: count n2 (1-8), then per item 60.1 n2 + trace n6 + fen n12;
      upload end: the number of items uploaded, n4
  54  balance: account type n2, amount type n2, currency n3, sign C/D, fen n12
"""

import collections

from .spec import WireError

TLV_MAX = 999
_TAG_LEN = 2
_LENGTH_LEN = 3
_AMOUNT_LEN = 12
_DIGITS = frozenset("0123456789")
# Tags of section 8; any other tag is skipped.
KNOWN_TAGS = frozenset(("BC", "AC", "NM", "UN", "DU", "PD", "MD", "CN", "BK", "MN", "MX",
                        "OP", "BD", "VR", "OF", "SZ", "CK", "DA", "PN", "PC", "TY", "QN", "RD", "NS",
                        "QB", "QC", "ON", "WL", "QR", "EX"))
BINARY_TAGS = frozenset(("DA", "RD"))    # raw bytes (a backup's pieces, an e-receipt's), returned as bytes
AMOUNT_TAGS = frozenset(("DU", "MX", "NS"))

FIELD61_LEN = 16
SETTLEMENT_LEN = 62
_HALF_LEN = 31
UPLOAD_ITEM_LEN = 20
UPLOAD_MAX_ITEMS = 8
UPLOAD_END_LEN = 4

SETTLEMENT_REQUEST = 0
BALANCED = 1
NOT_BALANCED = 2

Totals = collections.namedtuple("Totals", "debit_fen debit_count credit_fen credit_count")
ZERO_TOTALS = Totals(0, 0, 0, 0)
UploadItem = collections.namedtuple("UploadItem", "type_code trace amount_fen")

ACCOUNT_DEBIT = "10"
ACCOUNT_CREDIT = "30"
AMOUNT_AVAILABLE = "02"
CURRENCY_CNY = "156"


def is_digits(text, low, high):
    return low <= len(text) <= high and set(text) <= _DIGITS


def amount_text(fen):
    return "%012d" % fen


# -- field 61 ----------------------------------------------------------------

def split_field61(value):
    """-> (original batch, original trace, original date MMDD)."""
    if len(value) < FIELD61_LEN or not set(value) <= _DIGITS:
        raise WireError("field 61 %r is not 16 digits" % value)
    return value[:6], value[6:12], value[12:16]


# -- field 62 as TLV ---------------------------------------------------------

def decode_tlv(data):
    """TLV bytes -> {tag: str value} of the known tags (unknown ones skipped)."""
    data = bytes(data)
    if len(data) > TLV_MAX:
        raise WireError("field 62 of %d bytes is over %d" % (len(data), TLV_MAX))
    items = {}
    seen = set()
    pos = 0
    while pos < len(data):
        if len(data) - pos < _TAG_LEN + _LENGTH_LEN:
            raise WireError("TLV item at %d is cut short" % pos)
        tag = data[pos:pos + _TAG_LEN]
        length = data[pos + _TAG_LEN:pos + _TAG_LEN + _LENGTH_LEN]
        if not all(0x21 <= b <= 0x7E for b in tag):
            raise WireError("TLV tag at %d is not ASCII" % pos)
        if not set(length) <= set(b"0123456789"):
            raise WireError("TLV length at %d is not 3 digits" % (pos + _TAG_LEN))
        start = pos + _TAG_LEN + _LENGTH_LEN
        end = start + int(length)
        if end > len(data):
            raise WireError("TLV item at %d runs past the end" % pos)
        tag = tag.decode("ascii")
        if tag in seen:
            raise WireError("TLV tag %s appears twice" % tag)
        seen.add(tag)
        if tag in BINARY_TAGS:
            items[tag] = data[start:end]
        elif tag in KNOWN_TAGS:
            try:
                value = data[start:end].decode("utf-8")
            except UnicodeDecodeError:
                raise WireError("TLV %s is not UTF-8" % tag) from None
            if tag in AMOUNT_TAGS and not is_digits(value, _AMOUNT_LEN, _AMOUNT_LEN):
                raise WireError("TLV %s is not 12 digits of fen" % tag)
            items[tag] = value
        pos = end
    return items


def encode_tlv(items):
    """[(tag, str value), ...] -> TLV bytes."""
    out = bytearray()
    for tag, value in items:
        raw = value.encode("utf-8")
        if len(tag) != _TAG_LEN or len(raw) >= 10 ** _LENGTH_LEN:
            raise WireError("TLV %r of %d bytes cannot be encoded" % (tag, len(raw)))
        out += tag.encode("ascii") + b"%03d" % len(raw) + raw
    if len(out) > TLV_MAX:
        raise WireError("field 62 of %d bytes is over %d" % (len(out), TLV_MAX))
    return bytes(out)


def utf8_prefix(text, max_bytes):
    """The longest prefix of text whose UTF-8 fits max_bytes (never half a character)."""
    raw = text.encode("utf-8")[:max_bytes]
    return raw.decode("utf-8", "ignore")


# -- field 48 ----------------------------------------------------------------

def _half(digits):
    return (Totals(int(digits[0:12]), int(digits[12:15]), int(digits[15:27]),
                   int(digits[27:30])), int(digits[30]))


def decode_settlement(value):
    """-> (domestic Totals, domestic code, foreign Totals, foreign code)."""
    if len(value) != SETTLEMENT_LEN or not set(value) <= _DIGITS:
        raise WireError("settlement field 48 %r is not %d digits" % (value, SETTLEMENT_LEN))
    domestic, domestic_code = _half(value[:_HALF_LEN])
    foreign, foreign_code = _half(value[_HALF_LEN:])
    return domestic, domestic_code, foreign, foreign_code


def encode_settlement(domestic, domestic_code, foreign, foreign_code):
    out = ""
    for totals, code in ((domestic, domestic_code), (foreign, foreign_code)):
        if (totals.debit_count > 999 or totals.credit_count > 999
                or max(totals.debit_fen, totals.credit_fen) >= 10 ** _AMOUNT_LEN):
            raise WireError("settlement totals %r do not fit field 48" % (totals,))
        out += "%012d%03d%012d%03d%d" % (totals + (code,))
    return out


def decode_upload(value):
    """Batch upload 48 -> [UploadItem, ...] (1 to 8 items)."""
    if not set(value) <= _DIGITS or len(value) < 2:
        raise WireError("upload field 48 %r is not digits" % value)
    count = int(value[:2])
    if not 1 <= count <= UPLOAD_MAX_ITEMS or len(value) != 2 + count * UPLOAD_ITEM_LEN:
        raise WireError("upload field 48 does not hold %d items" % count)
    items = []
    for i in range(count):
        item = value[2 + i * UPLOAD_ITEM_LEN:2 + (i + 1) * UPLOAD_ITEM_LEN]
        items.append(UploadItem(item[:2], item[2:8], int(item[8:])))
    return items


def decode_upload_end(value):
    """Upload end 48 -> the number of items the terminal uploaded."""
    if not is_digits(value, UPLOAD_END_LEN, UPLOAD_END_LEN):
        raise WireError("upload end field 48 %r is not 4 digits" % value)
    return int(value)


# -- field 54 ----------------------------------------------------------------

def balance_field(kind, available_fen):
    """Available balance (debit) or available limit (credit), sign C."""
    account = ACCOUNT_CREDIT if kind == "credit" else ACCOUNT_DEBIT
    sign = "C" if available_fen >= 0 else "D"
    return account + AMOUNT_AVAILABLE + CURRENCY_CNY + sign + amount_text(abs(available_fen))
