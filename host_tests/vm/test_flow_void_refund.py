# 撤销, 退货, 余额查询 and the pre-authorisation family, driven without the simulator.
from flowkit import Terminal, GOOD, POOR
from pos import store


def _after_sale(fen=5000, track2=GOOD):
    term = Terminal()
    term.login()
    term.sale(fen, track2)
    term.finish()
    return term, term.transactions("sale")[0]


def _void(term, trace, track2=GOOD, password="123456"):
    term.menu("撤销")
    term.supervisor(password)
    term.type("%d" % trace)
    term.keys("ENTER")


def test_a_void_names_the_original_and_marks_it_voided():
    term, sale = _after_sale()
    _void(term, sale["trace"])
    assert "050.00" in term.screen or "50.00" in term.screen
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "撤销成功" in term.screen, term.screen
    req = term.last_request("void")
    assert req[3] == "200000" and req[60][:2] == "23" and req[4] == "000000005000"
    assert req[37] == sale["ref"] and req[38] == sale["auth"]
    assert req[61] == "%06d%06d%s" % (sale["batch"], sale["trace"], sale["date"][4:8])
    [void] = term.transactions("void")
    assert void["st"] == "approved" and (void["ob"], void["ot"]) == (sale["batch"], sale["trace"])
    assert "消费撤销 VOID" in term.slips[-1] and "RMB -50.00" in term.slips[-1]
    assert "RMB 50.00" in term.slips[0] and _issuer(term.slips[-1]) == "工商银行"   # its BIN's bank
    term.finish()
    _void(term, sale["trace"])
    assert "原交易已撤销" in term.screen
    assert term.host.kinds.count("void") == 1
    term.close()


def _issuer(slip):
    [line] = [line for line in slip if line.startswith("发卡行 ISSUER:")]
    return line.split()[-1]


def test_a_card_whose_bin_the_table_lacks_gets_the_issuer_the_host_named():
    term, _sale = _after_sale(track2="9999991000000000013=30121010000000000")
    assert _issuer(term.slips[-1]) == "ICBC"           # flowkit's host answers field 63 CUPICBC
    term.close()


def test_a_void_needs_the_supervisor_and_the_same_card():
    term, sale = _after_sale()
    term.menu("撤销")
    term.supervisor("999999")
    assert "主管密码错误" in term.screen
    term.finish()
    _void(term, sale["trace"])
    term.keys("ENTER")
    term.swipe(POOR)
    assert "卡号与原交易不符" in term.screen
    assert "void" not in term.host.kinds
    term.finish()
    _void(term, 999)
    assert "原交易不存在" in term.screen
    term.close()


def test_the_supervisor_logged_in_is_not_asked_again():
    term = Terminal()
    term.login("00", "123456")
    term.sale(100)
    term.finish()
    term.menu("撤销")
    assert "原凭证号" in term.screen
    term.close()


def test_an_unanswered_void_is_reversed_and_the_original_stays_valid():
    term, sale = _after_sale()
    term.host.rules["void"] = lambda req: "timeout"
    _void(term, sale["trace"])
    term.keys("ENTER")
    term.swipe()
    term.pin()
    assert store.load(term.dir, "reversal")["fields"]["3"] == "200000"
    term.close()


def test_a_refund_names_the_original_by_reference_and_date_and_asks_no_pin():
    term = Terminal()
    term.login()
    term.menu("退货")
    term.supervisor()
    term.type("100000000099")
    term.keys("ENTER")
    term.type("1120")
    term.keys("ENTER")
    term.type("2500")
    term.keys("ENTER")
    term.swipe()
    term.tear_off()
    assert "退货成功" in term.screen, term.screen
    req = term.last_request("refund")
    assert req[0] == "0220" and req[3] == "200000" and req[60][:2] == "25"
    assert req[37] == "100000000099" and req[61] == "0000000000001120" and 52 not in req and req[22] == "022"
    [refund] = term.transactions("refund")
    assert refund["amt"] == 2500 and refund["oref"] == "100000000099" and refund["odate"] == "1120"
    assert "RMB -25.00" in term.slips[-1]
    term.close()


def test_a_refund_above_the_original_is_refused_by_the_host():
    term = Terminal()
    term.login()
    term.host.rules["refund"] = lambda req: {39: "64"}
    term.menu("退货")
    term.supervisor()
    term.type("100000000099")
    term.keys("ENTER")
    term.type("1120")
    term.keys("ENTER")
    term.type("999999")
    term.keys("ENTER")
    term.swipe()
    assert "交易金额与原交易不符" in term.screen
    assert term.transactions("refund")[0]["st"] == "declined"
    term.close()


def test_a_sale_of_this_batch_is_voided_not_refunded():
    term, sale = _after_sale()
    term.menu("退货")
    term.supervisor()
    term.type(sale["ref"])
    term.keys("ENTER")
    assert "撤销" in term.screen
    term.close()


def test_the_balance_shows_on_screen_and_prints_only_when_asked():
    term = Terminal()
    term.login()
    term.menu("余额查询")
    term.swipe()
    term.pin()
    assert "1234.56" in term.screen and "可用余额" in term.screen
    assert term.slips == []
    term.keys("ENTER")                      # back, as ENTER is everywhere: no slip
    assert term.slips == [] and "欢迎使用" in term.screen
    term.menu("余额查询")
    term.swipe()
    term.pin()
    term.keys("1")
    assert "1234.56" in "\n".join(term.slips[-1])
    record = [r for r in term.journal() if r.get("k") == "balance"][-1]
    assert "amt" not in record and "1234.56" not in repr(record)
    req = term.last_request("balance")
    assert req[3] == "310000" and 4 not in req and 52 in req
    term.close()


def test_a_pre_authorisation_holds_then_completes_for_less():
    term = Terminal()
    term.login()
    term.menu("预授权类", "预授权")
    term.type("50000")
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "预授权成功" in term.screen
    [hold] = term.transactions("preauth")
    req = term.last_request("preauth")
    assert req[0] == "0100" and req[3] == "030000" and req[60][:2] == "10"
    term.finish()
    term.menu("预授权类", "预授权完成")
    term.type(hold["auth"])
    term.keys("ENTER")
    term.type("1123")
    term.keys("ENTER")
    term.type("42000")
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "预授权完成成功" in term.screen
    req = term.last_request("preauth_complete")
    assert req[0] == "0200" and req[60][:2] == "20" and req[38] == hold["auth"] and req[61].endswith("1123")
    assert req[4] == "000000042000"
    assert "RMB 500.00" in term.slips[0] and "RMB 420.00" in term.slips[-1]
    term.close()


def test_a_pre_authorisation_void_needs_the_supervisor():
    term = Terminal()
    term.login()
    term.menu("预授权类", "预授权撤销")
    assert "主管密码" in term.screen
    term.supervisor()
    term.type("123456")
    term.keys("ENTER")
    term.type("1123")
    term.keys("ENTER")
    term.type("50000")
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "预授权撤销成功" in term.screen
    req = term.last_request("preauth_void")
    assert req[0] == "0100" and req[3] == "200000" and req[60][:2] == "11" and req[38] == "123456"
    assert "RMB -500.00" in term.slips[-1]
    term.close()
