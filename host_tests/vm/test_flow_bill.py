# 缴费 and 还款, driven without the simulator.
from flowkit import Terminal, CREDIT, GOOD
from pos import store, tlv


def _bill(term, biller="燃气", account="1000123456"):
    term.menu("缴费")
    term.select(biller)
    term.type(account)
    term.keys("ENTER")


def _answer(term, **items):
    """Make the biller's inquiry answer carry these items instead of the default bill."""
    def rule(req):
        asked = tlv.decode(req[62])
        values = {"BC": asked["BC"].decode(), "AC": asked["AC"].decode(), "NM": "张三", "UN": "城市燃气公司",
                  "DU": "000000012850", "PD": "202611", "MD": "E"}
        values.update(items)
        return {62: tlv.encode([(k, values[k]) for k in sorted(values) if values[k] is not None])}
    term.host.rules["bill_inquiry"] = rule


def _signed_in():
    term = Terminal()
    term.login()
    return term


def test_a_gas_bill_is_looked_up_checked_paid_and_printed_as_a_voucher():
    term = _signed_in()
    _bill(term)
    screen = term.screen
    assert "张三" in screen and "城市燃气公司" in screen and "128.50" in screen and "202611" in screen
    inquiry = term.last_request("bill_inquiry")
    assert inquiry[0] == "0100" and inquiry[60][:2] == "60" and 4 not in inquiry and 2 not in inquiry
    assert tlv.decode(inquiry[62]) == {"BC": b"GAS", "AC": b"1000123456"}
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "缴费成功" in term.screen, term.screen
    pay = term.last_request("bill_payment")
    assert pay[0] == "0200" and pay[3] == "500000" and pay[60][:2] == "61" and pay[4] == "000000012850"
    assert tlv.decode(pay[62]) == {"BC": b"GAS", "AC": b"1000123456", "PD": b"202611"}
    [record] = term.transactions("bill_payment")
    assert record["nm"] == "张三" and record["ac"] == "1000123456" and record["amt"] == 12850
    slip = "\n".join(term.slips[0])
    assert slip.startswith("缴费凭证") and "1000123456" in slip and "张三" in slip and "202611" in slip
    assert "城市燃气公司" in slip and "622202*********0017" in slip and len(term.slips) == 2
    term.close()


def test_nothing_due_says_so_and_sends_nothing_financial():
    term = _signed_in()
    _answer(term, DU="000000000000", NM="李四")
    _bill(term, account="1000999999")
    assert "无欠费" in term.screen
    term.finish()
    assert "bill_payment" not in term.host.kinds and term.transactions() == []
    term.close()


def test_an_unknown_account_is_refused_by_the_biller():
    term = _signed_in()
    term.host.rules["bill_inquiry"] = lambda req: {39: "D1", 62: b""}
    _bill(term, account="9999999999")
    assert "户号不存在" in term.screen
    term.close()


def test_cancel_at_the_check_sends_nothing_financial():
    term = _signed_in()
    _bill(term)
    term.keys("CANCEL")
    assert "欢迎使用" in term.screen
    assert term.host.kinds[-1] == "bill_inquiry" and term.transactions() == []
    term.close()


def test_a_malformed_inquiry_answer_is_a_clear_error():
    term = _signed_in()
    term.host.rules["bill_inquiry"] = lambda req: {62: b"NM999x"}
    _bill(term)
    assert "应答报文错误" in term.screen
    term.close()


def test_a_holder_name_outside_the_font_and_gb2312_is_shown_and_printed():
    term = _signed_in()
    _answer(term, NM="龘靐\U00020000", DU="000000001000")
    _bill(term, account="1000888888")
    assert "龘靐" in term.screen
    term.keys("ENTER")
    term.swipe()
    term.pin()
    term.tear_off()
    assert "缴费成功" in term.screen
    term.close()


def test_an_electricity_meter_takes_any_amount_with_the_due_one_offered():
    term = _signed_in()
    _answer(term, MD="A", DU="000000023000", BC="ELE", UN="国家电网")
    _bill(term, "电费", "3000123456")
    term.keys("ENTER")
    assert term.app.screen.lines[-1] == "RMB 230.00"
    term.type("5000")                      # the first digit replaces the amount offered
    assert term.app.screen.lines[-1] == "RMB 50.00"
    term.keys("ENTER")
    term.swipe()
    term.pin()
    assert term.last_request("bill_payment")[4] == "000000005000"
    term.close()


def test_no_answer_to_a_payment_is_reversed_before_anything_else():
    term = _signed_in()
    term.host.rules["bill_payment"] = lambda req: "timeout"
    _bill(term)
    term.keys("ENTER")
    term.swipe()
    term.pin()
    doc = store.load(term.dir, "reversal")
    assert doc["fields"]["3"] == "500000" and "62" not in doc["fields"]
    term.host.rules.clear()
    term.finish()
    _bill(term)
    assert term.host.kinds[-2:] == ["reversal", "bill_inquiry"]
    term.close()


def test_a_payment_answer_with_malformed_bill_data_is_reversed():
    term = _signed_in()
    term.host.rules["bill_payment"] = lambda req: {62: b"BC9"}
    _bill(term)
    term.keys("ENTER")
    term.swipe()
    term.pin()
    assert "应答报文错误" in term.screen
    term.close()


def _repay(term, keyed=None):
    term.menu("还款")
    if keyed:
        term.type(keyed)
        term.keys("ENTER")
    else:
        term.swipe(CREDIT)


def test_a_repayment_shows_the_bill_and_moves_it_from_the_debit_card():
    term = _signed_in()
    _repay(term)
    assert "广发银行" in term.screen and "3456.78" in term.screen
    inquiry = term.last_request("repay_inquiry")
    assert tlv.decode(inquiry[62]) == {"CN": b"6258070000000000060"}
    term.keys("ENTER")
    term.swipe(GOOD)
    term.pin()
    term.tear_off()
    assert "还款成功" in term.screen, term.screen
    pay = term.last_request("repayment")
    assert pay[3] == "400000" and pay[60][:2] == "63" and pay[2] == "6222021000000000017"
    assert pay[4] == "000000345678"
    [record] = term.transactions("repayment")
    assert record["cpan"] == "625807*********0060" and record["pan"] == "622202*********0017"
    assert "6258070000000000060" not in repr(term.journal())
    slip = "\n".join(term.slips[0])
    assert "625807*********0060" in slip and "622202*********0017" in slip
    doc = store.load(term.dir, "reversal")
    assert doc is None
    term.close()


def test_a_repayment_amount_keyed_replaces_the_bill_offered():
    term = _signed_in()
    _repay(term)
    assert term.app.screen.lines[-1] == "RMB 3456.78"
    term.type("5")
    assert term.app.screen.lines[-1] == "RMB 0.05"
    term.keys("CLEAR")
    term.type("100000")
    term.keys("ENTER")
    term.swipe(GOOD)
    term.pin()
    assert term.last_request("repayment")[4] == "000000100000"
    term.close()


def test_the_credit_card_number_may_be_keyed_and_is_checked():
    term = _signed_in()
    _repay(term, keyed="625807")
    assert "至少13位" in term.screen           # too short: said on the screen, the digits kept
    term.type("0000000000061")
    term.keys("ENTER")
    assert "卡号错误" in term.screen
    term.keys("ENTER")
    term.type("6258070000000000060")
    term.keys("ENTER")
    assert "3456.78" in term.screen
    term.close()


def test_the_paying_card_cannot_be_the_repaid_card():
    term = _signed_in()
    _repay(term)
    term.keys("ENTER")
    term.swipe(CREDIT)
    assert "付款卡不能是还款卡" in term.screen
    assert "repayment" not in term.host.kinds
    term.close()
