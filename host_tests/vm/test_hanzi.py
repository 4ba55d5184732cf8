# The 区位码 editor (pos/hanzi.py) on the real table file. VM-neutral.
# Codes from CPython's gb2312 codec: 测 1866, 试 4252, 商 4144, 户 2707,
# 便 1767, 利 3291, 店 2174, 啊 1601, Α (U+0391, two UTF-8 bytes) 0601.
from pos.gb2312 import Gb2312Table
from pos.hanzi import HanziEditor
from pos.i18n import t
from vmutil import table_path

SHOP = "1866425241442707"

_TABLE = []


def editor(**kw):
    if not _TABLE:
        _TABLE.append(Gb2312Table(table_path()))
    return HanziEditor(_TABLE[0], **kw)


def press(ed, keys):
    """Press each digit of keys; the result of the last press."""
    done = False
    for i in range(len(keys)):
        done = ed.key(keys[i])
    return done


def pending_line(digits):
    return t("quwei_code") + ": " + digits + "_" * (4 - len(digits))


def test_typing_four_codes_spells_the_merchant_name():
    ed = editor()
    assert press(ed, SHOP) is False
    assert ed.key("ENTER") is True
    assert ed.value() == "测试商户"


def test_a_character_appears_after_the_fourth_digit():
    ed = editor()
    press(ed, "186")
    assert ed.value() == ""
    assert ed.lines() == ["", pending_line("186")]
    ed.key("6")
    assert ed.value() == "测"
    assert ed.lines() == ["测", pending_line("")]
    press(ed, "42")
    assert ed.lines() == ["测", pending_line("42")]


def test_clear_takes_back_the_last_pending_digit():
    ed = editor()
    press(ed, "18664")
    ed.key("CLEAR")
    assert ed.lines() == ["测", pending_line("")]
    press(ed, "4252")
    assert ed.value() == "测试"


def test_clear_with_no_pending_digit_deletes_the_last_character():
    ed = editor(initial="AB")
    press(ed, "18660601")
    assert ed.value() == "AB测Α"
    ed.key("CLEAR")
    assert ed.value() == "AB测"
    ed.key("CLEAR")
    assert ed.value() == "AB"
    ed.key("CLEAR")
    assert ed.value() == "A"
    ed.key("CLEAR")
    ed.key("CLEAR")
    assert ed.value() == ""
    assert ed.key("ENTER") is False


def test_an_unassigned_code_shows_an_error_and_drops_its_digits():
    ed = editor()
    press(ed, "1866")
    press(ed, "5590")
    assert ed.value() == "测"
    assert ed.lines() == ["测", pending_line(""), t("bad_quwei")]
    ed.key("4")
    assert ed.lines() == ["测", pending_line("4")]


def test_codes_outside_01_to_94_are_refused():
    for code in ("0000", "9501", "1600", "1695", "9999"):
        ed = editor()
        press(ed, code)
        assert ed.value() == "", code
        assert ed.error == "bad_quwei", code


def test_a_character_past_the_byte_limit_is_refused():
    ed = editor(max_bytes=7)
    press(ed, "18664252")
    press(ed, "4144")
    assert ed.value() == "测试"
    assert ed.lines() == ["测试", pending_line(""), t("name_too_long")]
    press(ed, "0601")  # two bytes would make 8
    assert ed.value() == "测试"
    assert ed.error == "name_too_long"
    ed = editor(max_bytes=8)
    press(ed, "186642520601")
    assert ed.value() == "测试Α"
    assert ed.error is None


def test_the_default_limit_is_60_bytes_or_20_hanzi():
    ed = editor()
    press(ed, "1601" * 20)
    assert ed.value() == "啊" * 20
    assert ed.error is None
    press(ed, "1866")
    assert ed.value() == "啊" * 20
    assert ed.error == "name_too_long"
    ed.key("CLEAR")
    press(ed, "1866")
    assert ed.value() == "啊" * 19 + "测"


def test_enter_on_an_empty_name_does_not_complete():
    ed = editor()
    assert ed.key("ENTER") is False
    press(ed, "186")
    assert ed.key("ENTER") is False


def test_enter_completes_and_drops_an_unfinished_code():
    ed = editor()
    press(ed, "17673291217")
    assert ed.key("ENTER") is True
    assert ed.value() == "便利"


def test_an_initial_name_is_kept_and_cut_at_a_character_boundary():
    ed = editor(initial="测试商户")
    assert ed.key("ENTER") is True
    assert ed.value() == "测试商户"
    ed = editor(max_bytes=8, initial="测试商户")
    assert ed.value() == "测试"


def test_other_keys_are_ignored():
    ed = editor()
    press(ed, "18")
    for k in ("UP", "DOWN", "F1", "", "12"):
        assert ed.key(k) is False
    assert ed.lines() == ["", pending_line("18")]
