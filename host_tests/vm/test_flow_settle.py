# 结算 with batch upload, the chip transactions' TC upload and power cuts at each step; 交易查询, 重打印
# and the batch roll-over.
from binascii import unhexlify

from flowkit import IMK_AC, Terminal, chip_card
from pos import store
from pos.emv import tlv


class PowerCut(Exception):
    pass


def _batch(sales=3):
    term = Terminal()
    term.login()
    for i in range(sales):
        term.sale(1000 + i)
        term.finish()
    term.slips = []         # the sales' slips, kept by the test's printer, would take the terminal's heap
    return term


def _settle(term):
    term.menu("结算")
    assert "按确认结算" in term.screen, term.screen
    term.keys("ENTER")
    _past_upload_notice(term)


def _past_upload_notice(term):
    if "正在批上送" in term.screen:
        term.advance(3)


def _unbalanced(term):
    term.host.rules["settle"] = lambda req: {48: req[48][:30] + "2" + req[48][31:]}


def test_a_balanced_settlement_prints_totals_rolls_the_journal_and_advances_the_batch():
    term = _batch(3)
    _settle(term)
    req = term.last_request("settle")
    assert req[0] == "0500" and req[60] == "00000001201" and req[63] == "01 "
    assert req[48] == "000000003003003000000000000000" + "0" + "0" * 31
    assert "结算完成" in term.screen and "对账平" in term.screen, term.screen
    slip = "\n".join(term.slips[-1])
    assert "结算单 SETTLEMENT" in slip and "30.03" in slip and "对账平 BALANCED" in slip
    assert "upload" not in term.host.kinds
    assert term.app.counters.batch == 2 and term.transactions() == []
    assert store.load(term.dir, "settle") is None
    previous = term.app.journal.previous()
    assert previous is not None and len([r for r in previous.records() if r.get("k") == "sale"]) == 3
    term.finish()
    term.sale(500)
    assert term.last_request("sale")[60][2:8] == "000002"
    term.close()


def test_voided_sales_and_their_voids_leave_the_totals():
    term = _batch(2)
    sale = term.transactions("sale")[0]
    term.void(sale["trace"])
    term.finish()
    _settle(term)
    assert term.last_request("settle")[48][:15] == "000000001001" + "001"
    term.close()


def test_not_balanced_uploads_every_transaction_eight_a_message_then_the_end():
    term = _batch(10)
    _unbalanced(term)
    _settle(term)
    uploads = [r for r, k in zip(term.host.requests, term.host.kinds) if k == "upload"]
    assert [u[48][:2] for u in uploads] == ["08", "02"]
    assert uploads[0][48][2:22] == "22" + "%06d" % term.app.journal.previous().records().__next__()["trace"] \
        + "000000001000"
    end = term.last_request("upload_end")
    assert end[48] == "0010" and end[60][8:11] == "202"
    assert "对账不平" in term.screen
    assert "对账不平 NOT BALANCED" in "\n".join(term.slips[-1])
    assert term.app.counters.batch == 2
    term.close()


def test_an_answer_without_totals_is_taken_as_not_balanced():
    term = _batch(1)
    term.host.rules["settle"] = lambda req: {48: "12"}
    _settle(term)
    assert "upload" in term.host.kinds and "upload_end" in term.host.kinds
    term.close()


def _cut(term, kind, nth=1):
    count = [0]

    def rule(req):
        count[0] += 1
        if count[0] == nth:
            raise PowerCut()
        return None
    term.host.rules[kind] = rule


def _resume(host, state_dir):
    again = Terminal(host=host, state_dir=state_dir)
    again.login(idle=False)     # the idle screen after sign-in resumes the settlement
    _past_upload_notice(again)
    return again


def _power_cut_and_resume(kind, nth):
    """A batch of 9 settled not balanced, the power cut at the nth request of kind; the terminal
    started again on the same flash goes on from there."""
    term = _batch(9)
    _unbalanced(term)
    _cut(term, kind, nth)
    try:
        _settle(term)
        assert False, "no power cut"
    except PowerCut:
        pass
    assert store.load(term.dir, "settle") is not None
    term.host.rules.pop(kind)
    _unbalanced(term)
    host, state_dir = term.host, term.dir
    term = None                 # the power went: the App it ran is gone with the heap
    again = _resume(host, state_dir)
    assert again.app.counters.batch == 2, (kind, nth, again.screen)
    assert store.load(state_dir, "settle") is None
    sent = sum(int(r[48][:2]) for r, k in zip(host.requests, host.kinds) if k == "upload")
    assert sent >= 9, (kind, nth, sent)
    assert again.last_request("upload_end")[48] == "0009"
    assert "结算单 SETTLEMENT" in again.slips[-1][0]
    again.close()


def test_a_power_cut_at_each_step_resumes_where_it_was():
    for kind, nth in (("settle", 1), ("upload", 1), ("upload", 2), ("upload_end", 1)):
        _power_cut_and_resume(kind, nth)


def test_a_power_cut_after_the_roll_prints_the_slip_at_the_next_start():
    term = _batch(2)
    term.paper = False
    _settle(term)
    assert "缺纸" in term.screen
    assert store.load(term.dir, "settle")["step"] == "print"
    again = _resume(term.host, term.dir)
    assert again.app.counters.batch == 2 and "结算单 SETTLEMENT" in again.slips[-1][0]
    assert store.load(term.dir, "settle") is None
    term.close()


def test_no_transaction_starts_while_a_settlement_is_unfinished():
    term = _batch(1)
    term.host.rules["settle"] = lambda req: "timeout"
    _settle(term)
    assert "结算未完成" in term.screen
    term.finish()
    term.menu("消费")
    assert "请先完成结算" in term.screen
    term.host.rules.clear()
    term.finish()
    _settle(term) if "按确认结算" in term.screen else term.menu("结算")
    assert "结算完成" in term.screen
    term.close()


def test_queries_find_by_trace_date_and_amount_and_show_totals():
    term = _batch(3)
    sale = term.transactions("sale")[1]
    term.menu("交易查询", "按凭证号")
    term.type(str(sale["trace"]))
    term.keys("ENTER")
    assert "共1笔" in term.screen
    term.keys("1")
    assert "10.01" in term.screen and sale["ref"] in term.screen
    term.keys("ENTER CANCEL")
    term.select("按日期")
    term.type("1123")
    term.keys("ENTER")
    assert "共3笔" in term.screen
    term.keys("CANCEL")
    term.select("按金额")
    term.type("1002")
    term.keys("ENTER")
    assert "共1笔" in term.screen
    term.keys("CANCEL")
    term.select("当批汇总")
    rows = [line.split() for line in term.app.screen.lines]
    assert ["消费", "3", "30.03"] in rows and ["借记", "3", "30.03"] in rows
    term.close()


def test_reprint_the_last_slip_by_trace_and_the_settlement():
    term = _batch(2)
    printed = len(term.slips)
    term.menu("重打印", "最后一笔")
    term.tear_off()
    assert len(term.slips) == printed + 2 and "重打印 DUPLICATE" in term.slips[-1]
    term.finish()
    first = term.transactions("sale")[0]
    term.menu("重打印", "按凭证号")
    term.type(str(first["trace"]))
    term.keys("ENTER")
    term.tear_off()
    assert "10.00" in "\n".join(term.slips[-1])
    term.finish()
    _settle(term)
    term.finish()
    term.menu("重打印", "结算单")
    assert "重打印 DUPLICATE" in term.slips[-1]
    term.close()


def test_a_pending_reversal_goes_to_the_host_before_the_settlement():
    term = _batch(1)
    term.host.rules["sale"] = lambda req: "timeout"
    term.sale(700)
    term.host.rules.clear()
    term.finish()
    _settle(term)
    kinds = term.host.kinds
    assert kinds.index("reversal") < kinds.index("settle")
    assert term.last_request("settle")[48][:15] == "000000001000001"
    term.close()


def _chip_sale(term, fen):
    term.menu("消费")
    term.type(str(fen))
    term.keys("ENTER")
    term.insert(chip_card("chip"))
    term.pin()
    term.tear_off()
    term.keys("ENTER")
    term.remove()
    assert "欢迎使用" in term.screen, term.screen


def _tap_sale(term, fen):
    term.menu("消费")
    term.type(str(fen))
    term.keys("ENTER")
    term.tap(chip_card("tap"))
    term.field = None
    term.tear_off()
    term.finish()


def _settlement_kinds(term):
    return [k for k in term.host.kinds if k in ("settle", "upload", "tc_upload", "upload_end")]


def test_a_chip_sale_sends_its_tc_at_settlement_and_a_swipe_and_a_tap_send_none():
    term = Terminal()
    term.login()
    term.sale(1000)
    term.finish()
    _chip_sale(term, 2500)
    _tap_sale(term, 500)
    term.slips = []
    [chip] = [r for r in term.transactions("sale") if r["entry"] == "chip"]
    [online] = [r for r, k in zip(term.host.requests, term.host.kinds) if k == "sale" and r[22] == "051"]
    assert chip["cgt"] == "TC" and chip["iad"][:6] == "070101"
    _settle(term)
    assert _settlement_kinds(term) == ["settle", "tc_upload"], term.host.kinds
    req = term.last_request("tc_upload")
    assert req[0] == "0320" and req[60] == "00000001203" and 2 not in req and 35 not in req
    assert req[61] == "000001" + "%06d" % chip["trace"] + chip["date"][4:8] and req[4] == "000000002500"
    assert req[11] != online[11] and 64 in req
    icc = tlv.flatten(req[55])
    assert icc == {0x9F26: unhexlify(chip["cg"]), 0x9F27: b"\x40", 0x9F36: unhexlify(chip["atc"]),
                   0x95: unhexlify(chip["tvr"]), 0x9B: unhexlify(chip["tsi"]), 0x9F10: unhexlify(chip["iad"])}
    # The card's TC over what it was given at its second GENERATE AC: the request's data, this 95, 9F36, 9F10.
    from drivers.fakes import chipcard
    sent = tlv.flatten(online[55])
    key = chipcard.session_key(chipcard.icc_master_key(IMK_AC, online[2], online[23][-2:]), icc[0x9F36])
    signed = (sent[0x9F02] + sent[0x9F03] + sent[0x9F1A] + icc[0x95] + sent[0x5F2A] + sent[0x9A] + sent[0x9C]
              + sent[0x9F37] + sent[0x82] + icc[0x9F36] + icc[0x9F10][3:7])
    assert chipcard.mac3(key, signed) == icc[0x9F26] != sent[0x9F26]
    assert "结算完成" in term.screen and term.app.counters.batch == 2, term.screen
    assert store.load(term.dir, "settle") is None
    term.close()


def test_not_balanced_the_tcs_go_after_the_batch_upload_and_before_its_end():
    term = Terminal()
    term.login()
    _chip_sale(term, 800)
    term.slips = []
    _unbalanced(term)
    _settle(term)
    assert _settlement_kinds(term) == ["settle", "upload", "tc_upload", "upload_end"], term.host.kinds
    assert term.last_request("upload_end")[48] == "0001"       # the batch upload's items, not the TCs
    assert "对账不平" in term.screen, term.screen
    term.close()


def test_a_power_cut_during_the_tc_uploads_resumes_without_sending_a_tc_twice():
    term = Terminal()
    term.login()
    for fen in (1000, 1001, 1002):
        _chip_sale(term, fen)
    traces = [r["trace"] for r in term.transactions("sale")]
    term.slips = []
    _cut(term, "tc_upload", 2)
    try:
        _settle(term)
        assert False, "no power cut"
    except PowerCut:
        pass
    doc = store.load(term.dir, "settle")
    assert doc["step"] == "tc" and doc["tcs"] == 1, doc
    term.host.rules.pop("tc_upload")
    host, state_dir = term.host, term.dir
    term = None                 # the power went: the App it ran is gone with the heap
    again = _resume(host, state_dir)
    sent = [int(r[61][6:12]) for r, k in zip(host.requests, host.kinds) if k == "tc_upload"]
    assert sent == [traces[0], traces[1], traces[1], traces[2]], sent     # only the unanswered one again
    assert again.app.counters.batch == 2 and store.load(state_dir, "settle") is None
    assert "结算单 SETTLEMENT" in again.slips[-1][0]
    again.close()
