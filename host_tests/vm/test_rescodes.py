# Response codes: the full CUP table in both languages and its classification.
from pos import rescodes
from pos.lang import rc_en, rc_zh

CUP_CODES = (
    "00", "01", "03", "04", "05", "10", "11", "12", "13", "14", "15", "16", "21", "22",
    "25", "30", "34", "38", "40", "41", "43", "45", "51", "54", "55", "57", "58", "59",
    "61", "62", "64", "65", "68", "75", "90", "91", "92", "94", "96", "97", "98", "99",
    "A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7",
)
EARLIER_CODES = ("02", "06", "07", "09", "19", "20", "23", "31", "33", "35", "36", "37",
                 "39", "42", "44", "52", "53", "56", "60", "63", "66", "67", "77", "93", "95")


def test_both_tables_hold_every_cup_response_code():
    for code in CUP_CODES + EARLIER_CODES:
        assert code in rc_zh.TEXTS, code
        assert code in rc_en.TEXTS, code


def test_both_tables_hold_the_same_codes():
    assert sorted(k for k in rc_zh.TEXTS if k) == sorted(k for k in rc_en.TEXTS if k)


def test_merchant_texts_are_short_screen_lines():
    for table in (rc_zh.TEXTS, rc_en.TEXTS):
        for code in table:
            assert 0 < len(table[code]) <= 30, code


def test_chinese_texts_say_what_a_cup_terminal_shows():
    assert rescodes.describe("00", rc_zh.TEXTS) == "交易成功"
    assert rescodes.describe("51", rc_zh.TEXTS) == "可用余额不足"
    assert rescodes.describe("55", rc_zh.TEXTS) == "密码错"
    assert rescodes.describe("98", rc_zh.TEXTS) == "发卡方超时"
    assert "请重新签到" in rescodes.describe("A0", rc_zh.TEXTS)


def test_an_unknown_code_gives_a_generic_decline_with_the_code():
    assert rescodes.describe("XY", rc_zh.TEXTS) == "交易失败(XY)"
    assert rescodes.describe("XY", rc_en.TEXTS) == "Declined (XY)"


def test_approvals_are_00_vip_partial_and_the_cup_defective_successes():
    for code in ("00", "10", "11", "A2", "A4", "A5", "A6"):
        assert rescodes.is_approved(code), code
    for code in ("01", "05", "12", "51", "55", "96", "98", "A0", "A3", "XY", "", None):
        assert not rescodes.is_approved(code), code
    assert rescodes.PARTIAL_APPROVAL == "10"


def test_a_mac_or_pin_format_error_or_a_batch_mismatch_needs_sign_in():
    for code in ("A0", "99", "77"):
        assert rescodes.needs_signin(code), code
    for code in ("00", "51", "97", "96"):
        assert not rescodes.needs_signin(code), code


def test_lost_stolen_and_fraud_cards_are_picked_up():
    for code in ("04", "34", "41", "43"):
        assert rescodes.is_pick_up(code), code
    assert not rescodes.is_pick_up("51")


def test_reversal_reasons_are_no_answer_bad_mac_and_other():
    assert rescodes.REVERSAL_NO_ANSWER == "98"
    assert rescodes.REVERSAL_BAD_MAC == "A0"
    assert rescodes.REVERSAL_OTHER == "06"
    assert rescodes.REVERSAL_REASONS == ("98", "A0", "06")
