"""The device on the 32-bit frozen VM in an ESP32's 110 KB heap, against the reference acquirer as a
process on loopback.

host_tests/vm/netdevice.py runs the real drivers, board builder, runtime and App over fake pins
and UARTs, with the Wi-Fi driver on the VM's own sockets: the firmware's codec, PIN block and MAC
meet the acquirer's pyiso8583, psec and cryptography over a real TCP connection. The acquirer's
database and the terminal's journal are checked, not the screen only. A MemoryError, the shell's
recovered ones too, fails the run (exit 4). The VM is tools/upy32.py's (built when needed).
"""
import json
import os
import socket
import subprocess
import sys

import pytest

from pos import store
from pos.journal import Journal
from tools import devicerun, upy32
from tools.acquirer.testing import start_acquirer, stop_acquirer
from tools.devicerun import BOOT, LOGIN, SETTLE, UPDATE, sale

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The stock MicroPython from PyPI (64-bit, nothing of ours frozen): what a ROMFS build runs on.
MICROPYTHON_64 = os.path.join(os.path.dirname(sys.executable), "micropython")


@pytest.fixture(scope="module")
def vm():
    return upy32.ensure()


@pytest.fixture
def acquirer(tmp_path):
    db = tmp_path / "acquirer.db"
    process, port = start_acquirer(db, extra_args=devicerun.CLOCK)
    yield str(db), port
    stop_acquirer(process)


def _device(vm, tmp_path, port, steps, **kw):
    """Run the device on its flash in tmp_path through steps: (exit status, output, journal records)."""
    state = str(tmp_path / "flash")
    devicerun.provision(state, port)
    rc, out = devicerun.run(vm, state, steps, **kw)
    return rc, out, list(Journal(state).records())


def _host(db, command):
    out = subprocess.run([sys.executable, "-m", "tools.acquirer", command, "--db", db],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def test_a_sale_from_the_keypad_is_approved_by_the_acquirer_and_printed(vm, acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(vm, tmp_path, port, BOOT + sale(12345) + ["until 请撕下", "keys ENTER", "until 授权码"])
    assert rc == 0, out
    assert "app_from: pos/app.py" in out, out          # the frozen firmware, nothing from a filesystem
    sales = [t for t in _host(db, "transactions") if t["amount_fen"] == 12345]
    assert len(sales) == 1 and sales[0]["state"] == "approved" and sales[0]["response_code"] == "00", sales
    rec = [r for r in journal if r.get("k") == "sale"]
    assert len(rec) == 1 and rec[0]["st"] == "approved" and rec[0]["pan"] == "622202*********0017"
    assert rec[0]["auth"] == sales[0]["auth_code"] and rec[0]["ref"] == sales[0]["reference"]
    assert sorted(r["copy"] for r in journal if r.get("k") == "printed") == [0, 1]
    assert int(out.split("printer_bytes: ")[1].split()[0]) > 40000     # two slips of raster lines


def test_a_card_without_the_funds_is_declined_in_words_and_nothing_is_printed(vm, acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(vm, tmp_path, port, BOOT + sale(5000, "poor") + ["until 余额不足"])
    assert rc == 0, out
    sales = [t for t in _host(db, "transactions") if t["amount_fen"] == 5000]
    assert len(sales) == 1 and sales[0]["response_code"] == "51" and sales[0]["state"] != "approved", sales
    assert [r["st"] for r in journal if r.get("k") == "sale"] == ["declined"]
    assert not [r for r in journal if r.get("k") == "printed"]


def test_a_host_that_is_not_there_is_said_and_the_terminal_stays_usable(vm, tmp_path):
    with socket.socket() as s:          # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc, out, journal = _device(vm, tmp_path, port, LOGIN + ["until 通讯失败", "keys ENTER", "until 欢迎使用"])
    assert rc == 0, out
    assert journal == []


def test_a_gas_bill_is_paid_at_the_biller_and_printed(vm, acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(vm, tmp_path, port, BOOT + [
        "keys ENTER,7,1", "until 燃气", "keys 1,0,0,0,1,2,3,4,5,6,ENTER", "until 128.50", "keys ENTER",
        "until 刷卡", "swipe " + devicerun.track2("good"), "until 请输入密码", "keys 1,2,3,4,5,6,ENTER",
        "until 请撕下", "keys ENTER", "until 缴费成功"])
    assert rc == 0, out
    [bill] = [b for b in _host(db, "bills") if b["account"] == "1000123456"]
    assert bill["paid"] and bill["due_fen"] == 0
    assert [(r["amt"], r["st"]) for r in journal if r.get("k") == "bill_payment"] == [(12850, "approved")]


def test_a_credit_card_is_repaid_from_a_debit_card(vm, acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(vm, tmp_path, port, BOOT + [
        "keys ENTER,8", "until 请刷信用卡", "swipe " + devicerun.track2("credit"), "until 3456.78", "keys ENTER",
        "until 请刷付款卡", "swipe " + devicerun.track2("good"), "until 请输入密码", "keys 1,2,3,4,5,6,ENTER",
        "until 请持卡人签名", "sign", "keys ENTER", "until 请撕下", "keys ENTER", "until 还款成功"])
    assert rc == 0, out
    [credit] = [c for c in _host(db, "cards") if c["name"] == "credit"]
    assert credit["bill_due_fen"] == 0
    assert [(r["amt"], r["st"]) for r in journal if r.get("k") == "repayment"] == [(345678, "approved")]


def test_a_batch_of_500_sales_the_host_does_not_know_is_uploaded_whole_and_settled(vm, acquirer, tmp_path):
    db, port = acquirer
    state = str(tmp_path / "flash")
    devicerun.write_batch(state, 500)
    devicerun.provision(state, port, journal_max_bytes=1024 * 1024)
    rc, out = devicerun.run(vm, state, BOOT + SETTLE)
    assert rc == 0, out
    [settlement] = _host(db, "settlements")
    assert not settlement["balanced"] and settlement["state"] == "settled", settlement
    assert settlement["upload_count"] == settlement["declared_count"] == 500, settlement
    assert store.load(state, "counters")["batch"] == 2 and store.load(state, "settle") is None
    assert len([r for r in Journal(state).previous().records() if r.get("k") == "sale"]) == 500


def test_an_update_the_host_asks_for_is_downloaded_and_switched_in_on_trial(vm, acquirer, tmp_path):
    db, port = acquirer
    flash = tmp_path / "flash"
    slot = devicerun.updatable_flash(str(flash), str(tmp_path / "image"), db)
    devicerun.provision(str(flash / "state"), port)
    rc, out = devicerun.run(vm, str(flash / "state"), UPDATE, options=["--slot", slot])
    assert rc == 0, out
    assert (flash / "current").read_text() == "b" and (flash / "trial").read_text() == "a 0"
    assert (flash / "slot_b" / "VERSION").read_text() == "1.1.0\n"
    assert (flash / "slot_b" / "assets" / "lang" / "zh.txt").read_bytes() == \
        (tmp_path / "image" / "assets" / "lang" / "zh.txt").read_bytes()


def test_the_device_sells_with_its_code_in_a_romfs_image(acquirer, tmp_path):
    """On the stock VM, which has nothing of ours frozen: the image alone must carry the code."""
    from tools.bench import mpy_tree, romfs_image
    tree = str(tmp_path / "tree")
    mpy_tree(tree)
    rc, out, journal = _device(MICROPYTHON_64, tmp_path, acquirer[1], BOOT + sale(500) + [
        "until 请撕下", "keys ENTER", "until 授权码"], heap_kb=4096, root=tree, options=["--romfs", romfs_image(tree)])
    assert rc == 0, out
    assert "app_from: /rom/pos/app.mpy" in out, out
    assert [r["st"] for r in journal if r.get("k") == "sale"] == ["approved"]


def test_a_chip_sale_on_the_device_goes_through_its_reader_to_the_acquirer_and_back_into_the_card(vm, acquirer,
                                                                                                  tmp_path):
    db, port = acquirer
    rc, out, journal = _device(vm, tmp_path, port, BOOT + [
        "keys ENTER,1,1,2,3,4,5,ENTER", "until 请插卡或刷卡", "insert chip", "until 请输入密码", "keys 1,2,3,4,5,6,ENTER",
        "until 请撕下", "keys ENTER", "until 授权码", "keys ENTER", "until 请拔卡", "remove", "until 欢迎使用"])
    assert rc == 0, out
    [sale] = [t for t in _host(db, "transactions") if t["amount_fen"] == 12345]
    assert sale["state"] == "approved" and sale["response_code"] == "00", sale
    rec = [r for r in journal if r.get("k") == "sale"]
    assert len(rec) == 1 and rec[0]["entry"] == "chip" and rec[0]["cgt"] == "TC", rec


def test_an_issuers_script_runs_in_the_card_and_its_result_reaches_the_acquirer(vm, tmp_path):
    db = str(tmp_path / "acquirer.db")
    process, port = start_acquirer(db, extra_args=devicerun.CLOCK + ["--script-card", "chip"])
    try:
        rc, out, journal = _device(vm, tmp_path, port, BOOT + [
            "keys ENTER,1,2,0,0,0,ENTER", "until 请插卡或刷卡", "insert chip", "until 请输入密码",
            "keys 1,2,3,4,5,6,ENTER", "until 请撕下", "keys ENTER", "until 授权码", "keys ENTER", "until 请拔卡",
            "remove", "until 欢迎使用"] + sale(300) + ["until 请撕下"])
        assert rc == 0, out
        [chip] = [t for t in _host(db, "transactions") if t["amount_fen"] == 2000]
        assert chip["icc"]["script_sent"] and chip["icc"]["script_result"], chip["icc"]
        [card] = [c for c in _host(db, "cards") if c["name"] == "chip"]
        assert not card["script_pending"]
    finally:
        stop_acquirer(process)
