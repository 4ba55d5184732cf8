"""End to end: an application image published on the acquirer (a real process) reaches the simulated
terminal over 0800/392 once an answer asks for it (header requirement 6: here the sign-in's), is
switched in on trial, and the terminal boots again from the new slot.

The simulator's flash is a device filesystem here: <flash>/current, <flash>/slot_a (the running
image: board.py, VERSION, assets with the catalogs and the test update key, and the firmware's
pos/*.py as payload), <flash>/state (the App's documents). The simulator's code always runs from
firmware/; what the slot changes is the App's assets directory, which is how the updater finds the
running slot, its board, version and key.
"""
import glob
import json
import os
import shutil
import sqlite3

import bootsel
from test_acquirer import ROOT, TID, cli
from tools.sim import scenario

LOGIN = """
type 01
keys ENTER
type 0000
keys ENTER
expect screen 欢迎使用
"""


def make_slot(top, version):
    os.makedirs(os.path.join(top, "assets", "lang"))
    os.makedirs(os.path.join(top, "pos"))
    for path in glob.glob(os.path.join(ROOT, "firmware", "assets", "lang", "*.txt")):
        shutil.copy(path, os.path.join(top, "assets", "lang"))
    shutil.copy(os.path.join(ROOT, "firmware", "assets", "update_key.bin"), os.path.join(top, "assets"))
    shutil.copy(os.path.join(ROOT, "boards", "esp32_countertop.py"), os.path.join(top, "board.py"))
    for path in glob.glob(os.path.join(ROOT, "firmware", "pos", "*.py")):
        shutil.copy(path, os.path.join(top, "pos"))
    with open(os.path.join(top, "VERSION"), "w") as f:
        f.write(version + "\n")


def tree(top):
    out = {}
    for base, _dirs, names in os.walk(top):
        for name in names:
            full = os.path.join(base, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, top)] = f.read()
    return out


def test_an_update_the_host_asks_for_is_downloaded_switched_in_and_booted(tmp_path):
    flash = tmp_path / "flash"
    make_slot(str(flash / "slot_a"), "1.0.0")
    running = tree(str(flash / "slot_a"))
    (flash / "current").write_text("a")
    (flash / "state").mkdir()
    make_slot(str(tmp_path / "image"), "1.1.0")
    with open(tmp_path / "image" / "pos" / "changed.py", "w") as f:
        f.write("# only in 1.1.0\n")
    runner = scenario.Runner(state_dir=str(flash / "state"))
    try:
        cli("publish-update", "--db", runner.db, "--board", "esp32_countertop", "--dir", str(tmp_path / "image"),
            "--version", "1.1.0", "--key", os.path.join(ROOT, "tools", "testdata", "update_test_key.pem"),
            "--terminal", TID)
        runner.run(scenario.parse("power-on\n"))
        runner.terminal.app.assets_dir = str(flash / "slot_a" / "assets")
        runner.run(scenario.parse(LOGIN.replace("expect screen 欢迎使用", "") + """
expect screen 发现新版本
expect screen 1.0.0 -> 1.1.0
keys ENTER
expect screen 更新完成
keys ENTER
expect screen 操作员
"""))
        assert (flash / "current").read_text() == "b" and (flash / "trial").read_text() == "a 1"
        got = tree(str(flash / "slot_b"))
        manifest = json.loads(got.pop("MANIFEST.json"))
        assert got == tree(str(tmp_path / "image")) and manifest["version"] == "1.1.0"
        assert tree(str(flash / "slot_a")) == running
        assert runner.terminal.app.assets_dir == str(flash / "slot_b" / "assets")
        runner.run(scenario.parse(LOGIN))
        bootsel.confirm(str(flash))                     # what the runtime does at the first idle screen
        assert not (flash / "trial").exists()
        runner.run(scenario.parse("""
keys ENTER 1
type 200
keys ENTER
swipe good
pin 123456
expect screen 交易成功
"""))
        assert not runner.terminal.app.update_due          # the sale's answer asked for nothing more
        db = sqlite3.connect(runner.db)
        assert db.execute("SELECT board, downloaded FROM terminal_software WHERE terminal_id = ?",
                          (TID,)).fetchone() == ("esp32_countertop", "1.1.0")
        db.close()
    finally:
        runner.close()
