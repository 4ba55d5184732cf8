"""End to end for the merchant's menu: the simulator against the acquirer process, checked in
the acquirer's database (transactions, bills, cards, settlements) and the terminal's journal."""
import json
import os
import sqlite3
import subprocess
import sys

from test_e2e import LOGIN
from tools.sim import scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

SALE = """
keys ENTER 1
type {amount}
keys ENTER
swipe good
pin 123456
expect screen 授权码
keys ENTER
expect screen 欢迎使用
"""
GAS_BILL = """
keys ENTER
select 缴费
select 燃气
type 1000123456
keys ENTER
expect screen 128.50
keys ENTER
swipe good
"""
SETTLE = """
keys ENTER
select 结算
expect screen 按确认结算
keys ENTER
expect screen 结算完成
keys ENTER
expect screen 欢迎使用
"""


class Session:
    """A terminal and its acquirer for one test; steps run as scenario text, the state is read back."""

    def __init__(self, tmp_path):
        self.state = tmp_path / "flash"
        self.state.mkdir(exist_ok=True)
        self.runner = scenario.Runner(state_dir=str(self.state))

    def run(self, text):
        self.runner.run(scenario.parse(text))

    def host(self, command, *args):
        out = subprocess.run([sys.executable, "-m", "tools.acquirer", command, "--db", self.runner.db] + list(args),
                             capture_output=True, text=True, check=True, cwd=ROOT)
        return json.loads(out.stdout) if out.stdout.strip() else None

    def journal(self, previous=False):
        from pos.journal import Journal
        journal = Journal(str(self.state))
        if previous:
            journal = journal.previous()
        return [r for r in journal.records() if r.get("k") != "printed"]

    def card(self, name):
        return [c for c in self.host("cards") if c["name"] == name][0]

    def bill(self, account):
        return [b for b in self.host("bills") if b["account"] == account][0]

    def close(self):
        self.runner.close()


def _session(tmp_path):
    s = Session(tmp_path)
    s.run(LOGIN)
    return s


def test_a_paid_gas_bill_is_paid_at_the_biller_and_journaled(tmp_path):
    s = _session(tmp_path)
    try:
        before = s.card("good")["available_fen"]
        s.run(GAS_BILL + "pin 123456\nexpect screen 缴费成功\nexpect receipts 2\n")
        assert s.bill("1000123456")["paid"] and s.bill("1000123456")["due_fen"] == 0
        assert s.card("good")["available_fen"] == before - 12850
        [txn] = [t for t in s.host("transactions") if t["type"] == "bill_payment"]
        assert txn["state"] == "approved" and txn["amount_fen"] == 12850
        [rec] = [r for r in s.journal() if r["k"] == "bill_payment"]
        assert rec["ref"] == txn["reference"] and rec["nm"] == "张三" and rec["pan"] == "622202*********0017"
    finally:
        s.close()


def test_a_bill_payment_without_an_answer_is_reversed_and_the_bill_is_due_again(tmp_path):
    s = _session(tmp_path)
    try:
        before = s.card("good")["available_fen"]
        s.run(GAS_BILL + "host pause\npin 123456\nexpect screen 处理中\nadvance 61\nexpect screen 交易失败\n"
              "host resume\nkeys ENTER\n" + SALE.format(amount=100))
        assert s.bill("1000123456")["due_fen"] == 12850 and not s.bill("1000123456")["paid"]
        assert s.card("good")["available_fen"] == before - 100
        states = {t["type"]: t["state"] for t in s.host("transactions")}
        assert states["bill_payment"] == "reversed" and states["reversal"] == "approved"
        assert [r["st"] for r in s.journal() if r["k"] == "bill_payment"] == ["reversed"]
    finally:
        s.close()


def test_a_voided_bill_payment_restores_the_bill(tmp_path):
    s = _session(tmp_path)
    try:
        s.run(GAS_BILL + "pin 123456\nexpect screen 授权码\nkeys ENTER\nexpect screen 欢迎使用\n")
        trace = [r for r in s.journal() if r["k"] == "bill_payment"][0]["trace"]
        s.run("""keys ENTER
select 撤销
type 123456
keys ENTER
type %d
keys ENTER
expect screen 128.50
keys ENTER
swipe good
pin 123456
expect screen 撤销成功
""" % trace)
        assert s.bill("1000123456")["due_fen"] == 12850
        states = {t["type"]: t["state"] for t in s.host("transactions")}
        assert states["bill_payment"] == "voided" and states["void"] == "approved"
    finally:
        s.close()


def test_a_reversed_repayment_undoes_both_cards_exactly_once(tmp_path):
    s = _session(tmp_path)
    try:
        good, credit = s.card("good"), s.card("credit")
        s.run("""keys ENTER
select 还款
swipe credit
expect screen 3456.78
keys ENTER
swipe good
host pause
pin 123456
expect screen 处理中
advance 61
expect screen 交易失败
host resume
keys ENTER
""" + SALE.format(amount=100))
        assert s.card("good")["available_fen"] == good["available_fen"] - 100
        assert s.card("credit")["bill_due_fen"] == credit["bill_due_fen"]
        assert s.card("credit")["available_fen"] == credit["available_fen"]
        assert [t["state"] for t in s.host("transactions") if t["type"] == "repayment"] == ["reversed"]
        s.run("""keys ENTER
select 还款
swipe credit
keys ENTER
swipe good
pin 123456
expect screen 请持卡人签名
sign
keys ENTER
expect screen 还款成功
expect receipts 4
""")
        assert s.card("credit")["bill_due_fen"] == 0
        assert s.card("credit")["available_fen"] == credit["available_fen"] + 345678
        assert s.card("good")["available_fen"] == good["available_fen"] - 100 - 345678
    finally:
        s.close()


def test_a_refund_of_an_earlier_batch_is_capped_at_the_original(tmp_path):
    s = _session(tmp_path)
    try:
        s.run(SALE.format(amount=5000) + SETTLE)
        sale = [r for r in s.journal(previous=True) if r["k"] == "sale"][0]
        refund = """keys ENTER
select 退货
type 123456
keys ENTER
type {ref}
keys ENTER
type {mmdd}
keys ENTER
type {amount}
keys ENTER
swipe good
expect screen {result}
expect screen {last}
keys ENTER
expect screen 欢迎使用
"""
        s.run(refund.format(ref=sale["ref"], mmdd=sale["date"][4:8], amount=6000, result="交易金额与原交易不符", last="按任意键"))
        s.run(refund.format(ref=sale["ref"], mmdd=sale["date"][4:8], amount=2000, result="退货成功", last="授权码"))
        s.run(refund.format(ref=sale["ref"], mmdd=sale["date"][4:8], amount=3001, result="交易金额与原交易不符", last="按任意键"))
        [original] = [t for t in s.host("transactions") if t["type"] == "sale"]
        assert original["refunded_fen"] == 2000 and original["state"] == "approved"
        assert [(r["amt"], r["st"]) for r in s.journal() if r["k"] == "refund"] == \
            [(6000, "declined"), (2000, "approved"), (3001, "declined")]
    finally:
        s.close()


def test_a_pre_authorisation_is_completed_for_less_and_only_that_leaves_the_card(tmp_path):
    s = _session(tmp_path)
    try:
        before = s.card("good")["available_fen"]
        s.run("""keys ENTER
select 预授权类
select 预授权
type 50000
keys ENTER
swipe good
pin 123456
expect screen 授权码
keys ENTER
expect screen 欢迎使用
""")
        assert s.card("good")["held_fen"] == 50000
        hold = [r for r in s.journal() if r["k"] == "preauth"][0]
        s.run("""keys ENTER
select 预授权类
select 预授权完成
type {auth}
keys ENTER
type {mmdd}
keys ENTER
type 42000
keys ENTER
swipe good
pin 123456
expect screen 请持卡人签名
sign
keys ENTER
expect screen 预授权完成成功
""".format(auth=hold["auth"], mmdd=hold["date"][4:8]))
        card = s.card("good")
        assert card["held_fen"] == 0 and card["available_fen"] == before - 42000
        states = {t["type"]: t["state"] for t in s.host("transactions")}
        assert states["preauth"] == "completed" and states["preauth_complete"] == "approved"
    finally:
        s.close()


def test_a_settlement_the_host_disagrees_with_uploads_the_batch(tmp_path):
    s = _session(tmp_path)
    try:
        s.run(SALE.format(amount=1000) + SALE.format(amount=2000))
        db = sqlite3.connect(s.runner.db)
        with db:
            db.execute("UPDATE transactions SET amount_fen = 1500 WHERE amount_fen = 1000")
        db.close()
        s.run("""keys ENTER
select 结算
keys ENTER
expect screen 结算完成
expect screen 对账不平
expect receipt 对账不平 NOT BALANCED
""")
        [settlement] = s.host("settlements")
        assert not settlement["balanced"] and settlement["upload_count"] == 2
        assert s.journal() == [] and len(s.journal(previous=True)) == 2
    finally:
        s.close()


def test_parameters_set_at_the_host_reach_the_terminal_and_its_slips(tmp_path):
    s = _session(tmp_path)
    try:
        s.host("set-params", "--terminal", "12345678", "--name", "新华书店", "--max-fen", "500000")
        s.run(SALE.format(amount=100) + "expect screen 新华书店\n")
        s.run("keys ENTER 1\ntype 500001\nkeys ENTER\nexpect screen 金额超限\nkeys CANCEL\n")
        s.run(SALE.format(amount=200))
        assert "新华书店" in s.runner.printer.last_text()
    finally:
        s.close()


def test_a_backup_at_the_host_brings_operators_back_after_a_factory_reset(tmp_path):
    s = Session(tmp_path)
    try:
        s.run("""power-on
type 00
keys ENTER
type 123456
keys ENTER
expect screen 欢迎使用
keys ENTER
select 管理
select 操作员管理
select 增加操作员
type 08
keys ENTER
type 8888
keys ENTER
type 8888
keys ENTER
expect screen 操作员08已增加
keys ENTER CANCEL
select 备份设置
expect screen 备份成功
keys ENTER
select 恢复出厂
keys ENTER
keys ENTER
expect screen 已恢复出厂设置
keys ENTER
expect screen 操作员号
type 08
keys ENTER
type 8888
keys ENTER
expect screen 操作员不存在
keys ENTER
type 00
keys ENTER
type 123456
keys ENTER
expect screen 欢迎使用
keys ENTER
select 管理
select 恢复设置
keys ENTER
expect screen 恢复成功
""")
        [backup] = s.host("backups")
        assert backup["terminal_id"] == "12345678" and backup["size"] > 100
        from pos.operators import Operators
        assert Operators(str(s.state)).verify("08", "8888") == "ok"
    finally:
        s.close()
