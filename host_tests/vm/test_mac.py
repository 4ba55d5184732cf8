# CUP POS "ECB" MAC (field 64). Expected MACs were computed with a separate
# implementation written on `cryptography` TripleDES (K1=K2=K3 for single
# DES): zero-pad, XOR the 8-byte blocks, hex upper, DES first half, XOR
# second half, DES, first 8 hex characters.
from binascii import unhexlify as h

from pos import des, mac
from vmutil import raises

MAK = h("0123456789ABCDEF")

# A sale request from the MTI to field 63 (89 bytes).
SALE = h(
    "0200702406C020C09811196222600260001072444000000000000000010000012305100210012376"
    "222600260001072444D4912120000000000030303030303131303030313030303030303132333135"
    "360011000000010000"
)


def test_mac_of_a_sale_request_matches_the_independent_computation():
    assert len(SALE) == 89
    assert mac.cup_ecb_mac(h("A1B2C3D4E5F60718"), SALE) == b"BBF71ADB"


def test_mac_of_one_whole_block():
    assert mac.cup_ecb_mac(MAK, b"12345678") == b"A4CCCFF0"


def test_a_short_last_block_is_padded_with_zero_bytes():
    assert mac.cup_ecb_mac(MAK, b"0200 CUP MAC") == b"6614E598"
    assert mac.cup_ecb_mac(MAK, b"0200 CUP MAC\x00\x00\x00\x00") == b"6614E598"


def test_mac_of_an_empty_message_is_that_of_r_equal_to_zero():
    assert mac.cup_ecb_mac(MAK, b"") == b"DFB656BD"


def test_mac_follows_the_cup_steps_built_from_des_by_hand():
    folded = bytes(a ^ b for a, b in zip(b"12345678", b"0200 CUP"))
    digits = b"".join(b"%02X" % v for v in folded)
    left = des.des_encrypt_block(MAK, digits[:8])
    x = bytes(a ^ b for a, b in zip(left, digits[8:]))
    e = des.des_encrypt_block(MAK, x)
    expected = b"".join(b"%02X" % v for v in e[:4])
    assert mac.cup_ecb_mac(MAK, b"123456780200 CUP") == expected


def test_the_mac_is_8_upper_case_hex_ascii_bytes():
    value = mac.cup_ecb_mac(MAK, SALE)
    assert len(value) == 8
    for c in value:
        assert c in b"0123456789ABCDEF"


def test_mac_accepts_bytearray_and_memoryview_messages():
    key = h("A1B2C3D4E5F60718")
    assert mac.cup_ecb_mac(key, bytearray(SALE)) == b"BBF71ADB"
    assert mac.cup_ecb_mac(bytearray(key), memoryview(SALE)) == b"BBF71ADB"


def test_verify_accepts_the_right_mac():
    assert mac.verify(h("A1B2C3D4E5F60718"), SALE, b"BBF71ADB")
    assert mac.verify(MAK, b"", bytearray(b"DFB656BD"))


def test_verify_refuses_a_changed_message_a_changed_mac_or_a_wrong_length():
    key = h("A1B2C3D4E5F60718")
    changed = bytearray(SALE)
    changed[40] ^= 1
    assert not mac.verify(key, changed, b"BBF71ADB")
    assert not mac.verify(key, SALE, b"BBF71ADC")
    assert not mac.verify(key, SALE, b"bbf71adb")
    assert not mac.verify(key, SALE, b"BBF71AD")
    assert not mac.verify(key, SALE, b"BBF71ADB\x00")
    assert not mac.verify(MAK, SALE, b"BBF71ADB")


def test_a_mak_that_is_not_8_bytes_raises_des_error():
    assert raises(des.DesError, mac.cup_ecb_mac, bytes(16), SALE)
    assert raises(des.DesError, mac.verify, bytes(7), SALE, b"BBF71ADB")
