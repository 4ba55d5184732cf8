"""The issuer simulator's decisions: pure functions, no host."""

import datetime

from tools.acquirer import issuer

TODAY = datetime.date(2025, 6, 15)


def card(**changes):
    salt, pin_hash = issuer.pin_record("123456")
    row = {"kind": "debit", "expiry": "3012", "pin_salt": salt, "pin_hash": pin_hash,
           "available_fen": 1000, "forced_response": None,
           "pin_failures": 0, "pin_failure_day": None}
    row.update(changes)
    return row


def decide(c, amount=100, pin="123456", expiries=()):
    return issuer.authorise_sale(c, amount, expiries, pin, TODAY)


def test_approval_takes_the_amount():
    assert decide(card()) == ("00", 900, 0, None)


def test_amount_above_the_balance_is_51_and_keeps_it():
    assert decide(card(), amount=1001) == ("51", 1000, 0, None)


def test_zero_amount_is_13_before_anything_else():
    assert decide(None, amount=0).response_code == "13"
    assert decide(card(forced_response="41"), amount=0).response_code == "13"


def test_card_not_on_file_is_14():
    assert decide(None).response_code == "14"


def test_cards_own_answer_comes_before_the_pin():
    assert decide(card(forced_response="41"), pin="000000").response_code == "41"


def test_expiry_before_this_month_is_54_wherever_it_comes_from():
    assert decide(card(expiry="2505")).response_code == "54"
    assert decide(card(), expiries=("2505",)).response_code == "54"
    assert decide(card(), expiries=("2506",)).response_code == "00"
    assert decide(card(), expiries=("3013",)).response_code == "54"


def test_third_wrong_pin_in_a_row_is_75_and_locks_the_card_for_the_day():
    c = card()
    codes = []
    for pin in ("000000", "111111", "222222", "123456"):
        d = decide(c, pin=pin)
        codes.append(d.response_code)
        c.update(pin_failures=d.pin_failures, pin_failure_day=d.pin_failure_day)
    assert codes == ["55", "55", "75", "75"]
    assert c["available_fen"] == 1000


def test_failures_from_an_earlier_day_do_not_count():
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert decide(card(pin_failures=3, pin_failure_day=yesterday)).response_code == "00"


def test_right_pin_resets_the_count():
    assert decide(card(pin_failures=2, pin_failure_day=TODAY.isoformat())) == \
        ("00", 900, 0, None)


def test_missing_or_undecodable_pin_block_is_55():
    assert decide(card(), pin=None) == ("55", 1000, 0, None)
    assert decide(card(), pin="").response_code == "55"


def test_issuer_codes_are_ascii_for_field_44_and_63():
    assert issuer.issuer_of("工商银行") == ("01020000", "ICBC")
    assert issuer.issuer_of("建设银行") == ("01050000", "CCB")
    assert issuer.issuer_of("某某银行") == ("00000000", "")
