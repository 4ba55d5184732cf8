# The ISO 8583 codec against the CUP profile: known encodings, round trips,
# and every class of malformed input rejected with CodecError.
from binascii import unhexlify

from pos import cup, iso8583
from pos.iso8583 import CodecError
from vmutil import raises

PAN = "6222021000000000017"
TRACK2 = "6222021000000000017=30121010000000000"


def h(text):
    return unhexlify(text.replace(" ", ""))


def sale_request():
    return {
        0: "0200", 2: PAN, 3: "000000", 4: "000000012345", 11: "000123",
        14: "3012", 22: "021", 25: "00", 26: "12", 35: TRACK2,
        41: "12345678", 42: "123456789012345", 49: "156",
        52: h("0102030405060708"), 53: "2600000000000000",
        60: "2200000100060", 64: b"ABCD1234",
    }


def sale_answer():
    return {
        0: "0210", 2: PAN, 3: "000000", 4: "000000012345", 11: "000123",
        12: "101530", 13: "0612", 14: "3012", 15: "0612", 25: "00",
        32: "99990000", 37: "101530000001", 38: "123456", 39: "00",
        41: "12345678", 42: "123456789012345", 44: "0102      99990000   ",
        49: "156", 60: "2200000100060", 63: "CUPICBC", 64: b"ABCD1234",
    }


def body_of(*fields):
    """Body holding only the given (number, value) fields, MTI 0200."""
    msg = {0: "0200"}
    for k, v in fields:
        msg[k] = v
    return iso8583.encode(cup, msg)


def error_of(fn, *args):
    try:
        fn(*args)
    except CodecError as e:
        return e
    raise AssertionError("no CodecError")


def test_pan_is_a_bcd_digit_count_then_left_aligned_digits_padded_with_a_trailing_zero():
    body = body_of((2, PAN))
    assert body == h("0200 4000000000000000 19 62220210000000000170")


def test_mti_is_two_bcd_bytes_and_the_bitmap_eight_binary_bytes():
    body = body_of((3, "000000"), (64, bytes(8)))
    assert body[:2] == h("0200")
    assert body[2:10] == h("2000000000000001")


def test_odd_fixed_numeric_field_is_right_aligned_behind_a_zero_nibble():
    assert body_of((22, "021"))[10:] == h("0021")


def test_track_two_writes_the_separator_as_nibble_d_and_pads_an_odd_count():
    tail = body_of((35, TRACK2))[10:]
    assert tail == h("37 6222021000000000017D301210100000000000")
    assert body_of((35, "4=1"))[10:] == h("03 4D10")


def test_lllvar_numeric_length_counts_digits_in_two_bcd_bytes():
    assert body_of((60, "2200000100060"))[10:] == h("0013 22000001000600")
    assert body_of((60, "00000001003"))[10:] == h("0011 000000010030")


def test_lllvar_binary_length_counts_bytes():
    assert body_of((62, bytes(40)))[10:12] == h("0040")


def test_fixed_text_is_right_padded_with_spaces_and_kept_on_decode():
    body = body_of((38, "AB12"))
    assert body[10:] == b"AB12  "
    assert iso8583.decode(cup, body)[38] == "AB12  "


def test_a_sale_request_round_trips():
    msg = sale_request()
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


def test_a_sale_answer_round_trips():
    msg = sale_answer()
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


def test_a_signin_answer_with_forty_key_bytes_round_trips():
    msg = {0: "0810", 11: "000001", 12: "101530", 13: "0612", 32: "99990000",
           37: "101530000001", 39: "00", 41: "12345678", 42: "123456789012345",
           60: "00000001003", 62: bytes(range(40))}
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


def test_empty_variable_fields_round_trip():
    msg = {0: "0200", 2: "", 62: b"", 63: ""}
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


def test_every_field_of_the_profile_round_trips_at_its_maximum_length():
    msg = {0: "0200"}
    for k in range(2, 65):
        spec = cup.FIELDS[k]
        if spec is None:
            continue
        kind, prefix, maxlen = spec
        if kind == "b":
            msg[k] = bytes((i * 7) & 0xFF for i in range(maxlen))
        elif kind == "z":
            msg[k] = ("1234567890" * 11)[:maxlen - 1] + "="
        elif kind == "n":
            msg[k] = ("9876543210" * 33)[:maxlen]
        elif kind == "an":
            msg[k] = ("Ab9 " * 10)[:maxlen]
        else:
            msg[k] = ("~ !aZ09" * 30)[:maxlen]
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


def test_encode_refuses_non_digits_in_a_numeric_field():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 4: "00000001234A"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 2: "62220-1"})


def test_encode_refuses_a_fixed_numeric_field_of_the_wrong_length():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 4: "12345"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 11: "1234567"})


def test_encode_refuses_a_variable_field_over_its_maximum():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 2: "1" * 20})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 62: bytes(1000)})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 41: "123456789"})


def test_encode_refuses_characters_outside_the_field_charset():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 63: "中文"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 63: "a\x07b"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 39: "0-"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 35: "6222=30A2"})


def test_encode_refuses_wrong_value_types():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 52: "12345678"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 4: 12345})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 64: bytes(7)})


def test_encode_refuses_fields_outside_the_profile_and_a_bad_mti():
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 5: "1"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 1: b""})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", 65: "1"})
    assert raises(CodecError, iso8583.encode, cup, {0: "0200", "4": "000000000001"})
    assert raises(CodecError, iso8583.encode, cup, {0: "02A0"})
    assert raises(CodecError, iso8583.encode, cup, {4: "000000000001"})


def test_every_truncation_of_a_sale_request_is_rejected():
    body = iso8583.encode(cup, sale_request())
    for n in range(len(body)):
        assert raises(CodecError, iso8583.decode, cup, body[:n]), n


def test_trailing_bytes_are_rejected_with_their_position():
    body = iso8583.encode(cup, sale_request())
    e = error_of(iso8583.decode, cup, body + b"\x00")
    assert e.pos == len(body)


def test_a_length_over_the_field_maximum_is_rejected_with_field_and_position():
    body = bytearray(body_of((2, PAN)))
    body[10] = 0x20  # PAN length 20 > 19
    e = error_of(iso8583.decode, cup, bytes(body) + b"\x00")
    assert e.field == 2 and e.pos == 10
    assert "field 2" in str(e) and "byte 10" in str(e)


def test_an_lllvar_length_over_the_maximum_is_rejected():
    body = bytearray(body_of((60, "2200000100060")))
    body[10:12] = h("0018")
    assert error_of(iso8583.decode, cup, bytes(body) + b"\x00\x00").field == 60
    body[10:12] = h("9999")
    assert error_of(iso8583.decode, cup, bytes(body)).field == 60


def test_a_length_longer_than_the_bytes_left_is_rejected():
    body = bytearray(body_of((62, bytes(10))))
    body[10:12] = h("0011")
    e = error_of(iso8583.decode, cup, bytes(body))
    assert e.field == 62 and e.pos == 12


def test_a_length_prefix_that_is_not_bcd_is_rejected():
    body = bytearray(body_of((2, PAN)))
    body[10] = 0x1A
    assert error_of(iso8583.decode, cup, bytes(body)).field == 2
    body = bytearray(body_of((63, "01 ")))
    body[11] = 0x0F
    assert error_of(iso8583.decode, cup, bytes(body)).field == 63


def test_a_bad_bcd_nibble_in_a_numeric_field_is_rejected():
    body = bytearray(body_of((4, "000000012345")))
    body[15] = 0x4B
    e = error_of(iso8583.decode, cup, bytes(body))
    assert e.field == 4 and e.pos == 10


def test_a_nonzero_pad_nibble_is_rejected():
    body = bytearray(body_of((2, PAN)))
    body[-1] = 0x71  # trailing pad of the odd PAN
    assert error_of(iso8583.decode, cup, bytes(body)).field == 2
    body = bytearray(body_of((22, "021")))
    body[10] = 0x10  # leading pad of the n3 field
    assert error_of(iso8583.decode, cup, bytes(body)).field == 22


def test_track_data_allows_only_digits_and_nibble_d():
    body = bytearray(body_of((35, TRACK2)))
    body[20] = 0xE3
    assert error_of(iso8583.decode, cup, bytes(body)).field == 35


def test_text_fields_reject_control_and_non_ascii_bytes():
    body = bytearray(body_of((63, "abc")))
    body[13] = 0x07
    assert error_of(iso8583.decode, cup, bytes(body)).field == 63
    body[13] = 0xC3
    assert error_of(iso8583.decode, cup, bytes(body)).field == 63
    body = bytearray(body_of((39, "00")))
    body[10] = 0x2D
    assert error_of(iso8583.decode, cup, bytes(body)).field == 39


def test_an_unknown_bit_in_the_bitmap_is_rejected():
    body = bytearray(body_of((3, "000000")))
    body[2] |= 0x08  # field 5
    e = error_of(iso8583.decode, cup, bytes(body))
    assert e.field == 5 and e.pos == 2


def test_a_secondary_bitmap_is_rejected():
    body = bytearray(body_of((3, "000000")))
    body[2] |= 0x80
    assert error_of(iso8583.decode, cup, bytes(body)).field == 1


def test_a_body_too_short_or_with_a_non_bcd_mti_is_rejected():
    assert raises(CodecError, iso8583.decode, cup, b"")
    assert raises(CodecError, iso8583.decode, cup, h("0200") + bytes(7))
    assert error_of(iso8583.decode, cup, h("02A0") + bytes(8)).field == 0


def test_decode_accepts_any_buffer():
    body = iso8583.encode(cup, sale_request())
    assert iso8583.decode(cup, bytearray(body)) == sale_request()
    assert iso8583.decode(cup, memoryview(body)) == sale_request()


def test_codec_error_is_a_value_error():
    assert issubclass(CodecError, ValueError)


def test_frame_puts_the_big_endian_length_of_what_follows_first():
    data = iso8583.frame(cup.TPDU, cup.HEADER, b"\x02\x00" + bytes(8))
    assert data == h("0015 6000030000 603100000000 0200 0000000000000000")


def test_unframe_gives_back_tpdu_header_and_body():
    body = iso8583.encode(cup, sale_request())
    assert iso8583.unframe(iso8583.frame(cup.TPDU, cup.HEADER, body)) == (cup.TPDU, cup.HEADER, body)


def test_unframe_rejects_a_declared_length_that_does_not_match():
    data = iso8583.frame(cup.TPDU, cup.HEADER, body_of((3, "000000")))
    assert raises(CodecError, iso8583.unframe, data[:-1])
    assert raises(CodecError, iso8583.unframe, data + b"\x00")
    assert raises(CodecError, iso8583.unframe, b"\x00\x0b" + data[2:12])
    assert raises(CodecError, iso8583.unframe, b"")


def test_frame_refuses_a_wrong_tpdu_or_header_size():
    assert raises(CodecError, iso8583.frame, cup.TPDU[:4], cup.HEADER, b"")
    assert raises(CodecError, iso8583.frame, cup.TPDU, cup.HEADER + b"\x00", b"")


def test_the_processing_requirement_is_header_digit_five():
    assert iso8583.processing_requirement(h("603100000000")) == 0
    assert iso8583.processing_requirement(h("603101000000")) == 1
    assert iso8583.processing_requirement(h("603103000000")) == 3
    assert iso8583.processing_requirement(h("603113000000")) == 3
    assert raises(CodecError, iso8583.processing_requirement, h("60310A000000"))
    assert raises(CodecError, iso8583.processing_requirement, h("6031"))


def test_mac_data_is_the_body_without_its_last_eight_bytes():
    body = iso8583.encode(cup, sale_request())
    assert iso8583.mac_data(body) == body[:-8]
    assert raises(CodecError, iso8583.mac_data, body_of((3, "000000")))
    assert raises(CodecError, iso8583.mac_data, b"\x02\x00")
