# What the editors do with a pre-filled amount and with ENTER on too few digits.
from pos import i18n
from pos.editors import AmountEditor, DigitsEditor, PinEditor, TextEditor
from vmutil import asset_path


def _zh():
    i18n.use(asset_path(""), "zh")


def _keys(ed, keys):
    done = False
    for k in keys.split():
        done = ed.key(k)
    return done


def test_the_first_digit_keyed_replaces_an_offered_amount():
    ed = AmountEditor(10000000, initial=345678)
    assert ed.lines() == ["RMB 3456.78"]
    _keys(ed, "5")
    assert ed.value() == 5 and ed.lines() == ["RMB 0.05"]
    _keys(ed, "0 0")
    assert ed.value() == 500


def test_enter_takes_the_offered_amount_as_it_is():
    ed = AmountEditor(10000000, initial=345678)
    assert ed.key("ENTER") and ed.value() == 345678


def test_clear_takes_the_offered_amount_off_whole_then_a_digit_at_a_time():
    ed = AmountEditor(10000000, initial=345678)
    _keys(ed, "CLEAR")
    assert ed.value() == 0
    _keys(ed, "1 2 3 CLEAR")
    assert ed.value() == 12


def test_keys_that_change_nothing_keep_the_amount_offered():
    ed = AmountEditor(10000000, initial=12850)
    _keys(ed, "UP F1 7")
    assert ed.value() == 7


def test_an_offered_amount_set_after_construction_is_replaced_too():
    ed = AmountEditor(999999999)
    ed.fen = 500000
    _keys(ed, "9")
    assert ed.value() == 9


def test_a_digit_refused_over_the_maximum_leaves_the_offered_amount_offered():
    ed = AmountEditor(5, initial=3)
    _keys(ed, "9")
    assert ed.value() == 3 and ed.error == "amount_too_large"
    _keys(ed, "4")
    assert ed.value() == 4 and ed.error is None


def test_without_an_offer_digits_append_as_before():
    ed = AmountEditor(10000000)
    _keys(ed, "1 2 3 4 5")
    assert ed.value() == 12345


def test_enter_on_a_short_pin_says_how_many_digits_and_the_next_key_clears_it():
    _zh()
    ed = PinEditor()
    assert not _keys(ed, "1 2 3 ENTER")
    assert ed.lines() == ["***", "密码至少4位"]
    _keys(ed, "4")
    assert ed.lines() == ["****"]
    assert ed.key("ENTER")


def test_enter_on_a_short_card_number_says_so():
    _zh()
    ed = DigitsEditor(13, 19, too_short="card_no_too_short")
    assert not _keys(ed, "6 2 2 2 0 2 ENTER")
    assert ed.lines() == ["622202", "卡号至少13位"]
    _keys(ed, "CLEAR")
    assert ed.lines() == ["62220"]


def test_any_digits_editor_below_its_minimum_says_at_least_n():
    _zh()
    ed = DigitsEditor(2, 2, masked=True)
    assert not _keys(ed, "1 ENTER")
    assert ed.lines() == ["*", "至少2位"]
    assert _keys(ed, "2 ENTER") and ed.value() == "12"
    ed = TextEditor("abc", 8, 32, masked=True)
    assert not _keys(ed, "ENTER")
    assert ed.lines() == ["**c", "至少8位"]


def test_the_short_texts_are_in_english_too():
    i18n.use(asset_path(""), "en")
    try:
        pin, digits = PinEditor(), DigitsEditor(13, 19, too_short="card_no_too_short")
        _keys(pin, "1 ENTER")
        _keys(digits, "ENTER")
        assert pin.lines()[1] == "PIN: AT LEAST 4 DIGITS"
        assert digits.lines() == ["_", "CARD NO.: AT LEAST 13 DIGITS"]
    finally:
        _zh()
