"""电子签购单上送 (0820, 60.3 800) at the acquirer, on SQLite and PostgreSQL: receipts in parts
joined and checked whole, kept once per (terminal, batch, voucher, type) whatever is replayed, and
every malformed part or receipt refused with 30 and nothing kept."""
import hashlib
import os
import sys

import pytest

from test_acquirer import MID, TESTDATA, TID
from test_acquirer_menu import MenuTerminal
from tools.acquirer import handlers, receipts, store

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "firmware"))
from pos import ereceipt  # noqa: E402  the terminal's own encoder: the acquirer reads what it writes
from pos.signature import SAMPLE  # noqa: E402


@pytest.fixture
def terminal(store_url):
    url = store_url
    db = store.Store(url)
    db.seed(TESTDATA)
    t = MenuTerminal(handlers.Host(db), url)
    t.store = db
    t.sign_in()
    yield t
    db.close()


SLIP = (("商户名称 MERCHANT NAME:", "测试商户"), ("卡号 CARD NO.:", "622202*********0017 /S"),
        ("金额 AMOUNT RMB:", "RMB 1500.00"))


def _values(trace="000008", kind="sale", amount="150000", over=None):
    values = {0xDF02: kind, 0xDF03: "reversed" if kind == "reversal" else "approved", 0xDF04: amount,
              0xDF05: "000001", 0xDF06: trace, 0xDF07: "20261123101500", 0xDF08: "622202*********0017",
              0xDF09: "101500000001", 0xDF0A: "123456", 0xDF0B: "01", 0xDF10: TID, 0xDF11: MID}
    values.update(over or {})
    return values


def _receipt(signature=SAMPLE, **kw):
    return ereceipt.build(_values(**kw), lambda: iter(SLIP), signature)


def _send(t, data, waiting=1, mac=True, parts=None, trace=None, kind=None):
    """The receipt's parts, each an 0820; -> the answers."""
    kind = kind or _tag(data, 0xDF02)
    count = ereceipt.part_count(data)
    answers = []
    for i in range(count) if parts is None else parts:
        items = [("PN", "%02d" % (i + 1)), ("PC", "%02d" % count), ("TY", kind), ("QN", str(waiting)),
                 ("RD", data[i * ereceipt.CHUNK:(i + 1) * ereceipt.CHUNK])]
        payload = t.build({0: "0820", 11: t.next_trace(), 41: TID, 42: MID, 60: "00" + t.batch + "800",
                           61: "000001%s1123" % (trace or _tag(data, 0xDF06)), 62: _items(items)}, mac=mac)
        answers.append(t.send_payload(payload))
    return answers


def _items(items):
    out = bytearray()
    for tag, value in items:
        raw = value if isinstance(value, bytes) else value.encode()
        out += tag.encode() + b"%03d" % len(raw) + raw
    return bytes(out)


def _tag(data, tag):
    from pos.emv.tlv import find
    return find(data, tag).decode()


def _kept(t):
    """The merchant's receipts the back-office would list."""
    with t.store.transaction():
        return [r._mapping for r in receipts.search(t.store.connection(), MID, {}, 1, 50)["rows"]]


def _full(t, receipt_id):
    with t.store.transaction():
        return receipts.get(t.store.connection(), MID, receipt_id)


def test_a_signed_receipt_is_kept_with_its_slip_and_signature(terminal):
    data = _receipt()
    [answer] = _send(terminal, data, waiting=3)
    assert answer[39] == "00" and answer.mac_ok(terminal.mak) and answer[61] == "0000010000081123"
    [row] = _kept(terminal)
    assert (row["trace"], row["type"], row["amount_fen"], row["masked_pan"], row["signed"]) == \
        ("000008", "sale", 150000, "622202*********0017", True)
    full = _full(terminal, row["id"])
    assert full["slip"] == [list(pair) for pair in SLIP]
    assert bytes(full["signature"]) == SAMPLE and full["signature_sha256"] == hashlib.sha256(SAMPLE).hexdigest()
    assert full["rrn"] == "101500000001" and full["operator"] == "01"
    assert terminal.store.terminal(TID)["receipts_pending"] == 2


def test_a_receipt_in_parts_is_kept_once_the_last_part_came(terminal):
    data = _receipt(signature=bytes(2000))        # not a signature: refused when whole
    assert ereceipt.part_count(data) == 3
    first, second, last = _send(terminal, data)
    assert (first[39], second[39], last[39]) == ("00", "00", "30")
    assert _kept(terminal) == []
    from pos.signature import Pad
    pad = Pad(320, 192)
    for i in range(400):
        pad.add(10 + (i * 7) % 300, 10 + (i * 13) % 170)
    long = _receipt(signature=pad.encode(), trace="000009")
    count = ereceipt.part_count(long)
    assert count > 1
    answers = _send(terminal, long)
    assert [a[39] for a in answers] == ["00"] * count and len(_kept(terminal)) == 1
    assert bytes(_full(terminal, _kept(terminal)[0]["id"])["signature"]) == pad.encode()


def test_a_lost_acknowledgement_never_doubles_a_receipt(terminal):
    data = _receipt()
    frames = []
    original = terminal.build

    def keep(fields, **kw):
        payload = original(fields, **kw)
        frames.append(payload)
        return payload
    terminal.build = keep
    _send(terminal, data)
    terminal.build = original
    replay = terminal.send_payload(frames[0])            # the same bytes again: the stored answer
    assert replay[39] == "00"
    [again] = _send(terminal, data, waiting=1)           # sent anew with a new trace: kept already
    assert again[39] == "00"
    assert len(_kept(terminal)) == 1


def test_the_same_voucher_has_a_receipt_per_type(terminal):
    _send(terminal, _receipt(signature=None, kind="sale"))
    _send(terminal, _receipt(signature=None, kind="reversal"))
    assert sorted(r["type"] for r in _kept(terminal)) == ["reversal", "sale"]


def test_a_void_marks_its_sales_receipt_voided(terminal):
    _send(terminal, _receipt(signature=None))
    [answer] = _send(terminal, ereceipt.build(_values(trace="000009", kind="void", amount="150000",
                                                      over={0xDF0F: "000001000008"}), lambda: iter(SLIP), None))
    assert answer[39] == "00"
    assert sorted((r["type"], r["state"]) for r in _kept(terminal)) == [("sale", "voided"), ("void", "approved")]
    wrong = ereceipt.build(_values(trace="000010", over={0xDF0F: "000001000008"}), lambda: iter(SLIP), None)
    assert _send(terminal, wrong)[0][39] == "30"         # only a void names an original


def test_a_bad_mac_is_answered_a0_and_nothing_is_kept(terminal):
    data = _receipt()
    payload = terminal.build({0: "0820", 11: terminal.next_trace(), 41: TID, 42: MID, 60: "00000001800",
                              61: "0000010000081123", 62: _items([("PN", "01"), ("PC", "01"), ("TY", "sale"),
                                                                  ("QN", "1"), ("RD", data)])})
    tampered = payload[:-9] + bytes([payload[-9] ^ 1]) + payload[-8:]
    assert terminal.send_payload(tampered)[39] == "A0"
    assert _kept(terminal) == []


@pytest.mark.parametrize("case", [
    "signature_truncated", "signature_oversized", "binding", "clear_pan", "another_terminal", "voucher_not_61",
    "unknown_tag", "no_slip_tab", "bad_date", "type_not_ty", "part_out_of_range", "short_middle_part",
    "html_and_sql"])
def test_a_receipt_that_does_not_read_is_refused_and_nothing_is_kept(terminal, case):
    good = _receipt()
    if case == "signature_truncated":
        data, kw = _receipt(signature=SAMPLE[:-5]), {}
    elif case == "signature_oversized":
        from pos.emv.tlv import encode
        unsigned = _receipt(signature=None)
        cut = unsigned.index(b"\xdf\x0e\x20")
        data, kw = unsigned[:cut] + encode(0xDF0D, SAMPLE + bytes(4000)) + unsigned[cut:], {}
    elif case == "binding":
        data, kw = good.replace(b"150000", b"150001", 1), {}
    elif case == "clear_pan":
        data, kw = good.replace(b"622202*********0017", b"6222021000000000017"), {}
    elif case == "another_terminal":
        data, kw = good.replace(TID.encode(), b"87654321"), {}
    elif case == "voucher_not_61":
        data, kw = good, {"trace": "000099"}
    elif case == "unknown_tag":
        data, kw = good + b"\xdf\x20\x01\x00", {}
    elif case == "no_slip_tab":
        data, kw = ereceipt.build(_values(), lambda: iter((("line without a tab", ""),)), None).replace(
            b"line without a tab\t", b"line without a tab "), {}
    elif case == "bad_date":
        data, kw = good.replace(b"20261123101500", b"20261323101500"), {}
    elif case == "type_not_ty":
        data, kw = good, {"kind": "void"}
    elif case == "part_out_of_range":
        data, kw = good, {"parts": [1]}
    elif case == "short_middle_part":
        data, kw = good, {}
    else:
        data, kw = good, {}
    if case == "short_middle_part":
        answers = [terminal.send_payload(terminal.build({0: "0820", 11: terminal.next_trace(), 41: TID, 42: MID,
                                                         60: "00000001800", 61: "0000010000081123",
                                                         62: _items([("PN", "01"), ("PC", "02"), ("TY", "sale"),
                                                                     ("QN", "1"), ("RD", data[:100])])}))]
    elif case == "html_and_sql":
        hostile = ereceipt.build(_values(over={0xDF09: "X'); DROP TAB"}),
                                 lambda: iter((("<script>alert(1)</script>", "'; DROP TABLE receipts; --"),)), None)
        answers = _send(terminal, hostile)
        assert [a[39] for a in answers] == ["30"]            # DF09 of that text is no reference number
        hostile = ereceipt.build(_values(), lambda: iter((("<script>alert(1)</script>", "'; DROP TABLE receipts;--"),)),
                                 None)
        assert [a[39] for a in _send(terminal, hostile)] == ["00"]     # kept as text, harmless
        [row] = _kept(terminal)
        assert _full(terminal, row["id"])["slip"] == [["<script>alert(1)</script>", "'; DROP TABLE receipts;--"]]
        return
    else:
        answers = _send(terminal, data, **kw)
    assert answers[-1][39] == "30", (case, [a.fields.get(39) for a in answers])
    assert _kept(terminal) == []
    with terminal.store.transaction():
        left = terminal.store.connection().exec_driver_sql("SELECT count(*) FROM receipt_parts").scalar()
    assert left == 0                                         # the parts so far are dropped too
