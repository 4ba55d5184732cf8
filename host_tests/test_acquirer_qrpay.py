"""QR payments (扫码) at the acquirer, docs/protocol.md section 13, on SQLite and PostgreSQL: every
test payment code end to end through `handlers.Host` with MACed frames of the independent terminal
(test_acquirer.py), orders paid later on a fake clock, cancelled, expired, voided, refunded and
reversed, the phone paying dynamic orders, settlement totals with QR payments, QB in the
parameters, and the host's clock read from a file."""

import datetime
import hashlib
import json
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import inspect, text

from test_acquirer import MID, TESTDATA, TID, Terminal, cli
from test_acquirer_menu import GOOD, MenuTerminal, parse_tlv, tlv
from test_acquirer_settlement import settle_request, totals, upload_end_request, upload_request
from tools.acquirer import handlers, spec, store, wallet
from tools.acquirer.__main__ import DEFAULT_QRPAY
from tools.acquirer.testing import ROOT, start_acquirer, stop

with open(DEFAULT_QRPAY, encoding="utf-8") as _f:
    QRPAY = json.load(_f)
CODES = {entry["behaviour"] + "_" + entry["wallet"]: entry["code"] for entry in QRPAY["codes"]}
PAYS_WX, PAYS_UP = CODES["pays_WX"], CODES["pays_UP"]
CONFIRMS = CODES["confirms_ZF"]
NO_FUNDS = CODES["no_funds_UP"]
EXPIRED = CODES["expired_WX"]
START = datetime.datetime(2026, 11, 23, 10, 0, 0)

# protocol.md section 13: name -> (MTI, processing code, 60.1)
QR_TYPES = {
    "qr_sale": ("0200", "000000", "70"),
    "qr_order": ("0200", "000000", "71"),
    "qr_query": ("0100", "300000", "72"),
    "qr_cancel": ("0200", "200000", "73"),
    "qr_void": ("0200", "200000", "74"),
    "qr_refund": ("0220", "200000", "75"),
}
# A sale's answer fields without the card's (2, 14, 44, 63).
PAID_FIELDS = {3, 4, 11, 12, 13, 15, 25, 32, 37, 38, 39, 41, 42, 49, 60, 62, 64}


class Clock:
    """The host's clock in a test: it moves only when the test says so."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


class QrTerminal(MenuTerminal):
    """The menu's terminal with the QR types of section 13. A payment is (request fields, answer)."""

    def qr_request(self, name, amount_fen=None, **extra):
        mti, processing_code, type_code = QR_TYPES[name]
        fields = {0: mti, 3: processing_code, 11: self.next_trace(), 41: self.tid, 42: self.mid,
                  60: type_code + self.batch + "000" + "60"}
        if name != "qr_query":
            fields.update({22: "030", 25: "00", 49: "156"})
        if amount_fen is not None:
            fields[4] = "%012d" % amount_fen
        fields.update({int(k[1:]): v for k, v in extra.items()})
        return fields

    def qr_sale(self, code, amount_fen=1000, **kw):
        return self.run(self.qr_request("qr_sale", amount_fen, f62=tlv(("QC", code)), **kw))

    def qr_order(self, amount_fen=1000):
        return self.run(self.qr_request("qr_order", amount_fen))

    @staticmethod
    def f61(payment):
        fields, answer = payment
        return fields[60][2:8] + fields[11] + answer[13]

    def qr_query(self, payment):
        return self.run(self.qr_request("qr_query", f61=self.f61(payment)))[1]

    def qr_cancel(self, payment, amount_fen=None):
        amount_fen = int(payment[0][4]) if amount_fen is None else amount_fen
        return self.run(self.qr_request("qr_cancel", amount_fen, f61=self.f61(payment)))[1]

    def qr_void(self, payment, amount_fen=None):
        amount_fen = int(payment[0][4]) if amount_fen is None else amount_fen
        extra = {"f38": payment[1][38]} if 38 in payment[1] else {}
        return self.run(self.qr_request("qr_void", amount_fen, f37=payment[1][37], f61=self.f61(payment),
                                        **extra))[1]

    def qr_refund(self, payment, amount_fen, mmdd=None, reference=None):
        return self.run(self.qr_request("qr_refund", amount_fen, f37=reference or payment[1][37],
                                        f61="000000000000" + (mmdd or payment[1][13])))[1]


@pytest.fixture
def terminal(store_url):
    db = store.Store(store_url)
    db.seed(TESTDATA)
    db.seed_wallets(QRPAY)
    clock = Clock(START)
    t = QrTerminal(handlers.Host(db, clock), store_url)
    t.store, t.clock = db, clock
    assert t.sign_in()[39] == "00"
    t.download_ic()
    yield t
    db.close()


def order(t, payment):
    fields = payment[0]
    return t.store.qr_order_by_key(TID, fields[60][2:8], fields[11])


def rows(t, sql, **params):
    with t.store.transaction():
        return [dict(r) for r in t.store.conn.execute(text(sql), params).mappings()]


def phone(t, text, name, seconds_later=0):
    t.clock.advance(seconds_later)
    return wallet.phone_pays(t.store, text, name, t.clock())


def settle(t, field48):
    return t.run(settle_request(t, field48))[1]


def authentic(t, answer):
    return answer.mac_ok(t.mak)


# -- the table ---------------------------------------------------------------

def test_the_six_types_are_the_rows_of_section_13_without_a_card():
    for name, (mti, processing_code, type_code) in QR_TYPES.items():
        row = spec.TRANSACTIONS[name]
        assert (row.mti, row.processing_code, row.type_code, row.network_code) == (
            mti, processing_code, type_code, "000")
        assert not row.card and not row.arqc
        assert spec.transaction_name(mti, type_code + "000001" + "000" + "60") == name
        assert spec.FINANCIAL_TYPES[type_code] == name


# -- B scans C: the test codes -------------------------------------------------

@pytest.mark.parametrize("code, wallet_code", [(PAYS_WX, "WX"), (PAYS_UP, "UP")])
def test_a_code_that_pays_at_once_is_approved_with_its_order_wallet_and_authorisation(terminal, code, wallet_code):
    payment = terminal.qr_sale(code, 12345)
    answer = payment[1]
    assert answer[0] == "0210" and answer[39] == "00" and authentic(terminal, answer)
    assert set(answer.fields) - {0} == PAID_FIELDS
    assert answer[4] == "000000012345" and len(answer[38]) == 6
    items = parse_tlv(answer[62])
    assert items["WL"] == wallet_code and items.keys() == {"ON", "WL"}
    kept = order(terminal, payment)
    assert kept["state"] == "paid" and kept["order_no"] == items["ON"] and kept["reference"] == answer[37]
    assert kept["auth_code"] == answer[38] and kept["masked_code"] == wallet.masked(code)
    assert kept["masked_code"] == code[:6] + "********" + code[-4:]
    assert rows(terminal, "SELECT masked_pan, state FROM transactions WHERE type = 'qr_sale'") == [
        {"masked_pan": kept["masked_code"], "state": "approved"}]


def test_the_password_code_is_q1_then_paid_8_s_after_the_sale(terminal):
    payment = terminal.qr_sale(CONFIRMS, 5000)
    answer = payment[1]
    assert answer[39] == "Q1" and authentic(terminal, answer) and 38 not in answer
    assert parse_tlv(answer[62])["WL"] == "ZF"
    terminal.clock.advance(7)
    waiting = terminal.qr_query(payment)
    assert waiting[0] == "0110" and waiting[39] == "Q1" and waiting[37] == answer[37]
    assert parse_tlv(waiting[62]) == {"ON": parse_tlv(answer[62])["ON"]}
    terminal.clock.advance(1)
    paid = terminal.qr_query(payment)
    assert paid[39] == "00" and authentic(terminal, paid)
    assert paid[4] == "000000005000" and paid[37] == answer[37] and len(paid[38]) == 6
    assert parse_tlv(paid[62]) == {"ON": parse_tlv(answer[62])["ON"], "WL": "ZF"}
    assert order(terminal, payment)["paid_at"] == "2026-11-23T10:00:08"
    assert terminal.qr_query(payment)[38] == paid[38]


def test_the_code_without_funds_is_51_and_a_query_still_says_51(terminal):
    payment = terminal.qr_sale(NO_FUNDS)
    assert payment[1][39] == "51" and 38 not in payment[1] and parse_tlv(payment[1][62])["WL"] == "UP"
    assert order(terminal, payment)["state"] == "declined"
    assert terminal.qr_query(payment)[39] == "51"


def test_the_expired_code_is_q3_and_makes_no_order(terminal):
    payment = terminal.qr_sale(EXPIRED)
    assert payment[1][39] == "Q3" and parse_tlv(payment[1][62]) == {"WL": "WX"}
    assert order(terminal, payment) is None
    assert terminal.qr_query(payment)[39] == "25"


@pytest.mark.parametrize("code, items", [
    ("134567890123456789", {"WL": "WX"}),     # a 微信 code the wallet does not know
    ("994567890123456781", None),             # no wallet's prefix
    ("3145678901234567", None),
])
def test_an_unknown_code_is_q3(terminal, code, items):
    answer = terminal.qr_sale(code)[1]
    assert answer[39] == "Q3" and authentic(terminal, answer)
    assert (parse_tlv(answer[62]) if 62 in answer else None) == items


@pytest.mark.parametrize("code", [PAYS_WX, CONFIRMS, NO_FUNDS, EXPIRED, "134567890123456789"])
def test_a_code_is_taken_once_whatever_the_wallet_said_the_first_time(terminal, code):
    first_payload, first = terminal.send(terminal.qr_request("qr_sale", 1000, f62=tlv(("QC", code))))
    assert terminal.send_payload(first_payload).payload == first.payload     # a replay: the stored answer
    again = terminal.qr_sale(code)[1]
    assert again[39] == "Q3" and 38 not in again
    digest = hashlib.sha256(code.encode()).hexdigest()
    assert rows(terminal, "SELECT code_sha256, trace FROM qr_spent_codes") == [
        {"code_sha256": digest, "trace": "%06d" % (terminal.trace - 1)}]


def test_no_table_keeps_a_payment_code_in_clear_but_the_raw_message_logs(terminal):
    for code in (PAYS_WX, CONFIRMS, NO_FUNDS, EXPIRED):
        terminal.qr_sale(code)
    tables = set(inspect(terminal.store.engine).get_table_names()) - {"exchanges", "messages"}
    for table in tables:
        dump = repr(rows(terminal, "SELECT * FROM %s" % table))
        assert not any(code in dump for code in CODES.values()), table


@pytest.mark.parametrize("change", [
    {"f62": tlv(("QN", "1"))},                                  # no QC
    {"f62": tlv(("QC", "134567890123456"))},                    # 15 digits
    {"f62": tlv(("QC", "1345678901234567890123456"))},          # 25
    {"f62": tlv(("QC", "13456789012345678X"))},
    {"f62": b"QC018" + PAYS_WX.encode() + b"QC0011"},            # QC twice
    {"f22": "021"},
    {"f3": "310000"},
    {"f49": "840"},
])
def test_a_malformed_qr_sale_is_30_and_spends_nothing(terminal, change):
    fields = terminal.qr_request("qr_sale", 1000, f62=tlv(("QC", PAYS_WX)))
    fields.update({int(k[1:]): v for k, v in change.items()})
    answer = terminal.run(fields)[1]
    assert answer[39] == "30" and authentic(terminal, answer)
    assert terminal.qr_sale(PAYS_WX)[1][39] == "00"


def test_a_qr_request_without_its_fields_is_30(terminal):
    sale = terminal.qr_sale(PAYS_WX)
    for name, missing in (("qr_sale", 62), ("qr_order", 4), ("qr_query", 61), ("qr_cancel", 61),
                          ("qr_void", 37), ("qr_refund", 61)):
        fields = terminal.qr_request(name, 1000, f62=tlv(("QC", PAYS_UP)), f37=sale[1][37],
                                     f61=terminal.f61(sale))
        del fields[missing]
        assert terminal.run(fields)[1][39] == "30", name


def test_an_amount_under_1_fen_is_13_and_the_code_stays_unspent(terminal):
    assert terminal.qr_sale(PAYS_WX, 0)[1][39] == "13"
    assert terminal.qr_order(0)[1][39] == "13"
    assert terminal.qr_sale(PAYS_WX)[1][39] == "00"


def test_a_bad_mac_is_a0_and_takes_no_code(terminal):
    fields = terminal.qr_request("qr_sale", 1000, f62=tlv(("QC", PAYS_WX)))
    answer = terminal.send_payload(terminal.build(fields, mac_key=bytes(8)))
    assert answer[39] == "A0" and 64 not in answer
    assert terminal.qr_sale(PAYS_WX)[1][39] == "00"


# -- C scans B: dynamic orders and the phone -------------------------------------------------

def test_a_dynamic_order_answers_its_number_text_and_life(terminal):
    payment = terminal.qr_order(8800)
    answer = payment[1]
    assert answer[39] == "00" and authentic(terminal, answer) and 38 not in answer
    items = parse_tlv(answer[62])
    assert items.keys() == {"ON", "QR", "EX"} and items["EX"] == "300"
    assert items["QR"] == "https://qr.acquirer.test/o/" + items["ON"]
    assert 1 <= len(items["ON"]) <= 32 and items["ON"].isalnum()
    assert terminal.qr_query(payment)[39] == "Q1"


def test_wallet_ok_pays_at_once_and_paying_again_charges_nothing(terminal):
    payment = terminal.qr_order(8800)
    qr = parse_tlv(payment[1][62])["QR"]
    assert phone(terminal, qr, "wallet_ok", 5) == "paid"
    paid = terminal.qr_query(payment)
    assert paid[39] == "00" and paid[4] == "000000008800" and paid[37] == payment[1][37]
    assert parse_tlv(paid[62])["WL"] == "WX"
    assert phone(terminal, qr, "wallet_ok") == "already paid"
    assert phone(terminal, qr, "wallet_slow") == "already paid"
    kept = order(terminal, payment)
    assert (kept["state"], kept["payer"], kept["paid_at"], kept["refunded_fen"]) == (
        "paid", "wallet_ok", "2026-11-23T10:00:05", 0)
    assert terminal.qr_query(payment)[38] == paid[38]


def test_wallet_slow_pays_8_s_after_the_phone_confirms(terminal):
    payment = terminal.qr_order()
    qr = parse_tlv(payment[1][62])["QR"]
    assert phone(terminal, qr, "wallet_slow", 10) == "confirming"
    assert phone(terminal, qr, "wallet_slow", 3) == "confirming"      # the first confirmation stands
    terminal.clock.advance(4)
    assert terminal.qr_query(payment)[39] == "Q1"
    terminal.clock.advance(1)
    paid = terminal.qr_query(payment)
    assert paid[39] == "00" and parse_tlv(paid[62])["WL"] == "ZF"
    assert order(terminal, payment)["paid_at"] == "2026-11-23T10:00:18"
    assert phone(terminal, qr, "wallet_slow") == "already paid"


def test_wallet_poor_leaves_the_order_open_for_another_wallet(terminal):
    payment = terminal.qr_order()
    qr = parse_tlv(payment[1][62])["QR"]
    assert phone(terminal, qr, "wallet_poor", 2) == "no funds"
    assert terminal.qr_query(payment)[39] == "Q1"
    assert phone(terminal, qr, "wallet_ok", 2) == "paid"
    assert terminal.qr_query(payment)[39] == "00"


def test_the_phone_says_expired_closed_unknown_and_what_a_static_code_is(terminal):
    expired = terminal.qr_order()
    cancelled = terminal.qr_order()
    assert terminal.qr_cancel(cancelled)[39] == "00"
    assert phone(terminal, parse_tlv(cancelled[1][62])["QR"], "wallet_ok") == "closed"
    assert phone(terminal, parse_tlv(expired[1][62])["QR"], "wallet_ok", 300) == "expired"
    assert phone(terminal, "https://qr.acquirer.test/o/NOSUCHORDER", "wallet_ok") == "unknown code"
    assert phone(terminal, "weixin://wxpay/bizpayurl?pr=abc", "wallet_ok") == "unknown code"
    assert phone(terminal, parse_tlv(expired[1][62])["QR"], "wallet_rich") == "unknown wallet"
    static = phone(terminal, "https://qr.acquirer.test/m/" + MID, "wallet_ok")
    assert static.startswith("static code: merchant %s 测试商户" % MID)
    assert order(terminal, expired)["state"] == "closed"


def test_a_phone_paying_while_the_host_closes_the_order_sees_it_closed(terminal):
    payment = terminal.qr_order()
    qr = parse_tlv(payment[1][62])["QR"]
    phones_store, result = store.Store(terminal.db), []
    paying = threading.Thread(target=lambda: result.append(wallet.phone_pays(phones_store, qr, "wallet_ok", START)))
    try:
        with terminal.store.transaction():          # the host's cancel, not yet committed
            kept = order(terminal, payment)
            terminal.store.update_qr_order(kept["id"], "pending", state="closed", note="cancelled")
            paying.start()
            paying.join(0.5)
            assert paying.is_alive()                # waits for the host's transaction
        paying.join(20)
    finally:
        phones_store.close()
    assert result == ["closed"]
    assert order(terminal, payment)["state"] == "closed"


def test_a_b_scans_c_order_cannot_be_paid_by_a_phone(terminal):
    payment = terminal.qr_sale(CONFIRMS)
    number = parse_tlv(payment[1][62])["ON"]
    assert phone(terminal, "https://qr.acquirer.test/o/" + number, "wallet_ok") == "unknown code"


def test_an_order_is_open_for_300_s_then_q2(terminal):
    payment = terminal.qr_order()
    terminal.clock.advance(299)
    assert terminal.qr_query(payment)[39] == "Q1"
    terminal.clock.advance(1)
    closed = terminal.qr_query(payment)
    assert closed[39] == "Q2" and closed[37] == payment[1][37] and 38 not in closed
    assert order(terminal, payment)["state"] == "closed"


def test_a_confirmation_that_would_land_after_the_end_pays_nothing(terminal):
    payment = terminal.qr_order()
    qr = parse_tlv(payment[1][62])["QR"]
    assert phone(terminal, qr, "wallet_slow", 295) == "confirming"
    terminal.clock.advance(10)
    assert terminal.qr_query(payment)[39] == "Q2"


# -- qr_cancel ------------------------------------------------------------------

def test_a_cancel_closes_an_open_order_and_nothing_is_charged_later(terminal):
    payment = terminal.qr_sale(CONFIRMS, 2000)
    terminal.clock.advance(3)
    cancelled = terminal.qr_cancel(payment)
    assert cancelled[0] == "0210" and cancelled[39] == "00" and authentic(terminal, cancelled)
    assert cancelled[37] == payment[1][37] and 38 not in cancelled
    assert parse_tlv(cancelled[62]) == {"ON": parse_tlv(payment[1][62])["ON"]}
    terminal.clock.advance(10)
    assert terminal.qr_query(payment)[39] == "Q2"
    assert order(terminal, payment)["state"] == "closed"
    assert terminal.qr_cancel(payment)[39] == "00"          # closed already: 00 again


def test_a_cancel_after_the_payment_is_q4_and_the_payment_stands(terminal):
    payment = terminal.qr_sale(CONFIRMS, 2000)
    terminal.clock.advance(9)
    answer = terminal.qr_cancel(payment)
    assert answer[39] == "Q4" and authentic(terminal, answer)
    assert answer[4] == "000000002000" and answer[37] == payment[1][37] and len(answer[38]) == 6
    assert parse_tlv(answer[62])["WL"] == "ZF"
    assert order(terminal, payment)["state"] == "paid"


def test_a_cancel_of_no_order_is_25_and_of_another_amount_64(terminal):
    payment = terminal.qr_order(3000)
    assert terminal.qr_cancel(payment, 2999)[39] == "64"
    assert order(terminal, payment)["state"] == "pending"
    stranger = ({**payment[0], 11: "999999"}, payment[1])
    assert terminal.qr_cancel(stranger)[39] == "25"
    assert terminal.qr_query(stranger)[39] == "25"


def test_a_cancel_of_a_declined_sale_is_00(terminal):
    payment = terminal.qr_sale(NO_FUNDS)
    assert terminal.qr_cancel(payment)[39] == "00"


# -- qr_void ------------------------------------------------------------------

def test_a_void_gives_the_whole_payment_back_once(terminal):
    payment = terminal.qr_sale(PAYS_WX, 4000)
    voided = terminal.qr_void(payment)
    assert voided[0] == "0210" and voided[39] == "00" and authentic(terminal, voided)
    assert len(voided[38]) == 6 and voided[37] != payment[1][37]
    assert order(terminal, payment)["state"] == "voided"
    assert terminal.qr_void(payment)[39] == "12"
    assert terminal.qr_refund(payment, 100)[39] == "25"


def test_a_void_of_another_amount_is_64_and_of_an_open_or_unknown_payment_25(terminal):
    payment = terminal.qr_sale(PAYS_WX, 4000)
    assert terminal.qr_void(payment, 3999)[39] == "64"
    assert terminal.qr_void(terminal.qr_order())[39] == "25"
    assert terminal.qr_void(terminal.qr_sale(NO_FUNDS))[39] == "25"
    assert terminal.qr_void(({**payment[0], 11: "999999"}, payment[1]))[39] == "25"
    assert order(terminal, payment)["state"] == "paid"


def test_a_void_after_a_refund_or_of_a_settled_batch_is_12(terminal):
    refunded = terminal.qr_sale(PAYS_WX, 4000)
    assert terminal.qr_refund(refunded, 1)[39] == "00"
    assert terminal.qr_void(refunded)[39] == "12"
    settled = terminal.qr_sale(PAYS_UP, 1000)
    assert settle(terminal, totals(5000, 2, 1, 1))[48][30] == "1"
    assert terminal.qr_void(settled)[39] == "12"


def test_a_void_of_a_payment_paid_later_works(terminal):
    payment = terminal.qr_sale(CONFIRMS, 700)
    terminal.clock.advance(8)
    assert terminal.qr_void(payment)[39] == "00"


# -- qr_refund ----------------------------------------------------------------

def test_refunds_in_parts_up_to_what_is_left(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    first = terminal.qr_refund(payment, 400)
    assert first[0] == "0230" and first[39] == "00" and authentic(terminal, first) and len(first[38]) == 6
    assert terminal.qr_refund(payment, 601)[39] == "64"
    assert terminal.qr_refund(payment, 600)[39] == "00"
    assert terminal.qr_refund(payment, 1)[39] == "64"
    assert order(terminal, payment)["refunded_fen"] == 1000
    assert order(terminal, payment)["state"] == "paid"


def test_a_refund_finds_its_payment_by_reference_and_date(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    assert terminal.qr_refund(payment, 100, mmdd="1124")[39] == "25"
    assert terminal.qr_refund(payment, 100, reference="999999999999")[39] == "25"
    assert terminal.qr_refund(payment, 0)[39] == "13"
    later = terminal.qr_sale(CONFIRMS, 500)
    assert terminal.qr_refund(later, 100)[39] == "25"            # not paid yet
    terminal.clock.advance(8)
    assert terminal.qr_refund(later, 100)[39] == "00"            # the reference of the Q1 answer
    dynamic = terminal.qr_order(300)
    phone(terminal, parse_tlv(dynamic[1][62])["QR"], "wallet_ok")
    assert terminal.qr_refund(dynamic, 300)[39] == "00"


def test_a_refund_of_another_terminals_payment_is_25(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    assert terminal.store.add_terminal("87654321", MID, "其他", TESTDATA["terminal"]["tmk"])
    other = QrTerminal(terminal.host, terminal.db, tid="87654321")
    assert other.sign_in()[39] == "00"
    other.download_ic()
    assert other.qr_refund(payment, 100)[39] == "25"
    assert other.qr_query(payment)[39] == "25"


# -- reversals -------------------------------------------------------------------

def test_the_reversal_of_a_paid_sale_gives_the_money_back(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    answer = terminal.reverse(payment[0])[1]
    assert answer[0] == "0410" and answer[39] == "00" and authentic(terminal, answer)
    assert order(terminal, payment)["state"] == "reversed"
    assert terminal.qr_query(payment)[39] == "Q2"
    assert terminal.qr_void(payment)[39] == "25"
    assert terminal.qr_refund(payment, 1)[39] == "25"
    assert rows(terminal, "SELECT state FROM transactions WHERE type = 'qr_sale'") == [{"state": "reversed"}]


def test_the_reversal_of_an_open_sale_closes_it_for_good(terminal):
    payment = terminal.qr_sale(CONFIRMS)
    terminal.clock.advance(2)
    assert terminal.reverse(payment[0])[1][39] == "00"
    terminal.clock.advance(20)
    assert terminal.qr_query(payment)[39] == "Q2"
    assert order(terminal, payment)["state"] == "closed"


def test_the_reversal_of_a_sale_answered_q1_and_paid_since_gives_the_money_back(terminal):
    payment = terminal.qr_sale(CONFIRMS)
    terminal.clock.advance(30)                  # paid at 8 s; nobody asked
    assert terminal.reverse(payment[0])[1][39] == "00"
    kept = order(terminal, payment)
    assert kept["state"] == "reversed" and kept["paid_at"] == "2026-11-23T10:00:08"
    note = rows(terminal, "SELECT note FROM transactions WHERE type = 'reversal'")[0]["note"]
    assert note.startswith("undone: the money back to the wallet")


def test_the_reversal_of_a_paid_dynamic_order_gives_the_money_back(terminal):
    payment = terminal.qr_order()
    phone(terminal, parse_tlv(payment[1][62])["QR"], "wallet_ok", 5)
    assert terminal.reverse(payment[0])[1][39] == "00"
    assert order(terminal, payment)["state"] == "reversed"
    assert phone(terminal, parse_tlv(payment[1][62])["QR"], "wallet_ok") == "closed"


def test_the_reversal_of_a_void_makes_the_payment_paid_again(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    void_fields, voided = terminal.run(terminal.qr_request(
        "qr_void", 1000, f37=payment[1][37], f61=terminal.f61(payment)))
    assert voided[39] == "00"
    assert terminal.reverse(void_fields)[1][39] == "00"
    assert order(terminal, payment)["state"] == "paid"
    assert terminal.qr_query(payment)[39] == "00"


def test_the_reversal_of_a_refund_takes_the_refund_back(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    refund_fields, refunded = terminal.run(terminal.qr_request(
        "qr_refund", 1000, f37=payment[1][37], f61="000000000000" + payment[1][13]))
    assert refunded[39] == "00" and order(terminal, payment)["refunded_fen"] == 1000
    payload, answer = terminal.reverse(refund_fields)
    assert answer[39] == "00"
    assert terminal.send_payload(payload).payload == answer.payload      # replayed: nothing twice
    assert order(terminal, payment)["refunded_fen"] == 0
    assert terminal.qr_refund(payment, 1000)[39] == "00"


def test_a_reversal_leaves_a_refunded_payment_as_it_is(terminal):
    payment = terminal.qr_sale(PAYS_WX, 1000)
    assert terminal.qr_refund(payment, 100)[39] == "00"
    assert terminal.reverse(payment[0])[1][39] == "00"
    assert order(terminal, payment)["state"] == "paid"


def test_the_reversal_of_a_query_or_a_cancel_moves_nothing(terminal):
    payment = terminal.qr_order()
    query_fields, _ = terminal.run(terminal.qr_request("qr_query", f61=terminal.f61(payment)))
    cancel_fields, cancelled = terminal.run(terminal.qr_request(
        "qr_cancel", 1000, f61=terminal.f61(payment)))
    assert cancelled[39] == "00"
    assert terminal.reverse(query_fields)[1][39] == "00"
    assert terminal.reverse(cancel_fields)[1][39] == "00"
    assert order(terminal, payment)["state"] == "closed"


def test_a_sale_whose_reversal_came_first_is_12_and_takes_no_code(terminal):
    fields = terminal.qr_request("qr_sale", 1000, f62=tlv(("QC", PAYS_WX)))
    assert terminal.reverse(fields)[1][39] == "00"
    assert terminal.run(fields)[1][39] == "12"
    assert order(terminal, (fields, None)) is None
    assert terminal.qr_sale(PAYS_WX)[1][39] == "00"


# -- settlement ------------------------------------------------------------------

def a_day_of_qr_business(t):
    """-> [(60.1, trace, fen)] the host counts, the figures of a card sale among them."""
    counted = []
    card, _ = t.sale(GOOD, 1000)
    counted.append(("22", card[11], 1000))
    at_once = t.qr_sale(PAYS_WX, 2000)
    counted.append(("70", at_once[0][11], 2000))
    assert t.qr_refund(at_once, 500)[39] == "00"
    counted.append(("75", "%06d" % t.trace, 500))
    later = t.qr_sale(CONFIRMS, 3000)
    counted.append(("70", later[0][11], 3000))
    dynamic = t.qr_order(4000)
    phone(t, parse_tlv(dynamic[1][62])["QR"], "wallet_ok", 1)
    counted.append(("71", dynamic[0][11], 4000))
    voided = t.qr_sale(PAYS_UP, 5000)
    assert t.qr_void(voided)[39] == "00"
    reversed_ = t.qr_order(6000)
    phone(t, parse_tlv(reversed_[1][62])["QR"], "wallet_ok")
    t.reverse(reversed_[0])
    open_ = t.qr_order(7000)
    assert t.qr_cancel(open_)[39] == "00"
    t.qr_sale(NO_FUNDS, 8000)
    t.qr_order(9000)                    # never paid
    t.clock.advance(10)                 # the confirming customer has paid by now
    return counted


def test_settlement_counts_paid_qr_payments_as_debits_and_qr_refunds_as_credits(terminal):
    a_day_of_qr_business(terminal)
    answer = settle(terminal, totals(10000, 4, 500, 1))
    assert answer[39] == "00" and answer[48] == totals(10000, 4, 500, 1, code=1, foreign_code=1)
    assert terminal.store.is_settled(TID, "000001")


def test_a_batch_upload_takes_the_qr_types_and_matches_the_host(terminal):
    counted = a_day_of_qr_business(terminal)
    answer = settle(terminal, totals(10001, 4, 500, 1))
    assert answer[48][30] == "2"
    assert terminal.run(upload_request(terminal, counted))[1][39] == "00"
    assert terminal.run(upload_end_request(terminal, len(counted)))[1][39] == "00"
    assert terminal.store.settlements()[0]["note"] == "uploads match the host's records"


def test_a_payment_due_but_never_queried_counts_at_settlement(terminal):
    terminal.qr_sale(CONFIRMS, 3000)
    terminal.clock.advance(8)
    assert settle(terminal, totals(3000, 1))[48][30] == "1"


# -- parameters -----------------------------------------------------------------

def test_the_qr_base_comes_with_the_parameters_and_makes_the_order_texts(terminal):
    _, params = terminal.params()
    assert parse_tlv(params[62])["QB"] == "https://qr.acquirer.test/"
    assert terminal.store.set_params(TID, qr_base="https://pay.example.cn/")
    _, params = terminal.params()
    assert parse_tlv(params[62])["QB"] == "https://pay.example.cn/"
    payment = terminal.qr_order()
    qr = parse_tlv(payment[1][62])["QR"]
    assert qr.startswith("https://pay.example.cn/o/")
    assert phone(terminal, "https://pay.example.cn/m/" + MID, "wallet_ok").startswith("static code")
    assert phone(terminal, "https://qr.acquirer.test/m/" + MID, "wallet_ok") == "unknown code"
    assert phone(terminal, qr, "wallet_ok") == "paid"


# -- command line -----------------------------------------------------------------

def test_phone_pays_and_qr_orders_on_the_command_line(terminal):
    payment = terminal.qr_order(1234)
    terminal.qr_sale(CONFIRMS)
    qr = parse_tlv(payment[1][62])["QR"]
    args = ("--db", terminal.db, "--text", qr, "--clock", "2026-11-23T10:00:04")
    assert cli("phone-pays", *args, "--wallet", "wallet_poor") == "no funds\n"
    assert cli("phone-pays", *args, "--wallet", "wallet_ok") == "paid\n"
    assert cli("phone-pays", *args, "--wallet", "wallet_ok") == "already paid\n"
    listed = json.loads(cli("qr-orders", "--db", terminal.db))
    assert [(o["kind"], o["state"], o["amount_fen"]) for o in listed] == [
        ("order", "paid", 1234), ("sale", "pending", 1000)]
    assert listed[0]["payer"] == "wallet_ok" and listed[0]["paid_at"] == "2026-11-23T10:00:04"
    assert listed[1]["masked_code"] == wallet.masked(CONFIRMS) and CONFIRMS not in repr(listed)
    assert terminal.qr_query(payment)[39] == "00"


def test_set_params_refuses_a_qr_base_that_is_no_base(tmp_path):
    db = str(tmp_path / "host.db")
    store.Store(db).seed(TESTDATA)
    for base in ("https://no.slash", "https://a b/", "x" * 64 + "/", "https://我.cn/"):
        result = subprocess.run([sys.executable, "-m", "tools.acquirer", "set-params", "--db", db,
                                 "--terminal", TID, "--qr-base", base], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode != 0 and "QR base" in result.stderr, base
    cli("set-params", "--db", db, "--terminal", TID, "--qr-base", "http://10.0.0.1:8080/")
    assert store.Store(db).terminal(TID)["params_qr_base"] == "http://10.0.0.1:8080/"


# -- the wallet simulator, pure -------------------------------------------------------

def test_a_codes_first_two_digits_name_its_wallet():
    for prefix, name in (("10", "WX"), ("15", "WX"), ("25", "ZF"), ("30", "ZF"), ("62", "UP"),
                         ("16", None), ("24", None), ("31", None), ("61", None), ("63", None)):
        assert wallet.wallet_of(prefix + "4567890123456781") == name, prefix
    assert wallet.wallet_of("1345678901234") is None
    assert wallet.wallet_of("13456789012345678") == "WX"
    assert wallet.wallet_of("１３４５６７８９０１２３４５６７８") is None     # fullwidth digits


def test_the_test_data_agrees_with_the_prefixes_and_a_wrong_entry_is_refused():
    wallet.check_testdata(QRPAY)
    bad = {"codes": [{"code": PAYS_WX, "wallet": "ZF", "behaviour": "pays"}], "phone_wallets": []}
    with pytest.raises(ValueError):
        wallet.check_testdata(bad)
    bad = {"codes": [], "phone_wallets": [{"name": "w", "wallet": "WX", "behaviour": "expired"}]}
    with pytest.raises(ValueError):
        wallet.check_testdata(bad)


def test_an_order_decides_lazily_at_the_time_given():
    order = {"state": "pending", "expires": "2026-11-23T10:05:00", "pay_at": "2026-11-23T10:00:08"}
    assert wallet.overdue(order, datetime.datetime(2026, 11, 23, 10, 0, 7, 999999)) is None
    paid = wallet.overdue(order, datetime.datetime(2026, 11, 23, 10, 0, 8))
    assert paid["state"] == "paid" and paid["paid_at"] == "2026-11-23T10:00:08"
    late = dict(order, pay_at="2026-11-23T10:05:00")
    assert wallet.overdue(late, datetime.datetime(2026, 11, 23, 10, 4, 59)) is None
    assert wallet.overdue(late, datetime.datetime(2026, 11, 23, 10, 5))["state"] == "closed"
    assert wallet.overdue(dict(order, state="paid"), datetime.datetime(2030, 1, 1)) is None


def test_the_order_number_is_read_from_the_end_of_its_text():
    assert wallet.order_number_in("https://qr.acquirer.test/o/ABC123") == "ABC123"
    assert wallet.order_number_in("https://pay.example.cn/o/X") == "X"
    for qr in ("https://qr.acquirer.test/o/", "o/ABC", "/o/ABC", "https://qr.acquirer.test/o/A-B",
               "https://qr.acquirer.test/o/" + "A" * 33):
        assert wallet.order_number_in(qr) is None, qr


# -- the host's clock from a file --------------------------------------------------------

def test_the_clock_file_is_read_at_each_use_and_falls_back_while_missing_or_unreadable(tmp_path):
    path = str(tmp_path / "clock")
    fallback = datetime.datetime(2026, 11, 23, 10, 0, 0)
    clock = handlers.file_clock(path, lambda: fallback)
    assert clock() == fallback
    for written, seen in (("2026-11-23T10:00:05", datetime.datetime(2026, 11, 23, 10, 0, 5)),
                          ("2026-11-23T10:07:00\n", datetime.datetime(2026, 11, 23, 10, 7)),
                          ("2026-11-23T02:00:00+00:00", datetime.datetime(2026, 11, 23, 10, 0))):
        with open(path, "w") as f:
            f.write(written)
        assert clock() == seen
    for garbage in ("", "2026-11-23T10:0", "yesterday", "\xff\xfe"):
        with open(path, "w", encoding="latin-1") as f:
            f.write(garbage)
        assert clock() == fallback, garbage
    os.remove(path)
    assert clock() == fallback


def test_serve_takes_its_time_from_the_clock_file(tmp_path):
    clock_path = str(tmp_path / "clock")
    with open(clock_path, "w") as f:
        f.write("2026-11-24T09:08:07")
    process, port = start_acquirer(str(tmp_path / "host.db"), extra_args=(
        "--clock", "2026-11-23T10:00:00", "--clock-file", clock_path))
    terminal = Terminal(port)
    try:
        answer = terminal.sign_in()
        assert (answer[13], answer[12]) == ("1124", "090807")
        os.remove(clock_path)
        assert terminal.sign_in()[13] == "1123"             # --clock's, running from 10:00:00
    finally:
        terminal.close()
        stop(process)
