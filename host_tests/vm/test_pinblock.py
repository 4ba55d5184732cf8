# ISO 9564-1 format 0 PIN blocks. Clear blocks are worked by hand and match
# psec.pinblock.encode_pinblock_iso_0 (0412AC89ABCDEF67 is the Wikipedia
# ISO 9564 example, 041277CDDEEFF669 psec's docstring example); the
# encrypted blocks were computed with `cryptography` TripleDES over those.
from binascii import unhexlify as h

from pos import des, pinblock
from vmutil import raises

PIK = h("0123456789ABCDEFFEDCBA9876543210")


def test_pin_1234_with_pan_4000001234562000_gives_041234fedcba9dff():
    # PIN field 041234FFFFFFFFFF xor PAN field 0000000123456200.
    assert pinblock.clear_pin_block("1234", "4000001234562000") == h("041234FEDCBA9DFF")


def test_the_pan_field_is_the_12_digits_before_the_check_digit():
    assert pinblock.clear_pin_block("1234", "43219876543210987") == h("0412AC89ABCDEF67")
    assert pinblock.clear_pin_block("1234", "5544332211009966") == h("041277CDDEEFF669")
    assert pinblock.clear_pin_block("0000", "6222600260001072444") == h("0400029FFFEF8DBB")


def test_a_12_digit_pin_fills_the_block_with_two_pad_nibbles():
    assert pinblock.clear_pin_block("123456789012", "4000001234562000") == h("0C1234575BD570FF")


def test_an_odd_length_pin_ends_with_an_f_nibble():
    assert pinblock.clear_pin_block("98765", "6225880123456789") == h("05982EDFEDCBA987")


def test_the_pin_may_be_bytes_bytearray_or_a_memoryview():
    expected = h("041234FEDCBA9DFF")
    entered = bytearray(b"1234\x00\x00\x00\x00")
    assert pinblock.clear_pin_block(b"1234", "4000001234562000") == expected
    assert pinblock.clear_pin_block(bytearray(b"1234"), b"4000001234562000") == expected
    assert pinblock.clear_pin_block(memoryview(entered)[:4], "4000001234562000") == expected


def test_encrypted_block_is_the_clear_block_under_the_pik_with_3des():
    assert pinblock.encrypt_pin_block(PIK, "1234", "4000001234562000") == h("778C455FFCBD80FD")
    assert pinblock.encrypt_pin_block(PIK, b"123456789012", "4000001234562000") == h("19227FFE322304EB")
    clear = pinblock.clear_pin_block("98765", "6225880123456789")
    assert des.tdes_decrypt_block(PIK, pinblock.encrypt_pin_block(PIK, "98765", "6225880123456789")) == clear


def test_encryption_leaves_the_callers_pin_buffer_alone():
    entered = bytearray(b"1234")
    pinblock.encrypt_pin_block(PIK, entered, "4000001234562000")
    assert entered == bytearray(b"1234")


class _CapturingDes:
    """Stands in for pos.des to see the buffer that held the clear block."""

    def __init__(self, fail):
        self.fail = fail
        self.seen = None
        self.clear_when_seen = None

    def tdes_encrypt_block(self, key, block):
        self.seen = block
        self.clear_when_seen = bytes(block)
        if self.fail:
            raise des.DesError("bad key")
        return bytes(8)


def _encrypt_with(fake):
    real = pinblock.des
    pinblock.des = fake
    try:
        return pinblock.encrypt_pin_block(PIK, "1234", "4000001234562000")
    finally:
        pinblock.des = real


def test_the_buffer_that_held_the_pin_nibbles_is_zeroed_before_return():
    fake = _CapturingDes(fail=False)
    _encrypt_with(fake)
    assert fake.clear_when_seen == h("041234FEDCBA9DFF")
    assert fake.seen == bytearray(8)


def test_the_buffer_is_zeroed_even_when_encryption_fails():
    fake = _CapturingDes(fail=True)
    assert raises(des.DesError, _encrypt_with, fake)
    assert fake.clear_when_seen == h("041234FEDCBA9DFF")
    assert fake.seen == bytearray(8)


def test_a_pin_of_fewer_than_4_or_more_than_12_digits_is_refused():
    pan = "4000001234562000"
    assert raises(pinblock.PinBlockError, pinblock.clear_pin_block, "123", pan)
    assert raises(pinblock.PinBlockError, pinblock.clear_pin_block, "1234567890123", pan)
    assert raises(pinblock.PinBlockError, pinblock.encrypt_pin_block, PIK, "", pan)


def test_a_pin_with_anything_but_digits_is_refused():
    pan = "4000001234562000"
    for pin in ("12a4", "12 34", b"1234\x00", "１２３４", 1234, None, [1, 2, 3, 4]):
        assert raises(pinblock.PinBlockError, pinblock.clear_pin_block, pin, pan), pin


def test_a_pan_that_is_short_long_or_not_digits_is_refused():
    for pan in ("400000123456", "40000012345620001234", "4000-01234562000", None, 4000001234562000):
        assert raises(pinblock.PinBlockError, pinblock.clear_pin_block, "1234", pan), pan


def test_pin_block_error_is_a_value_error():
    assert issubclass(pinblock.PinBlockError, ValueError)
