"""Host-side keys and cryptograms: working keys, check values, PIN block, MAC.

DES and 3DES come from `cryptography` (TripleDES; single DES is K1=K2=K3),
ISO 9564 format 0 decoding and key parity from psec.
"""

import hmac
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from psec.des import adjust_key_parity
from psec.pinblock import decode_pinblock_iso_0
from psec.tools import xor

PIK_LEN = 16
MAK_LEN = 8
CHECK_VALUE_LEN = 4
KEY_FIELD_LEN = 40
_ZERO_BLOCK = bytes(8)


def _ecb(key, data, encrypt):
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]  # K1 K2 K1: cryptography deprecates two-key form
    cipher = Cipher(TripleDES(key), modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def encrypt_ecb(key, data):
    """DES (8-byte key) or 3DES (16/24-byte key) ECB encryption."""
    return _ecb(key, data, True)


def decrypt_ecb(key, data):
    return _ecb(key, data, False)


def new_working_keys():
    """-> (PIK 16 bytes, MAK 8 bytes), fresh random keys with odd parity."""
    return (adjust_key_parity(os.urandom(PIK_LEN)),
            adjust_key_parity(os.urandom(MAK_LEN)))


def check_value(key):
    """First 4 bytes of the clear key encrypting 8 zero bytes."""
    return encrypt_ecb(key, _ZERO_BLOCK)[:CHECK_VALUE_LEN]


def key_field(tmk, pik, mak):
    """Sign-in field 62: PIK under TMK + CV, MAK under TMK + 8 zeros + CV."""
    field = (encrypt_ecb(tmk, pik) + check_value(pik)
             + encrypt_ecb(tmk, mak) + _ZERO_BLOCK + check_value(mak))
    assert len(field) == KEY_FIELD_LEN
    return field


def decrypt_pin(pik, pin_block, pan):
    """The clear PIN from an encrypted format 0 block, or None if it is not one."""
    if len(pin_block) != 8:
        return None
    try:
        return decode_pinblock_iso_0(decrypt_ecb(pik, pin_block), pan)
    except ValueError:
        return None


def cup_mac(mak, data):
    """CUP ECB MAC: 8 ASCII hex characters."""
    padded = bytes(data) + bytes(-len(data) % 8)
    block = _ZERO_BLOCK
    for i in range(0, len(padded), 8):
        block = xor(block, padded[i:i + 8])
    digits = block.hex().upper().encode("ascii")
    x = xor(encrypt_ecb(mak, digits[:8]), digits[8:])
    return encrypt_ecb(mak, x).hex().upper()[:8].encode("ascii")


def mac_matches(mak, data, mac):
    return hmac.compare_digest(cup_mac(mak, data), bytes(mac))
