# Whole frames from the transaction table: building requests with a MAC,
# parsing answers (MAC, TPDU, MTI, processing requirement), reversals.
from binascii import hexlify, unhexlify

from pos import cup, iso8583, message
from pos.iso8583 import CodecError
from pos.message import MacError
from vmutil import raises

TRACK2 = "6222021000000000017=30121010000000000"


def fake_mac(data):
    """Stands in for the CUP ECB MAC: XOR of the 8-byte blocks, 8 hex digits."""
    acc = bytearray(8)
    for i in range(len(data)):
        acc[i & 7] ^= data[i]
    return hexlify(bytes(acc[:4])).upper()


def sale_values():
    return {
        2: "6222021000000000017", 4: "000000012345", 11: "000123", 14: "3012",
        22: "021", 25: "00", 26: "12", 35: TRACK2, 41: "12345678",
        42: "123456789012345", 49: cup.CURRENCY, 52: unhexlify("0102030405060708"),
        53: cup.SECURITY_CONTROL, "batch": "000001",
    }


def answer_frame(fields, requirement=0, mac=True, tpdu=cup.TPDU_ANSWER):
    """An answer as the host sends it (header digit 5 = requirement)."""
    msg = dict(fields)
    if mac:
        msg[64] = bytes(8)
    body = bytearray(iso8583.encode(cup, msg))
    if mac:
        body[len(body) - 8:] = fake_mac(iso8583.mac_data(body))
    header = bytearray(cup.HEADER)
    header[2] = (header[2] & 0xF0) | requirement
    return iso8583.frame(tpdu, bytes(header), bytes(body))


def sale_answer(code="00"):
    return {0: "0210", 2: "6222021000000000017", 3: "000000", 4: "000000012345",
            11: "000123", 12: "101530", 13: "0612", 15: "0612", 25: "00", 32: "99990000",
            37: "101530000001", 38: "654321", 39: code, 41: "12345678",
            42: "123456789012345", 44: "01020000   99990000   ", 49: "156",
            60: "22000001000", 63: "CUPICBC"}


def error_of(fn, *args):
    try:
        fn(*args)
    except CodecError as e:
        return e
    raise AssertionError("no CodecError")


def test_a_sale_frame_carries_length_tpdu_header_and_a_body_from_the_table():
    frame = message.build(cup, "sale", sale_values(), fake_mac)
    assert (frame[0] << 8) | frame[1] == len(frame) - 2
    assert frame[2:7] == cup.TPDU and frame[7:13] == cup.HEADER
    fields = iso8583.decode(cup, frame[13:])
    assert fields[0] == "0200" and fields[3] == "000000"
    assert fields[60] == "22" + "000001" + "000" + "60"
    assert fields[35] == TRACK2 and fields[4] == "000000012345"


def test_a_sale_frame_ends_with_the_mac_of_mti_to_field_63():
    frame = message.build(cup, "sale", sale_values(), fake_mac)
    body = frame[13:]
    assert body[-8:] == fake_mac(body[:-8])


def test_the_caller_may_give_field_60_whole_when_it_matches_the_table():
    values = sale_values()
    del values["batch"]
    values[60] = "22000001000" + "20"
    fields = iso8583.decode(cup, message.build(cup, "sale", values, fake_mac)[13:])
    assert fields[60] == "2200000100020"
    values[60] = "23000001000"
    assert raises(CodecError, message.build, cup, "sale", values, fake_mac)
    values[60] = "22000001003"
    assert raises(CodecError, message.build, cup, "sale", values, fake_mac)


def test_tail60_overrides_reader_capability_and_ic_condition():
    values = sale_values()
    values["tail60"] = "21"
    fields = iso8583.decode(cup, message.build(cup, "sale", values, fake_mac)[13:])
    assert fields[60] == "2200000100021"


def test_a_sale_without_pin_and_track_leaves_those_fields_out():
    values = sale_values()
    for k in (26, 35, 52, 53):
        del values[k]
    values[22] = "012"
    fields = iso8583.decode(cup, message.build(cup, "sale", values, fake_mac)[13:])
    for k in (26, 35, 52, 53):
        assert k not in fields


def test_a_signin_frame_has_network_code_003_operator_and_no_mac():
    values = {11: "000001", 41: "12345678", 42: "123456789012345", 63: "01 ", "batch": "000001"}
    frame = message.build(cup, "signin", values)
    fields = iso8583.decode(cup, frame[13:])
    assert fields == {0: "0800", 11: "000001", 41: "12345678", 42: "123456789012345",
                      60: "00000001003", 63: "01 "}


def test_build_refuses_a_missing_mandatory_field():
    values = sale_values()
    del values[4]
    assert error_of(message.build, cup, "sale", values, fake_mac).field == 4


def test_build_refuses_fields_the_type_does_not_carry():
    values = sale_values()
    values[38] = "123456"
    assert error_of(message.build, cup, "sale", values, fake_mac).field == 38
    values = sale_values()
    values[64] = bytes(8)
    assert raises(CodecError, message.build, cup, "sale", values, fake_mac)


def test_build_refuses_a_processing_code_other_than_the_tables():
    values = sale_values()
    values[3] = "310000"
    assert error_of(message.build, cup, "sale", values, fake_mac).field == 3
    values[3] = "000000"
    assert message.build(cup, "sale", values, fake_mac) == message.build(cup, "sale", sale_values(), fake_mac)


def test_build_needs_a_batch_a_mac_function_and_a_known_type():
    values = sale_values()
    values["batch"] = "12"
    assert raises(CodecError, message.build, cup, "sale", values, fake_mac)
    assert raises(CodecError, message.build, cup, "sale", sale_values())
    assert raises(CodecError, message.build, cup, "refund", sale_values(), fake_mac)


def test_build_refuses_a_mac_function_giving_other_than_eight_bytes():
    assert raises(CodecError, message.build, cup, "sale", sale_values(), lambda data: b"123")


def test_parse_gives_the_processing_requirement_and_the_verified_fields():
    requirement, fields = message.parse(cup, answer_frame(sale_answer(), 0), fake_mac, "0210")
    assert requirement == 0
    assert fields[39] == "00" and fields[38] == "654321"


def test_parse_reports_a_host_asking_for_sign_in():
    requirement, _ = message.parse(cup, answer_frame(sale_answer(), cup.PROC_REQ_SIGNIN), fake_mac)
    assert requirement == 3


def test_a_wrong_mac_is_a_mac_error():
    frame = bytearray(answer_frame(sale_answer()))
    frame[-1] ^= 0x01
    assert raises(MacError, message.parse, cup, bytes(frame), fake_mac)
    frame = bytearray(answer_frame(sale_answer()))
    frame[20] ^= 0x01  # a byte the MAC covers, still decodable
    assert raises(CodecError, message.parse, cup, bytes(frame), fake_mac)


def test_an_approval_without_mac_is_a_mac_error_when_a_mac_is_expected():
    frame = answer_frame(sale_answer("00"), mac=False)
    assert raises(MacError, message.parse, cup, frame, fake_mac)
    answer = sale_answer()
    del answer[39]
    assert raises(MacError, message.parse, cup, answer_frame(answer, mac=False), fake_mac)
    assert message.parse(cup, frame)[1][39] == "00"


def test_a_decline_without_mac_is_accepted_as_a_decline():
    _, fields = message.parse(cup, answer_frame(sale_answer("A0"), 3, mac=False), fake_mac, "0210")
    assert fields[39] == "A0"


def test_mac_error_is_a_codec_error():
    assert issubclass(MacError, CodecError)


def test_parse_refuses_an_unexpected_mti():
    assert error_of(message.parse, cup, answer_frame(sale_answer()), fake_mac, "0810").field == 0


def test_parse_refuses_an_answer_whose_tpdu_is_not_swapped():
    assert raises(CodecError, message.parse, cup, answer_frame(sale_answer(), tpdu=cup.TPDU), fake_mac)


def test_parse_reports_errors_at_frame_positions():
    frame = bytearray(answer_frame(sale_answer()))
    frame[15] |= 0x08  # bitmap byte 0 of the body: field 5
    e = error_of(message.parse, cup, bytes(frame), fake_mac)
    assert e.field == 5 and e.pos == 15


def test_parse_refuses_every_truncation_of_an_answer():
    frame = answer_frame(sale_answer())
    for n in range(len(frame)):
        assert raises(CodecError, message.parse, cup, frame[:n], fake_mac), n
        fixed = bytearray(frame[:n])
        if n >= 2:
            fixed[0] = (n - 2) >> 8
            fixed[1] = (n - 2) & 0xFF
            assert raises(CodecError, message.parse, cup, bytes(fixed), fake_mac), n


def test_signin_keys_split_field_62_by_the_profile_layout():
    f62 = bytes(range(40))
    keys = message.signin_keys(cup, f62)
    assert keys["pik"] == f62[0:16] and keys["pik_check"] == f62[16:20]
    assert keys["mak"] == f62[20:28] and keys["mak_check"] == f62[36:40]
    assert raises(CodecError, message.signin_keys, cup, bytes(39))


def test_a_reversal_of_a_sale_is_the_original_without_pin_and_track_data():
    values = message.reversal_values(cup, "sale", sale_values(), cup.REVERSAL_NO_ANSWER)
    for k in (26, 35, 36, 52, 53):
        assert k not in values
    assert values[2] == sale_values()[2] and values[14] == sale_values()[14]
    assert values[3] == "000000" and values[11] == "000123" and values[4] == "000000012345"
    assert values[60] == "2200000100060" and values[39] == "98"
    fields = iso8583.decode(cup, message.build(cup, "reversal", values, fake_mac)[13:])
    assert fields[0] == "0400" and fields[39] == "98" and fields[60] == "2200000100060"


def test_a_reversal_refuses_track_data_and_an_unknown_reason():
    values = message.reversal_values(cup, "sale", sale_values(), cup.REVERSAL_BAD_MAC)
    values[35] = TRACK2
    assert error_of(message.build, cup, "reversal", values, fake_mac).field == 35
    assert raises(CodecError, message.reversal_values, cup, "sale", sale_values(), "00")


def test_a_reversal_needs_the_originals_processing_code_and_field_60():
    values = message.reversal_values(cup, "sale", sale_values(), cup.REVERSAL_OTHER)
    del values[3]
    assert error_of(message.build, cup, "reversal", values, fake_mac).field == 3
    values = message.reversal_values(cup, "sale", sale_values(), cup.REVERSAL_OTHER)
    values["batch"] = "000001"
    assert raises(CodecError, message.build, cup, "reversal", values, fake_mac)


def test_every_transaction_type_names_its_mtis_and_fields():
    seen = set()
    for kind in cup.TRANSACTIONS:
        row = cup.TRANSACTIONS[kind]
        assert len(row[message.MTI]) == 4 and row[message.MTI][2] in "02468", kind
        for k in row[message.FIELDS] + row[message.OPTIONAL]:
            assert cup.FIELDS[k] is not None, (kind, k)
        for k in row[message.OPTIONAL]:
            assert k in row[message.FIELDS]
        assert list(row[message.FIELDS]) == sorted(row[message.FIELDS]), kind
        copied = kind in ("reversal", "script_result")        # field 3 as the original had it
        assert (3 in row[message.FIELDS]) == (row[message.PROC] is not None or copied), kind
        key = (row[message.MTI], row[message.TYPE60], row[message.NET60])
        assert key not in seen, kind  # the host tells the types apart by MTI, 60.1 and 60.3
        seen.add(key)


def test_the_answer_mti_is_the_request_mti_plus_ten():
    assert message.answer_mti("0200") == "0210"
    assert message.answer_mti("0100") == "0110"
    assert message.answer_mti("0320") == "0330"
    assert message.answer_mti("0820") == "0830"


def test_field61_names_batch_trace_and_date():
    assert message.field61(1, 23, "1123") == "0000010000231123"
    assert message.field61(mmdd="0101") == "0000000000000101"
    assert raises(CodecError, message.field61, 1, 2, "11")


def test_settlement_totals_are_the_cup_62_digit_layout():
    f48 = message.settle_totals(1234567, 12, 500, 1)
    assert f48 == "000001234567012000000000500001" + "0" + "0" * 31
    assert len(f48) == 62
    assert message.parse_settle_totals(cup, f48) == (1234567, 12, 500, 1, "0")
    assert message.parse_settle_totals(cup, f48[:30] + "2" + f48[31:])[4] == "2"
    for bad in ("", "1" * 61, "x" * 62, None):
        assert raises(CodecError, message.parse_settle_totals, cup, bad)
    assert raises(CodecError, message.settle_totals, 0, 1000, 0, 0)


def test_only_financial_types_have_a_reversal():
    assert raises(CodecError, message.reversal_values, cup, "balance", {11: "000001"}, "98")
    assert raises(CodecError, message.reversal_values, cup, "bill_inquiry", {11: "000001"}, "98")
