# Card data sealed under the terminal's data key (pos/sealed.py).
from pos import des, sealed
from vmutil import raises

TMK = b"\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10"


def test_a_sealed_text_opens_again_and_shows_nothing_of_it():
    text = "2=6222021000000000017;14=3012"
    blob = sealed.seal(TMK, text)
    assert len(blob) % 8 == 0 and len(blob) >= 8 + len(text)
    assert text.encode() not in blob and b"6222021000000000017" not in blob
    assert sealed.unseal(TMK, blob) == text


def test_two_seals_of_one_text_differ_by_their_random_iv():
    assert sealed.seal(TMK, "2=6222021000000000017") != sealed.seal(TMK, "2=6222021000000000017")


def test_the_data_key_is_derived_from_the_tmk_and_is_not_it():
    key = sealed.data_key(TMK)
    assert len(key) == 16 and key != TMK
    assert sealed.data_key(bytes(16)) != key
    assert des.check_value(key) != des.check_value(TMK)


def test_every_length_round_trips_with_its_padding():
    for n in range(0, 24):
        text = "7" * n
        assert sealed.unseal(TMK, sealed.seal(TMK, text)) == text


def test_another_key_or_damage_is_a_seal_error_never_a_wrong_text():
    blob = sealed.seal(TMK, "2=6222021000000000017")
    other = bytes(16)
    for bad in (blob[:-8], blob[:7], b"", blob + b"\x00"):
        assert raises(sealed.SealError, sealed.unseal, TMK, bad)
    try:
        got = sealed.unseal(other, blob)
    except sealed.SealError:
        got = None
    assert got != "2=6222021000000000017"
