# 电子签购单: receipts queued after the money path's journal, sent from the idle screen in 0820 parts,
# retried with backoff, reported at settlement; the slips made optional.
import hashlib

from flowkit import Terminal
from pos import ereceipt, tlv
from pos.emv.tlv import find
from pos.flows import esync
from pos.outbox import Outbox
from pos.results import LINK_DOWN, OK


def _signed_in(**settings):
    term = Terminal(settings=settings or None)
    term.login()
    return term


def _waiting(term):
    box = Outbox(term.dir)
    return [box.get(at) for at in box.waiting()]


def _uploads(term):
    """The receipts the host was sent, joined from their parts, with the parts' items."""
    out, parts = [], []
    for req, kind in zip(term.host.requests, term.host.kinds):
        if kind != "ereceipt":
            continue
        items = tlv.decode(req[62])
        parts.append(items["RD"])
        if int(items["PN"]) == int(items["PC"]):
            out.append((req, items, b"".join(parts)))
            parts = []
    return out


def _binding(data):
    h = hashlib.sha256()
    for tag in (0xDF10, 0xDF05, 0xDF06, 0xDF02, 0xDF04, 0xDF07):
        h.update(find(data, tag) + b"|")
    h.update(find(data, 0xDF0D) or b"")
    return h.digest()


def test_a_sale_queues_its_receipt_and_the_idle_screen_sends_it_after_the_sync_interval():
    term = _signed_in()
    term.sale(12345)
    term.finish()
    [data] = _waiting(term)
    assert "ereceipt" not in term.host.kinds
    term.advance(31)
    [(req, items, sent)] = _uploads(term)
    assert sent == data and _waiting(term) == [] and term.app.receipts_at is None
    [sale] = term.transactions("sale")
    assert req[61] == "%06d%06d%s" % (sale["batch"], sale["trace"], sale["date"][4:8])
    assert (items["PN"], items["PC"], items["TY"], items["QN"]) == (b"01", b"01", b"sale", b"1")
    assert find(sent, 0xDF02) == b"sale" and find(sent, 0xDF04) == b"12345" and find(sent, 0xDF03) == b"approved"
    assert find(sent, 0xDF06) == b"%06d" % sale["trace"] and find(sent, 0xDF08) == b"622202*********0017"
    assert find(sent, 0xDF10) == b"12345678" and find(sent, 0xDF11) == b"123456789012345"
    assert find(sent, 0xDF0E) == _binding(sent) and find(sent, 0xDF0D) is None
    slip = find(sent, 0xDF0C).decode().split("\n")
    assert slip[0] == "商户名称 MERCHANT NAME:\t测试商户" and "金额 AMOUNT RMB:\tRMB 123.45" in slip
    assert "凭证号 VOUCHER NO.:\t%06d" % sale["trace"] in slip
    assert b"6222021000000000017" not in sent
    assert req[11] != "%06d" % sale["trace"]              # a message of its own, with a trace of its own
    term.close()


def test_no_link_keeps_the_receipt_and_tries_again_later_once():
    term = _signed_in()
    term.sale(500)
    term.finish()
    term.link = LINK_DOWN
    term.advance(31)
    assert len(_waiting(term)) == 1 and term.app.receipts_backoff == esync.BACKOFF_FIRST
    term.advance(31)                                       # down again: the wait doubles
    assert term.app.receipts_backoff == 2 * esync.BACKOFF_FIRST
    term.link = OK
    term.advance(2 * esync.BACKOFF_FIRST + 1)
    assert len(_uploads(term)) == 1 and _waiting(term) == [] and term.app.receipts_backoff == 0
    term.advance(300)
    assert len(_uploads(term)) == 1
    term.close()


def test_an_unanswered_part_leaves_the_receipt_queued_and_it_goes_whole_next_time():
    term = _signed_in()
    term.sale(500)
    term.finish()
    term.host.rules["ereceipt"] = lambda req: "timeout"
    term.advance(31)
    term.finish()
    assert len(_waiting(term)) == 1
    del term.host.rules["ereceipt"]
    term.advance(esync.BACKOFF_FIRST + 1)
    assert term.host.kinds.count("ereceipt") == 2 and _waiting(term) == []
    term.close()


def test_a_receipt_the_host_refuses_stays_queued_and_the_next_one_still_goes():
    term = _signed_in()
    term.sale(100)
    term.finish()
    term.sale(200)
    term.finish()
    term.host.rules["ereceipt"] = lambda req: {39: "30"} if find(tlv.decode(req[62])["RD"], 0xDF04) == b"100" else None
    term.advance(31)
    [left] = _waiting(term)
    assert find(left, 0xDF04) == b"100" and term.app.receipts_at is None
    term.close()


def test_a_receipt_longer_than_a_part_goes_in_parts_that_join_to_it():
    values = {0xDF02: "sale", 0xDF03: "approved", 0xDF04: "100", 0xDF05: "000001", 0xDF06: "000009",
              0xDF07: "20261123101010", 0xDF10: "12345678", 0xDF11: "123456789012345"}
    signature = bytes(range(256)) * 8
    data = ereceipt.build(values, lambda: iter((("a", "b"),)), signature)
    count = ereceipt.part_count(data)
    assert count == 3
    parts = [tlv.decode(ereceipt.part(data, i, 4)) for i in range(count)]
    assert [(p["PN"], p["PC"], p["TY"], p["QN"]) for p in parts] == [(b"01", b"03", b"sale", b"4"), (b"02", b"03", b"sale", b"4"),
                                                                    (b"03", b"03", b"sale", b"4")]
    assert [len(p["RD"]) for p in parts[:2]] == [ereceipt.CHUNK] * 2
    assert b"".join(p["RD"] for p in parts) == data and find(data, 0xDF0D) == signature


def test_a_void_and_an_accepted_reversal_have_receipts_of_their_own():
    term = _signed_in()
    term.sale(800)
    term.finish()
    [sale] = term.transactions("sale")
    term.void(sale["trace"])
    term.finish()
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(900)
    term.finish()
    del term.host.rules["sale"]
    term.advance(31)                # the reversal goes first on the receipts' connection, then its receipt
    kinds = [find(d, 0xDF02) for _, _, d in _uploads(term)]
    assert kinds == [b"sale", b"void", b"reversal"], kinds
    void = _uploads(term)[1][2]
    assert find(void, 0xDF0F) == b"%06d%06d" % (sale["batch"], sale["trace"]) and find(_uploads(term)[0][2], 0xDF0F) is None
    [(_, _, rev)] = [u for u in _uploads(term) if find(u[2], 0xDF02) == b"reversal"]
    assert find(rev, 0xDF03) == b"reversed" and find(rev, 0xDF04) == b"900"
    assert "交易类型 TRANS TYPE:\t冲正 REVERSAL 消费 SALE" in find(rev, 0xDF0C).decode()
    term.close()


def test_settlement_queues_its_own_receipt_and_says_how_many_still_wait():
    term = _signed_in()
    term.sale(1000)
    term.finish()
    term.sale(2000)
    term.finish()
    term.slips = []
    term.menu("结算")
    term.keys("ENTER")
    assert "电子签购单待上送 3 笔" in term.screen, term.screen
    assert "电子签购单待上送 3 笔 E-RECEIPTS WAITING" in term.slips[-1]
    term.finish()
    term.advance(31)
    kinds = [find(d, 0xDF02) for _, _, d in _uploads(term)]
    assert kinds == [b"sale", b"sale", b"settle"]
    settle = _uploads(term)[-1][2]
    assert find(settle, 0xDF03) == b"settled" and find(settle, 0xDF04) == b"3000"
    assert "借记 DEBIT\t2 / 30.00" in find(settle, 0xDF0C).decode()
    term.close()


def test_a_full_queue_warns_the_merchant_and_the_sale_still_stands():
    term = _signed_in(outbox_max_bytes=2400)
    warned = []
    for fen in (100, 200, 300):
        term.sale(fen)
        warned.append("电子签购单存储已满" in term.screen)
        term.finish()
    assert warned == [False, False, True]
    assert [s["amt"] for s in term.transactions("sale")] == [100, 200, 300]
    assert len(term.slips) == 6 and len(_waiting(term)) == 2
    term.close()


def test_no_slip_setting_prints_nothing_and_a_reprint_gives_the_cardholder_copy():
    term = _signed_in(copies=0)
    term.sale(4321)
    assert term.slips == [] and "交易成功" in term.screen
    term.finish()
    assert len(_waiting(term)) == 1
    term.menu("重打印", "最后一笔")
    term.finish()
    assert len(term.slips) == 1 and "持卡人存根 CARDHOLDER COPY" in term.slips[0]
    term.close()


def test_a_power_cut_before_the_receipt_was_queued_queues_it_at_the_next_start():
    term = _signed_in()
    term.sale(600)
    term.finish()
    box = Outbox(term.dir)
    for at in box.waiting():
        box.ack(at)                           # as if the power went between the journal and the queue
    journal = term.journal()
    # the sale's printed records dropped with the power: rewrite the journal without them
    from pos.journal import Journal
    import os
    os.remove(term.dir + "/journal.bin")
    j = Journal(term.dir)
    for r in journal:
        if r.get("k") != "printed":
            j.append(r)
    again = Terminal(host=term.host, state_dir=term.dir)
    [data] = _waiting(again)
    assert find(data, 0xDF04) == b"600" and again.app.receipts_at is not None
    term.close()
