"""tools/testdata/emv_cards.json, checked without the firmware: its certificates recovered with the
keys as `cryptography` loads them (the raw RSA public operation is pow() on their numbers, which
`cryptography` does not offer), the hashes with hashlib, the records parsed by pyemv, and the DDA
that drivers/fakes/emvsign.py signs checked the same way. host_tests/vm/test_emv_oda.py checks the
firmware's pos.emv.oda against the same cards."""
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pyemv import tlv

from drivers.fakes.emvsign import sign_dynamic
from tools import emvperso

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TODAY = (2026, 11)

# name, PAN, interface, [(AID, label, preferred name, priority)]
CARDS = (
    ("chip", "6222021000000010008", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("chip_poor", "6222021000000010016", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("chip_two", "6222021000000010024", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1),
                                                    ("A000000333010102", "PBOC CREDIT", "贷记", 2)]),
    ("chip_aac", "6222021000000010032", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("chip_dead", "6222021000000010040", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("chip_badsig", "6222021000000010057", "contact", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("tap", "6222021000000010073", "contactless", [("A000000333010101", "PBOC DEBIT", "借记", 1)]),
    ("tap_credit", "6258070000000010069", "contactless", [("A000000333010102", "PBOC CREDIT", "贷记", 1)]),
)
RECORD_TAGS = {"1:1": ["57", "5F20", "93"],
               "2:1": ["5A", "5F24", "5F25", "5F28", "5F34", "9F07", "8E", "9F0D", "9F0E", "9F0F", "5F30", "9F08",
                       "9F42", "8C", "8D", "9F4A", "9F49"],
               "3:1": ["8F", "90", "9F32", "92"],
               "3:2": ["9F46", "9F47", "9F48"]}


@pytest.fixture(scope="module")
def doc():
    with open(os.path.join(ROOT, "tools", "testdata", "emv_cards.json"), encoding="utf-8") as f:
        return json.load(f)


def public_key(modulus, exponent=3):
    """The key as cryptography loads it (which checks it), its size in bytes."""
    key = rsa.RSAPublicNumbers(exponent, int.from_bytes(modulus, "big")).public_key()
    assert key.key_size % 8 == 0
    return key


def recover(key, signature):
    """The RSA public operation of key on signature, checked to be a Book 2 recovery (6A .. BC)."""
    numbers = key.public_numbers()
    assert len(signature) == key.key_size // 8
    data = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n).to_bytes(key.key_size // 8, "big")
    assert data[0] == 0x6A and data[-1] == 0xBC, "recovered data header/trailer"
    return data


def hashed_ok(data, *more):
    return hashlib.sha1(data[1:-21] + b"".join(more)).digest() == data[-21:-1]


def not_expired(mmyy):
    month, year = int(mmyy.hex()[:2]), int(mmyy.hex()[2:])
    return 1 <= month <= 12 and (2000 + year, month) >= TODAY


def records(app):
    """{"SFI:REC": {tag: value}} of an application, each record one 70 template and nothing after it."""
    out = {}
    for key, value in app["records"].items():
        decoded = tlv.decode(bytes.fromhex(value))
        assert list(decoded) == ["70"], key
        out[key] = decoded["70"]
    return out


def static_data(app):
    """SFI 2 record 1 inside its 70 template, then the AIP (9F4A lists 82)."""
    record = bytes.fromhex(app["records"]["2:1"])
    head = 3 if record[1] == 0x81 else 2
    assert record[0] == 0x70 and head + record[head - 1] == len(record)
    return record[head:] + bytes.fromhex(app["aip"])


def issuer_public_key(doc, card, recs):
    """The issuer's key from table 6's certificate, every field checked."""
    ca = doc["ca"]
    data = recover(public_key(bytes.fromhex(ca["modulus"]), int(ca["exponent"], 16)), recs["3:1"]["90"])
    remainder, exponent = recs["3:1"].get("92", b""), recs["3:1"]["9F32"]
    assert data[1] == 0x02 and data[11] == 0x01 and data[12] == 0x01
    assert hashed_ok(data, remainder, exponent)
    assert data[2:6].hex().upper() == card["pan"][:6] + "FF"
    assert data[6:8] == bytes.fromhex("1230") and not_expired(data[6:8])
    size, exp_len = data[13], data[14]
    assert exponent == b"\x03" and exp_len == 1 and size == 128
    modulus = (data[15:-21] + remainder)[:size]
    assert len(modulus) == size
    return public_key(modulus, 3)


def icc_public_key(issuer, card, recs, app):
    """The ICC's key from table 14's certificate, every field checked."""
    data = recover(issuer, recs["3:2"]["9F46"])
    remainder, exponent = recs["3:2"].get("9F48", b""), recs["3:2"]["9F47"]
    assert data[1] == 0x04 and data[17] == 0x01 and data[18] == 0x01
    assert hashed_ok(data, remainder, exponent, static_data(app))
    assert data[2:12].hex().upper() == (card["pan"] + "F" * 20)[:20]
    assert not_expired(data[12:14])
    size = data[19]
    assert exponent == b"\x03" and data[20] == 1 and size == 96
    return public_key((data[21:-21] + remainder)[:size], 3)


def check_ssad(issuer, recs, app, pan):
    data = recover(issuer, recs["1:1"]["93"])
    assert data[1] == 0x03 and data[2] == 0x01
    assert data[5:-21] == b"\xbb" * (len(data) - 26)
    assert hashed_ok(data, static_data(app))
    assert data[3:5] == hashlib.sha1(pan.encode()).digest()[:2]


def check_document(doc):
    """Every card's certificates and layout; the count of applications that verify."""
    ca = doc["ca"]
    assert (ca["rid"], ca["index"], ca["exponent"], ca["expiry"]) == ("A000000333", "80", "03", "1230")
    assert public_key(bytes.fromhex(ca["modulus"])).key_size == 1152
    assert doc["imk_ac"] == "4B9A14CD42ED16D05CECEDEF7AA8BE25"
    verified = 0
    for card in doc["cards"]:
        for app in card["applications"]:
            recs = records(app)
            assert recs["3:1"]["8F"] == b"\x80"
            issuer = issuer_public_key(doc, card, recs)
            if card["name"] == "chip_badsig":
                with pytest.raises(AssertionError):
                    check_ssad(issuer, recs, app, card["pan"])
                with pytest.raises(AssertionError):
                    icc_public_key(issuer, card, recs, app)
                continue
            check_ssad(issuer, recs, app, card["pan"])
            icc = icc_public_key(issuer, card, recs, app)
            assert icc.public_numbers().n == int(app["icc_private"]["n"], 16)
            verified += 1
    return verified


def test_the_committed_cards_certificates_verify_under_the_test_ca(doc):
    assert check_document(doc) == 8


def test_emvperso_makes_a_new_document_whose_certificates_verify_as_well(tmp_path):
    out = tmp_path / "cards.json"
    emvperso.main([str(out)])
    assert check_document(json.loads(out.read_text(encoding="utf-8"))) == 8


def test_the_cards_are_the_ones_the_brief_names_with_their_applications(doc):
    assert [c["name"] for c in doc["cards"]] == [name for name, _, _, _ in CARDS]
    for card, (name, pan, interface, apps) in zip(doc["cards"], CARDS):
        assert (card["pan"], card["psn"], card["interface"], card["pin"]) == (pan, "01", interface, "123456")
        assert card["mute"] is (name == "chip_dead")
        assert [(a["aid"], a["label"], a["preferred_name"], a["priority"]) for a in card["applications"]] == apps
        for app in card["applications"]:
            assert (app["aip"], app["afl"]) == ("7C00", "080101001001010118010200")
            assert ("pdol" in app) is (interface == "contactless")


def test_each_record_holds_the_documented_tags_and_fits_a_short_read_record_answer(doc):
    for card in doc["cards"]:
        for app in card["applications"]:
            assert sorted(app["records"]) == sorted(RECORD_TAGS)
            for key, tags in records(app).items():
                assert list(tags) == RECORD_TAGS[key], (card["name"], key)
                assert len(bytes.fromhex(app["records"][key])) <= 254, (card["name"], key)


def test_the_afl_reads_those_records_with_sfi_2_the_one_for_oda(doc):
    afl = bytes.fromhex(doc["cards"][0]["applications"][0]["afl"])
    entries = [(afl[i] >> 3, afl[i + 1], afl[i + 2], afl[i + 3]) for i in range(0, len(afl), 4)]
    assert entries == [(1, 1, 1, 0), (2, 1, 1, 1), (3, 1, 2, 0)]


def test_the_card_data_is_as_documented(doc):
    for card in doc["cards"]:
        pan = card["pan"]
        for app in card["applications"]:
            recs = records(app)
            track2 = recs["1:1"]["57"].hex().upper()
            assert track2 == pan + "D3012201" + "0000000000" + "F" * ((len(pan) + 18) % 2)
            assert recs["1:1"]["5F20"] == b"TEST/CARD"
            oda = {k: v.hex().upper() for k, v in recs["2:1"].items()}
            assert oda["5A"] == pan + "F" * (len(pan) % 2)
            assert (oda["5F24"], oda["5F25"], oda["5F28"], oda["5F34"], oda["9F07"]) == (
                "301231", "200101", "0156", "01", "FF00")
            assert oda["8E"] == "0000000000000000" "4203" "1E03" "1F03"
            assert (oda["9F0D"], oda["9F0E"], oda["9F0F"]) == ("D86024A800", "0010000000", "D86824F800")
            assert (oda["5F30"], oda["9F08"], oda["9F42"]) == ("0201", "0030", "0156")
            assert oda["8C"] == "9F02069F03069F1A0295055F2A029A039C019F37049F21039F4E14"
            assert oda["8D"] == "8A029F02069F03069F1A0295055F2A029A039C019F3704"
            assert (oda["9F4A"], oda["9F49"]) == ("82", "9F3704")


def test_each_icc_private_key_is_a_768_bit_rsa_key_that_cryptography_accepts(doc):
    for card in doc["cards"]:
        for app in card["applications"]:
            n, d = int(app["icc_private"]["n"], 16), int(app["icc_private"]["d"], 16)
            assert n.bit_length() == 768
            p, q = rsa.rsa_recover_prime_factors(n, 3, d)
            key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                        rsa.rsa_crt_iqmp(p, q), rsa.RSAPublicNumbers(3, n)).private_key()
            assert key.key_size == 768


def test_dda_signed_by_emvsign_verifies_under_the_icc_public_key(doc):
    for card in doc["cards"]:
        for app in card["applications"]:
            key = public_key(bytes.fromhex(app["icc_private"]["n"]))
            n, d = int(app["icc_private"]["n"], 16), int(app["icc_private"]["d"], 16)
            number, ddol_data = os.urandom(8), os.urandom(4)
            data = recover(key, sign_dynamic(n, d, ddol_data, number))
            assert data[1:4] == bytes((0x05, 0x01, 9))
            assert data[4:13] == b"\x08" + number
            assert data[13:-21] == b"\xbb" * (96 - 9 - 25)
            assert hashed_ok(data, ddol_data)
            assert not hashed_ok(data, ddol_data[:3] + bytes((ddol_data[3] ^ 1,)))


def test_each_card_has_a_file_of_its_own_equal_to_its_entry(doc):
    """What the VM tests read (one card, not the whole file): emv_cards/NAME.json, by emvperso.split."""
    directory = os.path.join(ROOT, "tools", "testdata", "emv_cards")
    assert sorted(os.listdir(directory)) == sorted(card["name"] + ".json" for card in doc["cards"])
    for card in doc["cards"]:
        with open(os.path.join(directory, card["name"] + ".json"), encoding="utf-8") as f:
            assert json.load(f) == {"imk_ac": doc["imk_ac"], "card": card}
