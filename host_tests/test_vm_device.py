"""The device on the MicroPython VM against the reference acquirer as a process on loopback.

host_tests/vm/netdevice.py runs the real drivers, board builder, runtime and App over fake
pins and UARTs, with the Wi-Fi driver on the unix port's own sockets: the firmware's codec,
PIN block and MAC meet the acquirer's pyiso8583, psec and cryptography over a real TCP
connection. The acquirer's database and the terminal's journal are checked, not the screen only.
"""
import json
import os
import socket
import subprocess
import sys

import pytest

from pos import store
from pos.journal import Journal
from tools.acquirer.testing import start_acquirer, stop_acquirer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICROPYTHON = os.path.join(os.path.dirname(sys.executable), "micropython")
TESTDATA = json.load(open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8"))
CLOCK = ["--clock", "2026-11-23T10:00:00"]     # the device's fake RTC starts there (vmutil.START)

LOGIN = ["until 操作员号", "keys 0,1,ENTER,0,0,0,0,ENTER", "until 欢迎使用"]


def _track2(name):
    card = [c for c in TESTDATA["cards"] if c["name"] == name][0]
    return "%s=%s1010000000000" % (card["pan"], card["expiry"])


def _sale(fen, card):
    return ["keys ENTER,1," + ",".join(str(fen)) + ",ENTER", "until 请刷卡", "swipe " + _track2(card),
            "until 请输入密码", "keys 1,2,3,4,5,6,ENTER"]


@pytest.fixture
def acquirer(tmp_path):
    db = tmp_path / "acquirer.db"
    process, port = start_acquirer(db, extra_args=CLOCK)
    yield db, port
    stop_acquirer(process)


def _device(tmp_path, port, steps, root=ROOT, romfs=None):
    """Run the device through steps (its code from root, or from the ROMFS image romfs); (exit
    status, output, journal records)."""
    state = tmp_path / "flash"
    state.mkdir(exist_ok=True)
    if store.load(str(state), "provision") is None:
        store.save(str(state), "provision", TESTDATA["terminal"])
    store.save(str(state), "settings", {"wifi_ssid": "shop", "wifi_password": "secret",
                                        "host_addr": "127.0.0.1", "host_port": port})
    extra = ["--romfs", romfs] if romfs else []
    r = subprocess.run([MICROPYTHON, "-X", "heapsize=4M", os.path.join(ROOT, "host_tests", "vm", "netdevice.py"),
                        root, str(state)] + extra + steps, capture_output=True, text=True, timeout=240)
    return r.returncode, r.stdout + r.stderr, list(Journal(str(state)).records())


def _transactions(db):
    out = subprocess.run([sys.executable, "-m", "tools.acquirer", "transactions", "--db", str(db)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def test_a_sale_from_the_keypad_is_approved_by_the_acquirer_and_printed(acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(tmp_path, port, LOGIN + _sale(12345, "good") + [
        "until 请撕下", "keys ENTER", "until 授权码"])
    assert rc == 0, out
    sales = [t for t in _transactions(db) if t["amount_fen"] == 12345]
    assert len(sales) == 1 and sales[0]["state"] == "approved" and sales[0]["response_code"] == "00", sales
    rec = [r for r in journal if r.get("k") == "sale"]
    assert len(rec) == 1 and rec[0]["st"] == "approved" and rec[0]["pan"] == "622202*********0017"
    assert rec[0]["auth"] == sales[0]["auth_code"] and rec[0]["ref"] == sales[0]["reference"]
    assert sorted(r["copy"] for r in journal if r.get("k") == "printed") == [0, 1]
    assert int(out.split("printer_bytes: ")[1].split()[0]) > 40000     # two slips of raster lines


def test_a_card_without_the_funds_is_declined_in_words_and_nothing_is_printed(acquirer, tmp_path):
    db, port = acquirer
    rc, out, journal = _device(tmp_path, port, LOGIN + _sale(5000, "poor") + ["until 余额不足"])
    assert rc == 0, out
    sales = [t for t in _transactions(db) if t["amount_fen"] == 5000]
    assert len(sales) == 1 and sales[0]["response_code"] == "51" and sales[0]["state"] != "approved", sales
    assert [r["st"] for r in journal if r.get("k") == "sale"] == ["declined"]
    assert not [r for r in journal if r.get("k") == "printed"]


def test_a_host_that_is_not_there_is_said_and_the_terminal_stays_usable(tmp_path):
    with socket.socket() as s:          # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc, out, journal = _device(tmp_path, port, LOGIN[:2] + ["until 通讯失败", "keys ENTER", "until 欢迎使用"])
    assert rc == 0, out
    assert journal == []


def test_the_device_sells_with_its_code_in_a_romfs_image(acquirer, tmp_path):
    from tools.bench import mpy_tree, romfs_image
    tree = str(tmp_path / "tree")
    mpy_tree(tree)
    rc, out, journal = _device(tmp_path, acquirer[1], LOGIN + _sale(500, "good") + [
        "until 请撕下", "keys ENTER", "until 授权码"], root=tree, romfs=romfs_image(tree))
    assert rc == 0, out
    assert "app_from: /rom/pos/app.mpy" in out, out
    assert [r["st"] for r in journal if r.get("k") == "sale"] == ["approved"]
