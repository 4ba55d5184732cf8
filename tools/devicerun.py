"""The device on the 32-bit frozen VM against the reference acquirer on loopback.

host_tests/vm/netdevice.py runs the real drivers, board builder, runtime and
App over fake pins and UARTs, its Wi-Fi on the VM's own sockets; this module
gives it a terminal's flash and the steps a merchant takes, for the device
tests (host_tests/test_vm_device.py) and `make bench`'s heap figures. The
acquirer is the caller's: tools.acquirer.testing.start_acquirer with CLOCK.
"""
import json
import os
import shutil
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
if FIRMWARE not in sys.path:
    sys.path.insert(0, FIRMWARE)
from pos import store  # noqa: E402
from pos.journal import Journal  # noqa: E402

NETDEVICE = os.path.join(ROOT, "host_tests", "vm", "netdevice.py")
HEAP_KB = 110                                  # a board without PSRAM
CLOCK = ["--clock", "2026-11-23T10:00:00"]     # the device's fake RTC starts there (vmutil.START)
with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as _f:
    TESTDATA = json.load(_f)
UPDATE_KEY = os.path.join(ROOT, "tools", "testdata", "update_test_key.pem")
UPDATE_BOARD = "esp32_countertop"

LOGIN = ["until 操作员号", "keys 0,1,ENTER,0,0,0,0,ENTER"]
BOOT = LOGIN + ["until 欢迎使用"]        # booted, the operator logged in, the terminal signed in
UPDATE = LOGIN + ["until 发现新版本", "keys ENTER", "until 更新完成"]     # the host asks at sign-in
# From the idle screen: 结算, confirmed; a batch the host does not know is not balanced: uploaded.
SETTLE = ["keys ENTER,DOWN,DOWN,DOWN,DOWN,DOWN,DOWN,DOWN,DOWN,DOWN,2", "until 按确认结算", "keys ENTER",
          "until 正在批上送", "keys ENTER", "until 结算完成"]


def track2(name):
    card = [c for c in TESTDATA["cards"] if c["name"] == name][0]
    return "%s=%s1010000000000" % (card["pan"], card["expiry"])


def sale(fen, card="good"):
    """From the idle screen up to the PIN entered."""
    return ["keys ENTER,1," + ",".join(str(fen)) + ",ENTER", "until 刷卡", "swipe " + track2(card),
            "until 请输入密码", "keys 1,2,3,4,5,6,ENTER"]


def sale_with_slips(fen):
    """From the idle screen through both slips back to it."""
    return sale(fen) + ["until 请撕下", "keys ENTER", "until 授权码", "keys ENTER", "until 欢迎使用"]


def provision(state, port, **settings):
    """The test terminal's provision (kept if there is one) and its link to the acquirer at port."""
    os.makedirs(state, exist_ok=True)
    if store.load(state, "provision") is None:
        store.save(state, "provision", TESTDATA["terminal"])
    store.save(state, "settings", dict({"wifi_ssid": "shop", "wifi_password": "secret",
                                        "host_addr": "127.0.0.1", "host_port": port}, **settings))


def sale_record(trace, day="20261123", fen=None):
    return {"k": "sale", "st": "approved", "op": "01", "amt": 1000 + trace if fen is None else fen,
            "pan": "622202*********0017", "entry": "swipe", "batch": 1, "trace": trace, "date": day,
            "time": "101500", "rc": "00", "ref": "101500%06d" % trace, "auth": "%06d" % trace,
            "iss": "ICBC", "acq": "99990000"}


def write_batch(state, sales):
    """A terminal's flash with a batch of sales approved, each with its two copies printed."""
    os.makedirs(state, exist_ok=True)
    journal = Journal(state, 1024 * 1024)
    for trace in range(1, sales + 1):
        journal.append(sale_record(trace))
        for copy in (0, 1):
            journal.append({"k": "printed", "batch": 1, "trace": trace, "copy": copy})
    store.save(state, "counters", {"trace": sales, "batch": 1})


def write_slot(top, version, linked=False):
    """An application slot of the countertop as `make firmware` lays one out, its code aside (a
    frozen build's): board.py, VERSION, and the firmware's assets, linked (a slot the device runs
    from) or copied without the fonts (an image to publish: regular files, 47 KB)."""
    assets = os.path.join(FIRMWARE, "assets")
    os.makedirs(os.path.join(top, "assets"))
    for name in os.listdir(assets):
        path, dest = os.path.join(assets, name), os.path.join(top, "assets", name)
        if linked:
            os.symlink(path, dest)
        elif os.path.isdir(path):
            shutil.copytree(path, dest)
        elif not name.startswith("font"):
            shutil.copyfile(path, dest)
    shutil.copyfile(os.path.join(ROOT, "boards", UPDATE_BOARD + ".py"), os.path.join(top, "board.py"))
    with open(os.path.join(top, "VERSION"), "w") as f:
        f.write(version + "\n")


def updatable_flash(flash, image, db, version="1.0.0", new_version="1.1.0"):
    """flash: a filesystem root running slot_a at version; image: version new_version of it,
    published on the acquirer's db for the test terminal. The slot to run the device from."""
    slot = os.path.join(flash, "slot_a")
    write_slot(slot, version, linked=True)
    with open(os.path.join(flash, "current"), "w") as f:
        f.write("a")
    write_slot(image, new_version)
    subprocess.run([sys.executable, "-m", "tools.acquirer", "publish-update", "--db", db, "--board", UPDATE_BOARD,
                    "--dir", image, "--version", new_version, "--key", UPDATE_KEY,
                    "--terminal", TESTDATA["terminal"]["terminal_id"]],
                   cwd=ROOT, check=True, capture_output=True, timeout=60)
    return slot


def run(vm, state, steps, heap_kb=HEAP_KB, options=(), root=ROOT, timeout=300):
    """(exit status, output) of netdevice.py on the VM (tools.upy32.ensure(): the 32-bit frozen
    one) with state, the terminal's flash, through steps; options: --slot, --romfs, --every-driver."""
    r = subprocess.run([vm, "-X", "heapsize=%dK" % heap_kb, NETDEVICE, root, state] + list(options) + list(steps),
                       capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr
