# Offline data authentication (pos.emv.oda) against the test cards of tools/testdata/emv_cards.json:
# every card's keys recover and its SDA and DDA check, but chip_badsig's; then each check of Book 2
# fails on its own. Those use keys of exponent 1, whose "signature" is the recovered data itself,
# so a certificate can be made with any one field wrong; the real keys' cases use the cards' own.
# host_tests/test_emvperso.py checks the same certificates with `cryptography`.
import json
from binascii import unhexlify

from drivers.fakes.emvsign import sign_dynamic
from pos.emv import oda
from pos.emv.sha1 import digest, python_digest
from vmutil import asset_path, raises

TODAY = "261123"                      # vmutil.START's date
# Through firmware/assets: make test-vm's scratch tree links that directory to the repository's.
CARDS_PATH = asset_path("../../tools/testdata/emv_cards.json")
_doc = []


def _cards():
    if not _doc:
        with open(CARDS_PATH) as f:
            _doc.append(json.load(f))
    return _doc[0]


def _ca():
    ca = _cards()["ca"]
    return unhexlify(ca["modulus"]), int(ca["exponent"], 16)


def _card(name):
    for card in _cards()["cards"]:
        if card["name"] == name:
            return card
    raise KeyError(name)


def _tags(template):
    """{tag hex: value} of the objects inside a record's 70 template (1-2 byte tags, lengths to 82)."""
    out = {}
    pos = 2 if template[1] < 0x80 else 1 + (template[1] & 0x7F) + 1
    while pos < len(template):
        tag_len = 2 if template[pos] & 0x1F == 0x1F else 1
        tag = "".join("%02X" % b for b in template[pos:pos + tag_len])
        pos += tag_len
        size = template[pos]
        pos += 1
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(template[pos:pos + count], "big")
            pos += count
        out[tag] = template[pos:pos + size]
        pos += size
    return out


def _app_data(app):
    """(tags of all its records, static data to be authenticated) of an application."""
    tags = {}
    for key in ("1:1", "2:1", "3:1", "3:2"):
        tags.update(_tags(unhexlify(app["records"][key])))
    oda_record = unhexlify(app["records"]["2:1"])
    return tags, oda_record[3 if oda_record[1] == 0x81 else 2:] + unhexlify(app["aip"])


def _keys(card, app, today=TODAY):
    """(issuer key, ICC key, tags, static data) of an application."""
    tags, static_data = _app_data(app)
    modulus, exponent = _ca()
    issuer = oda.issuer_key(modulus, exponent, tags["90"], tags.get("92"), tags["9F32"], card["pan"], today)
    return issuer, oda.icc_key(issuer, tags["9F46"], tags.get("9F48"), tags["9F47"], static_data, card["pan"],
                               today), tags, static_data


def _good_apps():
    for card in _cards()["cards"]:
        if card["name"] != "chip_badsig":
            for app in card["applications"]:
                yield card, app


def test_every_card_recovers_its_issuer_and_icc_keys_of_the_lengths_emvperso_makes():
    count = 0
    for card, app in _good_apps():
        issuer, icc, tags, _ = _keys(card, app)
        assert len(issuer[0]) == 128 and issuer[1] == 3
        assert icc == (unhexlify(app["icc_private"]["n"]), 3)
        assert tags["8F"] == unhexlify(_cards()["ca"]["index"])
        count += 1
    assert count == 8


def test_every_card_but_chip_badsig_passes_sda_with_the_dac_of_its_pan():
    for card, app in _good_apps():
        issuer, _, tags, static_data = _keys(card, app)
        assert oda.verify_sda(issuer, tags["93"], static_data) == digest(card["pan"].encode())[:2]


def test_every_card_but_chip_badsig_passes_dda_and_gives_its_dynamic_number():
    for card, app in _good_apps():
        _, icc, _, _ = _keys(card, app)
        n, d = int(app["icc_private"]["n"], 16), int(app["icc_private"]["d"], 16)
        number = bytes((0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0))
        sdad = sign_dynamic(n, d, b"\x01\x02\x03\x04", number)
        assert len(sdad) == 96
        assert oda.verify_dda(icc, sdad, b"\x01\x02\x03\x04") == number


def test_chip_badsig_recovers_its_issuer_key_but_fails_sda_and_its_icc_certificate():
    card = _card("chip_badsig")
    app = card["applications"][0]
    tags, static_data = _app_data(app)
    modulus, exponent = _ca()
    issuer = oda.issuer_key(modulus, exponent, tags["90"], tags.get("92"), tags["9F32"], card["pan"], TODAY)
    assert raises(oda.OdaError, oda.verify_sda, issuer, tags["93"], static_data)
    assert raises(oda.OdaError, oda.icc_key, issuer, tags["9F46"], tags.get("9F48"), tags["9F47"], static_data,
                  card["pan"], TODAY)


def test_the_issuer_certificate_fails_under_a_ca_key_with_one_byte_changed():
    card = _card("chip")
    tags, _ = _app_data(card["applications"][0])
    modulus, exponent = _ca()
    wrong = bytearray(modulus)
    wrong[70] ^= 0x01
    assert raises(oda.OdaError, oda.issuer_key, bytes(wrong), exponent, tags["90"], tags["92"], tags["9F32"],
                  card["pan"], TODAY)


def test_a_certificate_with_one_byte_changed_fails():
    card = _card("chip")
    tags, _ = _app_data(card["applications"][0])
    modulus, exponent = _ca()
    for at in (0, 1, 60, 143):
        cert = bytearray(tags["90"])
        cert[at] ^= 0x80
        assert raises(oda.OdaError, oda.issuer_key, modulus, exponent, bytes(cert), tags["92"], tags["9F32"],
                      card["pan"], TODAY)
    remainder = bytearray(tags["92"])
    remainder[0] ^= 0x01
    assert raises(oda.OdaError, oda.issuer_key, modulus, exponent, tags["90"], bytes(remainder), tags["9F32"],
                  card["pan"], TODAY)


def test_the_certificates_fail_for_another_pan():
    card = _card("chip")
    app = card["applications"][0]
    tags, static_data = _app_data(app)
    modulus, exponent = _ca()
    other_bin = _card("tap_credit")["pan"]
    assert raises(oda.OdaError, oda.issuer_key, modulus, exponent, tags["90"], tags["92"], tags["9F32"],
                  other_bin, TODAY)
    issuer, _, _, _ = _keys(card, app)
    same_bin = _card("chip_poor")["pan"]
    assert raises(oda.OdaError, oda.icc_key, issuer, tags["9F46"], tags.get("9F48"), tags["9F47"], static_data,
                  same_bin, TODAY)


def test_the_certificates_fail_once_expired_and_pass_to_the_last_month():
    card = _card("chip")
    app = card["applications"][0]
    assert _keys(card, app, "301231")[0]
    assert raises(oda.OdaError, _keys, card, app, "310101")
    tags, static_data = _app_data(app)
    issuer = _keys(card, app)[0]
    assert raises(oda.OdaError, oda.icc_key, issuer, tags["9F46"], tags.get("9F48"), tags["9F47"], static_data,
                  card["pan"], "310101")


def test_sda_and_the_icc_certificate_fail_for_other_static_data():
    card = _card("chip")
    issuer, _, tags, static_data = _keys(card, card["applications"][0])
    other = static_data[:-1] + b"\x01"          # the AIP's second byte
    assert raises(oda.OdaError, oda.verify_sda, issuer, tags["93"], other)
    assert raises(oda.OdaError, oda.icc_key, issuer, tags["9F46"], tags.get("9F48"), tags["9F47"], other,
                  card["pan"], TODAY)


def test_dda_fails_for_other_ddol_data_another_cards_key_or_a_changed_byte():
    card = _card("chip")
    app = card["applications"][0]
    _, icc, _, _ = _keys(card, app)
    n, d = int(app["icc_private"]["n"], 16), int(app["icc_private"]["d"], 16)
    sdad = sign_dynamic(n, d, b"\x01\x02\x03\x04", b"\x00\x01")
    assert oda.verify_dda(icc, sdad, b"\x01\x02\x03\x04") == b"\x00\x01"
    assert raises(oda.OdaError, oda.verify_dda, icc, sdad, b"\x01\x02\x03\x05")
    tap = _card("tap")
    _, tap_icc, _, _ = _keys(tap, tap["applications"][0])
    assert raises(oda.OdaError, oda.verify_dda, tap_icc, sdad, b"\x01\x02\x03\x04")
    changed = bytearray(sdad)
    changed[40] ^= 0x04
    assert raises(oda.OdaError, oda.verify_dda, icc, bytes(changed), b"\x01\x02\x03\x04")


# -- each check on its own, under keys of exponent 1 -------------------------------------------

CA_MODULUS = b"\xc1" * 144
ISSUER_MODULUS = bytes(0xC0 | i % 64 for i in range(128))
ICC_MODULUS = bytes(0xE0 | i % 32 for i in range(96))
PAN = "6222021000000010008"


def _issuer_cert(header=0x6A, fmt=0x02, issuer_id="622202FF", expiry="1230", hash_algo=0x01, key_algo=0x01,
                 key_len=128, exp_len=1, trailer=0xBC, bad_hash=False, modulus=ISSUER_MODULUS):
    """(certificate, remainder) of table 6 for the identity CA key (exponent 1)."""
    leftmost, remainder = modulus[:108], modulus[108:]
    leftmost += b"\xbb" * (108 - len(leftmost))
    body = (bytes((fmt,)) + unhexlify(issuer_id) + unhexlify(expiry) + b"\x00\x00\x07"
            + bytes((hash_algo, key_algo, key_len, exp_len)) + leftmost)
    hashed = bytes(20) if bad_hash else digest(body, remainder, b"\x03")
    return bytes((header,)) + body + hashed + bytes((trailer,)), remainder


def _issuer(cert_and_remainder, exponent=b"\x03", pan=PAN, today=TODAY):
    cert, remainder = cert_and_remainder
    return oda.issuer_key(CA_MODULUS, 1, cert, remainder, exponent, pan, today)


def _icc_cert(static_data, header=0x6A, fmt=0x04, pan=PAN, expiry="1230", hash_algo=0x01, key_algo=0x01,
              key_len=96, trailer=0xBC):
    """(certificate, remainder) of table 14 for the identity issuer key."""
    body = (bytes((fmt,)) + unhexlify((pan + "F" * 20)[:20]) + unhexlify(expiry) + b"\x00\x00\x09"
            + bytes((hash_algo, key_algo, key_len, 1)) + ICC_MODULUS[:86])
    hashed = digest(body, ICC_MODULUS[86:], b"\x03", static_data)
    return bytes((header,)) + body + hashed + bytes((trailer,)), ICC_MODULUS[86:]


def _ssad(static_data, fmt=0x03, hash_algo=0x01):
    body = bytes((fmt, hash_algo)) + b"\xda\xc0" + b"\xbb" * 102
    return b"\x6a" + body + digest(body, static_data) + b"\xbc"


def _sdad(ddol_data, number=b"\x11\x22\x33\x44", dynamic_len=None, number_len=None, fmt=0x05):
    count = len(number)
    body = bytes((fmt, 0x01, count + 1 if dynamic_len is None else dynamic_len,
                  count if number_len is None else number_len)) + number
    body += b"\xbb" * (96 - len(body) - 22)
    return b"\x6a" + body + digest(body, ddol_data) + b"\xbc"


def test_a_well_made_issuer_certificate_gives_its_modulus_and_exponent():
    assert _issuer(_issuer_cert()) == (ISSUER_MODULUS, 3)
    assert _issuer(_issuer_cert(issuer_id="622FFFFF")) == (ISSUER_MODULUS, 3)


def test_an_issuer_key_that_fits_the_certificate_has_no_remainder_and_bb_padding():
    short = ISSUER_MODULUS[:100]
    assert _issuer(_issuer_cert(key_len=100, modulus=short)) == (short, 3)
    cert, _ = _issuer_cert(key_len=100, modulus=short)
    assert raises(oda.OdaError, oda.issuer_key, CA_MODULUS, 1, cert, b"\x01", b"\x03", PAN, TODAY)


def test_each_field_of_the_issuer_certificate_is_checked():
    for bad in ({"header": 0x6B}, {"trailer": 0xBD}, {"fmt": 0x04}, {"hash_algo": 0x02}, {"bad_hash": True},
                {"key_algo": 0x02}, {"issuer_id": "623FFFFF"}, {"issuer_id": "62FFFFFF"},
                {"issuer_id": "6222F2FF"}, {"expiry": "1026"}, {"expiry": "1330"}, {"expiry": "12A0"},
                {"key_len": 127}, {"key_len": 0}, {"exp_len": 3}):
        assert raises(oda.OdaError, _issuer, _issuer_cert(**bad)), bad
    assert raises(oda.OdaError, _issuer, _issuer_cert(), b"\x03", None)        # the card gave no PAN


def test_the_issuer_exponent_must_be_3_or_65537_and_of_the_length_certified():
    cert, remainder = _issuer_cert()
    assert raises(oda.OdaError, _issuer, (cert, remainder), b"\x05")
    assert raises(oda.OdaError, _issuer, (cert, remainder), None)
    assert raises(oda.OdaError, _issuer, (cert, remainder), b"\x00\x00\x03")
    body = bytearray(cert)
    body[14] = 3
    hashed = digest(memoryview(body)[1:-21], remainder, b"\x01\x00\x01")
    cert = bytes(body[:-21]) + hashed + b"\xbc"
    assert _issuer((cert, remainder), b"\x01\x00\x01") == (ISSUER_MODULUS, 65537)


def test_a_certificate_of_the_wrong_length_missing_or_above_the_modulus_fails():
    cert, remainder = _issuer_cert()
    for wrong in (cert[:-1], cert + b"\x00", b"", None, "6A02", b"\xff" * 144):
        assert raises(oda.OdaError, _issuer, (wrong, remainder))
    assert raises(oda.OdaError, _issuer, (cert, remainder[:-1]))
    assert raises(oda.OdaError, _issuer, (cert, None))


def test_today_must_be_yymmdd():
    for today in ("2611", "26-11-23", 261123, None):
        assert raises(oda.OdaError, _issuer, _issuer_cert(), b"\x03", PAN, today)


def test_an_expiry_in_the_last_century_is_expired_and_this_month_is_not():
    assert raises(oda.OdaError, _issuer, _issuer_cert(expiry="1299"))
    assert _issuer(_issuer_cert(expiry="1126"))


def test_each_field_of_the_icc_certificate_is_checked():
    static_data = b"\x5a\x01\x02"
    issuer = (ISSUER_MODULUS, 1)
    cert, remainder = _icc_cert(static_data)
    assert oda.icc_key(issuer, cert, remainder, b"\x03", static_data, PAN, TODAY) == (ICC_MODULUS, 3)
    for bad in ({"header": 0x00}, {"trailer": 0xBB}, {"fmt": 0x02}, {"hash_algo": 0x00}, {"key_algo": 0x03},
                {"pan": "6222021000000010016"}, {"pan": "622202100000001000"}, {"expiry": "0926"},
                {"key_len": 95}):
        cert, remainder = _icc_cert(static_data, **bad)
        assert raises(oda.OdaError, oda.icc_key, issuer, cert, remainder, b"\x03", static_data, PAN, TODAY), bad
    cert, remainder = _icc_cert(static_data)
    assert raises(oda.OdaError, oda.icc_key, issuer, cert, remainder, b"\x03", static_data + b"\x00", PAN, TODAY)
    assert raises(oda.OdaError, oda.icc_key, issuer, cert, remainder, b"\x03", None, PAN, TODAY)
    assert raises(oda.OdaError, oda.icc_key, issuer, cert, b"", b"\x03", static_data, PAN, TODAY)


def test_each_field_of_the_signed_static_data_is_checked():
    issuer = (ISSUER_MODULUS, 1)
    assert oda.verify_sda(issuer, _ssad(b"abc"), b"abc") == b"\xda\xc0"
    assert raises(oda.OdaError, oda.verify_sda, issuer, _ssad(b"abc", fmt=0x05), b"abc")
    assert raises(oda.OdaError, oda.verify_sda, issuer, _ssad(b"abc", hash_algo=0x02), b"abc")
    assert raises(oda.OdaError, oda.verify_sda, issuer, _ssad(b"abc"), b"abd")
    assert raises(oda.OdaError, oda.verify_sda, issuer, _ssad(b"abc")[:-1] + b"\xbd", b"abc")
    assert raises(oda.OdaError, oda.verify_sda, issuer, None, b"abc")


def test_each_field_of_the_signed_dynamic_data_is_checked():
    icc = (ICC_MODULUS, 1)
    assert oda.verify_dda(icc, _sdad(b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04") == b"\x11\x22\x33\x44"
    for bad in ({"fmt": 0x03}, {"dynamic_len": 72}, {"dynamic_len": 2}, {"number_len": 1}, {"number_len": 9},
                {"number_len": 5}, {"number": b"\x01" * 9}):
        assert raises(oda.OdaError, oda.verify_dda, icc, _sdad(b"\x01\x02\x03\x04", **bad), b"\x01\x02\x03\x04"), bad
    assert raises(oda.OdaError, oda.verify_dda, icc, _sdad(b"\x01\x02\x03\x04"), b"\x01\x02\x03")
    assert raises(oda.OdaError, oda.verify_dda, icc, b"\x6a" * 96, b"")
    assert raises(oda.OdaError, oda.verify_dda, icc, _sdad(b""), None)


def test_a_key_too_short_for_its_format_fails_rather_than_indexing_past_the_data():
    for size in (3, 5, 17, 41):
        data = b"\x6a\x04" + b"\x01" * (size - 3) + b"\xbc"
        assert raises(oda.OdaError, oda.icc_key, (b"\xff" * size, 1), data, None, b"\x03", b"", PAN, TODAY)
    for size in (4, 22, 24):
        data = b"\x6a\x05" + b"\x01" * (size - 3) + b"\xbc"
        assert raises(oda.OdaError, oda.verify_dda, (b"\xff" * size, 1), data, b"")


def test_emvsign_refuses_a_dynamic_number_outside_2_to_8_bytes():
    app = _card("chip")["applications"][0]
    n, d = int(app["icc_private"]["n"], 16), int(app["icc_private"]["d"], 16)
    assert raises(ValueError, sign_dynamic, n, d, b"", b"\x01")
    assert raises(ValueError, sign_dynamic, n, d, b"", b"\x01" * 9)


def test_sha1_gives_fips_180_answers_in_python_and_from_hashlib():
    for message, answer in ((b"abc", "A9993E364706816ABA3E25717850C26C9CD0D89D"),
                            (b"", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709"),
                            (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                             "84983E441C3BD26EBAAE4AA1F95129E5E54670F1")):
        assert python_digest(message) == unhexlify(answer)
        assert digest(message) == unhexlify(answer)
    assert python_digest(b"ab", b"", b"c") == digest(b"a", b"bc")


def test_sha1_in_python_agrees_with_the_vm_around_block_boundaries():
    for size in (55, 56, 63, 64, 65, 119, 120, 128):
        message = bytes(i & 0xFF for i in range(size))
        assert python_digest(message) == digest(message), size
