"""End to end: the headless simulator runs merchant scenarios against the acquirer as a process.

Screens are not the whole story: the acquirer's database and the terminal's
journal on (simulated) flash are checked too.
"""
import glob
import json
import os
import subprocess
import sys

import pytest

from tools.sim import scenario

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIOS = sorted(glob.glob(os.path.join(ROOT, "host_tests", "scenarios", "*.scn")))
sys.path.insert(0, os.path.join(ROOT, "firmware"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[os.path.basename(p) for p in SCENARIOS])
def test_scenario(path, tmp_path):
    status, report = scenario.run_file(path, snapshots=None, state_dir=str(tmp_path / "flash"))
    assert status == 0, report


def _run(text, tmp_path):
    """Run scenario text; returns (acquirer transactions, terminal journal records)."""
    state = tmp_path / "flash"
    state.mkdir(exist_ok=True)
    runner = scenario.Runner(state_dir=str(state))
    try:
        runner.run(scenario.parse(text))
        out = subprocess.run([sys.executable, "-m", "tools.acquirer", "transactions", "--db", runner.db],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        from pos.journal import Journal
        return json.loads(out.stdout), list(Journal(str(state)).records())
    finally:
        runner.close()


LOGIN = """
power-on
type 01
keys ENTER
type 0000
keys ENTER
expect screen 欢迎使用
"""

SALE = """
keys ENTER 1
type {amount}
keys ENTER
swipe {card}
pin 123456
"""


def _sales(txns):
    return [t for t in txns if t.get("type") in ("sale", "0200")]


def test_approved_sale_is_stored_by_the_acquirer_and_journaled_masked(tmp_path):
    txns, journal = _run(LOGIN + SALE.format(amount=12345, card="good") + "expect receipts 2\n", tmp_path)
    sale = [t for t in txns if t["amount_fen"] == 12345]
    assert len(sale) == 1 and sale[0]["state"] == "approved" and sale[0]["response_code"] == "00"
    rec = [r for r in journal if r.get("k") == "sale"]
    assert len(rec) == 1 and rec[0]["st"] == "approved" and rec[0]["amt"] == 12345
    assert rec[0]["pan"] == "622202*********0017"
    assert rec[0]["date"] == "20261123"    # the host's clock runs from the simulator's start
    assert rec[0]["auth"] == sale[0]["auth_code"] and rec[0]["ref"] == sale[0]["reference"]
    assert sorted(r["copy"] for r in journal if r.get("k") == "printed") == [0, 1]
    raw = open(tmp_path / "flash" / "journal.bin", "rb").read()
    assert b"6222021000000000017" not in raw


def test_timed_out_sale_is_reversed_once_before_the_next_sale(tmp_path):
    text = LOGIN + "host pause\n" + SALE.format(amount=5000, card="good") + """
expect screen 处理中
advance 61
expect screen 交易失败
host resume
keys ENTER
""" + SALE.format(amount=700, card="good") + "expect screen 交易成功\n"
    txns, journal = _run(text, tmp_path)
    first = [t for t in txns if t["amount_fen"] == 5000 and t["type"] == "sale"]
    assert len(first) == 1 and first[0]["state"] == "reversed"
    second = [t for t in txns if t["amount_fen"] == 700 and t["type"] == "sale"]
    assert len(second) == 1 and second[0]["state"] == "approved"
    assert [r["st"] for r in journal if r.get("amt") == 5000] == ["reversed"]


def test_a_reversal_left_pending_goes_from_the_idle_screen_without_another_sale(tmp_path):
    text = LOGIN + "host pause\n" + SALE.format(amount=5100, card="good") + """
expect screen 处理中
advance 61
expect screen 交易失败
host resume
keys ENTER
expect screen 欢迎使用
advance 65
expect screen 欢迎使用
"""
    txns, journal = _run(text, tmp_path)
    sale = [t for t in txns if t["amount_fen"] == 5100 and t["type"] == "sale"]
    assert len(sale) == 1 and sale[0]["state"] == "reversed"
    assert [r["st"] for r in journal if r.get("amt") == 5100] == ["reversed"]


def test_power_loss_while_waiting_reverses_the_sale_the_host_approved(tmp_path):
    text = LOGIN + "host pause\n" + SALE.format(amount=4200, card="good") + """
expect screen 处理中
kill
host resume
""" + LOGIN + SALE.format(amount=100, card="good") + "expect screen 交易成功\n"
    txns, journal = _run(text, tmp_path)
    lost = [t for t in txns if t["amount_fen"] == 4200 and t["type"] == "sale"]
    assert len(lost) == 1 and lost[0]["state"] == "reversed"
    assert not [r for r in journal if r.get("amt") == 4200 and r["st"] == "approved"]


def test_declines_are_journaled_without_a_slip(tmp_path):
    txns, journal = _run(LOGIN + SALE.format(amount=1001, card="poor") + "expect screen 余额不足\n", tmp_path)
    assert [t["response_code"] for t in txns if t["type"] == "sale"] == ["51"]
    assert [(r["st"], r["rc"]) for r in journal if r.get("k") == "sale"] == [("declined", "51")]
    assert not [r for r in journal if r.get("k") == "printed"]


def test_bad_track_sends_nothing(tmp_path):
    txns, _ = _run(LOGIN + "keys ENTER 1\ntype 100\nkeys ENTER\nswipe badtrack\nexpect screen 读卡失败\n", tmp_path)
    assert not [t for t in txns if t["type"] == "sale"]


def test_bad_scenario_file_exits_2(tmp_path):
    bad = tmp_path / "bad.scn"
    bad.write_text("power-on\nfrobnicate 3\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "tools.sim", "--scenario", str(bad)], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 2 and "line 2" in r.stdout


def test_failed_expectation_exits_1_and_shows_the_screen(tmp_path):
    f = tmp_path / "fail.scn"
    f.write_text("power-on\nexpect screen 不存在的文字\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "tools.sim", "--scenario", str(f)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "操作员号" in r.stdout


def test_a_partial_approval_is_journaled_and_settled_as_the_amount_the_card_paid(tmp_path):
    text = LOGIN + SALE.format(amount=8000, card="prepaid") + """
expect screen 部分承兑
keys ENTER
expect screen 欢迎使用
keys ENTER
select 结算
expect screen 按确认结算
keys ENTER
expect screen 结算完成
expect screen 对账平
"""
    txns, journal = _run(text, tmp_path)
    [sale] = [t for t in txns if t["type"] == "sale"]
    assert sale["response_code"] == "10" and sale["amount_fen"] == 5000 and sale["state"] == "approved"
    from pos.journal import Journal
    settled = Journal(str(tmp_path / "flash")).previous()        # the batch rolled at settlement
    [rec] = [r for r in settled.records() if r.get("k") == "sale"]
    assert rec["amt"] == 5000 and rec["rc"] == "10" and "80.00" in rec["remark"]
