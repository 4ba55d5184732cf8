"""Build, flash and provision tools, without hardware: the trees they write and the commands they run."""
import ast
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from tools import build, flash, provision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
BOARDS = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "boards")) if f.endswith(".py"))
with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as _f:
    TERMINAL = json.load(_f)["terminal"]
TMK = TERMINAL["tmk"]
TID, MID = TERMINAL["terminal_id"], TERMINAL["merchant_id"]
PORT = "/dev/ttyUSB0"
MICROPYTHON = os.path.join(ROOT, ".venv", "bin", "micropython")


def _write(root, files):
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


# A firmware tree small enough to reason about: each module is there to prove one rule.
FIXTURE = {
    "firmware/main.py": ("import sys\nimport bootsel\nsys.path.insert(0, bootsel.select())\n"
                         "from runtime import device\n"),
    "firmware/bootsel.py": "import os\n\n\ndef select():\n    return '/slot_a'\n",
    "firmware/runtime/device.py": ("import asyncio\nfrom pos import app\n\n\ndef start():\n"
                                   "    from runtime.board import build\n    import board\n"
                                   "    return build(board)\n"),
    "firmware/runtime/board.py": ("def build(board):\n"
                                  "    return [_make(s['driver']) for s in board.PARTS.values()]\n\n\n"
                                  "def _make(driver):\n    module, cls = driver.split('.')\n"
                                  "    return __import__('drivers.' + module, None, None, (cls,))\n\n\n"
                                  "def radio_bus():\n    from drivers.radio import RadioBus\n    return RadioBus\n"),
    "firmware/pos/__init__.py": "",
    "firmware/pos/app.py": ("try:\n    from micropython import const\nexcept ImportError:\n    def const(x):\n"
                            "        return x\ntry:\n    import ustruct_missing\nexcept ImportError:\n"
                            "    ustruct_missing = None\n\n\ndef flow(name):\n"
                            "    return __import__('pos.flows.' + name, None, None, ('run',))\n"),
    "firmware/pos/flows/__init__.py": "",
    "firmware/pos/flows/sale.py": "from . import common\n\n\ndef run():\n    return common.X\n",
    "firmware/pos/flows/common.py": "X = 1\n\n\ndef later():\n    from pos import util\n    return util\n",
    "firmware/pos/util.py": "import json\n",
    "firmware/pos/unused.py": "import json\n",
    "firmware/drivers/__init__.py": "",
    "firmware/drivers/compat.py": "import time\n",
    "firmware/drivers/screen.py": "from drivers.compat import time\n\n\nclass Screen:\n    pass\n",
    "firmware/drivers/radio.py": "class Radio:\n    pass\n\n\nclass RadioBus:\n    pass\n",
    "firmware/drivers/fakes.py": "class FakeScreen:\n    pass\n",
    "firmware/assets/font.bin": "glyphs",
    "firmware/assets/lang/zh.txt": "hello\n",
    "boards/small.py": ('NAME = "small"\nMCU = "esp32"\nFLASH_MB = 4\nPSRAM = False\n'
                        'PARTS = {"screen": {"driver": "screen.Screen", "pin": 1}}\n'),
    "boards/big.py": ('NAME = "big"\nMCU = "esp32s3"\nFLASH_MB = 8\nPSRAM = False\n'
                      'PARTS = {"screen": {"driver": "screen.Screen"}, "radio": {"driver": "radio.Radio"}}\n'),
}


@pytest.fixture
def tree(tmp_path):
    _write(str(tmp_path), FIXTURE)
    return str(tmp_path)


def _build(tree, board, **kw):
    return build.build(os.path.join(tree, "firmware"), board, os.path.join(tree, "out", board), version="v-test", **kw)


def _shipped(report):
    return {name for name, _, _, _ in report.modules}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """(report, out) of the fixture's "small" board: for the tests that only read it."""
    root = str(tmp_path_factory.mktemp("fixture"))
    _write(root, FIXTURE)
    return _build(root, "small"), os.path.join(root, "out", "small")


def test_a_build_ships_what_main_reaches_and_nothing_else(small):
    assert _shipped(small[0]) == {
        "main", "bootsel", "board", "runtime.device", "runtime.board", "pos", "pos.app", "pos.flows",
        "pos.flows.sale", "pos.flows.common", "pos.util", "drivers", "drivers.compat", "drivers.screen"}


def test_every_flow_ships_because_the_app_imports_flows_by_name(tree):
    _write(tree, {"firmware/pos/flows/void.py": "def run():\n    pass\n"})
    assert "pos.flows.void" in _shipped(_build(tree, "small"))


def test_a_module_marked_build_ships_ships_with_its_imports_though_nothing_imports_it(tree):
    _write(tree, {"firmware/pos/ahead.py": "# A library before its flow.\n#\n# build: ships (a flow to come)\n"
                                           "from pos import util\n",
                  "firmware/pos/later.py": "X = 1\n# build: ships (not in the opening comment: no mark)\n"})
    shipped = _shipped(_build(tree, "small"))
    assert {"pos.ahead", "pos.util"} <= shipped and "pos.later" not in shipped and "pos.unused" not in shipped


def test_a_board_ships_its_own_part_drivers_only(small, tree):
    assert "drivers.radio" not in _shipped(small[0])
    assert "drivers.radio" in _shipped(_build(tree, "big"))


def test_the_tree_has_the_device_layout(small):
    out = small[1]
    with open(os.path.join(out, "main.py")) as f:
        assert f.read() == FIXTURE["firmware/main.py"]
    with open(os.path.join(out, "current")) as f:
        assert f.read() == "a"
    with open(os.path.join(out, "slot_a", "VERSION")) as f:
        assert f.read() == "v-test"
    with open(os.path.join(out, "slot_a", "board.py")) as f:
        assert f.read() == FIXTURE["boards/small.py"]
    with open(os.path.join(out, "slot_a", "assets", "lang", "zh.txt")) as f:
        assert f.read() == "hello\n"
    with open(os.path.join(out, "slot_a", "pos", "flows", "sale.mpy"), "rb") as f:
        assert f.read(1) == b"M"
    assert os.path.exists(os.path.join(out, "bootsel.mpy"))
    assert not os.path.exists(os.path.join(out, "slot_a", "pos", "unused.mpy"))
    assert not os.path.exists(os.path.join(out, "slot_a", "drivers", "fakes.mpy"))


def test_the_size_report_gives_each_module_and_the_firmware_bytes_line(small):
    report, out = small
    with open(os.path.join(out, "SIZES.txt")) as f:
        text = f.read()
    mpy = [size for _, path, _, size in report.modules if path.endswith(".mpy")]
    assert "firmware_bytes_small: %d" % sum(mpy) in text.splitlines()
    assert re.search(r"^pos\.util +%d +\d+ +/slot_a/pos/util\.mpy$" % len(FIXTURE["firmware/pos/util.py"]),
                     text, re.M)
    assert "/slot_a/assets/font.bin" in text


@pytest.mark.parametrize("rel, source, missing, importer", [
    ("firmware/pos/flows/common.py", "X = 1\n\n\ndef later():\n    import pos.nowhere\n", "pos.nowhere",
     "pos.flows.common"),
    ("firmware/pos/util.py", "import typing\n", "typing", "pos.util"),
    ("firmware/drivers/screen.py", "import drivers.absent\n\n\nclass Screen:\n    pass\n", "drivers.absent",
     "drivers.screen"),
])
def test_the_build_fails_naming_a_missing_module_and_who_imports_it(tree, rel, source, missing, importer):
    _write(tree, {rel: source})
    with pytest.raises(build.BuildError) as e:
        _build(tree, "small")
    assert re.search(r"%s \(line \d+\) imports %s" % (re.escape(importer), re.escape(missing)), str(e.value))


@pytest.mark.parametrize("rel, source, complaint", [
    ("firmware/drivers/screen.py", "from drivers import absent\n\n\nclass Screen:\n    pass\n",
     "drivers.screen (line 1) imports absent from drivers, which has no such module or name"),
    ("firmware/pos/util.py", "from pos.flows.common import Y\n",
     "pos.util (line 1) imports Y from pos.flows.common, which has no such module or name"),
])
def test_the_build_fails_on_a_name_the_imported_module_does_not_define(tree, rel, source, complaint):
    _write(tree, {rel: source})
    with pytest.raises(build.BuildError) as e:
        _build(tree, "small")
    assert complaint in str(e.value)


def test_names_defined_under_try_and_if_at_module_level_count(tree):
    _write(tree, {"firmware/pos/flows/common.py": ("try:\n    from time import ticks_ms as X\nexcept ImportError:\n"
                                                   "    X = 0\nif X:\n    Y = 1\nelse:\n    def Y():\n        pass\n"),
                  "firmware/pos/util.py": "from pos.flows.common import X, Y\n"})
    _build(tree, "small")


def test_a_driver_the_board_names_must_exist_with_its_class(tree):
    os.remove(os.path.join(tree, "firmware", "drivers", "radio.py"))
    with pytest.raises(build.BuildError, match="part radio needs drivers.radio"):
        _build(tree, "big")
    _write(tree, {"firmware/drivers/radio.py": "class Other:\n    pass\n"})
    with pytest.raises(build.BuildError, match="defines no Radio"):
        _build(tree, "big")


def test_a_module_level_import_of_a_part_driver_the_board_lacks_fails(tree):
    _write(tree, {"firmware/runtime/board.py": "from drivers.radio import RadioBus\n"})
    with pytest.raises(build.BuildError, match="imports drivers.radio at module level"):
        _build(tree, "small")


def test_a_tree_too_big_for_two_slots_fails_with_the_numbers_and_cannot_be_flashed(tree):
    with open(os.path.join(tree, "firmware", "assets", "font.bin"), "wb") as f:
        f.truncate(900 * 1024)          # two slots of it and /state pass 2 MB
    with pytest.raises(build.SizeError, match=r"small does not fit: 2 slots of \d+ bytes .* \(\d+ short\)"):
        _build(tree, "small")
    out = os.path.join(tree, "out", "small")
    with open(os.path.join(out, "SIZES.txt")) as f:
        assert "DOES NOT FIT" in f.read()
    with pytest.raises(flash.FlashError, match="does not fit"):
        flash.commands(out, "small", PORT)
    _build(tree, "big")                 # 6 MB of vfs holds it


def test_a_non_empty_directory_that_is_not_a_build_is_never_replaced(tree):
    _write(tree, {"out/small/notes.txt": "mine"})
    with pytest.raises(build.BuildError, match="refusing"):
        _build(tree, "small")
    assert os.path.exists(os.path.join(tree, "out", "small", "notes.txt"))


def test_freeze_writes_a_manifest_whose_paths_resolve(tree):
    report, out = _build(tree, "small", freeze=True), os.path.join(tree, "out", "small")
    frozen, included = [], []

    def module(path, base_path="."):
        full = os.path.normpath(os.path.join(out, base_path, path))
        assert os.path.isfile(full), full
        frozen.append(path)

    with open(os.path.join(out, "manifest.py")) as f:
        exec(f.read(), {"module": module, "include": included.append})
    assert included == ["$(PORT_DIR)/boards/manifest.py"]
    expected = {path.replace(build.FREEZE_CHECK + "/", "slot_a/") for name, path, _, _ in report.modules
                if path.startswith(("slot_a/", build.FREEZE_CHECK + "/"))}
    assert {"slot_a/" + p[:-3] + (".py" if p == "board.py" else ".mpy") for p in frozen} == expected
    shipped = [f for _top, _dirs, files in os.walk(os.path.join(out, "slot_a")) for f in files]
    assert not [f for f in shipped if f.endswith(".mpy")]     # frozen code is never shadowed from the slot
    assert not os.path.exists(os.path.join(out, build.FREEZE_CHECK))
    frozen_mpy = [size for _, path, _, size in report.modules if path.startswith(build.FREEZE_CHECK + "/")]
    assert len(frozen_mpy) == len(frozen) - 1 and "frozen_bytes_small: %d" % sum(frozen_mpy) in report.text()


def test_romfs_puts_the_code_in_an_image_and_none_in_the_slot(tree):
    from mpremote.romfs import VfsRomWriter
    report, out = _build(tree, "small", romfs=True), os.path.join(tree, "out", "small")
    with open(os.path.join(out, build.ROMFS_IMAGE), "rb") as f:
        image = f.read()
    assert image.startswith(VfsRomWriter.ROMFS_HEADER) and report.romfs == len(image)
    in_rom = [path for _, path, _, _ in report.modules if path.startswith(build.ROMFS_TREE + "/")]
    assert "rom/pos/app.mpy" in in_rom and "rom/drivers/screen.mpy" in in_rom
    for path in in_rom:
        assert os.path.basename(path).encode() in image
    shipped = [f for _top, _dirs, files in os.walk(os.path.join(out, "slot_a")) for f in files]
    assert "board.py" in shipped and not [f for f in shipped if f.endswith(".mpy")]
    assert not os.path.exists(os.path.join(out, build.ROMFS_TREE))
    assert "romfs.img: %d bytes" % len(image) in report.text()
    assert report.mpy_bytes == sum(size for _, path, _, size in report.modules if path.endswith(".mpy"))


def test_a_mpy_build_for_a_board_without_psram_says_what_to_build_instead(tree):
    plain, frozen = _build(tree, "small"), _build(tree, "big", freeze=True)
    assert "small has no PSRAM" in plain.text() and "FREEZE=1 or ROMFS=1" in plain.text()
    assert "PSRAM" not in frozen.text() and "PSRAM" not in _build(tree, "small", romfs=True).text()


def test_freeze_and_romfs_at_once_are_refused(tree):
    with pytest.raises(build.BuildError, match="choose one"):
        _build(tree, "small", romfs=True, freeze=True)


def test_an_esp32_image_without_esp_idf_says_what_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("IDF_PATH", raising=False)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))
    assert build.main([FIRMWARE, "--board", "esp32_countertop", "--image", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "ESP-IDF" in err and "IDF_PATH is not set" in err and "idf.py is not on PATH" in err
    assert not os.path.exists(str(tmp_path / "out"))


def test_esp_idf_is_found_by_its_path_and_idf_py(tmp_path):
    idf = tmp_path / "idf.py"
    idf.write_text("#!/bin/sh\n")
    idf.chmod(0o755)
    assert build.idf_missing({"IDF_PATH": str(tmp_path), "PATH": str(tmp_path)}) == []
    assert build.idf_missing({"PATH": str(tmp_path)}) == ["IDF_PATH is not set"]


def test_a_romfs_build_imports_on_the_micropython_vm_from_its_image_and_slot(tmp_path):
    if not os.path.exists(MICROPYTHON):
        pytest.skip("no MicroPython VM in .venv")
    out = str(tmp_path / "countertop")
    report = build.build(FIRMWARE, "esp32_countertop", out, version="test", romfs=True)
    names = [n for n, path, _, _ in report.modules if n != "main" and path.endswith((".mpy", "board.py"))]
    script = ("import sys, vfs\nf = open(%r, 'rb')\nimage = bytearray(f.read())\nf.close()\n"
              "vfs.mount(vfs.VfsRom(image), '/rom')\nsys.path[:] = [%r, %r, '/rom', '.frozen']\n"
              "for n in %r:\n    __import__(n)\n"
              "print('ok', sys.modules['pos.app'].__file__.startswith('/rom/'))\n"
              % (os.path.join(out, build.ROMFS_IMAGE), os.path.join(out, "slot_a"), out, names))
    r = subprocess.run([MICROPYTHON, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok True", r.stdout + r.stderr


def test_the_flash_of_a_romfs_build_deploys_the_image_before_copying_the_slot(tree):
    _build(tree, "small", romfs=True)
    out = os.path.join(tree, "out", "small")
    cmds = flash.commands(out, "small", PORT)
    assert cmds[1] == flash.mpremote(PORT, "reset")
    assert cmds[2] == flash.mpremote(PORT, "romfs", "deploy", flash._shown(os.path.join(out, build.ROMFS_IMAGE)))
    assert cmds[3][3:6] == ["fs", "cp", "-r"]


def _device_module(out, name):
    """Whether the built tree holds module name where the device's sys.path finds it."""
    rel = name.replace(".", "/")
    for base in (os.path.join(out, "slot_a"), out):
        for candidate in (rel + ".mpy", rel + ".py", rel + "/__init__.mpy"):
            if os.path.exists(os.path.join(base, candidate)):
                return True
        if os.path.isdir(os.path.join(base, rel)):
            return True
    return False


def _imports(path):
    """(module, lazy, guarded) for each static import, read here independently of the build's walk."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = []

    def walk(node, lazy, guarded):
        for child in ast.iter_child_nodes(node):
            in_fn = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            in_try = guarded or (isinstance(child, ast.Try) and any(
                h.type is None or getattr(h.type, "id", "") == "ImportError" for h in child.handlers))
            if isinstance(child, ast.Import):
                found.extend((a.name, lazy, guarded) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and not child.level:
                found.append((child.module, lazy, guarded))
                for a in child.names:
                    sub = child.module + "." + a.name
                    if os.path.exists(os.path.join(FIRMWARE, *sub.split(".")) + ".py"):
                        found.append((sub, lazy, guarded))
            walk(child, in_fn, in_try)
    walk(tree, False, False)
    return found


@pytest.fixture(scope="module")
def boards_built(tmp_path_factory):
    built = {}
    for name in BOARDS:
        out = str(tmp_path_factory.mktemp(name))
        built[name] = (build.build(FIRMWARE, name, out, version="test"), out)
    return built


@pytest.mark.parametrize("board", BOARDS)
def test_every_shipped_module_imports_only_shipped_or_built_in_modules(boards_built, board):
    report, out = boards_built[board]
    others = build.all_part_driver_modules(os.path.join(ROOT, "boards")) - set(build.part_drivers(report.board))
    sources = build.index_tree(FIRMWARE)
    sources["board"] = os.path.join(ROOT, "boards", board + ".py")
    for name, _, _, _ in report.modules:
        path = sources[name]
        for target, lazy, guarded in _imports(path):
            if build._is_builtin(target) or guarded or (lazy and target in others):
                continue
            assert _device_module(out, target), "%s imports %s, not in the %s tree" % (name, target, board)


@pytest.mark.parametrize("board", BOARDS)
def test_a_board_ships_the_drivers_its_parts_name_and_no_other_part_driver(boards_built, board):
    report, out = boards_built[board]
    own = set(build.part_drivers(report.board))
    for module in build.all_part_driver_modules(os.path.join(ROOT, "boards")):
        shipped = os.path.exists(os.path.join(out, "slot_a", *module.split(".")) + ".mpy")
        assert shipped == (module in own), module


@pytest.mark.parametrize("board", BOARDS)
def test_every_flow_and_the_sans_io_core_ship(boards_built, board):
    report, _ = boards_built[board]
    flows = {"pos.flows." + f[:-3] for f in os.listdir(os.path.join(FIRMWARE, "pos", "flows"))
             if f.endswith(".py") and f != "__init__.py"}
    assert flows <= _shipped(report)
    assert {"main", "bootsel", "board", "pos.app", "pos.engine", "pos.journal"} <= _shipped(report)


@pytest.mark.parametrize("board", BOARDS)
def test_the_shipped_modules_import_on_the_micropython_vm_from_the_tree_alone(boards_built, board):
    if not os.path.exists(MICROPYTHON):
        pytest.skip("no MicroPython VM in .venv")
    report, out = boards_built[board]
    names = [n for n, path, _, _ in report.modules if n != "main" and path.endswith((".mpy", "board.py"))]
    script = ("import sys\nsys.path[:] = [%r, %r, '.frozen']\nfor n in %r:\n    __import__(n)\nprint('ok')\n"
              % (os.path.join(out, "slot_a"), out, names))
    r = subprocess.run([MICROPYTHON, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr


@pytest.mark.parametrize("board", BOARDS)
def test_two_slots_and_the_state_fit_the_boards_flash(boards_built, board):
    report, _ = boards_built[board]
    assert report.flash["needed"] <= report.flash["vfs"], report.text()


def test_the_build_command_prints_the_firmware_bytes_line(tree, capsys):
    args = [os.path.join(tree, "firmware"), "--board", "small", "--out", os.path.join(tree, "o"), "--version", "x"]
    assert build.main(args) == 0
    assert re.search(r"^firmware_bytes_small: \d+$", capsys.readouterr().out, re.M)


# Flash.

def test_the_flash_dry_run_prints_the_mpremote_commands_and_runs_nothing(small, capsys):
    out = small[1]
    rel = os.path.relpath(out)
    rel = out if rel.startswith("..") else rel
    assert flash.main(["--board", "small", "--port", PORT, "--build", out, "--dry-run"]) == 0
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("mpremote ")]
    assert lines[0].startswith("mpremote connect %s exec 'import os" % PORT)
    assert lines[1:] == [
        "mpremote connect %s reset" % PORT,
        "mpremote connect %s fs cp -r %s/slot_a :/slot_a" % (PORT, rel),
        "mpremote connect %s fs cp %s/bootsel.mpy :/bootsel.mpy" % (PORT, rel),
        "mpremote connect %s fs cp %s/main.py :/main.py" % (PORT, rel),
        "mpremote connect %s fs cp %s/current :/current" % (PORT, rel),
        "mpremote connect %s reset" % PORT,
    ]


def _removed(script):
    return re.search(r"for p in \((.*)\):", script).group(1)


def test_flashing_never_touches_the_state_unless_asked(small):
    out = small[1]
    keep = flash.commands(out, "small", PORT)
    script = keep[0][-1]
    assert '"/state"' not in _removed(script) and '"/slot_b"' in _removed(script)
    assert 'os.mkdir("/state")' in script
    assert not any("/state" in arg for argv in keep[1:] for arg in argv)
    assert '"/state"' in _removed(flash.commands(out, "small", PORT, wipe_state=True)[0][-1])


def test_the_removal_script_runs_on_micropython_and_spares_what_it_does_not_name(tmp_path):
    if not os.path.exists(MICROPYTHON):
        pytest.skip("no MicroPython VM in .venv")
    root = str(tmp_path)
    _write(root, {"slot_a/pos/app.mpy": "x", "main.py": "x", "state/journal": "j", "boot.py": "b"})
    script = flash._remove_script([root + "/slot_a", root + "/slot_b", root + "/main.py"], False)
    r = subprocess.run([MICROPYTHON, "-c", script], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(root)) == ["boot.py", "state"]


def test_flash_runs_each_command_and_stops_at_a_failure(small):
    out = small[1]
    ran = []

    waits = []

    def runner(argv, capture=False):
        ran.append(argv[3:])
        return (1 if argv[3:5] == ["fs", "cp"] else 0), "", ""

    with pytest.raises(flash.FlashError, match="mpremote failed"):
        flash.flash(out, "small", PORT, runner=runner, out=lambda line: None, wait=waits.append)
    assert [argv[0] for argv in ran] == ["exec", "reset", "fs"]
    assert waits == [PORT]                      # the copy waits for the board to come back from its reset


def test_a_full_flash_resets_once_more_into_the_new_image(small):
    ran, waits = [], []
    flash.flash(small[1], "small", PORT, runner=lambda argv, capture=False: ran.append(argv) or (0, "", ""),
                out=lambda line: None, wait=waits.append)
    assert ran[-1][3:] == ["reset"] and ran[-2][3:5] == ["fs", "cp"] and ran[-2][-1] == ":/current"
    assert waits == [PORT]


def test_flash_refuses_a_tree_built_for_another_board(small):
    with pytest.raises(flash.FlashError, match="built for small, not big"):
        flash.commands(small[1], "big", PORT)


# Provision.

class FakeBoard:
    """mpremote against a board's filesystem held in a dict: the commands provision uses."""

    def __init__(self, files=None):
        self.files = dict(files or {})       # path -> bytes; a directory is a path ending in "/"
        self.calls = []

    def _names(self, directory):
        prefix = directory.rstrip("/") + "/"
        names = set()
        for path in self.files:
            if path.startswith(prefix) and path != prefix:
                rest = path[len(prefix):]
                names.add(rest.split("/")[0] + ("/" if "/" in rest else ""))
        return names

    def __call__(self, argv, capture=False):
        self.calls.append(list(argv))
        assert argv[:3] == ["mpremote", "connect", PORT]
        cmd = argv[3:]
        if cmd[:2] == ["fs", "ls"]:
            d = cmd[2][1:]
            if d != "/" and d.rstrip("/") + "/" not in self.files:
                return 1, "", "mpremote: ls: %s: No such file or directory.\n" % d
            return 0, "ls :%s\n" % d + "".join("%12d %s\n" % (0, n) for n in sorted(self._names(d))), ""
        if cmd[:2] == ["fs", "mkdir"]:
            self.files[cmd[2][1:] + "/"] = b""
            return 0, "", ""
        if cmd[:2] == ["fs", "cp"]:
            with open(cmd[2], "rb") as f:
                self.files[cmd[3][1:]] = self.corrupt(f.read())
            return 0, "cp %s %s\n" % (cmd[2], cmd[3]), ""
        if cmd[:2] == ["fs", "sha256sum"]:
            return 0, "sha256sum :%s\n%s\n" % (cmd[2][1:], hashlib.sha256(self.files[cmd[2][1:]]).hexdigest()), ""
        if cmd[:2] == ["fs", "rm"]:
            del self.files[cmd[2][1:]]
            return 0, "", ""
        if cmd[0] == "exec":
            src, dst = re.fullmatch(r'import os; os.rename\("(.+)", "(.+)"\)', cmd[1]).groups()
            self.files[dst] = self.files.pop(src)
            return 0, "", ""
        raise AssertionError("unexpected mpremote command %r" % cmd)

    def corrupt(self, data):
        return data


def _provision(board, lines, **kw):
    return provision.provision(PORT, TID, MID, TMK, kw.pop("name", TERMINAL["merchant_name"]), runner=board,
                               out=lines.append, **kw)


def test_provisioning_writes_the_store_document_the_firmware_loads(tmp_path):
    from pos import store
    board, lines = FakeBoard({"/state/": b""}), []
    _provision(board, lines)
    data = board.files["/state/provision.json"]
    with open(os.path.join(str(tmp_path), "provision.json"), "wb") as f:
        f.write(data)
    assert store.load(str(tmp_path), "provision") == {
        "terminal_id": TID, "merchant_id": MID, "merchant_name": TERMINAL["merchant_name"], "tmk": TMK}
    store.save(str(tmp_path), "again", store.load(str(tmp_path), "provision"))
    with open(os.path.join(str(tmp_path), "again.json"), "rb") as f:
        assert f.read() == data
    assert "/state/provision.new" not in board.files


def test_provisioning_makes_the_state_directory_on_a_fresh_board():
    board = FakeBoard({"/boot.py": b""})
    _provision(board, [])
    assert "/state/" in board.files and "/state/provision.json" in board.files


@pytest.mark.parametrize("existing", ["/state/provision.json", "/state/provision.new"])
def test_a_board_already_provisioned_is_refused_and_left_as_it_was(existing):
    board = FakeBoard({"/state/": b"", existing: b"old", "/state/journal.bin": b"j"})
    before = dict(board.files)
    with pytest.raises(provision.ProvisionError, match="already provisioned"):
        _provision(board, [])
    assert board.files == before
    assert not any(c[3:5] == ["fs", "cp"] for c in board.calls)


def test_provisioning_twice_is_refused_the_second_time():
    board = FakeBoard({"/state/": b""})
    _provision(board, [])
    first = board.files["/state/provision.json"]
    with pytest.raises(provision.ProvisionError, match="already provisioned"):
        provision.provision(PORT, "87654321", MID, "00" * 16, runner=board, out=[].append)
    assert board.files["/state/provision.json"] == first


def test_a_copy_that_does_not_match_is_removed():
    board = FakeBoard({"/state/": b""})
    board.corrupt = lambda data: data[:-3]
    with pytest.raises(provision.ProvisionError, match="does not match"):
        _provision(board, [])
    assert set(board.files) == {"/state/"}


def test_the_tmk_never_appears_in_output_commands_or_temporary_files(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(provision.tempfile, "tempdir", str(tmp_path))
    key = tmp_path / "tmk.hex"
    key.write_text(TMK.lower() + "\n")
    board = FakeBoard({"/state/": b""})
    args = ["--port", PORT, "--terminal", TID, "--merchant", MID, "--tmk-file", str(key)]
    assert provision.main(args, runner=board) == 0
    assert provision.main(args, runner=board) == 1         # refused: provisioned already
    captured = capsys.readouterr()
    seen = captured.out + captured.err + repr(board.calls)
    assert TMK not in seen.upper()
    assert "already provisioned" in captured.err
    assert sorted(os.listdir(str(tmp_path))) == ["tmk.hex"]


def _no_board(argv, capture=False):
    raise AssertionError("ran %r" % argv)


def test_the_provision_dry_run_shows_the_commands_with_tmk_replaced_and_runs_nothing(capsys):
    assert provision.main(["--port", PORT, "--terminal", TID, "--merchant", MID, "--tmk-file", "-",
                           "--name", "Shop", "--dry-run"], stdin=io.StringIO(TMK + "\n"), runner=_no_board) == 0
    printed = capsys.readouterr().out
    assert TMK not in printed.upper()
    assert '"tmk":"<TMK>"' in printed and '"terminal_id":"%s"' % TID in printed
    commands = [line.split("    #")[0] for line in printed.splitlines() if line.startswith("mpremote ")]
    assert commands == [
        "mpremote connect %s fs ls :/" % PORT,
        "mpremote connect %s fs ls :/state" % PORT,
        "mpremote connect %s fs mkdir :/state" % PORT,
        "mpremote connect %s fs cp '<temporary file>' :/state/provision.new" % PORT,
        "mpremote connect %s fs sha256sum :/state/provision.new" % PORT,
        """mpremote connect %s exec 'import os; os.rename("/state/provision.new", "/state/provision.json")'""" % PORT,
    ]


def test_the_shops_wifi_goes_in_the_provision_document_with_its_password_never_shown(tmp_path, capsys):
    secret = tmp_path / "wifi.txt"
    secret.write_text("s3cret-pass\n")
    assert provision.main(["--port", PORT, "--terminal", TID, "--merchant", MID, "--tmk-file", "-",
                           "--wifi-ssid", "Shop-WiFi", "--wifi-password-file", str(secret), "--apn", "cmnet",
                           "--dry-run"], stdin=io.StringIO(TMK + "\n"), runner=_no_board) == 0
    printed = capsys.readouterr().out
    assert "s3cret-pass" not in printed and '"wifi_password":"<WIFI PASSWORD>"' in printed
    assert '"wifi_ssid":"Shop-WiFi"' in printed and '"apn":"cmnet"' in printed
    doc = provision.document(TID, MID, TMK, link={"wifi_ssid": "Shop-WiFi", "wifi_password": "s3cret-pass"})
    assert doc["wifi_password"] == "s3cret-pass"
    with pytest.raises(provision.ProvisionError):
        provision.document(TID, MID, TMK, link={"wifi_ssid": "x" * 65})


@pytest.mark.parametrize("terminal, merchant, tmk, complaint", [
    ("1234567", MID, TMK, "terminal id"),
    ("123456789", MID, TMK, "terminal id"),
    ("1234 678", MID, TMK, "terminal id"),
    (TID, "12345678901234", TMK, "merchant id"),
    (TID, "1234567890123456", TMK, "merchant id"),
    (TID, MID, TMK[:-1], "32 or 48 hex"),
    (TID, MID, TMK + "00", "32 or 48 hex"),
    (TID, MID, TMK * 2, "32 or 48 hex"),
    (TID, MID, TMK[:-1] + "G", "hex digits only"),
])
def test_bad_ids_and_tmks_are_refused_without_showing_the_key(tmp_path, capsys, terminal, merchant, tmk, complaint):
    key = tmp_path / "tmk.hex"
    key.write_text(tmk)
    assert provision.main(["--port", PORT, "--terminal", terminal, "--merchant", merchant, "--tmk-file", str(key)],
                          runner=_no_board) == 1
    captured = capsys.readouterr()
    assert complaint in captured.err
    assert tmk not in captured.out + captured.err


def test_a_triple_length_tmk_is_accepted():
    assert provision.document(TID, MID, "0123456789abcdef" * 3)["tmk"] == "0123456789ABCDEF" * 3


@pytest.mark.parametrize("given", [["--tmk", TMK], ["--tmk-file", "k", TMK], ["--tmk=" + TMK]])
def test_the_tmk_cannot_be_given_on_the_command_line_and_is_not_echoed(capsys, given):
    with pytest.raises(SystemExit):
        provision.main(["--port", PORT, "--terminal", TID, "--merchant", MID] + given, runner=_no_board)
    captured = capsys.readouterr()
    assert TMK not in captured.out + captured.err


def test_the_makefile_targets_run_the_tools():
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")

    def dry(*args):
        return subprocess.run([make, "-n", "-C", ROOT] + list(args), capture_output=True, text=True).stdout

    assert "-m tools.build firmware --board esp32s3_handheld" in dry("firmware", "BOARD=esp32s3_handheld")
    assert "-m tools.flash --board esp32s3_handheld --port /dev/ttyUSB0 --dry-run" in dry(
        "flash", "BOARD=esp32s3_handheld", "PORT=/dev/ttyUSB0", "DRY=1")
    assert "-m tools.provision --port P --terminal '%s' --merchant '%s' --tmk-file 'k.hex'" % (TID, MID) in dry(
        "provision", "PORT=P", "TERMINAL=" + TID, "MERCHANT=" + MID, "TMK_FILE=k.hex")


def test_the_countertop_ships_the_gb2312_font_under_the_fonts_name(boards_built):
    _, out = boards_built["esp32_countertop"]
    shipped = os.path.join(out, "slot_a", "assets")
    assert sorted(n for n in os.listdir(shipped) if n.startswith("font16")) == ["font16.bin"]
    with open(os.path.join(shipped, "font16.bin"), "rb") as f, \
            open(os.path.join(FIRMWARE, "assets", "font16_gb2312.bin"), "rb") as g:
        assert f.read() == g.read()
    _, out = boards_built["esp32s3_handheld"]
    assert sorted(n for n in os.listdir(os.path.join(out, "slot_a", "assets")) if n.startswith("font16")) == \
        ["font16.bin"]
