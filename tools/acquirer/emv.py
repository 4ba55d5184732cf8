"""Field 55, the chip's data (docs/acquirer.md "Chip and contactless").

A strict BER-TLV reader and writer, the checks of an online chip request, the
issuer's cryptography (pyemv, never the firmware's): the ARQC it verifies, the
91 (ARPC + ARC) and the 72 (issuer script) it answers with, the TC a terminal
uploads at settlement, and the script results (DF31) a terminal reports. Every
reader raises `IccError`, a `spec.WireError`: the handlers answer 30.

Keys: one issuer master key for application cryptograms (IMK-AC, test data
"emv"); a card's master key is EMV option A of it (PAN, PSN), the session key
the EMV common session key of the ATC. The issuer script's MAC is under that
session key too (the test issuer keeps no separate secure messaging key).
"""

import json
import warnings

from cryptography.utils import CryptographyDeprecationWarning
from pyemv import ac, kd, sm

from .spec import WireError

# pyemv 1.5 reaches 3DES through cryptography's deprecated name: a warning about pyemv, not us.
warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=r"pyemv\.")

MAX_BYTES = 255
_MAX_TAG_LEN = 3

CHIP_ENTRY = ("05", "07")          # 22 digits 1-2: contact chip, contactless
CONTACTLESS_NO_PIN = "072"
NO_PIN_LIMIT_FEN = 100000          # CUP 小额免密: a tap of at most 1 000.00 yuan needs no PIN

# Tags an online chip request must carry, with their lengths (bytes, low..high).
REQUIRED = {
    "9F26": (8, 8), "9F27": (1, 1), "9F10": (7, 32), "9F37": (4, 4), "9F36": (2, 2),
    "95": (5, 5), "9A": (3, 3), "9C": (1, 1), "9F02": (6, 6), "5F2A": (2, 2), "82": (2, 2),
    "9F1A": (2, 2), "9F03": (6, 6), "9F33": (3, 3), "9F34": (3, 3), "9F35": (1, 1),
    "9F1E": (8, 8), "84": (5, 16), "9F09": (2, 2), "9F41": (2, 4),
}
# An application cryptogram (the ARQC, the TC) covers these, in this order, then the CVR of 9F10.
AC_TAGS = ("9F02", "9F03", "9F1A", "95", "5F2A", "9A", "9C", "9F37", "82", "9F36")
# A TC upload's 55 (0320/203): the second GENERATE AC's TC with what the card was given (95) and
# answered (9F27, 9F36, 9F10) then, and the TSI; the rest of what the TC covers is the original's.
TC_UPLOAD = {"9F26": (8, 8), "9F27": (1, 1), "9F36": (2, 2), "95": (5, 5), "9B": (2, 2), "9F10": (7, 32)}
SECOND_AC_TAGS = ("95", "9F36", "9F10", "9F26")
_CVR = slice(3, 7)                 # 9F10 = length 07, DKI, CVN, CVR (4 bytes), ...
_CVN = 2
SUPPORTED_CVN = 0x01
_CVR_AC_TYPES = 4                  # 9F10's CVR byte 2: bits 8-7 the second GENERATE AC's AC, 6-5 the first's
_CVR_SECOND_AC = 0xC0
_CVR_SECOND_TC = 0x40
_CID_TYPE = 0xC0                   # 9F27 bits 8-7: 00 AAC, 01 TC, 10 ARQC
CID_ARQC = 0x80
CID_TC = 0x40
SCRIPT_RESULT_LEN = 5              # DF31 per script: result nibble + command number, 9F18 (4)
SCRIPT_DONE = 0x2                  # DF31 high nibble: 0 not done, 1 failed, 2 done
# Card data the store never keeps: PAN, track 2 equivalent, holder name, track 1 and 2 data.
CARD_DATA_TAGS = frozenset(("5A", "57", "5F20", "9F1F", "9F20", "56", "9F6B"))

SCRIPT_ID = bytes.fromhex("00000001")
# PUT DATA of the lower consecutive offline limit (9F58) with secure messaging (CLA 04).
_PUT_DATA = bytes.fromhex("04DA9F58")
SCRIPT_VALUE = b"\x0A"
_SCRIPT_MAC_LEN = 4


class IccError(WireError):
    """Field 55 that is not the BER-TLV, or not the data, a chip request needs."""


# -- BER-TLV -----------------------------------------------------------------

def decode(data, max_bytes=MAX_BYTES, what="field 55"):
    """Field 55 (or other BER-TLV data of at most max_bytes) -> {tag hex: value bytes}, top level
    only (a template's value stays raw).

    Strict: no padding bytes, tags of at most 3 bytes, lengths in 1 to 3 bytes, no value
    past the end, no tag twice."""
    data = bytes(data)
    if len(data) > max_bytes:
        raise IccError("%s of %d bytes is over %d" % (what, len(data), max_bytes))
    tags = {}
    pos = 0
    while pos < len(data):
        start = pos
        if data[pos] in (0x00, 0xFF):
            raise IccError("padding byte at %d" % pos)
        end = pos + 1
        if data[pos] & 0x1F == 0x1F:
            while end < len(data) and data[end] & 0x80:
                end += 1
            end += 1
        if end > len(data) or end - pos > _MAX_TAG_LEN:
            raise IccError("tag at %d is cut short or longer than %d bytes" % (pos, _MAX_TAG_LEN))
        tag = data[pos:end].hex().upper()
        pos = end
        if pos >= len(data):
            raise IccError("tag %s at %d has no length" % (tag, start))
        size = data[pos]
        pos += 1
        if size & 0x80:
            count = size & 0x7F
            if not 1 <= count <= 2 or pos + count > len(data):
                raise IccError("tag %s at %d has a bad length" % (tag, start))
            size = int.from_bytes(data[pos:pos + count], "big")
            pos += count
        if pos + size > len(data):
            raise IccError("tag %s at %d runs past the end" % (tag, start))
        if tag in tags:
            raise IccError("tag %s appears twice" % tag)
        tags[tag] = data[pos:pos + size]
        pos += size
    if "DF31" in tags:
        script_results(tags["DF31"])
    return tags


def encode(items, max_bytes=MAX_BYTES, field=55):
    """[(tag hex, value bytes), ...] -> BER-TLV bytes of at most max_bytes (field 55's by default)."""
    out = bytearray()
    for tag, value in items:
        size = len(value)
        length = bytes((size,)) if size < 0x80 else b"\x81" + bytes((size,))
        out += bytes.fromhex(tag) + length + value
    if len(out) > max_bytes:
        raise IccError("field %d of %d bytes is over %d" % (field, len(out), max_bytes))
    return bytes(out)


# -- the request -------------------------------------------------------------

def is_chip(entry_mode):
    """Field 22 says the card was read from its chip, by contact or contactless."""
    return (entry_mode or "")[:2] in CHIP_ENTRY


def check_online(tags):
    """The tags of an online chip request are all there, with their lengths; the card asked
    to go online (9F27 an ARQC); 9F10 has the CUP layout. Raises IccError."""
    for tag, (low, high) in REQUIRED.items():
        if tag not in tags:
            raise IccError("tag %s missing" % tag)
        if not low <= len(tags[tag]) <= high:
            raise IccError("tag %s of %d bytes" % (tag, len(tags[tag])))
    if tags["9F27"][0] & _CID_TYPE != CID_ARQC:
        raise IccError("9F27 %s is not an ARQC" % tags["9F27"].hex())
    if tags["9F10"][0] != 7:
        raise IccError("9F10 %s does not start with its length 07" % tags["9F10"].hex())
    amount_fen(tags)


def amount_fen(tags):
    """9F02, n12 BCD -> fen."""
    digits = tags["9F02"].hex()
    if not digits.isdigit():
        raise IccError("9F02 %s is not BCD" % digits)
    return int(digits)


def session_key(imk, pan, psn, atc):
    """The card's AC session key: its master key (option A) and the ATC."""
    icc_mk = kd.derive_icc_mk_a(imk, pan, psn)
    return kd.derive_common_sk(icc_mk, atc + bytes(6))


def ac_data(tags):
    return b"".join(tags[tag] for tag in AC_TAGS) + tags["9F10"][_CVR]


def verify_ac(imk, pan, card_sequence, tags):
    """-> the session key when 9F26 is the card's application cryptogram over tags (an ARQC, a
    TC), else None.

    card_sequence: field 23 (n3); the PSN is its last 2 digits."""
    if imk is None or tags["9F10"][_CVN] != SUPPORTED_CVN:
        return None
    key = session_key(imk, pan, card_sequence[-2:], tags["9F36"])
    if ac.generate_ac(key, ac_data(tags)) != tags["9F26"]:
        return None
    return key


def check_tc_upload(tags):
    """A TC upload's 55 carries the tags of TC_UPLOAD with their lengths, 9F27 says TC and 9F10
    has the CUP layout. Raises IccError."""
    for tag, (low, high) in TC_UPLOAD.items():
        if tag not in tags:
            raise IccError("tag %s missing" % tag)
        if not low <= len(tags[tag]) <= high:
            raise IccError("tag %s of %d bytes" % (tag, len(tags[tag])))
    if not is_tc(tags):
        raise IccError("9F27 %s is not a TC" % tags["9F27"].hex())
    if tags["9F10"][0] != 7:
        raise IccError("9F10 %s does not start with its length 07" % tags["9F10"].hex())


def verify_tc(imk, pan, card_sequence, original, uploaded):
    """The uploaded 9F26 is the card's TC: an AC over what its second GENERATE AC had, the original
    request's 9F02 9F03 9F1A 5F2A 9A 9C 9F37 82 (CDOL2 asks the same), the uploaded 95 and 9F36,
    and the CVR of the uploaded 9F10, that CVR saying the second GENERATE AC gave a TC (the ARQC
    covers the same data). original: the original request's tags, as `loaded` gives."""
    if (any(tag not in original for tag in AC_TAGS)
            or uploaded["9F10"][_CVR_AC_TYPES] & _CVR_SECOND_AC != _CVR_SECOND_TC):
        return False
    tags = dict(original)
    tags.update((tag, uploaded[tag]) for tag in SECOND_AC_TAGS)
    return verify_ac(imk, pan, card_sequence, tags) is not None


def pin_waived(entry_mode, amount):
    """A contactless request without a PIN (22 = 072) for at most NO_PIN_LIMIT_FEN."""
    return entry_mode == CONTACTLESS_NO_PIN and amount is not None and amount <= NO_PIN_LIMIT_FEN


# -- the answer --------------------------------------------------------------

def response_code_bytes(code):
    """The ARC: the answer's field 39, two ASCII characters (00 -> 30 30)."""
    return code.encode("ascii")


def answer_data(key, tags, code, script=False):
    """Field 55 of the answer: 91 = ARPC (method 1) + ARC, and with script the 72 template."""
    arc = response_code_bytes(code)
    items = [("91", ac.generate_arpc_1(key, tags["9F26"], arc) + arc)]
    if script:
        items.append(("72", issuer_script(key, tags)))
    return encode(items)


def issuer_script(key, tags):
    """The value of a 72 template: 9F18 script id, 86 PUT DATA 9F58 with a 4-byte MAC over
    the command header and Lc, the ATC, the ARQC and the data (EMV Book 2 A1.2)."""
    header = _PUT_DATA + bytes((len(SCRIPT_VALUE) + _SCRIPT_MAC_LEN,))
    mac = sm.generate_command_mac(key, header + tags["9F36"] + tags["9F26"] + SCRIPT_VALUE,
                                  _SCRIPT_MAC_LEN)
    return encode((("9F18", SCRIPT_ID), ("86", header + SCRIPT_VALUE + mac)))


# -- script results and what the store keeps -------------------------------

def script_results(value):
    """DF31 -> [(result nibble, command number, script id hex)]. Raises IccError."""
    if not value or len(value) % SCRIPT_RESULT_LEN:
        raise IccError("DF31 of %d bytes is not results of %d bytes" % (len(value), SCRIPT_RESULT_LEN))
    return [(value[i] >> 4, value[i] & 0x0F, value[i + 1:i + SCRIPT_RESULT_LEN].hex().upper())
            for i in range(0, len(value), SCRIPT_RESULT_LEN)]


def is_tc(tags):
    """9F26 is a TC (9F27 says so): the card's final cryptogram, approved."""
    cid = tags.get("9F27")
    return ("9F26" in tags and cid is not None and len(cid) == 1
            and cid[0] & _CID_TYPE == CID_TC and len(tags["9F26"]) == 8)


def script_done(value):
    """Some script of DF31 ran to its end on the card."""
    return any(result == SCRIPT_DONE for result, _, _ in script_results(value))


def stored(tags):
    """The tags as the store keeps them: JSON {tag: hex}, card data left out; None for none."""
    if tags is None:
        return None
    return json.dumps({tag: value.hex().upper() for tag, value in sorted(tags.items())
                       if tag not in CARD_DATA_TAGS}, sort_keys=True)


def loaded(icc_json):
    """The tags the store kept ({tag: bytes}); {} for none."""
    return {tag: bytes.fromhex(value) for tag, value in json.loads(icc_json or "{}").items()}


def summary(icc_json, answer_hex, tc_hex, script_result_hex):
    """What the back office and an e-receipt show of a chip transaction, or None."""
    if icc_json is None:
        return None
    tags = json.loads(icc_json)
    answer = decode(bytes.fromhex(answer_hex)) if answer_hex else {}
    cid = tags.get("9F27")
    arqc = tags.get("9F26") if cid and int(cid, 16) & _CID_TYPE == CID_ARQC else None
    return {
        "aid": tags.get("84") or tags.get("9F06"),
        "arqc": arqc,
        "tc": tc_hex,
        "tvr": tags.get("95"),
        "tsi": tags.get("9B"),
        "atc": tags.get("9F36"),
        "arpc": answer["91"][:8].hex().upper() if "91" in answer else None,
        "script_sent": "72" in answer or "71" in answer,
        "script_result": script_result_hex,
        "tags": tags,
    }
