"""The firmware codec against a peer it did not write: pyiso8583.

The pyiso8583 spec is the acquirer's (tools/acquirer/spec.py: BCD length
prefixes counting nibbles for n/z, bytes for b; n/z as BCD with a left pad
when fixed and a right pad when variable). Every check goes both ways:
firmware bytes decoded by pyiso8583, pyiso8583 bytes decoded by the firmware,
and for generated messages the two encodings are byte-identical. The MAC is
the acquirer's own (tools/acquirer/crypto.py), so mac_data is checked too.
"""
import iso8583 as pyiso8583
from hypothesis import given, settings, strategies as st

from pos import cup, iso8583, message
from tools.acquirer import crypto, spec

MAK = bytes.fromhex("0123456789ABCDEF")
TMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
TRACK2 = "6222021000000000017=30121010000000000"


def acquirer_mac(data):
    return crypto.cup_mac(MAK, data)


def sale_values():
    return {2: "6222021000000000017", 4: "000000012345", 11: "000123", 14: "3012",
            22: "021", 25: "00", 26: "12", 35: TRACK2, 41: "12345678",
            42: "123456789012345", 49: cup.CURRENCY, 52: bytes.fromhex("0102030405060708"),
            53: cup.SECURITY_CONTROL, "batch": "000001"}


def signin_values():
    return {11: "000001", 41: "12345678", 42: "123456789012345", 63: "01 ", "batch": "000001"}


def test_pyiso8583_decodes_a_firmware_sale_request_field_for_field():
    frame = message.build(cup, "sale", sale_values(), acquirer_mac)
    _, _, body = spec.split_message(frame[2:])
    doc, _ = pyiso8583.decode(body, spec.SPEC)
    assert doc["t"] == "0200" and doc["2"] == "6222021000000000017"
    assert doc["3"] == "000000" and doc["4"] == "000000012345" and doc["22"] == "021"
    assert doc["35"] == TRACK2.replace("=", "D")
    assert doc["52"] == "0102030405060708" and doc["53"] == cup.SECURITY_CONTROL
    assert doc["60"] == "2200000100060" and doc["41"] == "12345678"


def test_the_acquirer_reads_a_firmware_sale_request_and_verifies_its_mac():
    frame = message.build(cup, "sale", sale_values(), acquirer_mac)
    assert int.from_bytes(frame[:2], "big") == len(frame) - 2
    tpdu, header, body = spec.split_message(frame[2:])
    assert tpdu == spec.REQUEST_TPDU and header == spec.HEADER
    fields = spec.decode_body(body)
    expected = {k: v for k, v in sale_values().items() if k != "batch"}
    expected.update({0: "0200", 3: "000000", 60: "2200000100060", 64: fields[64]})
    assert fields == expected
    assert crypto.mac_matches(MAK, spec.mac_data(body), fields[64])


def test_the_acquirer_reads_a_firmware_signin_request():
    frame = message.build(cup, "signin", signin_values())
    fields = spec.decode_body(spec.split_message(frame[2:])[2])
    assert fields == {0: "0800", 11: "000001", 41: "12345678", 42: "123456789012345",
                      60: "00000001003", 63: "01 "}
    assert spec.split_field60(fields[60]) == ("00", "000001", "003", "")


def test_the_acquirer_reads_a_firmware_reversal_with_its_reason():
    values = message.reversal_values(cup, "sale", sale_values(), cup.REVERSAL_BAD_MAC)
    frame = message.build(cup, "reversal", values, acquirer_mac)
    body = spec.split_message(frame[2:])[2]
    fields = spec.decode_body(body)
    assert fields[0] == "0400" and fields[39] == "A0" and fields[3] == "000000"
    assert crypto.mac_matches(MAK, spec.mac_data(body), fields[64])


def _acquirer_answer(fields, requirement=0, mak=MAK):
    fields = dict(fields)
    if mak is not None:
        fields[64] = bytes(8)
        body = spec.encode_body(fields)
        body = spec.mac_data(body) + crypto.cup_mac(mak, spec.mac_data(body))
    else:
        body = spec.encode_body(fields)
    tpdu = spec.answer_tpdu(spec.REQUEST_TPDU)
    return spec.frame(spec.join_message(tpdu, spec.header_with_requirement(requirement), body))


def test_the_firmware_parses_an_acquirer_signin_answer_and_its_keys():
    pik, mak = bytes(range(16)), bytes(range(8))
    f62 = crypto.key_field(TMK, pik, mak)
    answer = {0: "0810", 11: "000001", 12: "101530", 13: "0612", 32: "99990000",
              37: "101530000001", 39: "00", 41: "12345678", 42: "123456789012345",
              60: "00000001003", 62: f62}
    requirement, fields = message.parse(cup, _acquirer_answer(answer, mak=None), None, "0810")
    assert requirement == 0 and fields == answer
    keys = message.signin_keys(cup, fields[62])
    assert keys["pik"] == crypto.encrypt_ecb(TMK, pik) and keys["mak"] == crypto.encrypt_ecb(TMK, mak)
    assert keys["mak_check"] == crypto.check_value(mak)


def test_the_firmware_parses_and_verifies_an_acquirer_sale_answer():
    answer = {0: "0210", 2: "6222021000000000017", 3: "000000", 4: "000000012345",
              11: "000123", 12: "101530", 13: "0612", 14: "3012", 15: "0612", 25: "00",
              32: "99990000", 37: "101530000001", 38: "654321", 39: "00", 41: "12345678",
              42: "123456789012345", 44: "%-11s%-11s" % ("01020000", "99990000"),
              49: "156", 60: "2200000100060", 63: "CUPICBC"}
    requirement, fields = message.parse(cup, _acquirer_answer(answer, 3), acquirer_mac, "0210")
    assert requirement == 3
    del fields[64]
    assert fields == answer


def test_the_firmware_accepts_the_acquirers_unmaced_mac_error_answer():
    answer = {0: "0210", 3: "000000", 4: "000000012345", 11: "000123", 39: "A0",
              41: "12345678", 42: "123456789012345"}
    requirement, fields = message.parse(cup, _acquirer_answer(answer, 3, mak=None), acquirer_mac, "0210")
    assert requirement == 3 and fields[39] == "A0"


def _value(kind, prefix, maxlen):
    if kind == "b":
        return st.binary(min_size=0 if prefix else maxlen, max_size=maxlen)
    alphabet = {"n": "0123456789", "z": "0123456789=", "an": "0123456789ABCXYZabcxyz ",
                "ans": "".join(chr(c) for c in range(0x20, 0x7F))}[kind]
    return st.text(alphabet, min_size=0 if prefix else maxlen, max_size=maxlen)


@st.composite
def messages(draw):
    numbers = [k for k in range(2, 65) if cup.FIELDS[k] is not None]
    msg = {0: draw(st.sampled_from(("0200", "0210", "0400", "0410", "0800", "0810")))}
    for k in draw(st.lists(st.sampled_from(numbers), unique=True)):
        msg[k] = draw(_value(*cup.FIELDS[k]))
    return msg


@settings(max_examples=200, deadline=None)
@given(messages())
def test_both_codecs_write_the_same_bytes_and_read_each_other(msg):
    ours = iso8583.encode(cup, msg)
    theirs = spec.encode_body(msg)
    assert ours == theirs
    assert spec.decode_body(ours) == msg
    assert iso8583.decode(cup, theirs) == msg


def test_the_profiles_agree_on_every_field():
    for k in range(2, 65):
        ours = cup.FIELDS[k]
        theirs = spec.SPEC.get(str(k))
        assert (ours is None) == (theirs is None), k
        if ours is None:
            continue
        kind, prefix, maxlen = ours
        assert theirs["max_len"] == maxlen, k
        if prefix:
            assert theirs["len_enc"] == "bcd" and theirs["len_type"] == prefix, k
        else:
            assert theirs["len_type"] == 0, k
        assert (theirs["data_enc"] == "ascii") == (kind in ("an", "ans")), k
        assert (theirs.get("len_count") == "nibbles") == (kind in ("n", "z")), k
