"""make bench: the figures, as `name: value` lines."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def mpy_total():
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(sorted(glob.glob(os.path.join(ROOT, "firmware", "**", "*.py"), recursive=True))):
            out = os.path.join(tmp, "%d.mpy" % i)
            subprocess.run([os.path.join(BIN, "mpy-cross"), "-march=xtensawin", "-o", out, path], check=True)
            total += os.path.getsize(out)
    return total


def mpy_tree(dest):
    """The firmware as bytecode .mpy files, as the board imports it (no compiler RAM), and the
    flow tests' scripted host."""
    fw = os.path.join(ROOT, "firmware")
    for path in glob.glob(os.path.join(fw, "**", "*.py"), recursive=True):
        rel = os.path.relpath(path, fw)
        out = os.path.join(dest, "firmware", rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", out, path], check=True)
    os.makedirs(os.path.join(dest, "firmware", "assets"), exist_ok=True)
    for asset in os.listdir(os.path.join(fw, "assets")):
        os.symlink(os.path.join(fw, "assets", asset), os.path.join(dest, "firmware", "assets", asset))
    os.makedirs(os.path.join(dest, "host_tests", "vm"))
    for name in ("vmutil", "flowkit", "devicekit"):
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", os.path.join(dest, "host_tests", "vm", name + ".mpy"),
                        os.path.join(ROOT, "host_tests", "vm", name + ".py")], check=True)


def _sale_record(trace, day="20261123", fen=None):
    return {"k": "sale", "st": "approved", "op": "01", "amt": 1000 + trace if fen is None else fen,
            "pan": "622202*********0017", "entry": "swipe", "batch": 1, "trace": trace, "date": day,
            "time": "101500", "rc": "00", "ref": "101500%06d" % trace, "auth": "%06d" % trace,
            "iss": "ICBC", "acq": "99990000"}


def fixtures(dest):
    """Terminals' flash written with the firmware's own journal and store: a batch of 500 sales
    (each with its two printed copies) to settle, and a 5,000-record journal to query."""
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    from pos import store
    from pos.journal import Journal
    settle = os.path.join(dest, "fixtures", "settle500")
    os.makedirs(settle)
    journal = Journal(settle, 1024 * 1024)
    for trace in range(1, 501):
        journal.append(_sale_record(trace))
        for copy in (0, 1):
            journal.append({"k": "printed", "batch": 1, "trace": trace, "copy": copy})
    store.save(settle, "counters", {"trace": 500, "batch": 1})
    store.save(settle, "settings", {"journal_max_bytes": 1024 * 1024})
    query = os.path.join(dest, "fixtures", "query5000")
    os.makedirs(query)
    journal = Journal(query, 4 * 1024 * 1024)
    for trace in range(1, 5001):
        journal.append(_sale_record(trace, "202611%02d" % (13 + trace % 10)))


def vm(tree, heap_kb, *args):
    r = subprocess.run([os.path.join(BIN, "micropython"), "-X", "heapsize=%dK" % heap_kb,
                        os.path.join(ROOT, "tools", "bench_vm.py"), tree] + list(args),
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def figures(out):
    """name -> value of the `name: value` lines a VM run printed."""
    found = {}
    for line in out.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name.replace("_", "").isalnum():
            found[name] = value
    return found


# Exit status of a bench_vm.py run: 0 done, 3 out of memory in the flow, 4 before it.
DONE = 0


def smallest_heap(run, start=512):
    """(H, output at H): the smallest heap in KB found, walking down, at which run(kb) -> (exit
    status, output) is done; SystemExit when it is not done at start.

    The collector makes the outcome near the limit chaotic (a run at H - 3
    may pass where H - 1 failed), so no bisection: from start the sizes are
    walked down 8 KB at a time to the first failure, then from 8 KB above it
    one KB at a time to the first failure again. H is the last size passed.
    """
    rc, out = run(start)
    if rc != DONE:
        raise SystemExit("not done in %d KB:\n%s" % (start, out))
    kb = start
    for step in (8, 1):
        while kb - step > 0:
            rc, next_out = run(kb - step)
            if rc != DONE:
                break
            kb, out = kb - step, next_out
    return kb, out


def working_heap(tree, flow, start=65536):
    """Heap the flow needs above the idle heap, fragmentation inside it included, to 256 bytes.

    The terminal is brought to its idle screen in a large heap; then all the
    free heap but one block of N bytes is taken (bench_vm.py's arena), so the
    flow has exactly N bytes to work in. N is walked down, 4 KB and then 256
    bytes at a time, to the first N at which the flow fails.
    """
    rc, out = vm(tree, 1024, "flow", flow, "reserve=%d" % start)
    if rc != DONE:
        raise SystemExit("%s does not complete in %d bytes:\n%s" % (flow, start, out))
    n = start
    for step in (4096, 256):
        while n - step > 0:
            rc, next_out = vm(tree, 1024, "flow", flow, "reserve=%d" % (n - step))
            if rc != DONE:
                break
            n, out = n - step, next_out
    return int(figures(out)["free_heap_bytes"])


# The device booted to its idle screen: the operator logged in, the terminal signed in.
BOOT = ("until 操作员号", "keys 0,1,ENTER,0,0,0,0,ENTER", "until 欢迎使用")


def romfs_image(tree):
    """A ROMFS image of tree's firmware .mpy files (no assets), made as `make firmware ROMFS=1`
    makes one, with the fake board's (devicekit, vmutil): the code standing in for the board's
    `machine` and `network`, which on a board are C in its firmware and take no heap."""
    from tools.build import ROMFS_IMAGE, ROMFS_TREE, write_romfs
    out = tempfile.mkdtemp(prefix="pos-romfs-")
    rom = os.path.join(out, ROMFS_TREE)
    shutil.copytree(os.path.join(tree, "firmware"), rom, symlinks=True, ignore=shutil.ignore_patterns("assets"))
    for name in ("devicekit.mpy", "vmutil.mpy"):
        shutil.copyfile(os.path.join(tree, "host_tests", "vm", name), os.path.join(rom, name))
    write_romfs(out)
    path = os.path.join(tree, "firmware.romfs")
    shutil.move(os.path.join(out, ROMFS_IMAGE), path)
    shutil.rmtree(out)
    return path


def device_boot(tree, port, heap_kb, image=None):
    """(exit status, output): host_tests/vm/netdevice.py booted to the idle screen against the
    acquirer at port, on a fresh flash, in heap_kb of heap (plus the image's size, for --romfs)."""
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    from pos import store
    with open(os.path.join(ROOT, "tools", "testdata", "testdata.json"), encoding="utf-8") as f:
        terminal = json.load(f)["terminal"]
    with tempfile.TemporaryDirectory() as state:
        store.save(state, "provision", terminal)
        store.save(state, "settings", {"wifi_ssid": "shop", "wifi_password": "secret",
                                       "host_addr": "127.0.0.1", "host_port": port})
        extra = (["--romfs", image] if image else []) + ["--every-driver"]
        kb = heap_kb + (os.path.getsize(image) + 2047) // 1024 if image else heap_kb
        r = subprocess.run([os.path.join(BIN, "micropython"), "-X", "heapsize=%dK" % kb,
                            os.path.join(ROOT, "host_tests", "vm", "netdevice.py"), tree, state] + extra + list(BOOT),
                           capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout + r.stderr


def boot_figures(tree):
    """The device on the VM, every driver imported, booted against the acquirer on loopback (the
    VM's heap holds the firmware and fake pins, no scripted host): with the firmware as .mpy files
    (bytecode loaded into the heap), and from a ROMFS image (bytecode left in flash)."""
    from tools.acquirer.testing import start_acquirer, stop_acquirer
    db = tempfile.mkdtemp(prefix="pos-bench-acq-")
    acquirer, port = start_acquirer(os.path.join(db, "acquirer.db"), extra_args=["--clock", "2026-11-23T10:00:00"])
    try:
        rc, out = device_boot(tree, port, 110)
        print("boot_free_heap_bytes:", figures(out)["heap_free_bytes"] if rc == DONE
              else "out of memory in a 110 KB heap")
        image = romfs_image(tree)
        for tag, img in (("boot", None), ("boot_romfs", image)):
            kb, out = smallest_heap(lambda kb: device_boot(tree, port, kb, img), 320)
            print("%s_smallest_heapsize_kb: %d" % (tag, kb))
            print("%s_heap_in_use_bytes: %s" % (tag, figures(out)["heap_in_use_bytes"]))
            print("%s_qstr_pool_bytes: %s" % (tag, re.search(r"n_total_bytes=(\d+)", out).group(1)))
    finally:
        stop_acquirer(acquirer)
        shutil.rmtree(db, ignore_errors=True)


def device_figures(tree):
    """Issue 5's: free heap after boot, firmware bytes per board, LCD and printer speed."""
    boot_figures(tree)
    for board in sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "boards", "*.py"))):
        with tempfile.TemporaryDirectory() as out_dir:
            r = subprocess.run([sys.executable, "-m", "tools.build", "firmware", "--board", board, "--out", out_dir],
                               cwd=ROOT, capture_output=True, text=True)
        found = figures(r.stdout)
        name = "firmware_bytes_" + board
        print("%s: %s" % (name, found.get(name, "build failed")))
    font = os.path.join(ROOT, "firmware", "assets", "font16.bin")
    for script, name in (("bench_display_vm.py", "lcd_full_screen_ms"), ("bench_printer_vm.py", "printer_bytes_per_s")):
        r = subprocess.run([os.path.join(BIN, "micropython"), os.path.join(ROOT, "tools", script), font],
                           cwd=ROOT, capture_output=True, text=True)
        print("%s: %s" % (name, figures(r.stdout).get(name, "failed: " + r.stderr.strip()[-80:])))


def codec_ratio():
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    import iso8583 as pyiso
    from pos import cup, iso8583
    from tools.acquirer.spec import SPEC
    msg = {0: "0200", 2: "6222021000000000017", 3: "000000", 4: "000000012345", 11: "000001", 14: "3012",
           22: "021", 25: "00", 26: "12", 35: "6222021000000000017=30121010000000000", 41: "12345678",
           42: "123456789012345", 49: "156", 52: bytes(8), 53: "2600000000000000", 60: "2200000100060",
           64: bytes(8)}
    py = {"t": "0200"}
    for k, v in msg.items():
        if k:
            py[str(k)] = v.hex().upper() if isinstance(v, bytes) else (v.replace("=", "D") if k == 35 else v)
    ours = min(timeit.repeat(lambda: iso8583.decode(cup, iso8583.encode(cup, msg)), number=2000, repeat=5))
    theirs = min(timeit.repeat(lambda: pyiso.decode(bytearray(pyiso.encode(dict(py), SPEC)[0]), SPEC),
                               number=2000, repeat=5))
    return ours / theirs


def main():
    print("mpy_total_bytes:", mpy_total())
    tree = tempfile.mkdtemp(prefix="pos-bench-")
    mpy_tree(tree)
    fixtures(tree)
    for what in ("imports", "timing", "query"):
        rc, out = vm(tree, 1024, what)
        if rc:
            sys.stdout.write(out)
            return rc
        for name, value in figures(out).items():
            print("%s: %s" % (name, value))
    for flow in ("sale", "bill", "settle500"):
        print("%s_peak_working_heap_bytes: %d" % (flow, working_heap(tree, flow)))
        rc, out = vm(tree, 1024, "flow", flow, "sample")
        name = flow + "_sampled_live_heap_bytes"
        print("%s: %s" % (name, figures(out)[name]))
    print("sale_smallest_heapsize_kb:", smallest_heap(lambda kb: vm(tree, kb, "flow", "sale", "lazy"))[0])
    device_figures(tree)
    print("codec_time_ratio_vs_pyiso8583: %.2f" % codec_ratio())
    return 0


if __name__ == "__main__":
    sys.exit(main())
