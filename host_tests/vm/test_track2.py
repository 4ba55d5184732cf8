# Track 2 as the magstripe reader gives it, and the masked PAN.
from pos.track2 import Track2Error, luhn_ok, mask_pan, parse_track2
from vmutil import raises

GOOD = "6222021000000000017=30121010000000000"


def test_a_track_gives_pan_expiry_and_service_code():
    assert parse_track2(GOOD) == ("6222021000000000017", "3012", "101")


def test_the_sentinel_wrapped_form_from_a_reader_is_accepted():
    assert parse_track2(";" + GOOD + "?") == ("6222021000000000017", "3012", "101")


def test_a_track_without_discretionary_data_is_accepted():
    assert parse_track2("6222021000000000025=3012101") == ("6222021000000000025", "3012", "101")


def test_a_track_without_separator_is_rejected():
    assert raises(Track2Error, parse_track2, "62220210000000000173012101")


def test_a_pan_shorter_than_13_or_longer_than_19_digits_is_rejected():
    assert raises(Track2Error, parse_track2, "622202100009=3012101")
    assert raises(Track2Error, parse_track2, "62220210000000000017=3012101")


def test_a_pan_failing_the_luhn_check_is_rejected():
    assert raises(Track2Error, parse_track2, "6222021000000000018=3012101")


def test_characters_other_than_digits_are_rejected():
    assert raises(Track2Error, parse_track2, "62220210000=ZZ")
    assert raises(Track2Error, parse_track2, "622202100000000001A=3012101")
    assert raises(Track2Error, parse_track2, "6222021000000000017=30121O1")
    assert raises(Track2Error, parse_track2, "6222021000000000017=3012101=1")
    assert raises(Track2Error, parse_track2, "６222021000000000017=3012101")


def test_a_track_longer_than_37_characters_is_rejected():
    assert raises(Track2Error, parse_track2, GOOD + "0")


def test_a_bad_expiry_month_is_rejected():
    assert raises(Track2Error, parse_track2, "6222021000000000017=3013101")
    assert raises(Track2Error, parse_track2, "6222021000000000017=3000101")


def test_a_track_without_expiry_and_service_code_is_rejected():
    assert raises(Track2Error, parse_track2, "6222021000000000017=3012")
    assert raises(Track2Error, parse_track2, "6222021000000000017=")


def test_unbalanced_sentinels_and_non_text_are_rejected():
    assert raises(Track2Error, parse_track2, ";" + GOOD)
    assert raises(Track2Error, parse_track2, ";")
    assert raises(Track2Error, parse_track2, "")
    assert raises(Track2Error, parse_track2, GOOD.encode())
    assert raises(Track2Error, parse_track2, None)


def test_track2_error_is_a_value_error():
    assert issubclass(Track2Error, ValueError)


def test_the_test_cards_pass_the_luhn_check():
    for pan in ("6222021000000000017", "6222021000000000025", "6222021000000000033",
                "6222021000000000041", "6258070000000000060", "6228480000000000059"):
        assert luhn_ok(pan), pan


def test_a_masked_pan_keeps_the_first_six_and_last_four_digits():
    assert mask_pan("6222021000000000017") == "622202*********0017"
    assert mask_pan("6222021000000") == "622202***0000"


def test_a_short_pan_is_masked_all_but_its_last_four():
    assert mask_pan("1234567890") == "******7890"
    assert mask_pan("123") == "***"
