from pos import tlv
from pos.tlv import TlvError
from pos.iso8583 import CodecError
from vmutil import raises


def test_items_are_tag_length_value_with_utf8_text():
    data = tlv.encode((("BC", "GAS"), ("AC", "1000123456"), ("NM", "张三")))
    assert data == b"BC003GASAC0101000123456NM006" + "张三".encode()
    items = tlv.decode(data)
    assert tlv.text(items, "NM") == "张三"
    assert tlv.digits(items, "AC") == "1000123456"
    assert tlv.text(items, "UN", required=False) == ""


def test_an_amount_is_twelve_digits_of_fen():
    items = tlv.decode(tlv.encode((("DU", "000000012850"),)))
    assert tlv.amount(items, "DU") == 12850
    assert tlv.amount(items, "MX", required=False) is None
    assert raises(TlvError, tlv.amount, tlv.decode(b"DU0031.5"), "DU")
    assert raises(TlvError, tlv.amount, items, "MX")


def test_unknown_tags_are_kept_for_the_caller_to_ignore():
    items = tlv.decode(b"ZZ002hiBC003WTR")
    assert tlv.text(items, "BC") == "WTR" and "ZZ" in items


def test_malformed_data_raises_the_codecs_error_naming_field_62():
    for bad in (b"BC", b"BC0", b"BC00", b"BC010GAS", b"bc003GAS", b"BC0x3GAS", b"BC003GASBC003WTR",
                b"B\xff003GAS", b"X" * 513):
        try:
            tlv.decode(bad)
            assert False, bad
        except CodecError as e:
            assert isinstance(e, TlvError) and e.field == 62


def test_text_must_be_utf8_and_bounded():
    assert raises(TlvError, tlv.text, {"NM": b"\xff\xfe"}, "NM")
    assert raises(TlvError, tlv.text, {"NM": b"a" * 61}, "NM")
    assert tlv.text({"NM": "龘靐".encode()}, "NM") == "龘靐"


def test_a_token_is_printable_ascii_without_spaces():
    url = "https://qr.acquirer.test/o/2026112310000012AB34CD"
    assert tlv.token({"QR": url.encode()}, "QR", 200) == url
    assert tlv.token({}, "QR", 200, False) == ""
    for bad in (b"", b"a b", "收款".encode(), b"a\x7f", b"x" * 201):
        assert raises(TlvError, tlv.token, {"QR": bad}, "QR", 200), bad
    assert raises(TlvError, tlv.token, {}, "QR", 200)


def test_encoding_refuses_what_it_could_not_decode():
    assert raises(TlvError, tlv.encode, (("B", "x"),))
    assert raises(TlvError, tlv.encode, (("BC", "x" * 1000),))
    assert raises(TlvError, tlv.encode, (("AA", "x" * 500), ("BB", "x" * 500)))
