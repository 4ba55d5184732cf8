from pos.emv import tlv
from pos.emv.tlv import TlvError
from vmutil import raises

AID_DEBIT = bytes.fromhex("A000000333010101")
AID_CREDIT = bytes.fromhex("A000000333010102")
# SELECT 2PAY.SYS.DDF01: FCI 6F { 84 name, A5 { BF0C { 61 {4F AID, 50 label, 87 priority} x2 } } }
PPSE = bytes.fromhex(
    "6F4C840E325041592E5359532E4444463031A53ABF0C3761194F08A000000333010101500A50424F43204445424954"
    "870101611A4F08A000000333010102500B50424F4320435245444954870102")
# SELECT 1PAY.SYS.DDF01: A5 { 88 SFI of the directory, 5F2D language, 9F11 code table }
PSE = bytes.fromhex("6F20840E315041592E5359532E4444463031A50E8801015F2D047A68656E9F110101")
# SELECT of the debit AID, with a PDOL (9F38) asking for 9F7A, 9F02 and 5F2A
ADF = bytes.fromhex(
    "6F348408A000000333010101A528500A50424F432044454249548701019F38099F7A019F02065F2A025F2D027A68"
    "BF0C059F4D020B0A")
TRACK2 = bytes.fromhex("6222021000000000017D3012101123456789")
# READ RECORD: 70 { 57 track 2, 5F20 name, 5F24 expiry, 5F34 PAN sequence, 5A PAN }
RECORD = bytes.fromhex(
    "703657126222021000000000017D30121011234567895F20095A48414E472F53414E5F24033012315F3401015A0A"
    "6222021000000000017F")
# READ RECORD of 141 bytes: 70 81 8A { 90 81 80 issuer public key certificate, 8F, 9F32 }
CERT = bytes(range(128))
RECORD_LONG = b"\x70\x81\x8a\x90\x81\x80" + CERT + b"\x8f\x01\x03\x9f\x32\x01\x03"
QPBOC_PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")


def bad(data):
    """True when every parser refuses data with TlvError."""
    return raises(TlvError, tlv.items, data) and bad_inside(data)


def bad_inside(data):
    """True when the parsers that open templates refuse data with TlvError (items reads one level)."""
    return raises(TlvError, tlv.flatten, data) and raises(TlvError, tlv.find, data, 0x4242)


def test_a_ppse_answer_opens_to_its_two_applications():
    assert tlv.items(PPSE) == [(0x6F, PPSE[2:])]
    fci = tlv.items(PPSE[2:])
    assert [tag for tag, _ in fci] == [0x84, 0xA5]
    assert fci[0][1] == b"2PAY.SYS.DDF01"
    entries = tlv.items(tlv.find(PPSE, 0xBF0C))
    assert [tag for tag, _ in entries] == [0x61, 0x61]
    apps = [tlv.flatten(entry) for _, entry in entries]
    assert apps[0] == {0x4F: AID_DEBIT, 0x50: b"PBOC DEBIT", 0x87: b"\x01"}
    assert apps[1] == {0x4F: AID_CREDIT, 0x50: b"PBOC CREDIT", 0x87: b"\x02"}


def test_a_pse_answer_gives_the_directory_sfi_and_language():
    fci = tlv.flatten(PSE)
    assert fci == {0x84: b"1PAY.SYS.DDF01", 0x88: b"\x01", 0x5F2D: b"zhen", 0x9F11: b"\x01"}


def test_an_adf_answer_gives_its_pdol_and_the_pdol_its_entries():
    pdol = tlv.find(ADF, 0x9F38)
    assert tlv.parse_dol(pdol) == [(0x9F7A, 1), (0x9F02, 6), (0x5F2A, 2)]
    fci = tlv.flatten(ADF)
    assert fci[0x9F4D] == b"\x0b\x0a" and fci[0x5F2D] == b"zh" and fci[0x84] == AID_DEBIT
    assert 0xA5 not in fci and 0xBF0C not in fci


def test_a_read_record_template_flattens_to_its_primitives():
    record = tlv.flatten(RECORD)
    assert record == {0x57: TRACK2, 0x5F20: b"ZHANG/SAN", 0x5F24: b"\x30\x12\x31", 0x5F34: b"\x01",
                      0x5A: bytes.fromhex("6222021000000000017F")}
    assert tlv.find(RECORD, 0x70) == RECORD[2:]


def test_records_flatten_into_one_dict_and_the_first_value_stays():
    data = {}
    tlv.flatten(RECORD, data)
    tlv.flatten(b"\x70\x07\x5f\x34\x01\x09\x8f\x01\x03", data)
    assert data[0x5F34] == b"\x01" and data[0x8F] == b"\x03" and data[0x57] == TRACK2
    assert tlv.flatten(b"\x9f\x36\x02\x00\x01\x9f\x36\x02\x00\x02") == {0x9F36: b"\x00\x01"}
    assert tlv.find(b"\x9f\x36\x02\x00\x01\x9f\x36\x02\x00\x02", 0x9F36) == b"\x00\x01"


def test_a_record_of_more_than_127_bytes_uses_the_81_length():
    assert tlv.items(RECORD_LONG)[0][0] == 0x70 and len(tlv.items(RECORD_LONG)[0][1]) == 0x8A
    record = tlv.flatten(RECORD_LONG)
    assert record == {0x90: CERT, 0x8F: b"\x03", 0x9F32: b"\x03"}


def test_long_lengths_of_two_and_three_bytes_are_read_even_when_not_shortest():
    value = bytes(300)
    data = tlv.encode(0x9F10, value)
    assert data[:5] == b"\x9f\x10\x82\x01\x2c" and len(data) == 305
    assert tlv.items(data) == [(0x9F10, value)]
    assert tlv.items(b"\x9f\x10\x83\x00\x00\x05abcde") == [(0x9F10, b"abcde")]
    assert tlv.items(b"\x9f\x10\x82\x00\x02ab\x9f\x10\x81\x01c") == [(0x9F10, b"ab"), (0x9F10, b"c")]


def test_encode_uses_the_shortest_length():
    assert tlv.encode(0x9F02, bytes.fromhex("000000012345")) == bytes.fromhex("9F0206000000012345")
    assert tlv.encode(0x5A, b"")[1:] == b"\x00"
    assert tlv.encode(0x90, bytes(0x7F))[:2] == b"\x90\x7f"
    assert tlv.encode(0x90, bytes(0x80))[:3] == b"\x90\x81\x80"
    assert tlv.encode(0x90, bytes(0xFF))[:3] == b"\x90\x81\xff"
    assert tlv.encode(0x90, bytes(0x100))[:4] == b"\x90\x82\x01\x00"
    inner = tlv.encode(0x9F26, bytes(8)) + tlv.encode(0x9F27, b"\x80")
    assert tlv.flatten(tlv.encode(0x77, inner)) == {0x9F26: bytes(8), 0x9F27: b"\x80"}


def test_tags_are_ints_of_one_to_three_bytes():
    assert tlv.tag_bytes(0x70) == b"\x70"
    assert tlv.tag_bytes(0x9F26) == b"\x9f\x26"
    assert tlv.tag_bytes(0x5F2A) == b"\x5f\x2a"
    assert tlv.tag_bytes(0xBF0C) == b"\xbf\x0c"
    assert tlv.tag_bytes(0xDF8111) == b"\xdf\x81\x11"
    data = tlv.encode(0xDF8111, b"\x01") + tlv.encode(0xBF0C, tlv.encode(0x9F4D, b"\x0b\x0a"))
    assert data[:5] == b"\xdf\x81\x11\x01\x01"
    assert tlv.items(data)[0] == (0xDF8111, b"\x01")
    assert tlv.flatten(data) == {0xDF8111: b"\x01", 0x9F4D: b"\x0b\x0a"}


def test_an_int_that_no_tag_encodes_to_is_refused():
    for tag in (0, -1, 0x9F, 0x7001, 0x9F81, 0xDF0101, 0xDF8181, 0x1000000, 0xFF01, 0xFF, "9F02", None):
        assert raises(TlvError, tlv.tag_bytes, tag), tag
        assert raises(TlvError, tlv.encode, tag, b"\x01"), tag
    assert raises(TlvError, tlv.encode, 0x9F02, "000000012345")
    assert raises(TlvError, tlv.encode, 0x9F02, None)


def test_padding_bytes_between_objects_are_skipped():
    data = b"\x00\x9f\x36\x02\x00\x07\xff\xff\x00\x5f\x2a\x02\x01\x56\x00"
    assert tlv.items(data) == [(0x9F36, b"\x00\x07"), (0x5F2A, b"\x01\x56")]
    nested = b"\x70\x08\x00\x00\x5f\x34\x01\x01\xff\x00"
    assert tlv.flatten(nested) == {0x5F34: b"\x01"}
    assert tlv.items(b"\x00\xff\x00") == [] and tlv.flatten(b"") == {}
    assert tlv.find(b"\x00\x00", 0x5A) is None


def test_walk_gives_views_of_the_input_at_one_level():
    seen = []
    for tag, value in tlv.walk(ADF[2:]):
        assert type(value) is memoryview
        seen.append((tag, len(value)))
    assert seen == [(0x84, 8), (0xA5, 0x28)]
    assert [tag for tag, _ in tlv.walk(bytearray(RECORD)[2:])] == [0x57, 0x5F20, 0x5F24, 0x5F34, 0x5A]
    assert [tag for tag, _ in tlv.walk(memoryview(RECORD)[2:])] == [0x57, 0x5F20, 0x5F24, 0x5F34, 0x5A]


def test_find_returns_the_first_at_any_depth_or_none():
    assert tlv.find(PPSE, 0x4F) == AID_DEBIT
    assert tlv.find(PPSE, 0x87) == b"\x01"
    assert tlv.find(PPSE, 0x9F38) is None
    assert tlv.find(RECORD_LONG, 0x9F32) == b"\x03"


def test_a_cut_tag_is_refused():
    for data in (b"\x9f", b"\xdf\x81", b"\x5a\x01\x01\x9f"):
        assert bad(data), data
    assert bad_inside(b"\x70\x01\x9f") and bad_inside(b"\x70\x02\xdf\x81")


def test_a_tag_of_four_bytes_is_refused():
    assert bad(b"\xdf\x81\x81\x01\x01\x00")
    assert bad(b"\xdf\x81\x81\x81\x01\x00")


def test_a_missing_or_cut_length_is_refused():
    for data in (b"\x9f\x02", b"\x5a", b"\x5a\x81", b"\x5a\x82\x00", b"\x5a\x83\x00\x00"):
        assert bad(data), data
    assert bad_inside(b"\x70\x02\x5a\x82") and bad_inside(b"\x70\x01\x5a")


def test_indefinite_and_four_byte_lengths_are_refused():
    for head in (b"\x80", b"\x84\x00\x00\x00\x01", b"\x85\x00\x00\x00\x00\x01", b"\xff"):
        assert bad(b"\x5a" + head + b"\x01" * 8), head


def test_a_value_past_the_end_of_the_data_is_refused():
    assert bad(b"\x9f\x02\x06\x00\x00\x00")
    assert bad(b"\x5a\x81\x80" + bytes(127))


def test_a_value_past_the_end_of_its_template_is_refused():
    data = b"\x70\x03\x5a\x05\x01\x9f\x36\x02\x00\x01"
    assert [tag for tag, _ in tlv.items(data)] == [0x70, 0x9F36]
    assert bad_inside(data)
    assert bad_inside(b"\x6f\x04\xa5\x03\x88\x01\x01")


def test_a_huge_claimed_length_is_refused_without_allocating_it():
    for head in (b"\x82\xff\xff", b"\x83\xff\xff\xff", b"\x83\x01\x00\x00"):
        assert bad(b"\x90" + head + bytes(16)), head
        assert bad_inside(tlv.encode(0x70, b"\x90" + head + b"\x00\x00")), head


def test_templates_nested_deeper_than_the_limit_are_refused():
    def nest(levels):
        data = b"\x5a\x01\x01"
        for _ in range(levels):
            data = tlv.encode(0x70, data)
        return data
    assert tlv.flatten(nest(tlv.MAX_DEPTH)) == {0x5A: b"\x01"}
    assert tlv.find(nest(tlv.MAX_DEPTH), 0x5A) == b"\x01"
    assert raises(TlvError, tlv.flatten, nest(tlv.MAX_DEPTH + 1))
    assert raises(TlvError, tlv.find, nest(tlv.MAX_DEPTH + 1), 0x5A)
    assert tlv.items(nest(40))[0][0] == 0x70


def test_what_is_not_bytes_is_refused_with_the_same_error():
    for data in (None, "6F00", 5, [0x6F, 0]):
        assert bad(data), data
        assert raises(TlvError, tlv.parse_dol, data)


def test_a_dol_is_tags_with_one_byte_lengths():
    assert tlv.parse_dol(QPBOC_PDOL) == [
        (0x9F66, 4), (0x9F02, 6), (0x9F03, 6), (0x9F1A, 2), (0x95, 5), (0x5F2A, 2), (0x9A, 3),
        (0x9C, 1), (0x9F37, 4)]
    assert tlv.parse_dol(b"") == []
    assert tlv.parse_dol(b"\xdf\x81\x11\x00") == [(0xDF8111, 0)]


def test_a_malformed_dol_is_refused():
    for dol in (b"\x9f", b"\x9f\x66", b"\x9f\x66\x04\x95", b"\x00\x01", b"\xff\x01", b"\xdf\x81\x81\x01\x01"):
        assert raises(TlvError, tlv.parse_dol, dol), dol
        assert raises(TlvError, tlv.build_dol, dol, {}), dol


def test_a_dol_is_filled_with_the_values_at_their_lengths():
    values = {0x9F66: b"\x28\x00\x00\x00", 0x9F02: bytes.fromhex("000000012345"),
              0x9F03: bytes(6), 0x9F1A: b"\x01\x56", 0x95: bytes(5), 0x5F2A: b"\x01\x56",
              0x9A: b"\x26\x11\x23", 0x9C: b"\x00", 0x9F37: b"\xde\xad\xbe\xef"}
    data = tlv.build_dol(QPBOC_PDOL, values)
    assert data == bytes.fromhex("28000000" "000000012345" "000000000000" "0156" "0000000000" "0156"
                                 "261123" "00" "DEADBEEF")


def test_an_absent_value_or_a_template_gives_zeros():
    assert tlv.build_dol(b"\x9f\x37\x04\x9f\x02\x06", {}) == bytes(10)
    values = {0x70: b"\x01\x02\x03", 0x9F4D: b"\x0b\x0a"}
    assert tlv.build_dol(b"\x70\x03\x9f\x4d\x02", values) == b"\x00\x00\x00\x0b\x0a"
    assert tlv.build_dol(b"\x9f\x37\x00\x9c\x01", {0x9F37: b"\x01", 0x9C: b"\x20"}) == b"\x20"


def test_a_numeric_value_is_padded_and_cut_on_the_left():
    assert tlv.build_dol(b"\x9f\x02\x06", {0x9F02: b"\x12\x34"}) == bytes.fromhex("000000001234")
    amount = bytes.fromhex("000000012345")
    assert tlv.build_dol(b"\x9f\x02\x04", {0x9F02: amount}) == bytes.fromhex("00012345")
    assert tlv.build_dol(b"\x9f\x41\x02", {0x9F41: b"\x00\x00\x12\x34"}) == b"\x12\x34"
    assert tlv.build_dol(b"\x5f\x2a\x03", {0x5F2A: b"\x01\x56"}) == b"\x00\x01\x56"


def test_a_compressed_numeric_value_is_padded_with_f_and_cut_on_the_right():
    pan = bytes.fromhex("6222021000000000017F")
    assert tlv.build_dol(b"\x5a\x0c", {0x5A: pan}) == pan + b"\xff\xff"
    assert tlv.build_dol(b"\x5a\x08", {0x5A: pan}) == pan[:8]
    assert tlv.build_dol(b"\x9f\x20\x03", {0x9F20: b"\x12"}) == b"\x12\xff\xff"


def test_any_other_value_is_padded_with_zeros_and_cut_on_the_right():
    assert tlv.build_dol(b"\x9f\x37\x04", {0x9F37: b"\xab\xcd"}) == b"\xab\xcd\x00\x00"
    assert tlv.build_dol(b"\x9f\x37\x02", {0x9F37: b"\xab\xcd\xef\x01"}) == b"\xab\xcd"
    assert tlv.build_dol(b"\x9f\x1c\x0a", {0x9F1C: b"12345678"}) == b"12345678\x00\x00"
    assert tlv.build_dol(b"\x95\x05", {0x95: memoryview(b"\x80\x00\x00\x00\x00")}) == b"\x80\x00\x00\x00\x00"


def test_a_dol_asking_for_more_than_an_apdu_carries_is_refused():
    assert len(tlv.build_dol(b"\x9f\x10\xff", {})) == 255
    assert raises(TlvError, tlv.build_dol, b"\x9f\x10\xff\x9f\x37\x01", {})
    assert raises(TlvError, tlv.build_dol, b"\x9f\x37\x04", {0x9F37: "DEADBEEF"})


def test_the_n_format_tags_are_those_of_annex_a():
    for tag in (0x9F02, 0x9F03, 0x5F2A, 0x5F36, 0x9F1A, 0x9A, 0x9C, 0x9F21, 0x9F41, 0x9F35, 0x9F15,
                0x9F39):
        assert tag in tlv.N_TAGS, hex(tag)
    for tag in (0x9F37, 0x95, 0x9F66, 0x9F33, 0x9F1C, 0x81, 0x9F04, 0x9F1B, 0x5A):
        assert tag not in tlv.N_TAGS, hex(tag)
