# Response codes: the full CUP table in both languages and its classification.
from pos import i18n, rescodes
from vmutil import asset_path

CUP_CODES = (
    "00", "01", "03", "04", "05", "10", "11", "12", "13", "14", "15", "16", "21", "22",
    "25", "30", "34", "38", "40", "41", "43", "45", "51", "54", "55", "57", "58", "59",
    "61", "62", "64", "65", "68", "75", "90", "91", "92", "94", "96", "97", "98", "99",
    "A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7",
)
EARLIER_CODES = ("02", "06", "07", "09", "19", "20", "23", "31", "33", "35", "36", "37",
                 "39", "42", "44", "52", "53", "56", "60", "63", "66", "67", "77", "93", "95")


def _text(lang, code):
    i18n.use(asset_path(""), lang)
    return i18n.lookup("rc_" + code)


def test_both_catalogs_hold_every_cup_response_code():
    for lang in i18n.LANGS:
        for code in CUP_CODES + EARLIER_CODES + ("D1", "D2", "D3", "D4"):
            assert _text(lang, code), (lang, code)


def test_merchant_texts_are_short_screen_lines():
    for lang in i18n.LANGS:
        for code in CUP_CODES + EARLIER_CODES:
            assert 0 < len(_text(lang, code)) <= 30, code


def test_chinese_texts_say_what_a_cup_terminal_shows():
    i18n.use(asset_path(""), "zh")
    assert i18n.rc_text("00") == "交易成功"
    assert i18n.rc_text("51") == "可用余额不足"
    assert i18n.rc_text("55") == "密码错"
    assert i18n.rc_text("98") == "发卡方超时"
    assert "请重新签到" in i18n.rc_text("A0")
    assert i18n.rc_text("D1") == "户号不存在"


def test_an_unknown_code_gives_a_generic_decline_with_the_code():
    i18n.use(asset_path(""), "zh")
    assert i18n.rc_text("XY") == "交易失败(XY)"
    i18n.use(asset_path(""), "en")
    assert i18n.rc_text("XY") == "DECLINED (XY)"
    i18n.use(asset_path(""), "zh")


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


def test_reversal_reasons_are_no_answer_bad_mac_and_other():
    from pos import cup
    assert (cup.REVERSAL_NO_ANSWER, cup.REVERSAL_BAD_MAC, cup.REVERSAL_OTHER) == ("98", "A0", "06")
    assert cup.REVERSAL_REASONS == ("98", "A0", "06")
