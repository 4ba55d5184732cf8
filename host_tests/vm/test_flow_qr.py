# 扫码: QR payments both ways, driven without the simulator (docs/protocol.md section 13).
import os

from flowkit import Terminal
from qrkit import QrHost
from pos import ledger, store, tlv

CODE = "134567890123456781"
SLOW = "284567890123456782"


def _signed_in(host=None):
    term = Terminal(host=host or QrHost())
    term.login()
    return term


def _scan(term, code):
    """The scanner reads a code."""
    term.app.scan(("scan", code))
    term.pump()


def _scan_sale(term, fen, code=CODE):
    term.menu("扫码", "扫码消费")
    term.type(str(fen))
    term.keys("ENTER")
    assert "请扫描付款码" in term.screen, term.screen
    _scan(term, code)


def _pending(term):
    """The sale answered Q1, every query too, unless a test says otherwise."""
    term.host.rules["qr_sale"] = lambda req: {39: "Q1", 62: tlv.encode((("ON", "ON77"), ("WL", "ZF")))}
    term.host.rules["qr_query"] = lambda req: {39: "Q1"}


def _no_code_on_flash(term, code):
    for name in os.listdir(term.dir):
        path = term.dir + "/" + name
        try:
            with open(path, "rb") as f:
                assert code.encode() not in f.read(), name
        except OSError:
            pass


def _wait(term, secs):
    """secs seconds pass, the host's answers coming as each second's requests go."""
    for _ in range(secs):
        term.advance(1)


def _queries(term):
    return [k for k in term.host.kinds if k in ("qr_query", "qr_cancel")]


def test_a_payment_code_scanned_is_paid_at_once_and_printed_masked():
    term = _signed_in()
    _scan_sale(term, 2550)
    term.tear_off()
    assert "交易成功" in term.screen and "25.50" in term.screen, term.screen
    req = term.last_request("qr_sale")
    assert req[0] == "0200" and req[3] == "000000" and req[60][:2] == "70" and req[22] == "030"
    assert req[25] == "00" and req[4] == "000000002550" and 2 not in req and 35 not in req and 52 not in req
    assert tlv.decode(req[62]) == {"QC": CODE.encode()}
    [record] = term.transactions("qr_sale")
    assert record["st"] == "approved" and record["amt"] == 2550 and record["code"] == "134567********6781"
    assert record["wl"] == "WX" and record["on"]
    slip = "\n".join(term.slips[0])
    assert len(term.slips) == 2 and "扫码消费" in slip and "134567********6781" in slip and "微信支付" in slip
    assert CODE not in slip and "持卡人签名" not in slip
    assert store.load(term.dir, "reversal") is None
    _no_code_on_flash(term, CODE)
    term.finish()
    term.menu("重打印", "重打印最后一笔")
    term.tear_off()
    reprint = "\n".join(term.slips[-1])
    assert len(term.slips) == 4 and "重打印" in reprint and "扫码消费" in reprint and "134567********6781" in reprint
    term.close()


def test_a_code_can_be_keyed_and_a_bad_one_is_refused_without_a_request():
    term = _signed_in()
    term.menu("扫码", "扫码消费")
    term.type("100")
    term.keys("ENTER")
    _scan(term, "12345")
    assert "付款码无效" in term.screen and "qr_sale" not in term.host.kinds
    term.keys("ENTER")
    term.app.scan(("scan_error", "too_long"))
    term.pump()
    assert "付款码无效" in term.screen
    term.keys("ENTER")
    term.type("624567890123456785")
    term.keys("ENTER")
    term.tear_off()
    assert "交易成功" in term.screen
    assert tlv.decode(term.last_request("qr_sale")[62])["QC"] == b"624567890123456785"
    term.close()


def test_a_pending_payment_is_asked_about_at_2_4_8_s_and_concluded_once_paid():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 8800, SLOW)
    assert "等待用户支付" in term.screen, term.screen
    assert store.load(term.dir, "reversal")["record"]["k"] == "qr_sale"      # armed while the order is open
    term.advance(1)
    assert _queries(term) == []
    term.advance(1)
    assert _queries(term) == ["qr_query"]
    query = term.last_request("qr_query")
    sale = term.last_request("qr_sale")
    assert query[0] == "0100" and query[3] == "300000" and query[60][:2] == "72"
    assert query[61] == sale[60][2:8] + sale[11] + "1123"
    term.advance(2)
    assert _queries(term) == ["qr_query"] * 2
    del term.host.rules["qr_query"]                     # the customer keyed the phone's password
    term.advance(4)
    term.tear_off()
    assert _queries(term) == ["qr_query"] * 3 and "交易成功" in term.screen, term.screen
    [record] = term.transactions("qr_sale")
    assert record["st"] == "approved" and record["amt"] == 8800 and record["auth"]
    assert store.load(term.dir, "reversal") is None and len(term.slips) == 2
    term.close()


def test_a_payment_still_pending_after_60_s_is_cancelled_and_charges_nothing():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 500, SLOW)
    _wait(term, 59)
    assert _queries(term) == ["qr_query"] * 5, _queries(term)       # at 2, 4, 8, 16 and 32 s
    term.advance(1)
    assert _queries(term)[-1] == "qr_cancel" and "订单已关闭" in term.screen, term.screen
    cancel = term.last_request("qr_cancel")
    assert cancel[3] == "200000" and cancel[60][:2] == "73" and cancel[4] == "000000000500"
    assert cancel[61] == term.last_request("qr_query")[61]
    [record] = term.transactions("qr_sale")
    assert record["st"] == "declined" and record["rc"] == "Q2"
    assert store.load(term.dir, "reversal") is None and term.slips == []
    assert ledger.totals(term.app.journal)[1] == (0, 0, 0, 0)
    term.close()


def test_the_merchant_may_cancel_a_pending_payment_and_one_paid_meanwhile_stands():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 700, SLOW)
    term.host.rules["qr_cancel"] = lambda req: {39: "Q4", 38: "654321", 62: tlv.encode((("ON", "ON77"), ("WL", "ZF")))}
    term.keys("CANCEL")
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    [record] = term.transactions("qr_sale")
    assert record["st"] == "approved" and record["auth"] == "654321" and record["wl"] == "ZF"
    assert "支付宝" in "\n".join(term.slips[0])
    term.close()


def test_cancel_or_enter_pressed_while_a_query_is_out_is_not_lost():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 900, SLOW)

    def query(req):
        term.app.key("CANCEL")              # pressed while the terminal waits for the host
        return {39: "Q1"}
    term.host.rules["qr_query"] = query
    term.advance(2)
    assert _queries(term) == ["qr_query", "qr_cancel"] and "订单已关闭" in term.screen, term.screen
    term.close()


def test_a_cancel_without_an_answer_leaves_the_reversal_and_the_next_boot_asks_the_host_first():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 1200, SLOW)
    term.host.rules["qr_cancel"] = lambda req: "timeout"
    term.keys("CANCEL")
    assert "订单状态不明" in term.screen, term.screen
    assert store.load(term.dir, "reversal")["record"]["k"] == "qr_sale"
    assert term.transactions() == []
    # The power goes; at the next boot the order was paid after all.
    del term.host.rules["qr_query"]
    host_kinds = len(term.host.kinds)
    again = Terminal(host=term.host, state_dir=term.dir)
    again.login(idle=False)
    again.tear_off()
    kinds = term.host.kinds[host_kinds:]
    assert kinds[:2] == ["signin", "qr_query"] and "reversal" not in kinds, kinds
    assert "交易成功" in again.screen, again.screen
    [record] = again.transactions("qr_sale")
    assert record["st"] == "approved" and record["amt"] == 1200 and len(again.slips) == 2
    assert store.load(term.dir, "reversal") is None
    again.finish()
    term.close()


def test_a_power_cut_while_pending_has_the_open_order_cancelled_at_boot():
    term = _signed_in()
    _pending(term)
    _scan_sale(term, 1300, SLOW)
    term.advance(2)
    again = Terminal(host=term.host, state_dir=term.dir)
    again.login(idle=False)
    assert "订单已关闭" in again.screen, again.screen
    assert term.host.kinds[-2:] == ["qr_query", "qr_cancel"]
    [record] = again.transactions("qr_sale")
    assert record["st"] == "declined" and record["rc"] == "Q2"
    assert store.load(term.dir, "reversal") is None
    term.close()


def test_declines_are_journaled_and_nothing_is_left_to_reverse():
    term = _signed_in()
    for code, rc, text in (("51", "51", "余额不足"), ("Q3", "Q3", "付款码无效")):
        term.host.rules["qr_sale"] = lambda req, rc=rc: {39: rc}
        _scan_sale(term, 300)
        assert text in term.screen, term.screen
        term.finish()
    assert [r["rc"] for r in term.transactions("qr_sale")] == ["51", "Q3"]
    assert store.load(term.dir, "reversal") is None and term.slips == []
    term.close()


def test_a_sale_without_an_answer_is_reversed_before_the_next_request():
    term = _signed_in()
    term.host.rules["qr_sale"] = lambda req: "timeout"
    _scan_sale(term, 400)
    term.finish()
    assert store.load(term.dir, "reversal")["record"]["k"] == "qr_sale"
    del term.host.rules["qr_sale"]
    _scan_sale(term, 400, "624567890123456785")
    term.tear_off()
    kinds = term.host.kinds
    assert kinds[-2:] == ["reversal", "qr_sale"], kinds
    rev = term.last_request("reversal")
    assert rev[60][:2] == "70" and 62 not in rev and rev[39] == "98"
    assert [r["st"] for r in term.transactions("qr_sale")] == ["reversed", "approved"]
    term.close()


def _show_order(term, fen):
    term.menu("扫码", "收款码")
    term.type(str(fen))
    term.keys("ENTER")


def test_the_terminal_shows_its_order_code_and_concludes_once_the_phone_paid():
    from pos import qr
    term = _signed_in()
    term.app.qr_area = (0, 64, 320, 160)
    term.host.rules["qr_query"] = lambda req: {39: "Q1"}
    _show_order(term, 1999)
    order = term.last_request("qr_order")
    assert order[60][:2] == "71" and order[4] == "000000001999" and 62 not in order
    screen = term.app.screen
    assert "请顾客扫码付款" in term.screen and screen.qr is not None, term.screen
    shown = qr.encode("https://qr.acquirer.test/o/ON%010d" % term.host.seq)
    assert bytes(screen.qr.bits) == bytes(shown.bits) and term.slips == []
    term.advance(2)
    term.advance(2)
    assert _queries(term) == ["qr_query", "qr_query"] and term.app.screen is screen
    term.keys("ENTER")                                   # printed on request
    assert len(term.slips) == 1 and "收款码" in term.slips[0][0]
    del term.host.rules["qr_query"]
    term.advance(2)
    term.tear_off()
    assert "交易成功" in term.screen, term.screen
    [record] = term.transactions("qr_order")
    assert record["st"] == "approved" and record["amt"] == 1999 and record["on"]
    assert len(term.slips) == 3 and "收款码消费" in "\n".join(term.slips[1])
    term.close()


def test_without_a_colour_screen_the_code_prints_at_once_and_expires_after_ex_seconds():
    term = _signed_in(QrHost(keep=False))      # 150 queries: their fields are not kept
    term.host.rules["qr_query"] = lambda req: {39: "Q1"}
    _show_order(term, 600)
    assert len(term.slips) == 1 and "扫描凭条" in term.screen, term.screen
    _wait(term, 299)
    assert "qr_cancel" not in term.host.kinds
    term.advance(1)
    assert term.host.kinds[-1] == "qr_cancel" and "订单已关闭" in term.screen
    assert term.transactions("qr_order")[0]["st"] == "declined"
    term.close()


def test_enter_pressed_while_a_query_is_out_prints_the_code_once_it_is_back():
    term = _signed_in()
    term.app.qr_area = (0, 64, 320, 160)

    def query(req):
        term.app.key("ENTER")
        return {39: "Q1"}
    term.host.rules["qr_query"] = query
    _show_order(term, 600)
    term.advance(2)
    assert len(term.slips) == 1 and "收款码" in term.slips[0][0] and "请顾客扫码付款" in term.screen
    term.close()


def test_the_merchant_cancels_a_shown_order():
    term = _signed_in()
    term.app.qr_area = (0, 64, 320, 160)
    term.host.rules["qr_query"] = lambda req: {39: "Q1"}
    _show_order(term, 600)
    term.keys("CANCEL")
    assert term.host.kinds[-1] == "qr_cancel" and "订单已关闭" in term.screen
    term.close()


def test_a_qr_payment_is_voided_and_refunded_without_a_card_and_totalled_apart():
    term = _signed_in()
    _scan_sale(term, 1000)
    term.tear_off()
    term.finish()
    _scan_sale(term, 2000, "624567890123456785")
    term.tear_off()
    term.finish()
    first = term.transactions("qr_sale")[0]
    term.menu("撤销")
    term.supervisor()
    term.type(str(first["trace"]))
    term.keys("ENTER")
    assert "订单号" in term.screen, term.screen
    term.keys("ENTER")
    term.tear_off()
    assert "撤销成功" in term.screen, term.screen
    void = term.last_request("qr_void")
    assert void[60][:2] == "74" and void[37] == first["ref"] and void[38] == first["auth"] and 2 not in void
    assert void[61][:12] == "%06d%06d" % (first["batch"], first["trace"])
    term.finish()
    term.menu("扫码", "扫码退货")
    term.supervisor()
    term.type("123456789012")
    term.keys("ENTER")
    term.type("1120")
    term.keys("ENTER")
    term.type("500")
    term.keys("ENTER")
    term.tear_off()
    assert "退货成功" in term.screen, term.screen
    refund = term.last_request("qr_refund")
    assert refund[0] == "0220" and refund[60][:2] == "75" and refund[61] == "0000000000001120"
    by_kind, sums = ledger.totals(term.app.journal)
    assert by_kind == {"qr_sale": [1, 2000], "qr_refund": [1, 500]} and sums == (2000, 1, 500, 1)
    term.finish()
    term.menu("交易查询", "当批汇总")
    assert "扫码消费" in term.screen and "扫码退货" in term.screen, term.screen
    term.close()


def test_the_static_code_carries_the_merchant_id_under_the_downloaded_base():
    from pos import qr
    term = _signed_in()
    term.app.qr_area = (0, 64, 320, 160)
    term.menu("扫码", "静态收款码")
    code = qr.encode("https://qr.acquirer.test/m/123456789012345")
    assert bytes(term.app.screen.qr.bits) == bytes(code.bits) and term.slips == []
    term.keys("ENTER")
    assert len(term.slips) == 1 and "静态收款码" in term.slips[0][0]
    term.close()


def test_the_qr_base_comes_with_the_parameters_and_a_bad_one_is_refused():
    from pos import qr
    term = _signed_in()
    term.app.qr_area = (0, 64, 320, 160)
    items = (("MN", "新商户名"), ("MX", "000000500000"), ("QB", "https://pay.example.cn/"))
    term.host.rules["params"] = lambda req: {62: tlv.encode(items)}
    term.menu("管理")
    term.supervisor()
    term.select("参数下载")
    assert "参数下载成功" in term.screen and term.app.settings["qr_base"] == "https://pay.example.cn/"
    term.keys("ENTER CANCEL CANCEL")                     # the notice, the 管理 menu, the main menu
    term.menu("扫码", "静态收款码")
    code = qr.encode("https://pay.example.cn/m/123456789012345")
    assert bytes(term.app.screen.qr.bits) == bytes(code.bits)
    term.keys("CANCEL CANCEL CANCEL")                    # the code, the 扫码 menu, the main menu
    assert "欢迎使用" in term.screen
    term.host.rules["params"] = lambda req: {62: tlv.encode((("QB", "https://no-slash.cn"),))}
    term.menu("管理")
    term.supervisor()
    term.select("参数下载")
    assert "应答报文错误" in term.screen and term.app.settings["qr_base"] == "https://pay.example.cn/"
    term.close()
