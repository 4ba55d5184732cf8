"""The firmware's DES/3DES, PIN block and CUP MAC against peers it did not write.

DES and 3DES come from `cryptography` (TripleDES; single DES is K1=K2=K3),
format 0 PIN blocks from psec, and the CUP MAC from a separate implementation
written here on `cryptography`.
"""

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from hypothesis import given, settings
from hypothesis import strategies as st
from psec.pinblock import decode_pinblock_iso_0, encode_pinblock_iso_0

from pos import des, mac, pinblock

keys = st.one_of(st.binary(min_size=8, max_size=8), st.binary(min_size=16, max_size=16),
                 st.binary(min_size=24, max_size=24))
blocks = st.binary(min_size=8, max_size=8)
ecb_data = st.integers(min_value=0, max_value=6).flatmap(lambda n: st.binary(min_size=8 * n, max_size=8 * n))
pins = st.text(alphabet="0123456789", min_size=4, max_size=12)
pans = st.text(alphabet="0123456789", min_size=13, max_size=19)


def _peer_cipher(key):
    if len(key) == 8:
        key = key * 3
    elif len(key) == 16:
        key = key + key[:8]
    return Cipher(TripleDES(key), modes.ECB())


def peer_encrypt(key, data):
    op = _peer_cipher(key).encryptor()
    return op.update(data) + op.finalize()


def peer_decrypt(key, data):
    op = _peer_cipher(key).decryptor()
    return op.update(data) + op.finalize()


def peer_cup_mac(mak, data):
    """CUP ECB MAC written from the spec with `cryptography` single DES."""
    padded = data + bytes(-len(data) % 8)
    r = bytes(8)
    for i in range(0, len(padded), 8):
        r = bytes(a ^ b for a, b in zip(r, padded[i:i + 8]))
    digits = r.hex().upper().encode("ascii")
    x = bytes(a ^ b for a, b in zip(peer_encrypt(mak, digits[:8]), digits[8:]))
    return peer_encrypt(mak, x).hex().upper()[:8].encode("ascii")


@settings(max_examples=300)
@given(key=st.binary(min_size=8, max_size=8), block=blocks)
def test_single_des_matches_cryptography_both_ways(key, block):
    cipher = peer_encrypt(key, block)
    assert des.des_encrypt_block(key, block) == cipher
    assert des.des_decrypt_block(key, cipher) == block


@settings(max_examples=300)
@given(key=keys, block=blocks)
def test_tdes_blocks_match_cryptography_both_ways(key, block):
    cipher = peer_encrypt(key, block)
    assert des.tdes_encrypt_block(key, block) == cipher
    assert des.tdes_decrypt_block(key, cipher) == block
    assert des.tdes_decrypt_block(key, block) == peer_decrypt(key, block)


@settings(max_examples=200)
@given(key=keys, data=ecb_data)
def test_ecb_matches_cryptography_both_ways(key, data):
    assert des.ecb_encrypt(key, data) == peer_encrypt(key, data)
    assert des.ecb_decrypt(key, data) == peer_decrypt(key, data)


@settings(max_examples=100)
@given(key=keys)
def test_check_value_is_the_peers_encryption_of_zeros(key):
    assert des.check_value(key) == peer_encrypt(key, bytes(8))[:4]


@settings(max_examples=300)
@given(pin=pins, pan=pans)
def test_clear_pin_block_matches_psec_format_0(pin, pan):
    assert pinblock.clear_pin_block(pin, pan) == encode_pinblock_iso_0(pin, pan)
    assert pinblock.clear_pin_block(pin.encode(), pan.encode()) == encode_pinblock_iso_0(pin, pan)


@settings(max_examples=200)
@given(pik=st.binary(min_size=16, max_size=16), pin=pins, pan=pans)
def test_encrypted_pin_block_decodes_to_the_pin_with_cryptography_and_psec(pik, pin, pan):
    encrypted = pinblock.encrypt_pin_block(pik, bytearray(pin.encode()), pan)
    assert decode_pinblock_iso_0(peer_decrypt(pik, encrypted), pan) == pin


@settings(max_examples=300)
@given(mak=st.binary(min_size=8, max_size=8), data=st.binary(max_size=300))
def test_cup_mac_matches_an_independent_implementation(mak, data):
    expected = peer_cup_mac(mak, data)
    assert mac.cup_ecb_mac(mak, data) == expected
    assert mac.verify(mak, data, expected)


@settings(max_examples=100)
@given(mak=st.binary(min_size=8, max_size=8), data=st.binary(min_size=1, max_size=300),
       flip=st.integers(min_value=0, max_value=10_000))
def test_verify_agrees_with_the_peer_on_a_message_with_one_bit_changed(mak, data, flip):
    changed = bytearray(data)
    changed[flip % len(data)] ^= 1 << (flip % 8)
    sent_mac = peer_cup_mac(mak, data)
    assert mac.verify(mak, bytes(changed), sent_mac) == (peer_cup_mac(mak, bytes(changed)) == sent_mac)
