# The PBOC 3.0 / EMV contact kernel, sans-IO: every command to the card is an Apdu effect the
# runner carries out with its card reader; the steps are generator functions a flow drives with
# `yield from`, in the order of EMV Book 3 section 10 (docs/emv.md):
#
#   candidates      PSE 1PAY.SYS.DDF01, else each AID the terminal knows: [(aid, label, priority)]
#   initiate        SELECT the application chosen, GET PROCESSING OPTIONS with its PDOL
#   read_records    READ RECORD per AFL entry; what offline data authentication signs is kept
#   authenticate    offline data authentication (DDA, else SDA) with the CA keys the host gave
#   restrict        processing restrictions: versions, effective and expiry dates, usage control
#   cardholder      the CVM list: online PIN, signature, or nothing, as this terminal supports
#   first_ac        terminal risk management (floor limit 0: online always), terminal action
#                   analysis (TAC / IAC), the first GENERATE AC (ARQC, or AAC when denied)
#   field55         the ICC data of the request
#   complete        the host's answer: scripts 71, EXTERNAL AUTHENTICATE with its ARPC, the second
#                   GENERATE AC (TC or AAC), scripts 72; their results for the reversal and the notice
#
# A card the kernel cannot go on with raises CardError(why), why an i18n key; one that leaves
# mid-way CardGone, a CardError of its own ("card_removed"). Nothing here writes flash or touches a driver.
from binascii import unhexlify

from pos import const, rescodes
from pos.emv import tlv
from pos.engine import Apdu
from pos.results import CARD_GONE

PSE = b"1PAY.SYS.DDF01"
# The applications this terminal accepts until the host's AID parameters say otherwise (380):
# UnionPay debit, credit, quasi-credit.
AIDS = ("A000000333010101", "A000000333010102", "A000000333010103")
APP_VERSION = b"\x00\x30"                 # 9F09
# 9F33: keyed, magstripe, IC; online PIN, signature, no CVM; SDA, DDA, card capture, CDA.
CAPABILITIES = b"\xe0\x68\xc8"
TERMINAL_TYPE = b"\x22"                   # 9F35: attended, online with offline capability
COUNTRY = b"\x01\x56"                     # 9F1A and 5F2A: China, CNY
# Terminal action code denial (the host's AID parameters may bring another). The terminal is
# online only: what TAC / IAC online and default would decide is always "go online".
TAC_DENIAL = b"\x00\x00\x00\x00\x00"

# TVR bits as (byte index << 8 | mask).
ODA_NOT_DONE = const(0x0080)
SDA_FAILED = const(0x0040)
ICC_DATA_MISSING = const(0x0020)
DDA_FAILED = const(0x0008)
VERSIONS_DIFFER = const(0x0180)
EXPIRED = const(0x0140)
NOT_EFFECTIVE = const(0x0120)
SERVICE_NOT_ALLOWED = const(0x0110)
CVM_FAILED = const(0x0280)
UNKNOWN_CVM = const(0x0240)
ONLINE_PIN_ENTERED = const(0x0204)
OVER_FLOOR_LIMIT = const(0x0380)
ISSUER_AUTH_FAILED = const(0x0440)
SCRIPT_FAILED_BEFORE = const(0x0420)
SCRIPT_FAILED_AFTER = const(0x0410)
# TSI bits, the same way.
TSI_ODA = const(0x0080)
TSI_CVM = const(0x0040)
TSI_CARD_RISK = const(0x0020)
TSI_ISSUER_AUTH = const(0x0010)
TSI_TERMINAL_RISK = const(0x0008)
TSI_SCRIPTS = const(0x0004)

# Cryptogram information data: the AC type in its two top bits.
AAC = const(0x00)
TC = const(0x40)
ARQC = const(0x80)

# The request's field 55, in this order (docs/protocol.md, field 55).
FIELD55 = (0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03,
           0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41, 0x9F66)      # 9F66 of a tap only
REVERSAL55 = (0x95, 0x9F10, 0x9F36, 0xDF31)
UNABLE_ONLINE = b"Z3"                    # 8A of the second GENERATE AC when no answer came


class CardError(Exception):
    """The chip cannot go on; args[0] is what the merchant reads (an i18n key)."""


class CardGone(CardError):
    """The card left the slot or the field: CardGone("card_removed")."""


class Session:
    """One chip transaction's data: the card's tags and the terminal's, TVR and TSI."""

    def __init__(self, reader, screen, amount, kind, day, hms, trace, serial):
        self.reader = reader            # "icc" or "nfc"
        self.screen = screen            # what the LCD shows while the card works
        self.tvr = bytearray(5)
        self.tsi = bytearray(2)
        self.oda_data = bytearray()     # the records offline data authentication signs
        self.scripts = bytearray()      # DF31: a result byte and the script's 4-byte id, per script
        self.cvm = None                 # "pin", "signature" or "none"
        self.tac_denial = TAC_DENIAL    # the host's for the application chosen, when it gave one
        self.signed_tvr = None          # the TVR the last GENERATE AC's cryptogram covers
        self.t = {
            0x9F02: _bcd(amount, 6), 0x9F03: bytes(6), 0x9F1A: COUNTRY, 0x5F2A: COUNTRY,
            0x9A: unhexlify(day[2:8]), 0x9F21: unhexlify(hms), 0x9C: unhexlify(kind),
            0x9F37: _unpredictable(), 0x9F33: CAPABILITIES, 0x9F35: TERMINAL_TYPE,
            0x9F09: APP_VERSION, 0x9F41: _bcd(trace, 4), 0x9F1E: serial.encode()[-8:],
        }

    def set(self, bit, on=True):
        if on:
            self.tvr[bit >> 8] |= bit & 0xFF

    def done(self, bit):
        self.tsi[bit >> 8] |= bit & 0xFF

    def values(self):
        """Every tag the card and the terminal gave, TVR and TSI as they stand."""
        self.t[0x95] = bytes(self.tvr)
        self.t[0x9B] = bytes(self.tsi)
        return self.t

    def tag(self, tag):
        return self.values().get(tag)

    @property
    def pan(self):
        pan = self.t.get(0x5A)
        return _digits(pan) if pan else None


def _bcd(number, size):
    return unhexlify("%0*d" % (2 * size, number))


def _digits(raw):
    return hexstr(raw).rstrip("F")


def _unpredictable():
    import os
    return os.urandom(4)


def command(s, apdu):
    """(data, SW as int) of one command to the card; CardGone, or CardError when the reader fails."""
    answer = yield Apdu(s.reader, apdu, s.screen)
    if not isinstance(answer, (bytes, bytearray)):      # CARD_GONE or CARD_ERROR
        if answer == CARD_GONE:
            raise CardGone("card_removed")
        raise CardError("card_unreadable")
    if len(answer) < 2:
        raise CardError("card_unreadable")
    return answer[:-2], answer[-2] << 8 | answer[-1]


def apdu(cla, ins, p1, p2, data=None, le=True):
    head = bytes((cla, ins, p1, p2))
    if data is None:
        return head + b"\x00"
    return head + bytes((len(data),)) + bytes(data) + (b"\x00" if le else b"")


def _select(s, name):
    return (yield from command(s, apdu(0x00, 0xA4, 0x04, 0x00, name)))


def _parse(data):
    try:
        return tlv.flatten(data)
    except tlv.TlvError:
        raise CardError("card_unreadable")


def candidates(s, aids=AIDS):
    """The applications both the card and the terminal know, by priority: [(aid hex, label,
    priority)]. The PSE's directory when the card has one, else a SELECT of each AID."""
    from binascii import hexlify
    found = []
    data, sw = yield from _select(s, PSE)
    if sw == 0x9000:
        sfi = tlv.find(data, 0x88)
        number = 1
        while sfi and len(sfi) == 1 and number <= 10:
            rec, sw = yield from command(s, apdu(0x00, 0xB2, number, sfi[0] << 3 | 4))
            if sw != 0x9000:
                break
            try:
                for tag, entry in tlv.walk(tlv.find(rec, 0x70) or b""):
                    if tag == 0x61:
                        e = tlv.flatten(entry)
                        aid = hexlify(e.get(0x4F, b"")).decode().upper()
                        if aid in aids:
                            found.append((aid, label(e), (e.get(0x87) or b"\x0f")[0] & 0x0F))
            except tlv.TlvError:
                raise CardError("card_unreadable")
            number += 1
    if not found:
        for aid in aids:
            data, sw = yield from _select(s, unhexlify(aid))
            if sw == 0x9000:
                e = _parse(data)
                found.append((aid, label(e), (e.get(0x87) or b"\x0f")[0] & 0x0F))
    found.sort(key=lambda a: a[2])
    return found


def label(e):
    """The application's name to show: its preferred name (9F12), else its label (50)."""
    for tag in (0x9F12, 0x50):
        raw = e.get(tag)
        if raw:
            try:
                return bytes(raw).decode()
            except UnicodeError:
                pass
    return ""


def initiate(s, aid):
    """SELECT the application and GET PROCESSING OPTIONS: AIP (82) and AFL (94) in s. CardError
    "chip_not_accepted" when the card refuses this application here (6985)."""
    data, sw = yield from _select(s, unhexlify(aid))
    if sw != 0x9000:
        raise CardError("chip_not_accepted")
    fci = _parse(data)
    s.t[0x84] = unhexlify(aid)
    for tag in (0x50, 0x9F12, 0x9F38):
        if tag in fci:
            s.t[tag] = fci[tag]
    pdol = fci.get(0x9F38, b"")
    try:
        pdol_data = tlv.build_dol(pdol, s.values())
    except tlv.TlvError:
        raise CardError("card_unreadable")
    data, sw = yield from command(s, apdu(0x80, 0xA8, 0x00, 0x00, tlv.encode(0x83, pdol_data)))
    if sw == 0x6985:
        raise CardError("chip_not_accepted")
    if sw != 0x9000 or not data:
        raise CardError("card_unreadable")
    if data[0] == 0x80:                       # format 1: AIP then AFL
        body = tlv.find(data, 0x80) or b""
        if len(body) < 2:
            raise CardError("card_unreadable")
        s.t[0x82], s.t[0x94] = bytes(body[:2]), bytes(body[2:])
    else:
        _parse(data)
        tlv.flatten(data, s.t)
    if 0x82 not in s.t or 0x94 not in s.t or len(s.t[0x94]) % 4:
        raise CardError("card_unreadable")


def read_records(s, required=(0x5A, 0x5F24, 0x8C, 0x8D)):
    """Every record the AFL names into s; the ones it marks for ODA kept in s.oda_data. A tag of
    required missing: CardError."""
    afl = s.t[0x94]
    for i in range(0, len(afl), 4):
        sfi, first, last, oda = afl[i] >> 3, afl[i + 1], afl[i + 2], afl[i + 3]
        if not 1 <= sfi <= 30 or first == 0 or last < first or oda > last - first + 1:
            raise CardError("card_unreadable")
        for number in range(first, last + 1):
            data, sw = yield from command(s, apdu(0x00, 0xB2, number, sfi << 3 | 4))
            if sw != 0x9000:
                raise CardError("card_unreadable")
            try:
                body = tlv.find(data, 0x70) if data and data[0] == 0x70 else None
                if body is None:
                    raise tlv.TlvError("no record template")
                tlv.flatten(body, s.t)
            except tlv.TlvError:
                raise CardError("card_unreadable")
            if number - first < oda:
                s.oda_data.extend(body if sfi <= 10 else data)
    for tag in required:
        if tag not in s.t:
            s.set(ICC_DATA_MISSING)
            raise CardError("card_unreadable")
    if 0x57 not in s.t:
        s.set(ICC_DATA_MISSING)


def track2(s):
    """Track 2 as field 35 carries it (digits, '=' as the separator) from tag 57, or None."""
    raw = s.t.get(0x57)
    if not raw:
        return None
    return _digits(raw).replace("D", "=")


def authenticate(s, capks, today):
    """Offline data authentication: DDA when both sides can, else SDA; the TVR says how it went.
    capks: {(RID hex, index): (modulus bytes, exponent int)} from the host (0800, 370)."""
    from pos.emv import oda
    aip = s.t[0x82][0]
    if not aip & 0x60:
        s.set(ODA_NOT_DONE)
        return
    s.done(TSI_ODA)
    dda = bool(aip & 0x20)
    failed = DDA_FAILED if dda else SDA_FAILED
    index = s.t.get(0x8F)
    capk = capks.get((hexstr(s.t[0x84][:5]), index[0])) if index and len(index) == 1 else None
    if capk is None or 0x90 not in s.t:
        s.set(ICC_DATA_MISSING)
        s.set(failed)
        return
    pan = s.pan
    static = bytes(s.oda_data)
    if 0x9F4A in s.t:
        if s.t[0x9F4A] != b"\x82":
            s.set(failed)
            return
        static += s.t[0x82]
    try:
        issuer = oda.issuer_key(capk[0], capk[1], s.t[0x90], s.t.get(0x92, b""), s.t.get(0x9F32, b"\x03"), pan,
                                today)
        if not dda:
            oda.verify_sda(issuer, s.t.get(0x93, b""), static)
            return
        icc = oda.icc_key(issuer, s.t.get(0x9F46, b""), s.t.get(0x9F48, b""), s.t.get(0x9F47, b"\x03"), static,
                          pan, today)
        ddol = s.t.get(0x9F49, b"\x9f\x37\x04")
        data, sw = yield from command(s, apdu(0x00, 0x88, 0x00, 0x00, tlv.build_dol(ddol, s.values())))
        if sw != 0x9000:
            raise oda.OdaError("INTERNAL AUTHENTICATE refused")
        sdad = tlv.find(data, 0x9F4B) if data[:1] == b"\x77" else tlv.find(data, 0x80)
        oda.verify_dda(icc, sdad or b"", tlv.build_dol(ddol, s.values()))
    except (oda.OdaError, tlv.TlvError):
        s.set(failed)


def hexstr(raw):
    from binascii import hexlify
    return hexlify(raw).decode().upper()


def restrict(s, today):
    """Processing restrictions (Book 3 10.4): versions, dates, usage control. today: 'YYMMDD'."""
    version = s.t.get(0x9F08)
    s.set(VERSIONS_DIFFER, version is not None and version != APP_VERSION)
    expiry = s.t.get(0x5F24)
    s.set(EXPIRED, expiry is not None and hexstr(expiry) < today)
    effective = s.t.get(0x5F25)
    s.set(NOT_EFFECTIVE, effective is not None and hexstr(effective) > today)
    auc = s.t.get(0x9F07)
    if auc and len(auc) >= 2:
        domestic = s.t.get(0x5F28) == s.t[0x9F1A]
        if s.t[0x9C] in (b"\x00", b"\x31"):          # goods and services, inquiry
            need = 0x28 if domestic else 0x14       # goods|services valid (domestic / international)
            s.set(SERVICE_NOT_ALLOWED, not auc[0] & need)


def cardholder(s):
    """The CVM list's first rule that applies and this terminal can do: "pin" (online PIN),
    "signature" or "none"; TVR and 9F34 say what happened."""
    s.done(TSI_CVM)
    cvm = s.t.get(0x8E)
    if not cvm or len(cvm) < 10 or len(cvm) % 2:
        s.set(ICC_DATA_MISSING)
        s.t[0x9F34] = b"\x3f\x00\x00"
        s.cvm = "none"
        return s.cvm
    x = int.from_bytes(cvm[0:4], "big")
    amount = int(hexstr(s.t[0x9F02]))
    for i in range(8, len(cvm), 2):
        rule, condition = cvm[i], cvm[i + 1]
        code = rule & 0x3F
        if not _applies(condition, amount, x, code):
            continue
        if code == 0x02:
            s.cvm = "pin"
            s.set(ONLINE_PIN_ENTERED)
            s.t[0x9F34] = bytes((rule, condition, 0x00))
            return s.cvm
        if code in (0x1E, 0x1F):
            s.cvm = "signature" if code == 0x1E else "none"
            s.t[0x9F34] = bytes((rule, condition, 0x00 if code == 0x1E else 0x02))
            return s.cvm
        if code in (0x01, 0x03, 0x04, 0x05):  # offline PIN: no PIN pad in the card's reach here
            if not rule & 0x40:
                break
            continue
        s.set(UNKNOWN_CVM)
        if not rule & 0x40:
            break
    s.set(CVM_FAILED)
    s.t[0x9F34] = b"\x3f\x00\x01"
    s.cvm = "none"
    return s.cvm


def _applies(condition, amount, x, code):
    if condition in (0x00, 0x02):            # always; not cash
        return True
    if condition == 0x03:                    # if the terminal supports the CVM
        return code in (0x02, 0x1E, 0x1F)
    if condition == 0x06:
        return amount < x
    if condition == 0x07:
        return amount > x
    return False


def first_ac(s):
    """Terminal risk management and action analysis, then the first GENERATE AC: the cryptogram's
    type (ARQC to go online, AAC when the card or the terminal declines)."""
    s.set(OVER_FLOOR_LIMIT)                  # floor limit 0: every transaction goes online
    s.done(TSI_TERMINAL_RISK)
    tvr = s.tvr
    denial = _any(tvr, s.tac_denial, s.t.get(0x9F0E, bytes(5)))
    asked = AAC if denial else ARQC
    cid = yield from _generate_ac(s, asked, s.t[0x8C])
    s.done(TSI_CARD_RISK)
    return cid


def _any(tvr, *codes):
    for code in codes:
        for i in range(5):
            if i < len(code) and tvr[i] & code[i]:
                return True
    return False


def _generate_ac(s, asked, dol):
    try:
        data = tlv.build_dol(dol, s.values())
    except tlv.TlvError:
        raise CardError("card_unreadable")
    s.signed_tvr = bytes(s.tvr)
    answer, sw = yield from command(s, apdu(0x80, 0xAE, asked, 0x00, data))
    if sw != 0x9000 or not answer:
        raise CardError("card_unreadable")
    if answer[0] == 0x80:                    # format 1: CID, ATC, AC, IAD
        body = tlv.find(answer, 0x80) or b""
        if len(body) < 11:
            raise CardError("card_unreadable")
        s.t[0x9F27], s.t[0x9F36], s.t[0x9F26] = body[0:1], body[1:3], body[3:11]
        s.t[0x9F10] = bytes(body[11:])
    else:
        got = _parse(answer)
        for tag in (0x9F27, 0x9F36, 0x9F26, 0x9F10):
            if tag in got:
                s.t[tag] = got[tag]
    cid = s.t.get(0x9F27)
    if not cid or 0x9F26 not in s.t or 0x9F36 not in s.t:
        raise CardError("card_unreadable")
    return cid[0] & 0xC0


def field55(s, tags=FIELD55):
    """The ICC data a request carries: the tags known, in the order given."""
    v = s.values()
    out = bytearray()
    for tag in tags:
        if tag in v:
            out.extend(tlv.encode(tag, v[tag]))
    return bytes(out)


def reversal55(s):
    """What the reversal's field 55 carries: TVR, issuer application data, ATC, the scripts' results."""
    return field55(s, REVERSAL55)


def complete(s, answer55, code):
    """The host's answer into the card: issuer scripts 71, EXTERNAL AUTHENTICATE with the ARPC
    (tag 91), the second GENERATE AC (TC asked when code approves, else AAC), scripts 72.
    answer55: the answer's field 55 (b"" when none), code: its field 39, None when no answer
    came. Returns TC or AAC, the card's say."""
    try:
        items = tlv.items(answer55) if answer55 else []
    except tlv.TlvError:
        items = []
    for tag, script in items:
        if tag == 0x71:
            yield from _script(s, script, SCRIPT_FAILED_BEFORE)
    arpc = None
    for tag, value in items:
        if tag == 0x91:
            arpc = bytes(value)
    if arpc is not None and s.t[0x82][0] & 0x04:
        s.done(TSI_ISSUER_AUTH)
        _data, sw = yield from command(s, apdu(0x00, 0x82, 0x00, 0x00, arpc, le=False))
        s.set(ISSUER_AUTH_FAILED, sw != 0x9000)
    approved = code is not None and rescodes.is_approved(code)
    s.t[0x8A] = code.encode() if code is not None else UNABLE_ONLINE
    cid = yield from _generate_ac(s, TC if approved else AAC, s.t[0x8D])
    for tag, script in items:
        if tag == 0x72:
            yield from _script(s, script, SCRIPT_FAILED_AFTER)
    return cid


def _script(s, script, failed_bit):
    """One issuer script's commands (86) sent in order until one fails; its DF31 result kept."""
    s.done(TSI_SCRIPTS)
    try:
        parts = tlv.items(script)
    except tlv.TlvError:
        parts = []
    ident = b"\x00\x00\x00\x00"
    result, n = 0x20, 0                      # 2x: done; 1x: failed at command x
    for tag, value in parts:
        if tag == 0x9F18 and len(value) == 4:
            ident = bytes(value)
        elif tag == 0x86:
            n += 1
            _data, sw = yield from command(s, bytes(value))
            if sw >> 8 not in (0x90, 0x62, 0x63):
                result = 0x10 | min(n, 15)
                s.set(failed_bit)
                break
    s.scripts.extend(bytes((result,)) + ident)
    s.t[0xDF31] = bytes(s.scripts)
