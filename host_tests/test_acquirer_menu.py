"""The acquirer's whole menu: sign-off, parameter download, void, refund,
balance, pre-authorisation with its void and completion, and the reversal of
each. The host runs in this process on a fresh database per test; the
terminal is the independent one of test_acquirer.py (pyiso8583 and
cryptography, not the acquirer's codec or crypto), extended by the types of
docs/protocol.md section 7. test_acquirer_bills.py and
test_acquirer_settlement.py use the same terminal."""

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_acquirer import (CARDS, HEADER, MID, SALE_FIELDS, TESTDATA, TID, Answer, Terminal,
                           cli, ecb, pin_block)
from tools.acquirer import handlers, store
from tools.acquirer.testing import start_acquirer, stop

# protocol.md section 7: name -> (MTI, processing code, 60.1)
TYPES = {
    "sale": ("0200", "000000", "22"),
    "void": ("0200", "200000", "23"),
    "refund": ("0220", "200000", "25"),
    "balance": ("0200", "310000", "01"),
    "preauth": ("0100", "030000", "10"),
    "preauth_void": ("0100", "200000", "11"),
    "preauth_complete": ("0200", "000000", "20"),
    "bill_inquiry": ("0100", "300000", "60"),
    "bill_payment": ("0200", "500000", "61"),
    "repay_inquiry": ("0100", "300000", "62"),
    "repayment": ("0200", "400000", "63"),
}
INQUIRY_FIELDS = {3, 11, 12, 13, 32, 37, 39, 41, 42, 60, 62, 64}
SIGN_OFF_FIELDS = {11, 12, 13, 32, 37, 39, 41, 42, 60}
PARAMS_FIELDS = {11, 12, 13, 32, 37, 39, 41, 42, 60, 62, 64}
# A reversal carries no PIN, track data, field 62 or reference (section 7).
REVERSAL_KEEPS = (2, 3, 4, 11, 14, 22, 25, 38, 41, 42, 49, 60, 61)


# -- the terminal ------------------------------------------------------------

def tlv(*items):
    """Field 62 as data: 2-character tag, 3-digit length, UTF-8 value."""
    out = b""
    for tag, value in items:
        raw = value.encode("utf-8")
        out += tag.encode("ascii") + b"%03d" % len(raw) + raw
    return out


def parse_tlv(data):
    items, pos = {}, 0
    while pos < len(data):
        tag, length = data[pos:pos + 2].decode(), int(data[pos + 2:pos + 5])
        items[tag] = data[pos + 5:pos + 5 + length].decode("utf-8")
        pos += 5 + length
    assert pos == len(data)
    return items


class MenuTerminal(Terminal):
    """test_acquirer's terminal with every type of the menu. With a host it
    talks to that `handlers.Host` in this process, else over TCP to port."""

    def __init__(self, host, db, port=None, **kw):
        Terminal.__init__(self, port, **kw)
        self.host = host
        self.db = db

    def send_payload(self, payload):
        if self.host is None:
            return Terminal.send_payload(self, payload)
        return Answer(self.host.handle(payload))

    def send(self, fields):
        """-> (payload, answer)."""
        payload = self.build(fields)
        return payload, self.send_payload(payload)

    def run(self, fields):
        """-> (fields, answer)."""
        return fields, self.send(fields)[1]

    # Requests. Keywords f37="..." set field 37 and so on.

    def card_request(self, name, card, amount_fen=None, pin=None, **extra):
        mti, processing_code, type_code = TYPES[name]
        pan = card["pan"]
        fields = {0: mti, 2: pan, 3: processing_code, 11: self.next_trace(),
                  14: card["expiry"], 22: "021", 25: "00",
                  35: "%s=%s1011234" % (pan, card["expiry"]), 41: self.tid, 42: self.mid,
                  49: "156", 60: type_code + self.batch + "000" + "60"}
        if amount_fen is not None:
            fields[4] = "%012d" % amount_fen
        if name == "refund":
            fields[22] = "022"
        else:
            fields[26] = "12"
            fields[52] = ecb(self.pik, pin_block(card["pin"] if pin is None else pin, pan))
            fields[53] = "2600000000000000"
        fields.update({int(k[1:]): v for k, v in extra.items()})
        return fields

    def void_request(self, card, sale_fields, sale_answer, amount_fen=None, **kw):
        amount_fen = int(sale_fields[4]) if amount_fen is None else amount_fen
        kw.setdefault("f61", sale_fields[60][2:8] + sale_fields[11] + "0000")
        return self.card_request("void", card, amount_fen, f37=sale_answer[37],
                                 f38=sale_answer[38], **kw)

    def refund_request(self, card, sale_answer, amount_fen, mmdd=None, **kw):
        return self.card_request("refund", card, amount_fen, f37=sale_answer[37],
                                 f61="000000000000" + (mmdd or sale_answer[13]), **kw)

    def follow_up_request(self, name, card, preauth_answer, amount_fen, auth=None, **kw):
        """A preauth_void or preauth_complete of the pre-authorisation answered so."""
        return self.card_request(name, card, amount_fen, f38=auth or preauth_answer[38],
                                 f61="000000000000" + preauth_answer[13], **kw)

    def inquiry_request(self, name, data):
        mti, processing_code, type_code = TYPES[name]
        return {0: mti, 3: processing_code, 11: self.next_trace(), 41: self.tid,
                42: self.mid, 60: type_code + self.batch + "000" + "60", 62: data}

    def reversal(self, original_fields, reason="98"):
        fields = {n: v for n, v in original_fields.items() if n in REVERSAL_KEEPS}
        fields[0] = "0400"
        fields[39] = reason
        return fields

    # Exchanges: -> (request fields, answer), except where said.

    def do(self, name, card, amount_fen=None, **kw):
        return self.run(self.card_request(name, card, amount_fen, **kw))

    def sale(self, card, amount_fen, **kw):
        return self.do("sale", card, amount_fen, **kw)

    def void(self, *args, **kw):
        return self.run(self.void_request(*args, **kw))

    def refund(self, *args, **kw):
        return self.run(self.refund_request(*args, **kw))

    def follow_up(self, *args, **kw):
        return self.run(self.follow_up_request(*args, **kw))

    def reverse(self, original_fields, reason="98"):
        """-> (payload, answer)."""
        return self.send(self.reversal(original_fields, reason))

    def sign_off(self):
        """-> answer."""
        return self.send_payload(self.build(
            {0: "0820", 11: self.next_trace(), 41: self.tid, 42: self.mid,
             60: "00" + self.batch + "002", 63: "01 "}, mac=False))

    def params(self):
        return self.run({0: "0800", 11: self.next_trace(), 41: self.tid, 42: self.mid,
                         60: "00" + self.batch + "360"})


# -- the host and its database ----------------------------------------------

def signed_in_terminal(path):
    """A MenuTerminal signed in to a fresh host in this process, database at path."""
    db = store.Store(path)
    db.seed(TESTDATA)
    t = MenuTerminal(handlers.Host(db), path)
    assert t.sign_in()[39] == "00"
    t.download_ic()
    return t


@pytest.fixture
def terminal(tmp_path):
    t = signed_in_terminal(str(tmp_path / "host.db"))
    yield t
    t.host.store.close()


def query(db, sql, *args):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def available(db, name):
    return query(db, "SELECT available_fen FROM cards WHERE name = ?", name)[0][0]


def start(name):
    card = CARDS[name]
    return card.get("balance_fen", card.get("limit_fen"))


def txn(db, trace, txn_type):
    """The transaction row of one request, as a dict."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        row = conn.execute("SELECT * FROM transactions WHERE trace = ? AND type = ?"
                           " ORDER BY id LIMIT 1", (trace, txn_type)).fetchone()
        return dict(row) if row else None
    finally:
        conn.close()


def money(db):
    """Everything money-like in the database: balances, bills, holds."""
    return (query(db, "SELECT name, available_fen, bill_due_fen FROM cards ORDER BY id"),
            query(db, "SELECT biller_code, account, due_fen FROM bill_accounts ORDER BY id"),
            query(db, "SELECT card_id, amount_fen FROM holds WHERE state = 'held' ORDER BY id"))


def snapshot(db):
    """Every table a message may change, except the logs of exchanges and messages."""
    return tuple(query(db, "SELECT * FROM %s ORDER BY 1" % table) for table in (
        "terminals", "cards", "bill_accounts", "transactions", "holds", "settlements",
        "uploads"))


def held(db, name):
    return query(db, "SELECT COALESCE(SUM(h.amount_fen), 0) FROM holds h JOIN cards c"
                     " ON c.id = h.card_id WHERE c.name = ? AND h.state = 'held'", name)[0][0]


GOOD, CREDIT, POOR = CARDS["good"], CARDS["credit"], CARDS["poor"]


# -- sign-off ----------------------------------------------------------------

def test_sign_off_drops_the_keys_so_financial_requests_get_a0_until_the_next_sign_in(terminal):
    answer = terminal.sign_off()
    assert answer[0] == "0830" and answer[39] == "00"
    assert set(answer.fields) - {0} == SIGN_OFF_FIELDS and answer.requirement == 0
    assert answer[60] == "00000001002"
    assert query(terminal.db, "SELECT pik_hex, mak_hex FROM terminals")[0] == (None, None)
    _, refused = terminal.sale(GOOD, 100)
    assert refused[39] == "A0" and refused.requirement == 3 and 64 not in refused
    assert terminal.params()[1][39] == "A0"
    assert available(terminal.db, "good") == start("good")
    assert terminal.sign_in()[39] == "00"
    assert terminal.sale(GOOD, 100)[1][39] == "00"


def test_sign_off_of_an_unknown_terminal_or_a_foreign_merchant_is_refused(terminal):
    stranger = MenuTerminal(terminal.host, terminal.db, tid="87654321")
    assert stranger.sign_off()[39] == "97"
    other = MenuTerminal(terminal.host, terminal.db, mid="999999999999999")
    assert other.sign_off()[39] == "03"
    assert query(terminal.db, "SELECT mak_hex IS NOT NULL FROM terminals")[0][0] == 1


def test_replayed_sign_off_gets_the_same_answer_and_keeps_later_keys(terminal):
    payload = terminal.build({0: "0820", 11: terminal.next_trace(), 41: TID, 42: MID,
                              60: "00000001002", 63: "01 "}, mac=False)
    first = terminal.send_payload(payload)
    terminal.sign_in()
    before = snapshot(terminal.db)
    assert terminal.send_payload(payload).payload == first.payload
    assert snapshot(terminal.db) == before
    assert terminal.sale(GOOD, 100)[1][39] == "00"


# -- parameter download ------------------------------------------------------

def test_parameter_download_answers_merchant_name_largest_amount_nosign_limit_and_qr_base_with_a_mac(terminal):
    _, answer = terminal.params()
    assert answer[0] == "0810" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == PARAMS_FIELDS
    assert parse_tlv(answer[62]) == {"MN": "测试商户", "MX": "000009999999", "NS": "000000100000",
                                     "QB": "https://qr.acquirer.test/"}
    assert answer[60] == "00000001360"


def test_parameter_download_with_a_bad_mac_is_a0(terminal):
    fields = {0: "0800", 11: terminal.next_trace(), 41: TID, 42: MID, 60: "00000001360"}
    answer = terminal.send_payload(terminal.build(fields, mac_key=bytes(8)))
    assert answer[39] == "A0" and 62 not in answer and 64 not in answer


def test_set_params_flags_every_answer_with_requirement_1_until_the_download(terminal):
    cli("set-params", "--db", terminal.db, "--terminal", TID, "--name", "新华书店",
        "--max-fen", "500000")
    _, sale = terminal.sale(GOOD, 100)
    assert sale[39] == "00" and sale.requirement == 1
    assert sale.header[:2] == HEADER[:2] and sale.header[3:] == HEADER[3:]
    assert terminal.sign_in().requirement == 1
    _, params = terminal.params()
    assert params.requirement == 0
    assert parse_tlv(params[62]) == {"MN": "新华书店", "MX": "000000500000", "NS": "000000100000",
                                     "QB": "https://qr.acquirer.test/"}
    assert terminal.sale(GOOD, 100)[1].requirement == 0
    cli("set-params", "--db", terminal.db, "--terminal", TID, "--max-fen", "700000", "--nosign-fen", "30000",
        "--qr-base", "https://pay.example.cn/")
    assert parse_tlv(terminal.params()[1][62]) == {"MN": "新华书店", "MX": "000000700000", "NS": "000000030000",
                                                   "QB": "https://pay.example.cn/"}


def test_sign_in_again_comes_before_the_parameter_download(terminal):
    terminal.host.store.set_params(TID)
    terminal.host.store.request_sign_in(TID)
    assert terminal.sale(GOOD, 100)[1].requirement == 3
    assert terminal.sign_in().requirement == 1
    assert terminal.params()[1].requirement == 0


def test_replayed_parameter_download_gets_the_same_answer(terminal):
    terminal.host.store.set_params(TID, "甲")
    payload, first = terminal.send({0: "0800", 11: terminal.next_trace(), 41: TID, 42: MID,
                                    60: "00000001360"})
    terminal.host.store.set_params(TID, "乙")
    before = snapshot(terminal.db)
    assert terminal.send_payload(payload).payload == first.payload
    assert parse_tlv(first[62])["MN"] == "甲" and snapshot(terminal.db) == before


# -- void --------------------------------------------------------------------

def test_void_gives_the_sale_back_and_marks_it_voided(terminal):
    db = terminal.db
    sale_fields, sale = terminal.sale(GOOD, 5000)
    void_fields, answer = terminal.void(GOOD, sale_fields, sale)
    assert answer[0] == "0210" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS
    assert answer[3] == "200000" and answer[4] == "000000005000"
    assert answer[38] != sale[38] and answer[37] != sale[37]
    assert available(db, "good") == start("good")
    assert txn(db, sale_fields[11], "sale")["state"] == "voided"
    void = txn(db, void_fields[11], "void")
    assert void["state"] == "approved"
    assert void["original_id"] == txn(db, sale_fields[11], "sale")["id"]


def test_void_of_a_voided_sale_is_12(terminal):
    sale_fields, sale = terminal.sale(GOOD, 5000)
    assert terminal.void(GOOD, sale_fields, sale)[1][39] == "00"
    _, again = terminal.void(GOOD, sale_fields, sale)
    assert again[39] == "12" and 38 not in again and again.mac_ok(terminal.mak)
    assert available(terminal.db, "good") == start("good")


@pytest.mark.parametrize("change, code", [
    ({"amount_fen": 4999}, "64"),
    ({"amount_fen": 5001}, "64"),
    ({"card": CREDIT}, "25"),
    ({"f61": "000001" + "999999" + "0000"}, "25"),
    ({"f61": "000002" + "000000" + "0000"}, "25"),
    ({"pin": "000000"}, "55"),
])
def test_void_that_does_not_match_its_sale_voids_nothing(terminal, change, code):
    db = terminal.db
    sale_fields, sale = terminal.sale(GOOD, 5000)
    before = money(db)
    change = dict(change)
    card = change.pop("card", GOOD)
    _, answer = terminal.void(card, sale_fields, sale, **change)
    assert answer[39] == code and 38 not in answer
    assert money(db) == before
    assert txn(db, sale_fields[11], "sale")["state"] == "approved"


def test_void_of_a_reversed_or_declined_sale_is_25(terminal):
    sale_fields, sale = terminal.sale(GOOD, 5000)
    terminal.reverse(sale_fields)
    assert terminal.void(GOOD, sale_fields, sale)[1][39] == "25"
    poor_fields, poor = terminal.sale(POOR, 5000)
    assert poor[39] == "51"
    poor.fields[38] = "000000"
    assert terminal.void(POOR, poor_fields, poor)[1][39] == "25"


def test_void_of_a_partly_refunded_sale_is_12(terminal):
    sale_fields, sale = terminal.sale(GOOD, 5000)
    assert terminal.refund(GOOD, sale, 1000)[1][39] == "00"
    assert terminal.void(GOOD, sale_fields, sale)[1][39] == "12"
    assert available(terminal.db, "good") == start("good") - 4000


# -- refund ------------------------------------------------------------------

def test_refunds_give_money_back_up_to_the_sale_and_a_partly_refunded_sale_stays_approved(
        terminal):
    db = terminal.db
    sale_fields, sale = terminal.sale(GOOD, 10000)
    refund_fields, answer = terminal.refund(GOOD, sale, 3000)
    assert answer[0] == "0230" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS
    assert 52 not in refund_fields
    row = txn(db, sale_fields[11], "sale")
    assert (row["state"], row["refunded_fen"]) == ("approved", 3000)
    assert available(db, "good") == start("good") - 7000
    assert terminal.refund(GOOD, sale, 7001)[1][39] == "64"
    assert terminal.refund(GOOD, sale, 7000)[1][39] == "00"
    row = txn(db, sale_fields[11], "sale")
    assert (row["state"], row["refunded_fen"]) == ("refunded", 10000)
    assert available(db, "good") == start("good")
    assert terminal.refund(GOOD, sale, 1)[1][39] == "64"
    assert txn(db, refund_fields[11], "refund")["original_id"] == row["id"]


def test_refund_above_the_original_is_64_and_moves_nothing(terminal):
    _, sale = terminal.sale(GOOD, 2000)
    before = money(terminal.db)
    assert terminal.refund(GOOD, sale, 2001)[1][39] == "64"
    assert money(terminal.db) == before


@pytest.mark.parametrize("how", ["reference", "date", "card", "voided"])
def test_refund_without_its_sale_is_25(terminal, how):
    sale_fields, sale = terminal.sale(GOOD, 2000)
    card, mmdd = GOOD, None
    if how == "reference":
        sale.fields[37] = "000000999999"
    elif how == "date":
        mmdd = "0230"
    elif how == "card":
        card = CREDIT
    else:
        terminal.void(GOOD, sale_fields, sale)
    before = money(terminal.db)
    assert terminal.refund(card, sale, 1000, mmdd=mmdd)[1][39] == "25"
    assert money(terminal.db) == before


# -- balance -----------------------------------------------------------------

def test_balance_answers_field_54_for_debit_and_credit_cards(terminal):
    fields, answer = terminal.do("balance", GOOD)
    assert 4 not in fields
    assert answer[0] == "0210" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == (SALE_FIELDS - {4}) | {54}
    assert answer[54] == "1002156C%012d" % start("good")
    terminal.sale(CREDIT, 2500)
    _, credit = terminal.do("balance", CREDIT)
    assert credit[54] == "3002156C%012d" % (start("credit") - 2500)


def test_balance_with_a_wrong_pin_is_55_without_field_54(terminal):
    _, answer = terminal.do("balance", GOOD, pin="999999")
    assert answer[39] == "55" and 54 not in answer
    assert query(terminal.db, "SELECT pin_failures FROM cards WHERE name = 'good'")[0][0] == 1


# -- pre-authorisation -------------------------------------------------------

def test_preauth_holds_the_amount(terminal):
    db = terminal.db
    fields, answer = terminal.do("preauth", GOOD, 30000)
    assert answer[0] == "0110" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SALE_FIELDS and answer[3] == "030000"
    assert available(db, "good") == start("good") - 30000 and held(db, "good") == 30000
    cards = {c["name"]: c for c in terminal.host.store.cards()}
    assert cards["good"]["held_fen"] == 30000
    assert terminal.do("preauth", POOR, 1001)[1][39] == "51"
    assert held(db, "poor") == 0


def test_preauth_void_releases_the_hold(terminal):
    db = terminal.db
    preauth_fields, preauth = terminal.do("preauth", CREDIT, 30000)
    assert terminal.follow_up("preauth_void", CREDIT, preauth, 29999)[1][39] == "64"
    fields, answer = terminal.follow_up("preauth_void", CREDIT, preauth, 30000)
    assert answer[0] == "0110" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert available(db, "credit") == start("credit") and held(db, "credit") == 0
    assert txn(db, preauth_fields[11], "preauth")["state"] == "released"
    assert terminal.follow_up("preauth_void", CREDIT, preauth, 30000)[1][39] == "25"
    assert terminal.follow_up("preauth_complete", CREDIT, preauth, 100)[1][39] == "25"


def test_completion_takes_at_most_the_hold_and_releases_the_rest(terminal):
    db = terminal.db
    preauth_fields, preauth = terminal.do("preauth", GOOD, 10000)
    _, above = terminal.follow_up("preauth_complete", GOOD, preauth, 10001)
    assert above[39] == "64" and held(db, "good") == 10000
    fields, answer = terminal.follow_up("preauth_complete", GOOD, preauth, 8000)
    assert answer[0] == "0210" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert answer[4] == "000000008000"
    assert available(db, "good") == start("good") - 8000 and held(db, "good") == 0
    assert txn(db, preauth_fields[11], "preauth")["state"] == "completed"
    assert txn(db, fields[11], "preauth_complete")["amount_fen"] == 8000
    assert terminal.follow_up("preauth_complete", GOOD, preauth, 100)[1][39] == "25"


def test_completion_of_the_whole_hold_is_allowed(terminal):
    _, preauth = terminal.do("preauth", GOOD, 10000)
    assert terminal.follow_up("preauth_complete", GOOD, preauth, 10000)[1][39] == "00"
    assert available(terminal.db, "good") == start("good") - 10000


@pytest.mark.parametrize("change", ["auth", "card", "date", "pin"])
def test_completion_not_matching_a_held_preauth_moves_nothing(terminal, change):
    _, preauth = terminal.do("preauth", GOOD, 10000)
    before = money(terminal.db)
    card, kw = GOOD, {}
    if change == "auth":
        kw["auth"] = "%06d" % ((int(preauth[38]) + 1) % 1000000)
    elif change == "card":
        card = CREDIT
    elif change == "date":
        preauth.fields[13] = "0230"
    else:
        kw["pin"] = "000000"
    _, answer = terminal.follow_up("preauth_complete", card, preauth, 5000, **kw)
    assert answer[39] == ("55" if change == "pin" else "25")
    assert money(terminal.db) == before


# -- reversal of each type ---------------------------------------------------

def prepared(terminal, name):
    """-> a request of `name`, after what it needs first (a sale before its void)."""
    if name == "void":
        sale_fields, sale = terminal.sale(GOOD, 4000)
        return terminal.void_request(GOOD, sale_fields, sale)
    if name == "refund":
        _, sale = terminal.sale(GOOD, 4000)
        return terminal.refund_request(GOOD, sale, 1500)
    if name in ("preauth_void", "preauth_complete"):
        _, preauth = terminal.do("preauth", GOOD, 4000)
        return terminal.follow_up_request(name, GOOD, preauth,
                                          4000 if name == "preauth_void" else 2500)
    return terminal.card_request(name, GOOD, None if name == "balance" else 4000)


def reversed_exactly_once(terminal, fields, name):
    """Send fields, reverse them, reverse again: the state before comes back once."""
    db = terminal.db
    before = money(db)
    _, answer = terminal.run(fields)
    assert answer[39] == "00"
    assert name in ("balance", "bill_inquiry", "repay_inquiry") or money(db) != before
    payload, reversal = terminal.reverse(fields)
    assert reversal[0] == "0410" and reversal[39] == "00" and reversal.mac_ok(terminal.mak)
    assert reversal[11] == fields[11] and reversal[60] == fields[60]
    assert money(db) == before
    assert txn(db, fields[11], name)["state"] == "reversed"
    after = snapshot(db)
    assert terminal.send_payload(payload).payload == reversal.payload
    assert terminal.reverse(fields, reason="06")[1][39] == "94"
    assert snapshot(db)[1:3] == after[1:3] and money(db) == before
    return answer


MENU_TYPES = ["sale", "void", "refund", "balance", "preauth", "preauth_void",
              "preauth_complete"]


@pytest.mark.parametrize("name", MENU_TYPES)
def test_reversal_undoes_each_type_exactly_once(terminal, name):
    reversed_exactly_once(terminal, prepared(terminal, name), name)


def test_reversing_a_void_or_completion_restores_the_original_for_another_try(terminal):
    db = terminal.db
    sale_fields, sale = terminal.sale(GOOD, 4000)
    void_fields, _ = terminal.void(GOOD, sale_fields, sale)
    terminal.reverse(void_fields)
    assert txn(db, sale_fields[11], "sale")["state"] == "approved"
    assert terminal.void(GOOD, sale_fields, sale)[1][39] == "00"
    preauth_fields, preauth = terminal.do("preauth", GOOD, 4000)
    complete_fields, _ = terminal.follow_up("preauth_complete", GOOD, preauth, 2500)
    terminal.reverse(complete_fields)
    assert txn(db, preauth_fields[11], "preauth")["state"] == "approved"
    assert held(db, "good") == 4000
    assert terminal.follow_up("preauth_complete", GOOD, preauth, 3000)[1][39] == "00"
    assert available(db, "good") == start("good") - 3000 and held(db, "good") == 0


def test_reversal_of_a_voided_sale_leaves_it_voided(terminal):
    sale_fields, sale = terminal.sale(GOOD, 4000)
    terminal.void(GOOD, sale_fields, sale)
    before = money(terminal.db)
    _, answer = terminal.reverse(sale_fields)
    assert answer[39] == "00"
    assert money(terminal.db) == before
    assert txn(terminal.db, sale_fields[11], "sale")["state"] == "voided"


@pytest.mark.parametrize("name", ["void", "refund", "preauth", "preauth_complete", "balance"])
def test_a_request_arriving_after_its_reversal_is_12(terminal, name):
    fields = prepared(terminal, name)
    terminal.reverse(fields)
    before = money(terminal.db)
    assert terminal.run(fields)[1][39] == "12"
    assert money(terminal.db) == before


def test_reversal_naming_no_financial_type_is_30(terminal):
    fields = terminal.reversal(terminal.card_request("sale", GOOD, 100))
    fields[60] = "99" + fields[60][2:]
    assert terminal.run(fields)[1][39] == "30"


# -- replays -----------------------------------------------------------------

@pytest.mark.parametrize("name", MENU_TYPES[1:])
def test_replayed_request_of_each_type_gets_the_stored_answer_and_changes_nothing(terminal,
                                                                                  name):
    payload, first = terminal.send(prepared(terminal, name))
    assert first[39] == "00"
    before = snapshot(terminal.db)
    assert terminal.send_payload(payload).payload == first.payload
    assert snapshot(terminal.db) == before


# -- anything authentic gets an answer ----------------------------------------

_digits = lambda lo, hi: st.text("0123456789", min_size=lo, max_size=hi)  # noqa: E731
_tag = st.sampled_from(["BC", "AC", "PD", "CN", "DU", "MX", "ZZ"])
_value = st.one_of(_digits(0, 25), st.sampled_from(["GAS", "ELE", "龘", CREDIT["pan"]]))
_tlv = st.lists(st.tuples(_tag, _value), max_size=4).map(lambda items: tlv(*items))
_overrides = st.fixed_dictionaries({}, optional={
    2: _digits(1, 19), 3: st.sampled_from(["000000", "200000", "300000", "999999"]),
    4: _digits(12, 12), 14: _digits(4, 4), 37: _digits(12, 12), 38: _digits(6, 6),
    48: _digits(0, 80), 49: st.sampled_from(["156", "840"]), 61: _digits(0, 29),
    62: st.one_of(_tlv, st.binary(max_size=40)), 39: st.sampled_from(["98", "06"]),
})
_names = sorted(TYPES) + ["settle", "upload", "upload_end", "reversal", "params"]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(_names), overrides=_overrides, drop=st.sets(st.sampled_from(
    [2, 4, 35, 37, 38, 48, 52, 61, 62])))
def test_every_authentic_request_of_every_type_gets_a_maced_answer(terminal, name, overrides,
                                                                  drop):
    if name in TYPES:
        fields = terminal.card_request(name, GOOD, 100, f37="0" * 12, f38="0" * 6,
                                       f61="0" * 16, f62=tlv(("BC", "GAS")))
    else:
        network = {"settle": ("0500", "201"), "upload": ("0320", "201"),
                   "upload_end": ("0320", "202"), "reversal": ("0400", "000"),
                   "params": ("0800", "360")}[name]
        fields = {0: network[0], 11: terminal.next_trace(), 41: TID, 42: MID, 48: "0" * 62,
                  60: ("22" if name == "reversal" else "00") + "000001" + network[1],
                  39: "98"}
    fields.update(overrides)
    for n in drop:
        fields.pop(n, None)
    answer = terminal.run(fields)[1]
    assert 39 in answer and answer.mac_ok(terminal.mak)
    assert answer[0] == fields[0][:2] + str(int(fields[0][2]) + 1) + fields[0][3]


# -- the transactions list ---------------------------------------------------

def test_transactions_cli_lists_every_type_with_its_state(terminal):
    db = terminal.db
    sale_fields, sale = terminal.sale(GOOD, 1000)
    terminal.void(GOOD, sale_fields, sale)
    _, refunded = terminal.sale(GOOD, 2000)
    terminal.refund(GOOD, refunded, 2000)
    _, partly = terminal.sale(GOOD, 3000)
    terminal.refund(GOOD, partly, 1000)
    reversed_fields, _ = terminal.sale(GOOD, 4000)
    terminal.reverse(reversed_fields)
    terminal.sale(POOR, 5000)
    _, completed = terminal.do("preauth", GOOD, 6000)
    terminal.follow_up("preauth_complete", GOOD, completed, 5000)
    _, released = terminal.do("preauth", GOOD, 7000)
    terminal.follow_up("preauth_void", GOOD, released, 7000)
    terminal.do("balance", GOOD)
    terminal.sign_off()
    rows = json.loads(cli("transactions", "--db", db))
    assert [(r["type"], r["state"], r["refunded_fen"]) for r in rows] == [
        ("sale", "voided", 0), ("void", "approved", 0),
        ("sale", "refunded", 2000), ("refund", "approved", 0),
        ("sale", "approved", 1000), ("refund", "approved", 0),
        ("sale", "reversed", 0), ("reversal", "approved", 0),
        ("sale", "declined", 0),
        ("preauth", "completed", 0), ("preauth_complete", "approved", 0),
        ("preauth", "released", 0), ("preauth_void", "approved", 0),
        ("balance", "approved", 0)]
    assert rows[1]["original_id"] == rows[0]["id"]
    assert GOOD["pan"] not in json.dumps(rows)


# -- over TCP ----------------------------------------------------------------

def test_the_server_process_serves_the_new_types_and_the_cli_lists_them(tmp_path):
    db = str(tmp_path / "host.db")
    process, port = start_acquirer(db)
    try:
        t = MenuTerminal(None, db, port=port)
        assert t.sign_in()[39] == "00"
        _, preauth = t.do("preauth", GOOD, 500)
        assert preauth[39] == "00" and preauth.mac_ok(t.mak)
        assert parse_tlv(t.params()[1][62])["MX"] == "000009999999"
        assert t.sign_off()[39] == "00"
        t.close()
        cards = {c["name"]: c for c in json.loads(cli("cards", "--db", db))}
        assert cards["good"]["held_fen"] == 500 and cards["credit"]["bill_due_fen"] == 345678
        assert cards["credit"]["bank"] == "广发银行"
        assert len(json.loads(cli("bills", "--db", db))) == 5
        assert json.loads(cli("settlements", "--db", db)) == []
    finally:
        stop(process)
