# A PBOC chip card that answers APDUs as one does: the simulator's and the tests' virtual cards
# (docs/emv.md, "Test cards"). Its personalisation (applications, records, AIP, AFL, the ICC key
# that signs DDA) is tools/testdata/emv_cards.json's, made by tools/emvperso.py; its cryptograms
# are the issuer's: the ICC master key derived from the IMK-AC by EMV option A, a session key per
# ATC (EMV common session key), AC = ISO 9797-1 MAC algorithm 3 with padding method 2 over
# 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37 (the CDOL's first 29 bytes) 82 9F36 and the CVR, ARPC method 1.
#
# Commands: SELECT by name (PSE, PPSE, an AID), READ RECORD, GET PROCESSING OPTIONS (contact: AIP
# and AFL; contactless qPBOC: the ARQC at once), GET DATA (9F36, 9F13, 9F17), INTERNAL
# AUTHENTICATE (DDA), GENERATE AC (first: ARQC or AAC; second: TC or AAC), EXTERNAL AUTHENTICATE
# (the ARPC), and issuer script commands (CLA 84 / 04): 90 00. Anything else: 6D 00.
import os
from binascii import unhexlify

from pos import des
from pos.emv.tlv import encode

PSE = b"1PAY.SYS.DDF01"
PPSE = b"2PAY.SYS.DDF01"
ATR = b"\x3b\x02\x14\x50"           # direct convention, T=0, two historical bytes
ACCEPTED_ARC = (b"00", b"10", b"11", b"16", b"A2", b"A4", b"A5", b"A6")  # the host's approvals
_AC_DATA = 29                       # 9F02 6, 9F03 6, 9F1A 2, 95 5, 5F2A 2, 9A 3, 9C 1, 9F37 4
# CVR byte 2: the AC types returned, second GENERATE AC (bits 8-7) and first (bits 6-5).
_CVR_ARQC = 0xA0
_CVR_AAC_FIRST = 0x80
_CVR_TC = 0x60
_CVR_AAC = 0x20
_CID_AAC = 0x00
_CID_TC = 0x40
_CID_ARQC = 0x80


def _sw(data, sw=b"\x90\x00"):
    return bytes(data) + sw


def _parity(key):
    out = bytearray(key)
    for i in range(len(out)):
        b = out[i] & 0xFE
        ones = 0
        for bit in range(1, 8):
            ones += b >> bit & 1
        out[i] = b | (0 if ones & 1 else 1)
    return bytes(out)


def _xor8(a, b):
    return bytes(a[i] ^ b[i] for i in range(8))


def icc_master_key(imk, pan, psn):
    """EMV option A: the card's AC master key from the issuer's."""
    a = unhexlify(("0" * 16 + pan + psn)[-16:])
    b = bytes(x ^ 0xFF for x in a)
    return _parity(des.tdes_encrypt_block(imk, a) + des.tdes_encrypt_block(imk, b))


def session_key(mk, atc):
    """EMV common session key derivation with R = ATC and six zero bytes."""
    left = bytearray(atc + bytes(6))
    right = bytearray(left)
    left[2], right[2] = 0xF0, 0x0F
    return _parity(des.tdes_encrypt_block(mk, left) + des.tdes_encrypt_block(mk, right))


def mac3(key, data):
    """ISO 9797-1 MAC algorithm 3 (retail MAC), padding method 2, of a double-length key."""
    data = bytes(data) + b"\x80"
    data += bytes(-len(data) % 8)
    k1, k2 = key[:8], key[8:]
    h = bytes(8)
    for i in range(0, len(data), 8):
        h = des.des_encrypt_block(k1, _xor8(h, data[i:i + 8]))
    return des.des_encrypt_block(k1, des.des_decrypt_block(k2, h))


def arpc(sk, arqc, arc):
    """ARPC method 1: 3DES of the ARQC XOR the ARC padded with zeros."""
    return des.tdes_encrypt_block(sk, _xor8(arqc, arc + bytes(6)))


class ChipCard:
    """One card's applications and state; called with a C-APDU, returns the R-APDU.

    card: an entry of emv_cards.json's "cards"; imk: the IMK-AC (16 bytes). The test card chip_aac
    refuses the host's approval at the second GENERATE AC.
    """

    def __init__(self, card, imk):
        self.card = card
        self.pan = card["pan"]
        self.mk = icc_master_key(imk, self.pan, card["psn"])
        self.second_ac_aac = card["name"] == "chip_aac"
        self.atc = 0
        self.app = None             # the application selected
        self.directory = None       # PSE or PPSE selected
        self.sk = None              # this transaction's session key
        self.arqc = None
        self.authenticated = False  # EXTERNAL AUTHENTICATE passed
        self.cid = None             # the last AC's type, None before the first
        self.commands = []

    def __call__(self, command):
        self.commands.append(bytes(command))
        c = command
        if len(c) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = c[0], c[1], c[2], c[3]
        data = c[5:5 + c[4]] if len(c) > 5 else b""
        if cla in (0x84, 0x04):
            return b"\x90\x00"      # an issuer script command (its MAC is the issuer's business)
        if (cla, ins) == (0x00, 0xA4) and p1 == 0x04:
            return self._select(bytes(data))
        if (cla, ins) == (0x00, 0xB2):
            return self._read_record(p1, p2 >> 3)
        if self.app is None:
            return b"\x69\x85"
        if (cla, ins) == (0x80, 0xA8):
            return self._gpo(data)
        if (cla, ins) == (0x80, 0xCA):
            return self._get_data(p1 << 8 | p2)
        if (cla, ins) == (0x00, 0x88):
            return self._internal_authenticate(data)
        if (cla, ins) == (0x80, 0xAE):
            return self._generate_ac(p1, data)
        if (cla, ins) == (0x00, 0x82):
            return self._external_authenticate(data)
        return b"\x6d\x00"

    # -- selection -------------------------------------------------------------

    def _apps(self):
        return self.card["applications"]

    def _select(self, name):
        self.app = None
        self.directory = None
        contactless = self.card["interface"] == "contactless"
        if name == (PPSE if contactless else PSE):
            self.directory = name
            if contactless:
                entries = b"".join(self._entry(a) for a in self._apps())
                return _sw(encode(0x6F, encode(0x84, name) + encode(0xA5, encode(0xBF0C, entries))))
            return _sw(encode(0x6F, encode(0x84, name) + encode(0xA5, encode(0x88, b"\x01")
                                                                     + encode(0x5F2D, b"zhen"))))
        for a in self._apps():
            aid = unhexlify(a["aid"])
            if name == aid:
                self.app = a
                self.sk = self.arqc = self.cid = None
                self.authenticated = False
                fci = encode(0x50, a["label"].encode()) + encode(0x87, bytes((a["priority"],)))
                fci += encode(0x9F38, unhexlify(a["pdol"])) if a.get("pdol") else b""
                fci += encode(0x5F2D, b"zhen") + encode(0x9F12, a["preferred_name"].encode())
                return _sw(encode(0x6F, encode(0x84, aid) + encode(0xA5, fci)))
        return b"\x6a\x82"

    def _entry(self, a):
        return encode(0x61, encode(0x4F, unhexlify(a["aid"])) + encode(0x50, a["label"].encode())
                      + encode(0x87, bytes((a["priority"],))) + encode(0x9F12, a["preferred_name"].encode()))

    def _read_record(self, number, sfi):
        if self.directory == PSE and self.app is None:
            if sfi != 1 or number != 1:
                return b"\x6a\x83"
            return _sw(encode(0x70, b"".join(self._entry(a) for a in self._apps())))
        if self.app is None:
            return b"\x69\x85"
        record = self.app["records"].get("%d:%d" % (sfi, number))
        return _sw(unhexlify(record)) if record else b"\x6a\x83"

    # -- the transaction -------------------------------------------------------

    def _gpo(self, data):
        if len(data) < 2 or data[0] != 0x83:
            return b"\x67\x00"
        pdol_data = bytes(data[2:])
        self.atc += 1
        self.sk = session_key(self.mk, self._atc())
        aip, afl = unhexlify(self.app["aip"]), unhexlify(self.app["afl"])
        if self.card["interface"] != "contactless":
            return _sw(encode(0x77, encode(0x82, aip) + encode(0x94, afl)))
        # qPBOC: the PDOL is TTQ (4) then the 29 bytes of the AC; the ARQC comes with the options.
        cvr = bytes((0x03, _CVR_ARQC, 0, 0))
        self.arqc = mac3(self.sk, pdol_data[4:4 + _AC_DATA] + aip + self._atc() + cvr)
        self.cid = _CID_ARQC
        body = (encode(0x82, aip) + encode(0x94, afl) + encode(0x9F36, self._atc())
                + encode(0x9F26, self.arqc) + encode(0x9F27, bytes((_CID_ARQC,)))
                + encode(0x9F10, b"\x07\x01\x01" + cvr))
        return _sw(encode(0x77, body))

    def _atc(self):
        return bytes((self.atc >> 8 & 0xFF, self.atc & 0xFF))

    def _get_data(self, tag):
        if tag == 0x9F36:
            return _sw(encode(0x9F36, self._atc()))
        if tag == 0x9F13:
            return _sw(encode(0x9F13, bytes(2)))
        if tag == 0x9F17:
            return _sw(encode(0x9F17, b"\x03"))
        return b"\x6a\x88"

    def _internal_authenticate(self, data):
        from drivers.fakes.emvsign import sign_dynamic
        key = self.app.get("icc_private")
        if not key:
            return b"\x6d\x00"
        n, d = int.from_bytes(unhexlify(key["n"]), "big"), int.from_bytes(unhexlify(key["d"]), "big")
        dynamic = os.urandom(8)
        return _sw(encode(0x77, encode(0x9F4B, sign_dynamic(n, d, bytes(data), dynamic))))

    def _generate_ac(self, p1, data):
        if self.sk is None or len(data) < _AC_DATA:
            return b"\x69\x85"
        asked = p1 & 0xC0
        aip = unhexlify(self.app["aip"])
        if self.cid is None:                                # the first GENERATE AC
            values = bytes(data[:_AC_DATA])
            cid, second = (_CID_ARQC, _CVR_ARQC) if asked & _CID_ARQC else (_CID_AAC, _CVR_AAC_FIRST)
        elif self.cid == _CID_ARQC:                         # the second: the host's ARC first (CDOL2)
            arc, values = bytes(data[:2]), bytes(data[2:2 + _AC_DATA])
            approve = (asked == _CID_TC and arc in ACCEPTED_ARC and not self.second_ac_aac
                       and (self.authenticated or not aip[0] & 0x04))
            cid, second = (_CID_TC, _CVR_TC) if approve else (_CID_AAC, _CVR_AAC)
        else:
            return b"\x69\x85"                              # no third
        cvr = bytes((0x03, second, 0, 0))
        ac = mac3(self.sk, values + aip + self._atc() + cvr)
        if cid == _CID_ARQC:
            self.arqc = ac
        self.cid = cid
        body = (encode(0x9F27, bytes((cid,))) + encode(0x9F36, self._atc()) + encode(0x9F26, ac)
                + encode(0x9F10, b"\x07\x01\x01" + cvr))
        return _sw(encode(0x77, body))

    def _external_authenticate(self, data):
        if self.arqc is None or len(data) != 10:
            return b"\x67\x00"
        self.authenticated = bytes(data[:8]) == arpc(self.sk, self.arqc, bytes(data[8:10]))
        return b"\x90\x00" if self.authenticated else b"\x63\x00"


def load(path, name):
    """(card entry, IMK-AC bytes) of the test card name from an emv_cards.json at path, or from
    the card's own file when path is the directory of them beside it (tools/emvperso.py writes
    both: a test that shares the VM's heap with a terminal reads one card's 3 KB, not the whole
    file's 23 KB of objects)."""
    import json
    if not path.endswith(".json"):
        with open(path + "/" + name + ".json") as f:
            doc = json.load(f)
        return doc["card"], unhexlify(doc["imk_ac"])
    with open(path) as f:
        doc = json.load(f)
    for card in doc["cards"]:
        if card["name"] == name:
            return card, unhexlify(doc["imk_ac"])
    raise KeyError(name)
