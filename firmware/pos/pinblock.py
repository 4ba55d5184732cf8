"""ISO 9564-1 format 0 PIN block: the only form in which a PIN leaves PIN entry.

The PIN field (0, length, digits, F padding) is XORed with the PAN field
(four zero nibbles, then the 12 rightmost PAN digits before the check digit).
The block is built in a bytearray that is zeroed before returning, so no PIN
nibbles stay behind in memory; the caller wipes its own copy of the digits.
"""

from pos import des


class PinBlockError(ValueError):
    """A PIN or PAN that a format 0 PIN block cannot carry."""


def _digit(digits, i, name):
    """The value of digit i of a str or of ASCII bytes; never echoes the digits."""
    c = ord(digits[i]) if isinstance(digits, str) else digits[i]
    if not 48 <= c <= 57:
        raise PinBlockError("%s must be decimal digits" % name)
    return c - 48


def _check(pin, pan):
    """Reject what format 0 cannot carry before any PIN nibble is written."""
    for digits, name, least, most in ((pin, "PIN", 4, 12), (pan, "PAN", 13, 19)):
        if not isinstance(digits, (str, bytes, bytearray, memoryview)):
            raise PinBlockError("%s must be a str or ASCII bytes" % name)
        if not least <= len(digits) <= most:
            raise PinBlockError("%s must be %d to %d digits, not %d"
                                % (name, least, most, len(digits)))
        for i in range(len(digits)):
            _digit(digits, i, name)


def _fill(block, pin, pan):
    """Write the clear format 0 block for pin and pan into the 8-byte bytearray block."""
    _check(pin, pan)
    n = len(pin)
    block[0] = n
    for i in range(1, 8):
        block[i] = 0xFF
    for i in range(n):
        j = 1 + (i >> 1)
        if i & 1:
            block[j] = (block[j] & 0xF0) | _digit(pin, i, "PIN")
        else:
            block[j] = (_digit(pin, i, "PIN") << 4) | 0x0F
    first = len(pan) - 13
    for k in range(6):
        i = first + 2 * k
        block[2 + k] ^= (_digit(pan, i, "PAN") << 4) | _digit(pan, i + 1, "PAN")


def _wipe(block):
    """Zero the buffer that held PIN nibbles."""
    for i in range(len(block)):
        block[i] = 0


def clear_pin_block(pin, pan):
    """The clear format 0 block (8 bytes) for pin and pan, before encryption."""
    block = bytearray(8)
    try:
        _fill(block, pin, pan)
        return bytes(block)
    finally:
        _wipe(block)


def encrypt_pin_block(pik, pin, pan):
    """Field 52: the format 0 block under the PIK, 3DES (8 or 24 byte PIKs as des.tdes_*)."""
    block = bytearray(8)
    try:
        _fill(block, pin, pan)
        return des.tdes_encrypt_block(pik, block)
    finally:
        _wipe(block)
