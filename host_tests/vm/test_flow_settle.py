# 结算 with batch upload and power cuts at each step; 交易查询, 重打印 and the batch roll-over.
from flowkit import Terminal
from pos import store


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
