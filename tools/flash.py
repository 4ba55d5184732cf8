"""Install a built tree (tools/build.py) on a board already running MicroPython, with mpremote.

    python -m tools.flash --board NAME --port /dev/ttyUSB0 [--build build/NAME] [--dry-run] [--wipe-state]

A full flash: the previous application (both slots, /main.py, /current,
bootsel's trial) is removed and the board reset at once, so the copy runs with
no application and no watchdog (a running terminal's resets the board 30 s
after mpremote stops the loop that feeds it); then a --romfs build's
romfs.img is deployed to the ROMFS partition (`mpremote romfs deploy`, which
refuses a MicroPython without ROMFS or a partition too small), slot_a, /bootsel.mpy and
/main.py are copied, /current last, and the board is reset into the new
image. /state/ (journal, provision, settings) is never touched, only created
when missing, unless --wipe-state. --dry-run prints the mpremote
command lines and runs nothing. MicroPython itself goes on with esptool
first (docs/device.md, "Build, flash, provision").
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time

from tools.build import DOES_NOT_FIT, ROMFS_IMAGE, BuildError, load_board

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATE = "/state"
# bootsel's own files at the root (firmware/bootsel.py): they belong to the image being replaced.
BOOTSEL_FILES = ("trial", "trial.new", "current.new")


class FlashError(Exception):
    pass


def mpremote_exe():
    here = os.path.join(os.path.dirname(sys.executable), "mpremote")
    return here if os.path.exists(here) else (shutil.which("mpremote") or "mpremote")


def run_mpremote(argv, capture=False):
    """Run one mpremote command line; (exit status, stdout, stderr) (the outputs when captured)."""
    try:
        r = subprocess.run([mpremote_exe()] + list(argv[1:]), capture_output=capture, text=True)
    except OSError as e:
        raise FlashError("cannot run mpremote (%s): run `make venv`" % e.strerror)
    return r.returncode, r.stdout or "", r.stderr or ""


def command_line(argv):
    return shlex.join(argv)


def mpremote(port, *args):
    return ["mpremote", "connect", port] + list(args)


def _remove_script(paths, make_state):
    """Python run on the device: remove each path (a directory with all it holds) if it is there."""
    lines = ["import os",
             "def rm(p):",
             "    try:",
             "        mode = os.stat(p)[0]",
             "    except OSError:",
             "        return",
             "    if mode & 0x4000:",
             "        for n in os.listdir(p):",
             "            rm(p + \"/\" + n)",
             "        os.rmdir(p)",
             "    else:",
             "        os.remove(p)",
             "for p in (%s,):" % ", ".join('"%s"' % p for p in paths),
             "    rm(p)"]
    if make_state:
        lines += ["try:", '    os.mkdir("%s")' % STATE, "except OSError:", "    pass"]
    return "\n".join(lines)


def _alternate(name):
    stem, ext = os.path.splitext(name)
    return {".py": stem + ".mpy", ".mpy": stem + ".py"}.get(ext)


def _shown(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def check_build(build_dir, board):
    """The top-level entries of a finished build of board, or FlashError."""
    need = ("main.py", "bootsel.mpy", "current", "slot_a")
    missing = [n for n in need if not os.path.exists(os.path.join(build_dir, n))]
    if missing:
        raise FlashError("%s is not a build (no %s): run `make firmware BOARD=%s`"
                         % (build_dir, ", ".join(missing), board))
    sizes = os.path.join(build_dir, "SIZES.txt")
    if os.path.exists(sizes):
        with open(sizes, encoding="utf-8") as f:
            if DOES_NOT_FIT in f.read():
                raise FlashError("%s does not fit %s's flash with two slots (see %s)" % (build_dir, board, sizes))
    try:
        built_for = load_board(os.path.join(build_dir, "slot_a", "board.py"))["NAME"]
    except BuildError as e:
        raise FlashError(str(e))
    if built_for != board:
        raise FlashError("%s was built for %s, not %s" % (build_dir, built_for, board))
    return need


def commands(build_dir, board, port, wipe_state=False):
    """The mpremote command lines of a full flash, in order."""
    top = check_build(build_dir, board)
    files = [n for n in top if n != "slot_a"]
    old = ["/slot_a", "/slot_b"]
    for name in files:
        old.append("/" + name)
        if _alternate(name):
            old.append("/" + _alternate(name))     # a stale main.mpy or bootsel.py would shadow the new one
    old += ["/" + n for n in BOOTSEL_FILES]
    if wipe_state:
        old.append(STATE)
    cmds = [mpremote(port, "exec", _remove_script(old, True)),
            mpremote(port, "reset")]
    image = os.path.join(build_dir, ROMFS_IMAGE)
    if os.path.exists(image):       # a --romfs build: the code into the ROMFS partition first
        cmds.append(mpremote(port, "romfs", "deploy", _shown(image)))
    cmds.append(mpremote(port, "fs", "cp", "-r", _shown(os.path.join(build_dir, "slot_a")), ":/slot_a"))
    for name in ("bootsel.mpy", "main.py", "current"):
        cmds.append(mpremote(port, "fs", "cp", _shown(os.path.join(build_dir, name)), ":/" + name))
    cmds.append(mpremote(port, "reset"))
    return cmds


def wait_for_port(port, timeout_s=15):
    """After a reset: until the serial port is back (the S3's USB port goes away while it boots)."""
    time.sleep(1)
    if port.startswith("/dev/"):
        deadline = time.monotonic() + timeout_s
        while not os.path.exists(port):
            if time.monotonic() > deadline:
                raise FlashError("%s did not come back within %d s of the reset" % (port, timeout_s))
            time.sleep(0.2)
    time.sleep(1)               # the board's boot.py, before mpremote can interrupt it


def flash(build_dir, board, port, dry_run=False, wipe_state=False, runner=run_mpremote, out=print,
          wait=wait_for_port):
    cmds = commands(build_dir, board, port, wipe_state)
    for i, argv in enumerate(cmds):
        out(command_line(argv))
        if dry_run:
            continue
        status, _, _ = runner(argv)
        if status:
            raise FlashError("mpremote failed (exit %d): %s" % (status, " ".join(argv[3:5])))
        if argv[3:] == ["reset"] and i + 1 < len(cmds):
            wait(port)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.flash", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--board", required=True, help="the board the tree was built for")
    ap.add_argument("--port", required=True, help="the board's serial port (/dev/ttyUSB0, /dev/ttyACM0)")
    ap.add_argument("--build", help="the built tree (build/BOARD)")
    ap.add_argument("--dry-run", action="store_true", help="print the mpremote commands, run nothing")
    ap.add_argument("--wipe-state", action="store_true",
                    help="also erase /state/: the journal, the provision (TMK) and the settings")
    args = ap.parse_args(argv)
    build_dir = args.build or os.path.join(ROOT, "build", args.board)
    try:
        return flash(build_dir, args.board, args.port, args.dry_run, args.wipe_state)
    except FlashError as e:
        print("flash failed: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
