# ECDSA P-256 / SHA-256 verification: published known answers, bad signatures, bad keys, edge points.
# host_tests/test_ecdsa_vs_cryptography.py checks the same vectors, and random ones, with `cryptography`.
import hashlib
from binascii import unhexlify

from pos import ecdsa
from updkit import public_key, sign_digest
from vmutil import raises

N = ecdsa._N
P = ecdsa._P

# (source, Qx, Qy, message hex, r, s); the digest is SHA-256 of the message.
VECTORS = (
    ("RFC 6979 A.2.5, SHA-256, 'sample'",
     "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
     "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", "73616d706c65",
     "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716",
     "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8"),
    ("RFC 6979 A.2.5, SHA-256, 'test'",
     "60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6",
     "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299", "74657374",
     "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367",
     "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"),
    ("NIST CSRC example P256_SHA256, 'Example of ECDSA with P-256'",
     "B7E08AFDFE94BAD3F1DC8C734798BA1C62B3A0AD1E9EA2A38201CD0889BC7A19",
     "3603F747959DBF7A4BB226E41928729063ADC7AE43529E61B563BBC606CC5E09",
     "4578616d706c65206f66204543445341207769746820502d323536",
     "2B42F576D07F4165FF65D1F3B1500F81E44C316F1F0B3EF57325B69ACA46104F",
     "DC42C2122D6392CD3E3A993A89502A8198C1886FE69D262C4B329BDB6B63FAF1"),
    ("NIST CAVP 186-4 SigVer.rsp [P-256,SHA-256], Result = P",
     "e424dc61d4bb3cb7ef4344a7f8957a0c5134e16f7a67c074f82e6e12f49abf3c",
     "970eed7aa2bc48651545949de1dddaf0127e5965ac85d1243d6f60e7dfaee927",
     "e1130af6a38ccb412a9c8d13e15dbfc9e69a16385af3c3f1e5da954fd5e7c45fd75e2b8c36699228e92840c0562fbf"
     "3772f07e17f1add56588dd45f7450e1217ad239922dd9c32695dc71ff2424ca0dec1321aa47064a044b7fe3c2b97d0"
     "3ce470a592304c5ef21eed9f93da56bb232d1eeb0035f9bf0dfafdcc4606272b20a3",
     "bf96b99aa49c705c910be33142017c642ff540c76349b9dab72f981fd9347f4f",
     "17c55095819089c2e03b9cd415abdf12444e323075d98f31920b9e0f57ec871c"),
    ("NIST CAVP 186-4 SigGen.txt [P-256,SHA-256], first record",
     "1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83",
     "ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9",
     "5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf416983fe165b1a045ee2bcd2e6dca3bd"
     "f46c4310a7461f9a37960ca672d3feb5473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e471ea7a65c17c"
     "c934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8",
     "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac",
     "8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903"),
)


def _vector(v):
    _source, qx, qy, msg, r, s = v
    return unhexlify(qx + qy), hashlib.sha256(unhexlify(msg)).digest(), unhexlify(r + s)


def _int32(n):
    return n.to_bytes(32, "big")


def test_the_published_p256_sha256_vectors_verify():
    for v in VECTORS:
        key, digest, sig = _vector(v)
        assert ecdsa.verify(key, digest, sig), v[0]


def test_the_cavp_sigver_message_hashes_as_published():
    assert _vector(VECTORS[3])[1] == unhexlify("d1b8ef21eb4182ee270638061063a3f3c16c114e33937f69fb232cc833965a94")


def test_a_changed_digest_signature_or_key_is_refused():
    for v in VECTORS:
        key, digest, sig = _vector(v)
        for i in (0, 17, 31):
            bad = bytearray(digest)
            bad[i] ^= 0x01
            assert not ecdsa.verify(key, bytes(bad), sig), v[0]
        for i in (0, 31, 32, 63):
            bad = bytearray(sig)
            bad[i] ^= 0x80
            assert not ecdsa.verify(key, digest, bytes(bad)), v[0]
        assert not ecdsa.verify(key, digest, sig[32:] + sig[:32]), v[0]
    _key_a, digest_a, sig_a = _vector(VECTORS[0])
    key_c = _vector(VECTORS[2])[0]
    assert not ecdsa.verify(key_c, digest_a, sig_a)


def test_r_and_s_outside_one_to_n_minus_one_are_refused():
    key, digest, sig = _vector(VECTORS[0])
    r, s = sig[:32], sig[32:]
    for bad_r in (0, N, N + 1, 2 ** 256 - 1):
        assert not ecdsa.verify(key, digest, _int32(bad_r) + s)
    for bad_s in (0, N, N + 1, 2 ** 256 - 1):
        assert not ecdsa.verify(key, digest, r + _int32(bad_s))


def test_a_key_that_is_not_a_point_of_the_curve_is_refused():
    key, digest, sig = _vector(VECTORS[0])
    x, y = int.from_bytes(key[:32], "big"), int.from_bytes(key[32:], "big")
    assert ecdsa.on_curve(x, y)
    for bad in ((x, (y + 1) % P), ((x + 1) % P, y), (0, 0), (P, 0), (2 ** 256 - 1, 2 ** 256 - 1)):
        assert not ecdsa.on_curve(bad[0], bad[1])
        assert not ecdsa.verify(_int32(bad[0]) + _int32(bad[1]), digest, sig)


def test_coordinates_of_p_or_more_are_refused_even_when_they_reduce_to_a_point():
    x = 1
    while True:          # the point of smallest x: x + p still fits 32 bytes
        rhs = (x * x * x - 3 * x + ecdsa._B) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P == rhs:
            break
        x += 1
    assert ecdsa.on_curve(x, y) and not ecdsa.on_curve(x + P, y)
    key = _int32(x + P) + _int32(y)
    assert not ecdsa.verify(key, hashlib.sha256(b"x").digest(), _int32(1) + _int32(1))


def test_wrong_lengths_are_refused_and_a_bad_digest_length_is_an_error():
    key, digest, sig = _vector(VECTORS[0])
    assert not ecdsa.verify(key[:63], digest, sig)
    assert not ecdsa.verify(b"\x04" + key, digest, sig)
    assert not ecdsa.verify(key, digest, sig[:63])
    assert not ecdsa.verify(key, digest, b"")
    assert raises(ValueError, ecdsa.verify, key, digest[:31], sig)


def test_keys_that_are_small_multiples_of_g_or_their_negatives_work():
    # The joint table then holds points equal to each other (a doubling inside an addition) or infinity.
    digest = hashlib.sha256(b"edge").digest()
    for d in (1, 2, 3, 4, N - 1, N - 2, N - 3):
        key = public_key(d)
        sig = sign_digest(digest, d)
        assert ecdsa.verify(key, digest, sig), d
        assert not ecdsa.verify(key, hashlib.sha256(b"edgf").digest(), sig), d


def test_a_sum_at_infinity_is_refused():
    # Key G and e = n - r: u1*G + u2*G = (e + r) / s * G = infinity.
    key = public_key(1)
    r = 0x1234567
    assert not ecdsa.verify(key, _int32(N - r), _int32(r) + _int32(5))


def test_our_own_signatures_verify_for_fresh_keys():
    for d in (0x1A2B3C, 2 ** 255 + 12345, N // 3):
        key = public_key(d)
        for msg in (b"", b"a", b"manifest" * 50):
            digest = hashlib.sha256(msg).digest()
            assert ecdsa.verify(key, digest, sign_digest(digest, d))
