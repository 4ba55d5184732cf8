"""The acquirer's wire, crypto and message handling, in process."""

import datetime
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psec.pinblock import encode_pinblock_iso_0

from tools.acquirer import crypto, handlers, spec, store

TID, MID = "12345678", "123456789012345"
TESTDATA = {
    "terminal": {"terminal_id": TID, "merchant_id": MID, "merchant_name": "test",
                 "tmk": "0123456789ABCDEFFEDCBA9876543210"},
    "cards": [{"name": "good", "pan": "6222021000000000017", "expiry": "3012",
               "pin": "123456", "kind": "debit", "balance_fen": 100000, "issuer": "工商银行"}],
}


# -- spec --------------------------------------------------------------------

def test_spec_encodes_every_cup_format_byte_for_byte():
    message = {0: "0200", 2: "6222021000000000017", 3: "000000", 4: "000000012345",
               22: "021", 35: "6222021000000000017=3012101", 41: "12345678",
               60: "22000001000", 64: b"ABCDEFGH"}
    expected = (
        "0200" "7000040020800011"
        "19" "62220210000000000170"          # LLVAR n: digit count, trailing pad
        "000000" "000000012345"
        "0021"                                # n3: leading pad
        "27" "6222021000000000017D30121010"   # LLVAR z: '=' is D, trailing pad
        "3132333435363738"
        "0011" "220000010000"                 # LLLVAR n: 2-byte BCD digit count
        "4142434445464748")
    assert spec.encode_body(message).hex().upper() == expected
    assert spec.decode_body(bytes.fromhex(expected)) == message


def test_lllvar_text_and_binary_count_bytes():
    message = {0: "0210", 62: bytes(40), 63: "CUPICBC"}
    body = spec.encode_body(message)
    assert body[10:12] == b"\x00\x40" and body[52:54] == b"\x00\x07"
    assert spec.decode_body(body) == message


@pytest.mark.parametrize("body_hex, why", [
    ("0200", "too short"),
    ("02002000000000000000" "00000A", "letter in an n field"),
    ("0200" "0000200000000000" "0123", "odd n3 with a non-zero pad"),
    ("02008000000000000000" + "00" * 8, "secondary bitmap"),
    ("0200" "0800000000000000", "field 5 is not in the profile"),
    ("0200" "4000000000000000" "1A1234", "length not BCD"),
    ("0200" "2000000000000000" "000000" "00", "extra bytes"),
    ("02A0" "0000000000000000", "MTI not BCD"),
])
def test_decode_rejects_malformed_bodies_with_wire_error(body_hex, why):
    with pytest.raises(spec.WireError):
        spec.decode_body(bytes.fromhex(body_hex))


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_wire_error(data):
    try:
        spec.decode_body(data)
    except spec.WireError:
        pass


@given(pan=st.text("0123456789", min_size=13, max_size=19),
       expiry=st.text("0123456789", min_size=4, max_size=4),
       discretionary=st.text("0123456789", max_size=13),
       amount=st.integers(0, 10 ** 12 - 1))
def test_pan_track_and_amount_round_trip(pan, expiry, discretionary, amount):
    message = {0: "0200", 2: pan, 4: "%012d" % amount,
               35: pan + "=" + expiry + discretionary}
    assert spec.decode_body(spec.encode_body(message)) == message


def test_answer_framing_swaps_tpdu_and_sets_header_digit_5():
    assert spec.answer_tpdu(spec.REQUEST_TPDU).hex() == "6000000003"
    header = spec.header_with_requirement(3)
    assert header.hex() == "603103000000"
    assert spec.processing_requirement(header) == 3
    assert spec.frame(b"\x01\x02") == b"\x00\x02\x01\x02"


def test_split_message_checks_ids_and_bounds():
    body = spec.encode_body({0: "0800", 11: "000001"})
    assert spec.split_message(spec.REQUEST_TPDU + spec.HEADER + body)[2] == body
    with pytest.raises(spec.WireError):
        spec.split_message(b"\x70" + spec.REQUEST_TPDU[1:] + spec.HEADER + body)
    with pytest.raises(spec.WireError):
        spec.split_message(spec.REQUEST_TPDU + spec.HEADER + bytes(spec.MAX_FRAME))


# -- crypto ------------------------------------------------------------------

def test_check_values_match_the_published_ones():
    assert crypto.check_value(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")).hex() == \
        "08d7b4fb"
    assert crypto.check_value(bytes.fromhex("0123456789ABCDEF")).hex() == "d5d44ff7"


def test_cup_mac_known_answer():
    assert crypto.cup_mac(bytes.fromhex("0123456789ABCDEF"), bytes(range(20))) == b"C9688AA1"


def test_key_field_is_pik_cv_mak_zeros_cv_under_the_tmk():
    tmk = bytes.fromhex(TESTDATA["terminal"]["tmk"])
    pik, mak = crypto.new_working_keys()
    field = crypto.key_field(tmk, pik, mak)
    assert len(field) == 40
    assert crypto.decrypt_ecb(tmk, field[:16]) == pik
    assert field[16:20] == crypto.check_value(pik)
    assert crypto.decrypt_ecb(tmk, field[20:28]) == mak
    assert field[28:36] == bytes(8) and field[36:] == crypto.check_value(mak)


def test_pin_block_decrypts_with_the_pan_or_gives_none():
    pik = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
    pan = "6222021000000000017"
    block = crypto.encrypt_ecb(pik, encode_pinblock_iso_0("123456", pan))
    assert crypto.decrypt_pin(pik, block, pan) == "123456"
    assert crypto.decrypt_pin(pik[::-1], block, pan) != "123456"
    assert crypto.decrypt_pin(pik, b"short", pan) is None


# -- handling, in process ----------------------------------------------------

@pytest.fixture(scope="module")
def host():
    directory = tempfile.mkdtemp()
    db = store.Store(os.path.join(directory, "host.db"))
    db.seed(TESTDATA)
    clock = lambda: datetime.datetime(2025, 6, 1, 12, 0, 0)  # noqa: E731
    yield handlers.Host(db, clock)
    db.close()


def test_seeding_happens_once(host):
    assert host.store.seed(TESTDATA) is False


_digits = lambda lo, hi: st.text("0123456789", min_size=lo, max_size=hi)  # noqa: E731
_fields = st.fixed_dictionaries(
    {0: st.sampled_from(["0200", "0400", "0800", "0500", "0820"])},
    optional={
        2: _digits(1, 19), 3: _digits(6, 6), 4: _digits(12, 12), 11: _digits(6, 6),
        14: _digits(4, 4), 22: _digits(3, 3), 25: _digits(2, 2),
        35: st.builds(lambda a, b: a + "=" + b, _digits(0, 19), _digits(0, 17)),
        39: st.sampled_from(["98", "A0", "06"]),
        41: st.sampled_from([TID, "00000000"]), 42: st.sampled_from([MID, "0" * 15]),
        49: st.sampled_from(["156", "840"]), 52: st.binary(min_size=8, max_size=8),
        60: st.one_of(_digits(0, 17), st.builds(lambda b: "22" + b + "000", _digits(6, 6)),
                      st.builds(lambda b: "00" + b + "003", _digits(6, 6))),
        63: st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10),
        64: st.binary(min_size=8, max_size=8),
    })


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=_fields)
def test_every_well_formed_request_gets_a_decodable_answer(host, message):
    payload = spec.REQUEST_TPDU + spec.HEADER + spec.encode_body(message)
    tpdu, header, body = spec.split_message(host.handle(payload))
    answer = spec.decode_body(body)
    assert tpdu == spec.answer_tpdu(spec.REQUEST_TPDU)
    assert answer[0] == message[0][:2] + str(int(message[0][2]) + 1) + message[0][3]
    assert 39 in answer


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=80))
def test_any_payload_is_answered_or_refused_with_wire_error(host, data):
    try:
        host.handle(spec.REQUEST_TPDU + spec.HEADER + data)
    except spec.WireError:
        pass
