"""The project's TEST CA and its test chip cards' personalisation -> tools/testdata/emv_cards.json.

    python -m tools.emvperso [out.json]

Every run makes new keys; the JSON committed is the source of truth, read by the
virtual cards (firmware/drivers/fakes/chipcard.py), the kernel's tests and the
terminal's CA key table. Certificates per EMV 4.3 Book 2 sections 5 and 6.

Keys, all RSA with public exponent 3 so a terminal verifies with two
multiplications: the TEST CA 1152 bits, RID A000000333 (UnionPay), index 80 (CUP's
live CA keys are numbered from 02 up, so a test key is never taken for one of
them), expiry 12/30; an issuer per BIN (622202, 625807) 1024 bits; an ICC key per
application 768 bits (the virtual card signs DDA with it in MicroPython).
cryptography refuses RSA keys under 1024 bits, so the ICC primes are made here
and the key checked by cryptography (OpenSSL's RSA key check).

An application's records (the AFL 08 01 01 00 10 01 01 01 18 01 02 00):

    SFI 1 record 1   70 { 57 track 2 equivalent data (PAN D 3012 201 0000000000 F),
                          5F20 "TEST/CARD", 93 Signed Static Application Data }
    SFI 2 record 1   70 { 5A PAN (F padded), 5F24 301231, 5F25 200101, 5F28 0156, 5F34 01,
                          9F07 FF00, 8E CVM list, 9F0D 9F0E 9F0F issuer action codes,
                          5F30 0201, 9F08 0030, 9F42 0156, 8C CDOL1, 8D CDOL2, 9F4A 82,
                          9F49 DDOL }                                    the one ODA record
    SFI 3 record 1   70 { 8F CA index, 90 issuer PK certificate, 9F32, 92 remainder }
    SFI 3 record 2   70 { 9F46 ICC PK certificate, 9F47, 9F48 remainder }

93 sits in SFI 1's record, not beside 9F46: 93 and 9F46 are 128 bytes each under a
1024-bit issuer key, and one record holding both (284 bytes) would not fit a READ
RECORD answer of a short APDU (256 bytes with the 70 template).

The static data to be authenticated is SFI 2 record 1's value inside its 70
template (SFI 1-10: tag and length of 70 left out), then the AIP (9F4A lists 82).
AIP 7C00: SDA, DDA, cardholder verification, terminal risk management, issuer
authentication. The SSAD's Data Authentication Code is the first 2 bytes of the
PAN's SHA-1. The CVM list: amounts X and Y 0, enciphered PIN online if the
terminal supports it (42 03, next rule if it fails), signature (1E 03), no CVM
(1F 03). Contactless applications also have a PDOL (qPBOC: TTQ, then the
first GENERATE AC's 29 bytes), which their FCI gives.

The JSON (binary values uppercase hex):

    {"ca": {"rid", "index", "modulus", "exponent", "expiry" (MMYY)},
     "imk_ac": the issuer master key for application cryptograms,
     "cards": [{"name", "pan", "psn", "pin", "interface" ("contact" | "contactless"), "mute",
                "applications": [{"aid", "label", "preferred_name", "priority" (int), "aip", "afl",
                                  "pdol" (contactless only), "records": {"SFI:REC": the 70 template},
                                  "icc_private": {"n", "d"}}]}]}

chip_dead is mute (no ATR); chip_badsig's 93 and 9F46 are corrupted after signing.
"""
import hashlib
import json
import os
import secrets
import sys

from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tools", "testdata", "emv_cards.json")

RID = "A000000333"
CA_INDEX = 0x80
CA_BITS, ISSUER_BITS, ICC_BITS = 1152, 1024, 768
EXPONENT = 3
CERT_EXPIRY = "1230"            # MMYY, of the CA key and every certificate
IMK_AC = "4B9A14CD42ED16D05CECEDEF7AA8BE25"

AIP = "7C00"
AFL = "080101001001010118010200"
EXPIRY, EFFECTIVE = "301231", "200101"
SERVICE_CODE = "201"
PSN = "01"
PIN = "123456"
CVM_LIST = "00000000" "00000000" "4203" "1E03" "1F03"
IAC_DEFAULT, IAC_DENIAL, IAC_ONLINE = "D86024A800", "0010000000", "D86824F800"
CDOL1 = "9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"
CDOL2 = "8A029F02069F03069F1A0295055F2A029A039C019F3704"
DDOL = "9F3704"
PDOL = "9F66049F02069F03069F1A0295055F2A029A039C019F3704"

DEBIT = ("A000000333010101", "PBOC DEBIT", "借记")
CREDIT = ("A000000333010102", "PBOC CREDIT", "贷记")
# name, PAN, interface, applications (in priority order)
CARDS = (
    ("chip", "6222021000000010008", "contact", (DEBIT,)),
    ("chip_poor", "6222021000000010016", "contact", (DEBIT,)),
    ("chip_two", "6222021000000010024", "contact", (DEBIT, CREDIT)),
    ("chip_aac", "6222021000000010032", "contact", (DEBIT,)),
    ("chip_dead", "6222021000000010040", "contact", (DEBIT,)),
    ("chip_badsig", "6222021000000010057", "contact", (DEBIT,)),
    ("tap", "6222021000000010073", "contactless", (DEBIT,)),
    ("tap_credit", "6258070000000010069", "contactless", (CREDIT,)),
)
MUTE = ("chip_dead",)
BAD_SIGNATURE = ("chip_badsig",)


def tlv(tag, value):
    """One BER-TLV object: tag as hex, value bytes."""
    n = len(value)
    length = bytes((n,)) if n < 0x80 else bytes((0x81, n)) if n < 0x100 else bytes((0x82, n >> 8, n & 0xFF))
    return bytes.fromhex(tag) + length + value


def _probably_prime(n, rounds=40):
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits):
    """A prime of exactly bits bits, its top two bits set (so p*q has 2*bits), p - 1 prime to 3."""
    while True:
        p = secrets.randbits(bits) | 3 << bits - 2 | 1
        if p % 3 == 2 and _probably_prime(p):
            return p


def rsa_key(bits):
    """(n, d) of a new RSA key with public exponent 3."""
    if bits >= 1024:
        numbers = rsa.generate_private_key(EXPONENT, bits).private_numbers()
        return numbers.public_numbers.n, numbers.d
    p, q = _prime(bits // 2), _prime(bits // 2)
    d = rsa.rsa_recover_private_exponent(EXPONENT, p, q)
    rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                          rsa.RSAPublicNumbers(EXPONENT, p * q)).private_key()
    return p * q, d


def size(key):
    return (key[0].bit_length() + 7) // 8


def sign(key, data):
    """The RSA private operation on data of the key's length (Book 2's recovery scheme, ISO 9796-2)."""
    n, d = key
    assert len(data) == size(key) and data[0] == 0x6A and data[-1] == 0xBC
    return pow(int.from_bytes(data, "big"), d, n).to_bytes(size(key), "big")


def modulus(key):
    return key[0].to_bytes(size(key), "big")


def _split(key, room):
    """(leftmost digits padded to room with BB, remainder) of the key's modulus."""
    m = modulus(key)
    return (m + b"\xbb" * (room - len(m)), b"") if len(m) <= room else (m[:room], m[room:])


def issuer_certificate(ca, issuer, issuer_id, serial):
    """(90, 92) of Book 2 table 6."""
    leftmost, remainder = _split(issuer, size(ca) - 36)
    body = (b"\x02" + bytes.fromhex((issuer_id + "FFFFFFFF")[:8]) + bytes.fromhex(CERT_EXPIRY)
            + serial.to_bytes(3, "big") + bytes((0x01, 0x01, size(issuer), 1)) + leftmost)
    digest = hashlib.sha1(body + remainder + bytes((EXPONENT,))).digest()
    return sign(ca, b"\x6a" + body + digest + b"\xbc"), remainder


def signed_static_data(issuer, dac, static_data):
    """93 of Book 2 table 7."""
    body = b"\x03\x01" + dac + b"\xbb" * (size(issuer) - 26)
    return sign(issuer, b"\x6a" + body + hashlib.sha1(body + static_data).digest() + b"\xbc")


def icc_certificate(issuer, icc, pan, serial, static_data):
    """(9F46, 9F48) of Book 2 table 14."""
    leftmost, remainder = _split(icc, size(issuer) - 42)
    body = (b"\x04" + bytes.fromhex((pan + "F" * 20)[:20]) + bytes.fromhex(CERT_EXPIRY)
            + serial.to_bytes(3, "big") + bytes((0x01, 0x01, size(icc), 1)) + leftmost)
    digest = hashlib.sha1(body + remainder + bytes((EXPONENT,)) + static_data).digest()
    return sign(issuer, b"\x6a" + body + digest + b"\xbc"), remainder


def _cn(digits):
    return bytes.fromhex(digits + "F" * (len(digits) % 2))


def oda_record(pan):
    """SFI 2 record 1's value (inside 70): the data ODA signs."""
    return b"".join((
        tlv("5A", _cn(pan)), tlv("5F24", bytes.fromhex(EXPIRY)), tlv("5F25", bytes.fromhex(EFFECTIVE)),
        tlv("5F28", bytes.fromhex("0156")), tlv("5F34", bytes.fromhex(PSN)), tlv("9F07", bytes.fromhex("FF00")),
        tlv("8E", bytes.fromhex(CVM_LIST)), tlv("9F0D", bytes.fromhex(IAC_DEFAULT)),
        tlv("9F0E", bytes.fromhex(IAC_DENIAL)), tlv("9F0F", bytes.fromhex(IAC_ONLINE)),
        tlv("5F30", bytes.fromhex("0" + SERVICE_CODE)), tlv("9F08", bytes.fromhex("0030")),
        tlv("9F42", bytes.fromhex("0156")), tlv("8C", bytes.fromhex(CDOL1)), tlv("8D", bytes.fromhex(CDOL2)),
        tlv("9F4A", b"\x82"), tlv("9F49", bytes.fromhex(DDOL)),
    ))


def _corrupt(signature):
    """A signature with one byte in its middle changed: it no longer recovers to anything valid."""
    out = bytearray(signature)
    out[len(out) // 2] ^= 0x5A
    return bytes(out)


def application(ca, issuer, issuer_serial, icc_serial, name, pan, interface, aid, label, preferred, priority):
    """The JSON entry of one application of the card."""
    icc = rsa_key(ICC_BITS)
    signed = oda_record(pan)
    static_data = signed + bytes.fromhex(AIP)
    cert90, remainder92 = issuer_certificate(ca, issuer, pan[:6], issuer_serial)
    ssad = signed_static_data(issuer, hashlib.sha1(pan.encode()).digest()[:2], static_data)
    cert9F46, remainder9F48 = icc_certificate(issuer, icc, pan, icc_serial, static_data)
    if name in BAD_SIGNATURE:
        ssad, cert9F46 = _corrupt(ssad), _corrupt(cert9F46)
    track2 = _cn(pan + "D" + EXPIRY[:4] + SERVICE_CODE + "0000000000")
    exponent = bytes((EXPONENT,))
    records = {
        "1:1": tlv("70", tlv("57", track2) + tlv("5F20", b"TEST/CARD") + tlv("93", ssad)),
        "2:1": tlv("70", signed),
        "3:1": tlv("70", tlv("8F", bytes((CA_INDEX,))) + tlv("90", cert90) + tlv("9F32", exponent)
                   + (tlv("92", remainder92) if remainder92 else b"")),
        "3:2": tlv("70", tlv("9F46", cert9F46) + tlv("9F47", exponent)
                   + (tlv("9F48", remainder9F48) if remainder9F48 else b"")),
    }
    entry = {"aid": aid, "label": label, "preferred_name": preferred, "priority": priority, "aip": AIP, "afl": AFL}
    if interface == "contactless":
        entry["pdol"] = PDOL
    entry["records"] = {k: v.hex().upper() for k, v in records.items()}
    entry["icc_private"] = {"n": modulus(icc).hex().upper(), "d": icc[1].to_bytes(size(icc), "big").hex().upper()}
    return entry


def personalise():
    """The whole document: a new TEST CA, issuers and cards."""
    ca = rsa_key(CA_BITS)
    issuers = {}
    icc_serial = 0
    cards = []
    for name, pan, interface, apps in CARDS:
        bin_ = pan[:6]
        if bin_ not in issuers:
            issuers[bin_] = (rsa_key(ISSUER_BITS), len(issuers) + 1)
        issuer, issuer_serial = issuers[bin_]
        entries = []
        for priority, (aid, label, preferred) in enumerate(apps, 1):
            icc_serial += 1
            entries.append(application(ca, issuer, issuer_serial, icc_serial, name, pan, interface,
                                       aid, label, preferred, priority))
        cards.append({"name": name, "pan": pan, "psn": PSN, "pin": PIN, "interface": interface,
                      "mute": name in MUTE, "applications": entries})
    return {"ca": {"rid": RID, "index": "%02X" % CA_INDEX, "modulus": modulus(ca).hex().upper(),
                   "exponent": "%02X" % EXPONENT, "expiry": CERT_EXPIRY},
            "imk_ac": IMK_AC, "cards": cards}


def split(doc, directory):
    """Each card of doc in a file of its own, DIRECTORY/NAME.json: {"imk_ac", "card"}. The VM tests
    read one card so (drivers/fakes/chipcard.py's load): the whole file parses to some 23 KB of
    objects in the heap the terminal under test shares."""
    os.makedirs(directory, exist_ok=True)
    names = set()
    for card in doc["cards"]:
        names.add(card["name"] + ".json")
        with open(os.path.join(directory, card["name"] + ".json"), "w", encoding="utf-8") as f:
            f.write(json.dumps({"imk_ac": doc["imk_ac"], "card": card}, indent=1, ensure_ascii=False) + "\n")
    for name in os.listdir(directory):
        if name not in names:
            os.remove(os.path.join(directory, name))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = argv[0] if argv else OUT
    doc = personalise()
    text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(out + ".tmp", out)
    split(doc, out[:-len(".json")])
    print("wrote", out, "and a file a card in", out[:-len(".json")])


if __name__ == "__main__":
    main()
