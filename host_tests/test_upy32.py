"""tools/upy32.py, the 32-bit frozen VM: one list of modules with the ESP32 image, the stamp that
decides a rebuild, and where the MicroPython source comes from. (The build itself runs in every
`make test`; a clone of upstream cannot be tried without the network.)"""
import os
import subprocess

import pytest

from tools import build, upy32

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIRMWARE = os.path.join(ROOT, "firmware")
KITS = os.path.join(ROOT, "host_tests", "vm")


def _manifest(path):
    """(included manifests, absolute paths of the modules frozen) of a manifest.py."""
    included, frozen = [], []
    here = os.path.dirname(path)

    def module(rel, base_path="."):
        full = os.path.normpath(os.path.join(here, base_path, rel))
        assert os.path.isfile(full), full
        frozen.append(full)

    with open(path) as f:
        exec(f.read(), {"module": module, "include": included.append})
    return included, frozen


def test_the_unix_vm_freezes_what_the_boards_esp32_manifests_freeze_and_the_fake_board(tmp_path):
    boards = {}
    for name in build.board_names(os.path.join(ROOT, "boards")):
        out = str(tmp_path / name)
        build.build(FIRMWARE, name, out, version="test", freeze=True)
        included, frozen = _manifest(os.path.join(out, "manifest.py"))
        assert included == ["$(PORT_DIR)/boards/manifest.py"]
        boards[name] = {p for p in frozen if not p.startswith(out)}        # the board file aside
    path = str(tmp_path / "unix" / "manifest.py")
    os.makedirs(os.path.dirname(path))
    upy32.write_unix_manifest(path, upy32.frozen_modules())
    included, frozen = _manifest(path)
    assert included == ["$(MPY_DIR)/extmod/asyncio"]
    fakes = {p for p in frozen if p.startswith(os.path.join(FIRMWARE, "drivers", "fakes") + os.sep)}
    kits = {p for p in frozen if p.startswith(KITS + os.sep)}
    assert set(frozen) - fakes - kits == set().union(*boards.values())
    assert boards["esp32_countertop"] != boards["esp32s3_handheld"]          # each board its own drivers
    assert os.path.join(FIRMWARE, "drivers", "fakes", "board.py") in fakes
    assert {os.path.basename(p) for p in kits} >= {"vmutil.py", "devicekit.py", "flowkit.py", "updkit.py"}
    assert not [p for p in kits if os.path.basename(p).startswith("test_") or p.endswith("netdevice.py")]
    assert os.path.join(FIRMWARE, "bootsel.py") not in frozen and os.path.join(FIRMWARE, "main.py") not in frozen


def test_the_stamp_changes_with_a_frozen_file_the_manifest_or_the_source(tmp_path):
    files = []
    for name in ("a.py", "b.py"):
        files.append(str(tmp_path / name))
        (tmp_path / name).write_text("X = 1\n")
    tarball = tmp_path / "mp.tar.gz"
    tarball.write_bytes(b"source one")
    first = upy32.stamp(str(tarball), "module('a.py')", files)
    assert upy32.stamp(str(tarball), "module('a.py')", files) == first
    (tmp_path / "b.py").write_text("X = 2\n")
    changed = upy32.stamp(str(tarball), "module('a.py')", files)
    assert changed != first
    assert upy32.stamp(str(tarball), "module('b.py')", files) != changed
    tarball.write_bytes(b"source two")
    assert upy32.stamp(str(tarball), "module('a.py')", files) != changed


def test_micropy_src_chooses_the_source_and_the_shared_tarball_is_the_default_where_it_exists(tmp_path, monkeypatch):
    assert upy32.source_spec({"MICROPY_SRC": "/src/micropython"}) == "/src/micropython"
    tarball = tmp_path / "micropython-1.28.0.tar.gz"
    monkeypatch.setattr(upy32, "TARBALL", str(tarball))
    assert upy32.source_spec({}) == upy32.UPSTREAM == "https://github.com/micropython/micropython"
    tarball.write_bytes(b"")
    assert upy32.source_spec({}) == str(tarball)
    assert upy32.TAG == "v1.28.0"


def test_each_kind_of_source_is_known_by_what_would_change_it(tmp_path):
    tarball = tmp_path / "mp.tar.gz"
    tarball.write_bytes(b"source")
    assert upy32.source_id(str(tarball)).startswith("tar ")
    assert upy32.source_id(str(tmp_path)) == "dir %s " % tmp_path          # not a git checkout: no commit
    assert upy32.source_id(upy32.UPSTREAM) == "git %s v1.28.0" % upy32.UPSTREAM


def test_a_tarball_is_unpacked_once_and_again_when_it_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(upy32, "SOURCES", str(tmp_path / "sources"))
    top = tmp_path / "pack" / "micropython-1.28.0"
    top.mkdir(parents=True)
    (top / "README").write_text("one")
    tarball = str(tmp_path / "mp.tar.gz")
    subprocess.run(["tar", "-czf", tarball, "-C", str(tmp_path / "pack"), "micropython-1.28.0"], check=True)
    with open(str(tmp_path / "log"), "w") as log:
        src = upy32.source_dir(tarball, log)
        assert src == str(tmp_path / "sources" / "micropython-1.28.0")
        (tmp_path / "sources" / "micropython-1.28.0" / "built").write_text("")
        assert upy32.source_dir(tarball, log) == src and os.path.exists(os.path.join(src, "built"))
        (top / "README").write_text("two")
        subprocess.run(["tar", "-czf", tarball, "-C", str(tmp_path / "pack"), "micropython-1.28.0"], check=True)
        assert upy32.source_dir(tarball, log) == src and not os.path.exists(os.path.join(src, "built"))
    with open(os.path.join(src, "README")) as f:
        assert f.read() == "two"


def test_a_vm_whose_stamp_is_current_is_not_built_again(tmp_path, monkeypatch):
    for name, value in (("OUT", tmp_path), ("BINARY", tmp_path / "micropython"), ("MANIFEST", tmp_path / "m.py"),
                        ("SOURCES", tmp_path / "sources")):
        monkeypatch.setattr(upy32, name, str(value))

    def no_build(cmd, log):
        raise AssertionError("built: %s" % cmd)
    monkeypatch.setattr(upy32, "run_logged", no_build)
    (tmp_path / "micropython").write_text("")
    (tmp_path / "stamp").write_text(upy32.current_stamp()[1])
    assert upy32.ensure() == str(tmp_path / "micropython")
    (tmp_path / "stamp").write_text("an older build")
    with pytest.raises(AssertionError, match="built"):
        upy32.ensure()


def test_the_vm_is_32_bit_with_the_firmware_frozen():
    r = subprocess.run([upy32.ensure(), "-c", "import sys, pos.app, devicekit\n"
                        "print(sys.maxsize, pos.app.__file__, devicekit.__file__)"],
                       capture_output=True, text=True, cwd="/", timeout=60)
    assert r.stdout.split() == [str(2 ** 31 - 1), "pos/app.py", "devicekit.py"], r.stdout + r.stderr
