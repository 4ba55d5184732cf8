"""The firmware's ECDSA P-256 verification against `cryptography` (OpenSSL), which we did not write."""
import hashlib
import os

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from hypothesis import given, settings, strategies as st

from pos import ecdsa
from test_ecdsa import VECTORS
from updkit import public_key, sign_digest

N = ecdsa._N


def _raw_key(key):
    numbers = key.public_key().public_numbers()
    return numbers.x.to_bytes(32, "big") + numbers.y.to_bytes(32, "big")


def _raw_signature(der):
    r, s = utils.decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _peer_verifies(raw_key, message, raw_sig):
    key = ec.EllipticCurvePublicNumbers(int.from_bytes(raw_key[:32], "big"), int.from_bytes(raw_key[32:], "big"),
                                        ec.SECP256R1()).public_key()
    der = utils.encode_dss_signature(int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big"))
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def test_the_known_answer_vectors_are_transcribed_right():
    for _source, qx, qy, msg, r, s in VECTORS:
        assert _peer_verifies(bytes.fromhex(qx + qy), bytes.fromhex(msg), bytes.fromhex(r + s))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_signatures_made_by_cryptography_verify(message):
    key = ec.generate_private_key(ec.SECP256R1())
    sig = _raw_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    digest = hashlib.sha256(message).digest()
    assert ecdsa.verify(_raw_key(key), digest, sig)
    assert not ecdsa.verify(_raw_key(key), hashlib.sha256(message + b"!").digest(), sig)
    other = ec.generate_private_key(ec.SECP256R1())
    assert not ecdsa.verify(_raw_key(other), digest, sig)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(0, 63), st.integers(1, 255))
def test_a_damaged_signature_is_refused_as_cryptography_refuses_it(message, at, flip):
    key = ec.generate_private_key(ec.SECP256R1())
    sig = bytearray(_raw_signature(key.sign(message, ec.ECDSA(hashes.SHA256()))))
    sig[at] ^= flip
    sig = bytes(sig)
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    ours = ecdsa.verify(_raw_key(key), hashlib.sha256(message).digest(), sig)
    assert not ours
    if 0 < r < N and 0 < s < N:
        assert _peer_verifies(_raw_key(key), message, sig) == ours


def test_r_or_s_out_of_range_is_refused():
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"out of range"
    sig = _raw_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    digest = hashlib.sha256(message).digest()
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    for bad_r, bad_s in ((0, s), (r, 0), (N, s), (r, N), (r + N if r + N < 2 ** 256 else N + 1, s)):
        assert not ecdsa.verify(_raw_key(key), digest, bad_r.to_bytes(32, "big") + bad_s.to_bytes(32, "big"))


def test_a_point_off_the_curve_is_refused_and_cryptography_will_not_even_load_it():
    key = ec.generate_private_key(ec.SECP256R1())
    message = b"off the curve"
    sig = _raw_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    raw = bytearray(_raw_key(key))
    raw[63] ^= 1
    assert not ecdsa.verify(bytes(raw), hashlib.sha256(message).digest(), sig)
    try:
        _peer_verifies(bytes(raw), message, sig)
        assert False, "cryptography loaded a point off the curve"
    except ValueError:
        pass


def test_the_test_kit_signer_makes_signatures_cryptography_accepts():
    for d in (1, 2, N - 1, int.from_bytes(os.urandom(31), "big") + 1):
        digest = hashlib.sha256(b"kit %d" % d).digest()
        sig = sign_digest(digest, d)
        key = ec.derive_private_key(d, ec.SECP256R1())
        assert public_key(d) == _raw_key(key)
        key.public_key().verify(utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                                           int.from_bytes(sig[32:], "big")),
                                digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
