"""Bill inquiry and payment against the biller simulator, repayment inquiry and
credit card repayment, and their reversals; field 62 TLV both ways."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_acquirer import CARDS, SALE_FIELDS, cli
from test_acquirer_menu import (CREDIT, GOOD, INQUIRY_FIELDS, POOR, available, money,
                                parse_tlv, query, reversed_exactly_once, signed_in_terminal,
                                snapshot, start, tlv, txn)
from tools.acquirer import biller, fields, spec

ZHANG = ("GAS", "1000123456")   # mode E, 128.50 due
LI = ("GAS", "1000999999")      # mode E, nothing due
LONG = ("GAS", "1000888888")    # holder 龘靐, 10.00 due
WANG = ("WTR", "2000123456")    # mode E, 56.30 due
ZHAO = ("ELE", "3000123456")    # mode A, 230.00 due
PERIOD = "202611"


@pytest.fixture
def terminal(tmp_path):
    t = signed_in_terminal(str(tmp_path / "host.db"))
    yield t
    t.host.store.close()


def due(db, account):
    return query(db, "SELECT due_fen FROM bill_accounts WHERE biller_code = ? AND account = ?",
                 *account)[0][0]


def bill_due(db, name):
    return query(db, "SELECT bill_due_fen FROM cards WHERE name = ?", name)[0][0]


def inquire(terminal, account):
    return terminal.run(terminal.inquiry_request(
        "bill_inquiry", tlv(("BC", account[0]), ("AC", account[1]))))[1]


def pay_request(terminal, account, amount_fen, card=GOOD, period=PERIOD, **kw):
    items = [("BC", account[0]), ("AC", account[1])]
    if period is not None:
        items.append(("PD", period))
    return terminal.card_request("bill_payment", card, amount_fen, f62=tlv(*items), **kw)


def pay(terminal, account, amount_fen, **kw):
    return terminal.run(pay_request(terminal, account, amount_fen, **kw))


def repay_request(terminal, amount_fen, number=CREDIT["pan"], card=GOOD, **kw):
    return terminal.card_request("repayment", card, amount_fen, f62=tlv(("CN", number)), **kw)


def repay_inquiry(terminal, number):
    return terminal.run(terminal.inquiry_request("repay_inquiry", tlv(("CN", number))))[1]


# -- bill inquiry ------------------------------------------------------------

def test_bill_inquiry_answers_the_bill_in_field_62(terminal):
    answer = inquire(terminal, ZHANG)
    assert answer[0] == "0110" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == INQUIRY_FIELDS and answer[3] == "300000"
    assert parse_tlv(answer[62]) == {
        "BC": "GAS", "AC": "1000123456", "NM": "张三", "UN": "城市燃气公司",
        "DU": "000000012850", "PD": "202611", "MD": "E"}
    assert parse_tlv(inquire(terminal, ZHAO)[62])["MD"] == "A"
    assert parse_tlv(inquire(terminal, LONG)[62])["NM"] == "龘靐"


def test_bill_with_nothing_due_is_approved_with_du_zero(terminal):
    answer = inquire(terminal, LI)
    assert answer[39] == "00" and parse_tlv(answer[62])["DU"] == "000000000000"


@pytest.mark.parametrize("account, code", [
    (("GAS", "9999999999"), "D1"),
    (("WTR", "1000123456"), "D1"),
    (("TEL", "1000123456"), "D4"),
])
def test_bill_inquiry_for_an_unknown_account_or_biller_is_declined(terminal, account, code):
    answer = inquire(terminal, account)
    assert answer[39] == code and 62 not in answer and answer.mac_ok(terminal.mak)


@pytest.mark.parametrize("data", [
    tlv(("BC", "GAS"), ("AC", "1000123456"), ("AC", "1000123456")),
    tlv(("BC", "GAS")) + b"AC010123",
    tlv(("BC", "GAS"), ("AC", "12345678901234567890123")),
    tlv(("BC", "GAS"), ("AC", "10001x3456")),
    tlv(("AC", "1000123456")),
    tlv(("BC", "GAS"), ("AC", "1000123456"), ("DU", "12")),
    b"BC0",
])
def test_malformed_field_62_is_30(terminal, data):
    answer = terminal.run(terminal.inquiry_request("bill_inquiry", data))[1]
    assert answer[39] == "30" and 62 not in answer


def test_unknown_tags_are_skipped(terminal):
    data = tlv(("ZZ", "whatever"), ("BC", "GAS"), ("AC", "1000123456"))
    assert inquire_raw(terminal, data)[39] == "00"


def inquire_raw(terminal, data):
    return terminal.run(terminal.inquiry_request("bill_inquiry", data))[1]


# -- bill payment ------------------------------------------------------------

def test_bill_payment_debits_the_card_and_marks_the_bill_paid(terminal):
    db = terminal.db
    request, answer = pay(terminal, ZHANG, 12850)
    assert answer[0] == "0210" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS | {62} and answer[3] == "500000"
    assert parse_tlv(answer[62]) == {"BC": "GAS", "AC": "1000123456"}
    assert available(db, "good") == start("good") - 12850
    assert due(db, ZHANG) == 0
    bills = {(b["biller"], b["account"]): b for b in json.loads(cli("bills", "--db", db))}
    assert bills[ZHANG]["paid"] is True and bills[ZHANG]["due_fen"] == 0
    assert bills[WANG]["paid"] is False and bills[WANG]["due_fen"] == 5630
    assert bills[ZHANG]["holder"] == "张三"
    assert parse_tlv(inquire(terminal, ZHANG)[62])["DU"] == "000000000000"
    assert txn(db, request[11], "bill_payment")["state"] == "approved"


def test_paying_a_paid_bill_is_d2(terminal):
    assert pay(terminal, WANG, 5630)[1][39] == "00"
    before = money(terminal.db)
    assert pay(terminal, WANG, 5630)[1][39] == "D2"
    assert pay(terminal, LI, 100)[1][39] == "D2"
    assert money(terminal.db) == before


def test_paying_another_period_is_d2(terminal):
    before = money(terminal.db)
    assert pay(terminal, ZHANG, 12850, period="202610")[1][39] == "D2"
    assert money(terminal.db) == before
    assert pay(terminal, ZHANG, 12850, period=None)[1][39] == "00"


@pytest.mark.parametrize("account, amount", [(ZHANG, 12849), (ZHANG, 12851), (ZHANG, 0),
                                             (ZHAO, 0)])
def test_an_amount_the_biller_does_not_take_is_d3(terminal, account, amount):
    before = money(terminal.db)
    _, answer = pay(terminal, account, amount)
    assert answer[39] == "D3" and 38 not in answer
    assert money(terminal.db) == before


@pytest.mark.parametrize("account, code", [(("GAS", "9999999999"), "D1"),
                                           (("XYZ", "1000123456"), "D4")])
def test_payment_to_an_unknown_account_or_biller_charges_nothing(terminal, account, code):
    before = money(terminal.db)
    assert pay(terminal, account, 100)[1][39] == code
    assert money(terminal.db) == before


def test_any_amount_bill_goes_down_by_each_payment_and_never_below_zero(terminal):
    db = terminal.db
    assert pay(terminal, ZHAO, 10000)[1][39] == "00"
    assert due(db, ZHAO) == 13000
    assert parse_tlv(inquire(terminal, ZHAO)[62])["DU"] == "000000013000"
    assert pay(terminal, ZHAO, 20000)[1][39] == "00"
    assert due(db, ZHAO) == 0
    assert available(db, "good") == start("good") - 30000
    assert pay(terminal, ZHAO, 1)[1][39] == "D2"


@pytest.mark.parametrize("card, pin, code", [(GOOD, "000000", "55"), (POOR, None, "51"),
                                             (CARDS["lost"], None, "41")])
def test_payment_makes_the_card_checks_of_a_sale_first(terminal, card, pin, code):
    before = money(terminal.db)
    assert pay(terminal, ("GAS", "9999999999"), 5000, card=card, pin=pin)[1][39] == code
    assert pay(terminal, WANG, 5630, card=card, pin=pin)[1][39] == code
    assert money(terminal.db) == before


def test_reversal_of_a_bill_payment_gives_the_money_back_and_the_bill_is_due_again(terminal):
    reversed_exactly_once(terminal, pay_request(terminal, ZHANG, 12850), "bill_payment")
    assert due(terminal.db, ZHANG) == 12850
    assert pay(terminal, ZHANG, 12850)[1][39] == "00"


def test_reversal_of_a_part_payment_restores_exactly_what_it_paid_off(terminal):
    pay(terminal, ZHAO, 20000)
    reversed_exactly_once(terminal, pay_request(terminal, ZHAO, 5000), "bill_payment")
    assert due(terminal.db, ZHAO) == 3000


def test_void_of_a_bill_payment_restores_the_bill_and_its_reversal_pays_it_again(terminal):
    db = terminal.db
    before = money(db)
    request, answer = pay(terminal, ZHANG, 12850)
    paid = money(db)
    void_request, void = terminal.void(GOOD, request, answer)
    assert void[39] == "00"
    assert money(db) == before and due(db, ZHANG) == 12850
    assert txn(db, request[11], "bill_payment")["state"] == "voided"
    terminal.reverse(void_request)
    assert money(db) == paid and due(db, ZHANG) == 0
    assert txn(db, request[11], "bill_payment")["state"] == "approved"


def test_replayed_bill_inquiry_and_payment_get_the_stored_answer(terminal):
    for request in (terminal.inquiry_request("bill_inquiry", tlv(("BC", "GAS"),
                                                                 ("AC", "1000123456"))),
                    pay_request(terminal, ZHANG, 12850)):
        payload, first = terminal.send(request)
        assert first[39] == "00"
        before = snapshot(terminal.db)
        assert terminal.send_payload(payload).payload == first.payload
        assert snapshot(terminal.db) == before


@pytest.mark.parametrize("name, data", [
    ("bill_inquiry", tlv(("BC", "GAS"), ("AC", "1000123456"))),
    ("repay_inquiry", tlv(("CN", CREDIT["pan"]))),
])
def test_reversal_of_an_inquiry_changes_no_money(terminal, name, data):
    reversed_exactly_once(terminal, terminal.inquiry_request(name, data), name)


# -- repayment inquiry -------------------------------------------------------

def test_repayment_inquiry_answers_the_bank_and_the_cards_bill(terminal):
    answer = repay_inquiry(terminal, CREDIT["pan"])
    assert answer[0] == "0110" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == INQUIRY_FIELDS
    assert parse_tlv(answer[62]) == {"BK": "广发银行", "DU": "000000345678"}


@pytest.mark.parametrize("number, code", [(CARDS["unknown"]["pan"], "14"),
                                          (GOOD["pan"], "39")])
def test_repayment_inquiry_for_a_card_not_on_file_or_not_credit_is_declined(terminal, number,
                                                                            code):
    answer = repay_inquiry(terminal, number)
    assert answer[39] == code and 62 not in answer


def test_repayment_inquiry_needs_a_card_number(terminal):
    for data in (tlv(("CN", "123")), tlv(("BK", "x"))):
        assert terminal.run(terminal.inquiry_request("repay_inquiry", data))[1][39] == "30"


# -- repayment ---------------------------------------------------------------

def test_repayment_moves_money_from_the_debit_card_to_the_credit_cards_bill(terminal):
    db = terminal.db
    terminal.sale(CREDIT, 200000)
    request, answer = terminal.run(repay_request(terminal, 100000))
    assert answer[0] == "0210" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS | {62} and answer[3] == "400000"
    assert answer[2] == GOOD["pan"] and answer[63] == "CUPICBC"
    assert parse_tlv(answer[62]) == {"BK": "广发银行"}
    assert available(db, "good") == start("good") - 100000
    assert bill_due(db, "credit") == 345678 - 100000
    assert available(db, "credit") == start("credit") - 200000 + 100000
    assert parse_tlv(repay_inquiry(terminal, CREDIT["pan"])[62])["DU"] == "000000245678"


def test_repaying_more_than_the_bill_leaves_it_at_zero(terminal):
    db = terminal.db
    assert terminal.run(repay_request(terminal, 400000))[1][39] == "00"
    assert bill_due(db, "credit") == 0
    assert available(db, "credit") == start("credit") + 400000


@pytest.mark.parametrize("number, card, pin, code", [
    (CARDS["unknown"]["pan"], GOOD, None, "14"),
    (POOR["pan"], GOOD, None, "39"),
    (CREDIT["pan"], CREDIT, None, "57"),
    (CREDIT["pan"], POOR, None, "51"),
    (CREDIT["pan"], GOOD, "000000", "55"),
])
def test_repayment_declines_move_nothing(terminal, number, card, pin, code):
    before = money(terminal.db)
    _, answer = terminal.run(repay_request(terminal, 5000, number=number, card=card, pin=pin))
    assert answer[39] == code and 62 not in answer
    assert money(terminal.db) == before


def test_reversal_of_a_repayment_undoes_both_sides_exactly_once(terminal):
    reversed_exactly_once(terminal, repay_request(terminal, 100000), "repayment")
    assert bill_due(terminal.db, "credit") == 345678


def test_reversal_of_an_overpaying_repayment_restores_the_bill_exactly(terminal):
    reversed_exactly_once(terminal, repay_request(terminal, 400000), "repayment")
    assert bill_due(terminal.db, "credit") == 345678
    assert available(terminal.db, "credit") == start("credit")


def test_replayed_repayment_and_inquiry_get_the_stored_answer(terminal):
    for request in (terminal.inquiry_request("repay_inquiry", tlv(("CN", CREDIT["pan"]))),
                    repay_request(terminal, 1000)):
        payload, first = terminal.send(request)
        assert first[39] == "00"
        before = snapshot(terminal.db)
        assert terminal.send_payload(payload).payload == first.payload
        assert snapshot(terminal.db) == before


def test_a_reversal_carries_no_field_62_and_still_finds_the_repayment(terminal):
    request = repay_request(terminal, 1000)
    terminal.run(request)
    assert 62 not in terminal.reversal(request)
    assert terminal.reverse(request)[1][39] == "00"
    assert txn(terminal.db, request[11], "repayment")["state"] == "reversed"


# -- the pieces, pure --------------------------------------------------------

def test_biller_decisions():
    gas = {"mode": "E"}
    power = {"mode": "A"}
    bill = {"due_fen": 1000, "period": "202611"}
    assert biller.pay(None, None, 1000) == ("D4", None, 0)
    assert biller.pay(gas, None, 1000) == ("D1", None, 0)
    assert biller.pay(gas, bill, 1000) == ("00", 0, 1000)
    assert biller.pay(gas, bill, 999).response_code == "D3"
    assert biller.pay(gas, bill, 1000, "202612").response_code == "D2"
    assert biller.pay(gas, dict(bill, due_fen=0), 1000).response_code == "D2"
    assert biller.pay(power, bill, 300) == ("00", 700, 300)
    assert biller.pay(power, bill, 5000) == ("00", 0, 1000)
    assert biller.pay(power, bill, 0).response_code == "D3"


def test_tlv_round_trip_and_errors():
    data = fields.encode_tlv((("NM", "龘靐"), ("DU", "000000000100"), ("QQ", "x")))
    assert data == tlv(("NM", "龘靐"), ("DU", "000000000100"), ("QQ", "x"))
    assert fields.decode_tlv(data) == {"NM": "龘靐", "DU": "000000000100"}
    for bad in (b"NM", b"NM00", b"NM0x1a", b"NM005abc", b"NM001\xff",
                b"DU00212", tlv(("QQ", "a"), ("QQ", "b")), bytes(513)):
        with pytest.raises(spec.WireError):
            fields.decode_tlv(bad)


@given(st.binary(max_size=600))
def test_any_field_62_decodes_or_raises_wire_error(data):
    try:
        fields.decode_tlv(data)
    except spec.WireError:
        pass
