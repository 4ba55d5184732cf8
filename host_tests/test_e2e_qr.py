"""End to end, 扫码: the headless simulator against the acquirer as a process, the terminal's journal
and flash and the acquirer's orders checked besides the screens (the scenarios qr_*.scn cover each
wallet case on the screens and slips)."""
import os

from test_e2e import LOGIN
from test_e2e_ereceipt import _back_office, runner  # noqa: F401 (runner: the back-office's fixture)
from test_e2e_menu import SETTLE, _session
from tools.sim import scenario

SCAN_SALE = """
keys ENTER
select 扫码
select 扫码消费
type {amount}
keys ENTER
scan {code}
expect receipts {receipts}
expect screen 交易成功
keys ENTER
expect screen 欢迎使用
"""

QR_REFUND = """
keys ENTER
select 扫码
select 扫码退货
type 123456
keys ENTER
type {ref}
keys ENTER
type {mmdd}
keys ENTER
type {amount}
keys ENTER
expect screen {result}
keys ENTER
expect screen 欢迎使用
"""


def test_a_qr_sale_settles_then_is_refunded_in_parts_never_past_what_it_paid(tmp_path):
    s = _session(tmp_path)
    try:
        s.run(SCAN_SALE.format(amount=3000, code="624567890123456785", receipts=2) + SETTLE)
        [sale] = [r for r in s.journal(previous=True) if r["k"] == "qr_sale"]
        assert sale["st"] == "approved" and sale["wl"] == "UP" and sale["code"] == "624567********6785"
        for name in os.listdir(s.state):
            with open(os.path.join(s.state, name), "rb") as f:
                assert b"624567890123456785" not in f.read(), name       # the code never on flash whole
        mmdd = sale["date"][4:8]
        for amount, result in ((1000, "授权码"), (2500, "交易金额与原交易不符"), (2000, "授权码")):
            s.run(QR_REFUND.format(ref=sale["ref"], mmdd=mmdd, amount=amount, result=result))
        refunds = [r for r in s.journal() if r["k"] == "qr_refund"]
        assert [(r["amt"], r["st"]) for r in refunds] == [(1000, "approved"), (2500, "declined"), (2000, "approved")]
        assert [r["rc"] for r in refunds] == ["00", "64", "00"]
        [order] = [o for o in s.host("qr-orders") if o["order_no"] == sale["on"]]
        assert order["amount_fen"] == 3000 and order["refunded_fen"] == 3000
    finally:
        s.close()


def test_after_a_power_cut_with_the_host_down_the_order_is_asked_about_once_signed_in(tmp_path):
    """The host out of reach when the terminal comes back: nothing is decided without it; once the
    merchant signs in, the open order is asked about before anything else (paid meanwhile: it is
    journaled and printed, and nothing was reversed)."""
    s = _session(tmp_path)
    try:
        s.run("""
keys ENTER
select 扫码
select 扫码消费
type 1500
keys ENTER
scan 284567890123456782
expect screen 等待用户支付
kill
host stop
power-on
type 01
keys ENTER
type 0000
keys ENTER
expect screen 通讯失败
keys ENTER
expect screen 未签到
host start
advance 10
keys ENTER
select 签到
expect receipts 2
expect screen 交易成功
expect screen 15.00
""")
        journal = s.journal()
        assert [(r["st"], r["amt"]) for r in journal if r["k"] == "qr_sale"] == [("approved", 1500)]
        assert "reversal" not in [r["k"] for r in journal]
        assert [o["state"] for o in s.host("qr-orders")] == ["paid"]
    finally:
        s.close()


def test_qr_payments_and_their_void_reach_the_back_office_as_e_receipts(runner):
    runner.run(scenario.parse(LOGIN + SCAN_SALE.format(amount=4200, code="134567890123456781", receipts=2) + """
keys ENTER
select 撤销
type 123456
keys ENTER
type 8
keys ENTER
expect screen 订单号
keys ENTER
expect receipts 4
expect screen 撤销成功
keys ENTER
expect screen 欢迎使用
advance 31
expect screen 欢迎使用
"""))
    listed, details = _back_office(runner)
    kinds = sorted((r["type"], r["amount"]) for r in listed["receipts"])
    assert kinds == [("qr_sale", "42.00"), ("qr_void", "42.00")], listed
    [sale] = [d for d in details if d["type"] == "qr_sale"]
    assert ["付款码 PAY CODE:", "134567********6781"] in sale["slip"]
    assert not any("134567890123456781" in v for _label, v in sale["slip"])
    assert [r["state"] for r in listed["receipts"] if r["type"] == "qr_sale"] == ["voided"]
