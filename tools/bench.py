"""make bench: the figures, as `name: value` lines (docs/architecture.md, "Memory, and how make
bench measures it"). The heap and speed figures come from the 32-bit VM with the firmware frozen
(tools/upy32.py), but those named _64bit, from the 64-bit VM of PyPI with the firmware as .mpy."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import timeit

from tools import bench_backoffice, bench_qr, bench_receipts, bench_signature, bench_store, devicerun, upy32

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
VM_64 = os.path.join(BIN, "micropython")


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


def fixtures(dest):
    """Terminals' flash written with the firmware's own journal and store: a batch of 500 sales
    (each with its two printed copies) to settle, and a 5,000-record journal to query."""
    from pos import store
    from pos.journal import Journal
    settle = os.path.join(dest, "fixtures", "settle500")
    devicerun.write_batch(settle, 500)
    store.save(settle, "settings", {"journal_max_bytes": 1024 * 1024})
    query = os.path.join(dest, "fixtures", "query5000")
    os.makedirs(query)
    journal = Journal(query, 4 * 1024 * 1024)
    for trace in range(1, 5001):
        journal.append(devicerun.sale_record(trace, "202611%02d" % (13 + trace % 10)))


def vm(micropython, tree, heap_kb, *args):
    r = subprocess.run([micropython, "-X", "heapsize=%dK" % heap_kb,
                        os.path.join(ROOT, "tools", "bench_vm.py"), tree] + list(args),
                       cwd=ROOT, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def figures(out):
    """name -> value of the `name: value` lines a VM run printed."""
    found = {}
    for line in out.splitlines():
        name, sep, value = line.partition(": ")
        if sep and name.replace("_", "").isalnum():
            found[name] = value
    return found


# Exit status of a bench_vm.py or netdevice.py run: 0 done, 3 out of memory in the flow, 4 before
# it (netdevice: anywhere, a MemoryError the shell recovered from too).
DONE = 0


def smallest_heap(run, start=160):
    """(H, output at H): the smallest heap in KB found, walking down, at which run(kb) -> (exit
    status, output) is done; (None, output) when it is not done at start.

    The collector makes the outcome near the limit chaotic (a run at H - 3
    may pass where H - 1 failed), so no bisection: from start the sizes are
    walked down 8 KB at a time to the first failure, then from 8 KB above it
    one KB at a time to the first failure again. H is the last size passed.
    """
    rc, out = run(start)
    if rc != DONE:
        return None, out
    kb = start
    for step in (8, 1):
        while kb - step > 0:
            rc, next_out = run(kb - step)
            if rc != DONE:
                break
            kb, out = kb - step, next_out
    return kb, out


def working_heap(tree, flow, micropython=VM_64, start=65536):
    """Heap the flow needs above the idle heap, fragmentation inside it included, to 256 bytes.

    The terminal is brought to its idle screen in a large heap; then all the
    free heap but one block of N bytes is taken (bench_vm.py's arena), so the
    flow has exactly N bytes to work in. N is walked down, 4 KB and then 256
    bytes at a time, to the first N at which the flow fails.
    """
    rc, out = vm(micropython, tree, 1024, "flow", flow, "reserve=%d" % start)
    if rc != DONE:
        raise SystemExit("%s does not complete in %d bytes:\n%s" % (flow, start, out))
    n = start
    for step in (4096, 256):
        while n - step > 0:
            rc, next_out = vm(micropython, tree, 1024, "flow", flow, "reserve=%d" % (n - step))
            if rc != DONE:
                break
            n, out = n - step, next_out
    return int(figures(out)["free_heap_bytes"])


def chip_figures(vm32):
    """The chip kernel's speed on the 32-bit frozen VM (tools/bench_chip_vm.py): a chip sale's
    terminal time, a tap's card step, DDA; each the median of a few runs."""
    r = subprocess.run([vm32, "-X", "heapsize=1024K", os.path.join(ROOT, "tools", "bench_chip_vm.py"),
                        "sale", "tap", "dda"], cwd=ROOT, capture_output=True, text=True)
    found = figures(r.stdout)
    for name in ("chip_terminal_ms", "tap_card_step_ms", "dda_ms"):
        print("%s: %s" % (name, found.get(name, "failed: " + r.stderr.strip()[-200:])))


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


def device_runs(vm32):
    """{figure name: run(kb) -> (exit status, output)}: the device on the 32-bit frozen VM, each run
    on a fresh flash against an acquirer of its own on loopback (one that answered an earlier run
    would answer a trace number it saw again as it did then)."""
    from tools.acquirer.testing import start_acquirer, stop_acquirer

    def on_flash(steps, prepare=None, **settings):
        def run(kb):
            with tempfile.TemporaryDirectory() as tmp:
                db = os.path.join(tmp, "acquirer.db")
                acquirer, port = start_acquirer(db, extra_args=devicerun.CLOCK)
                try:
                    state = os.path.join(tmp, "state")
                    options = prepare(tmp, db) if prepare else []
                    devicerun.provision(state, port, **settings)
                    return devicerun.run(vm32, state, steps, kb, options)
                finally:
                    stop_acquirer(acquirer)
        return run

    def batch(tmp, db):
        devicerun.write_batch(os.path.join(tmp, "state"), 500)
        return []

    def updatable(tmp, db):
        return ["--slot", devicerun.updatable_flash(os.path.join(tmp, "flash"), os.path.join(tmp, "image"), db)]

    sales = devicerun.sale_with_slips(12345) + devicerun.sale_with_slips(500)
    def every_driver(tmp, db):
        return ["--every-driver"]

    return {"boot": on_flash(devicerun.BOOT, every_driver), "sale": on_flash(devicerun.BOOT + sales),
            "settle500": on_flash(devicerun.BOOT + devicerun.SETTLE, batch, journal_max_bytes=1024 * 1024),
            "update": on_flash(devicerun.UPDATE, updatable)}


def device_figures(vm32):
    """The device on the 32-bit frozen VM against the acquirer on loopback: the heap after boot
    in the board's 110 KB, and the smallest heap each merchant's run completes in."""
    runs = device_runs(vm32)
    rc, out = runs["boot"](devicerun.HEAP_KB)
    found = figures(out)
    if rc == DONE:
        print("boot_heap_in_use_bytes:", found["heap_in_use_bytes"])
        print("boot_free_heap_bytes:", found["heap_free_bytes"])
        print("boot_qstr_pool_bytes:", re.search(r"n_total_bytes=(\d+)", out).group(1))
    else:
        print("boot_heap_in_use_bytes: out of memory in a %d KB heap" % devicerun.HEAP_KB)
    for name in ("sale", "settle500", "update"):
        kb, out = smallest_heap(runs[name])
        print("%s_smallest_heapsize_kb: %s" % (name, kb if kb else "not done in 160 KB"))


def board_figures(vm32):
    """Each board's firmware size (.mpy and frozen), the LCD's and the printer's speed."""
    for board in sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "boards", "*.py"))):
        with tempfile.TemporaryDirectory() as out_dir:
            r = subprocess.run([sys.executable, "-m", "tools.build", "firmware", "--board", board, "--freeze",
                                "--out", out_dir], cwd=ROOT, capture_output=True, text=True)
        found = figures(r.stdout)
        for name in ("firmware_bytes_" + board, "frozen_bytes_" + board):
            print("%s: %s" % (name, found.get(name, "build failed")))
    font = os.path.join(ROOT, "firmware", "assets", "font16.bin")
    for script, name in (("bench_display_vm.py", "lcd_full_screen_ms"), ("bench_printer_vm.py", "printer_bytes_per_s")):
        r = subprocess.run([vm32, os.path.join(ROOT, "tools", script), font], cwd=ROOT, capture_output=True, text=True)
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
    vm32 = upy32.ensure()
    print("mpy_total_bytes:", mpy_total())
    tree = tempfile.mkdtemp(prefix="pos-bench-")
    try:
        mpy_tree(tree)
        fixtures(tree)
        for micropython, what, suffix in ((VM_64, "imports", "_64bit"), (vm32, "timing", ""), (vm32, "query", "")):
            rc, out = vm(micropython, tree, 1024, what)
            if rc:
                sys.stdout.write(out)
                return rc
            for name, value in figures(out).items():
                print("%s%s: %s" % (name, suffix, value))
        for flow in ("sale", "bill", "settle500"):
            print("%s_peak_working_heap_bytes_64bit: %d" % (flow, working_heap(tree, flow)))
            rc, out = vm(VM_64, tree, 1024, "flow", flow, "sample")
            name = flow + "_sampled_live_heap_bytes"
            print("%s_64bit: %s" % (name, figures(out)[name]))
        print("chip_peak_working_heap_bytes: %d" % working_heap(tree, "chip", vm32))
        # The e-receipt queue's sender at the idle screen: three signed receipts read and sent in parts.
        print("sync_queue_peak_heap_bytes: %d" % working_heap(tree, "ereceipts", vm32))
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    chip_figures(vm32)
    device_figures(vm32)
    board_figures(vm32)
    bench_signature.main(vm32)
    bench_qr.main(vm32)
    print("codec_time_ratio_vs_pyiso8583: %.2f" % codec_ratio())
    bench_backoffice.main()
    bench_store.main()
    bench_receipts.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
