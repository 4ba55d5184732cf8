"""Settlement 0500, batch upload 0320/201 and upload end 0320/202: the host's
totals by the rule of protocol section 8, balanced and not balanced."""

import json

import pytest

from test_acquirer import TID, cli
from test_acquirer_bills import ZHANG, pay, repay_request
from test_acquirer_menu import CREDIT, GOOD, POOR, query, signed_in_terminal, snapshot

SETTLE_FIELDS = {11, 12, 13, 15, 32, 37, 39, 41, 42, 48, 49, 60, 63, 64}
UPLOAD_FIELDS = {11, 12, 13, 39, 41, 42, 48, 60, 64}


@pytest.fixture
def terminal(tmp_path):
    t = signed_in_terminal(str(tmp_path / "host.db"))
    yield t
    t.host.store.close()


def totals(debit_fen=0, debit_count=0, credit_fen=0, credit_count=0, code=0,
           foreign=(0, 0, 0, 0), foreign_code=0):
    """Field 48 of a settlement: domestic half, then foreign, each with its code."""
    return ("%012d%03d%012d%03d%d" % (debit_fen, debit_count, credit_fen, credit_count, code)
            + "%012d%03d%012d%03d%d" % (tuple(foreign) + (foreign_code,)))


def settle_request(terminal, field48):
    return {0: "0500", 11: terminal.next_trace(), 41: terminal.tid, 42: terminal.mid,
            48: field48, 49: "156", 60: "00" + terminal.batch + "201", 63: "01 "}


def settle(terminal, field48):
    return terminal.run(settle_request(terminal, field48))[1]


def upload_request(terminal, items):
    field48 = "%02d" % len(items) + "".join("%s%s%012d" % item for item in items)
    return {0: "0320", 11: terminal.next_trace(), 41: terminal.tid, 42: terminal.mid,
            48: field48, 60: "00" + terminal.batch + "201"}


def upload_end_request(terminal, count):
    return {0: "0320", 11: terminal.next_trace(), 41: terminal.tid, 42: terminal.mid,
            48: "%04d" % count, 60: "00" + terminal.batch + "202"}


def settlement(db, batch="000001"):
    rows = [r for r in json.loads(cli("settlements", "--db", db)) if r["batch"] == batch]
    return rows[0] if rows else None


def settlement_row(db, batch="000001"):
    return query(db, "SELECT state, balanced, upload_count, declared_count, note,"
                     " host_debit_fen, terminal_debit_fen FROM settlements WHERE batch = ?",
                 batch)


def a_day_of_business(terminal):
    """-> (expected host figures, [(60.1, trace, fen) the host counts])."""
    counted = []
    fields, _ = terminal.sale(GOOD, 1000)
    counted.append(("22", fields[11], 1000))
    voided_fields, voided = terminal.sale(GOOD, 2000)
    terminal.void(GOOD, voided_fields, voided)
    partly_fields, partly = terminal.sale(GOOD, 3000)
    counted.append(("22", partly_fields[11], 3000))
    refund_fields, _ = terminal.refund(GOOD, partly, 1000)
    counted.append(("25", refund_fields[11], 1000))
    whole_fields, whole = terminal.sale(CREDIT, 700)
    counted.append(("22", whole_fields[11], 700))
    refund_fields, _ = terminal.refund(CREDIT, whole, 700)
    counted.append(("25", refund_fields[11], 700))
    reversed_fields, _ = terminal.sale(GOOD, 4000)
    terminal.reverse(reversed_fields)
    assert terminal.sale(POOR, 5000)[1][39] == "51"
    _, preauth = terminal.do("preauth", GOOD, 6000)
    complete_fields, _ = terminal.follow_up("preauth_complete", GOOD, preauth, 5000)
    counted.append(("20", complete_fields[11], 5000))
    terminal.do("preauth", GOOD, 900)
    bill_fields, _ = pay(terminal, ZHANG, 12850)
    counted.append(("61", bill_fields[11], 12850))
    repay_fields, answer = terminal.run(repay_request(terminal, 1000))
    assert answer[39] == "00"
    counted.append(("63", repay_fields[11], 1000))
    terminal.do("balance", GOOD)
    reversed_refund, _ = terminal.refund(GOOD, partly, 500)
    terminal.reverse(reversed_refund)
    debits = [c for c in counted if c[0] != "25"]
    credits = [c for c in counted if c[0] == "25"]
    figures = (sum(c[2] for c in debits), len(debits), sum(c[2] for c in credits), len(credits))
    assert figures == (23550, 6, 1700, 2)
    return figures, counted


def test_settlement_with_the_hosts_figures_is_balanced_and_settled(terminal):
    figures, _ = a_day_of_business(terminal)
    answer = settle(terminal, totals(*figures))
    assert answer[0] == "0510" and answer[39] == "00" and answer.mac_ok(terminal.mak)
    assert set(answer.fields) - {0} == SETTLE_FIELDS
    assert answer[48] == totals(*figures, code=1, foreign_code=1)
    assert answer[63] == "01 " and answer[60] == "00000001201"
    row = settlement(terminal.db)
    assert row["state"] == "settled" and row["balanced"] is True
    assert (row["host_debit_fen"], row["host_debit_count"], row["host_credit_fen"],
            row["host_credit_count"]) == figures
    assert row["terminal_debit_fen"] == figures[0] and row["upload_count"] == 0


def test_unbalanced_settlement_is_settled_on_the_terminals_figures_after_the_upload(terminal):
    db = terminal.db
    figures, counted = a_day_of_business(terminal)
    claimed = (figures[0] + 100,) + figures[1:]
    answer = settle(terminal, totals(*claimed))
    assert answer[39] == "00" and answer[48] == totals(*figures, code=2, foreign_code=1)
    assert settlement_row(db)[0][:2] == ("uploading", 0)
    uploaded = counted[:-1] + [("22", "999998", 200), ("22", "999999", 100)]
    uploaded[0] = uploaded[0][:2] + (uploaded[0][2] + 1,)
    first = terminal.run(upload_request(terminal, uploaded[:8]))[1]
    assert first[0] == "0330" and first[39] == "00" and first.mac_ok(terminal.mak)
    assert set(first.fields) - {0} == UPLOAD_FIELDS
    assert terminal.run(upload_request(terminal, uploaded[8:]))[1][39] == "00"
    assert settlement_row(db)[0][0] == "uploading"
    end = terminal.run(upload_end_request(terminal, len(uploaded)))[1]
    assert end[0] == "0330" and end[39] == "00" and end[48] == "%04d" % len(uploaded)
    state, balanced, uploads, declared, note, host_debit, terminal_debit = settlement_row(db)[0]
    assert (state, balanced, uploads, declared) == ("settled", 0, len(uploaded), len(uploaded))
    assert (host_debit, terminal_debit) == (figures[0], claimed[0])
    last = counted[-1]
    assert "not on the host: 22/999999 100 fen" in note
    assert "not uploaded: %s/%s %d fen" % last in note
    assert "amount differs: 22/%s host 1000 fen, terminal 1001 fen" % counted[0][1] in note
    rows = query(db, "SELECT type_code, trace, amount_fen FROM uploads ORDER BY id")
    assert [tuple(r) for r in rows] == uploaded


def test_upload_end_notes_a_count_that_differs_and_clean_uploads(terminal):
    _, counted = a_day_of_business(terminal)
    settle(terminal, totals(1, 1))
    terminal.run(upload_request(terminal, counted[:8]))
    assert terminal.run(upload_end_request(terminal, 9))[1][39] == "00"
    note = settlement_row(terminal.db)[0][4]
    assert note == "upload end counts 9, 8 items uploaded"


def test_a_foreign_half_that_is_not_zero_is_not_balanced(terminal):
    answer = settle(terminal, totals(foreign=(100, 1, 0, 0)))
    assert answer[48] == totals(code=1, foreign_code=2)
    assert settlement_row(terminal.db)[0][:2] == ("uploading", 0)


def test_an_empty_batch_settles_balanced_on_zeros(terminal):
    assert settle(terminal, totals())[48] == totals(code=1, foreign_code=1)


def test_a_settled_batch_stays_settled(terminal):
    db = terminal.db
    terminal.sale(GOOD, 1000)
    payload, first = terminal.send(settle_request(terminal, totals(1000, 1)))
    assert first[48] == totals(1000, 1, code=1, foreign_code=1)
    terminal.sale(GOOD, 500)
    before = snapshot(db)
    assert terminal.send_payload(payload).payload == first.payload
    again = settle(terminal, totals(1500, 2))
    assert again[39] == "00" and again[48] == totals(1000, 1, code=2, foreign_code=1)
    assert snapshot(db)[5] == before[5]
    assert settlement(db)["state"] == "settled"


def test_settling_again_before_the_upload_ends_starts_over(terminal):
    db = terminal.db
    fields, _ = terminal.sale(GOOD, 1000)
    settle(terminal, totals(900, 1))
    terminal.run(upload_request(terminal, [("22", fields[11], 900)]))
    answer = settle(terminal, totals(1000, 1))
    assert answer[48] == totals(1000, 1, code=1, foreign_code=1)
    assert settlement_row(db)[0][:3] == ("settled", 1, 0)
    assert query(db, "SELECT COUNT(*) FROM uploads")[0][0] == 0


def test_replayed_upload_and_upload_end_get_the_stored_answer(terminal):
    fields, _ = terminal.sale(GOOD, 1000)
    settle(terminal, totals(1, 1))
    for request in (upload_request(terminal, [("22", fields[11], 1000)]),
                    upload_end_request(terminal, 1)):
        payload, first = terminal.send(request)
        assert first[39] == "00"
        before = snapshot(terminal.db)
        assert terminal.send_payload(payload).payload == first.payload
        assert snapshot(terminal.db) == before
    assert settlement_row(terminal.db)[0][2:4] == (1, 1)


@pytest.mark.parametrize("request_for, field48, code", [
    ("settle", "0" * 61, "30"),
    ("settle", "0" * 63, "30"),
    ("upload", "00", "30"),
    ("upload", "09" + "22000001000000000100" * 9, "30"),
    ("upload", "02" + "22000001000000000100", "30"),
    ("upload_end", "12", "30"),
])
def test_malformed_field_48_is_30(terminal, request_for, field48, code):
    settle(terminal, totals())
    if request_for == "settle":
        fields = settle_request(terminal, field48)
    elif request_for == "upload":
        fields = upload_request(terminal, [])
        fields[48] = field48
    else:
        fields = upload_end_request(terminal, 0)
        fields[48] = field48
    assert terminal.run(fields)[1][39] == code


def test_upload_for_a_batch_never_settled_is_12(terminal):
    answer = terminal.run(upload_request(terminal, [("22", "000001", 100)]))[1]
    assert answer[39] == "12" and answer.mac_ok(terminal.mak)
    assert terminal.run(upload_end_request(terminal, 1))[1][39] == "12"
    assert query(terminal.db, "SELECT COUNT(*) FROM uploads")[0][0] == 0


def test_settlement_needs_a_mac(terminal):
    answer = terminal.send_payload(terminal.build(settle_request(terminal, totals()),
                                                  mac_key=bytes(8)))
    assert answer[39] == "A0" and 48 not in answer and answer.requirement == 3
    assert query(terminal.db, "SELECT COUNT(*) FROM settlements")[0][0] == 0


def test_batches_settle_separately(terminal):
    terminal.sale(GOOD, 1000)
    settle(terminal, totals(1000, 1))
    terminal.batch = "000002"
    terminal.sign_in()
    terminal.sale(GOOD, 300)
    assert settle(terminal, totals(300, 1))[48] == totals(300, 1, code=1, foreign_code=1)
    assert [r["batch"] for r in json.loads(cli("settlements", "--db", terminal.db))] == \
        ["000001", "000002"]
    assert all(r["terminal_id"] == TID for r in json.loads(cli("settlements", "--db",
                                                               terminal.db)))


def test_void_of_a_sale_in_a_settled_batch_is_12(terminal):
    sale_fields, sale = terminal.sale(GOOD, 1000)
    settle(terminal, totals(1000, 1))
    terminal.batch = "000002"
    terminal.sign_in()
    assert terminal.void(GOOD, sale_fields, sale)[1][39] == "12"
    assert terminal.refund(GOOD, sale, 1000)[1][39] == "00"
