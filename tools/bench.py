"""make bench: the figures, as `name: value` lines."""
import glob
import os
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
    """The firmware as bytecode .mpy files, as the board imports it (no compiler RAM)."""
    fw = os.path.join(ROOT, "firmware")
    for path in glob.glob(os.path.join(fw, "**", "*.py"), recursive=True):
        rel = os.path.relpath(path, fw)
        out = os.path.join(dest, "firmware", rel[:-3] + ".mpy")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", out, path], check=True)
    os.makedirs(os.path.join(dest, "firmware", "assets"), exist_ok=True)
    os.symlink(os.path.join(fw, "assets", "font16.bin"), os.path.join(dest, "firmware", "assets", "font16.bin"))
    os.makedirs(os.path.join(dest, "host_tests", "vm"))
    subprocess.run([os.path.join(BIN, "mpy-cross"), "-o", os.path.join(dest, "host_tests", "vm", "vmutil.mpy"),
                    os.path.join(ROOT, "host_tests", "vm", "vmutil.py")], check=True)


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


def smallest_heap(tree, flow, start=512):
    """(H, output at H): the smallest -X heapsize in KB found, walking down, at which flow completes.

    The collector makes the outcome near the limit chaotic (a run at H - 3
    may pass where H - 1 failed), so no bisection: from start the sizes are
    walked down 8 KB at a time to the first failure, then from 8 KB above it
    one KB at a time to the first failure again. H is the last size passed.
    """
    rc, out = vm(tree, start, flow)
    if rc != DONE:
        raise SystemExit("%s does not complete in %d KB:\n%s" % (flow, start, out))
    kb = start
    for step in (8, 1):
        while kb - step > 0:
            rc, next_out = vm(tree, kb - step, flow)
            if rc != DONE:
                break
            kb, out = kb - step, next_out
    return kb, out


def working_heap(tree, flow):
    """Heap the flow needs above the idle heap, fragmentation included, to 1 KB.

    An upper bound: at one KB less the terminal may run short before the
    flow starts (import, boot, login), where the flow itself would fit.
    """
    kb, out = smallest_heap(tree, flow)
    return kb * 1024 - int(figures(out)["idle_heap_bytes"])


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
    for what in ("imports", "timing"):
        rc, out = vm(tree, 1024, what)
        if rc:
            sys.stdout.write(out)
            return rc
        for name, value in figures(out).items():
            print("%s: %s" % (name, value))
    peak = working_heap(tree, "sale")
    print("sale_peak_working_heap_bytes:", peak)
    rc, out = vm(tree, 1024, "sale-sampled")
    print("sale_sampled_live_heap_bytes:", figures(out)["sale_sampled_live_heap_bytes"])
    print("sale_smallest_heapsize_kb:", smallest_heap(tree, "lazy-sale")[0])
    print("codec_time_ratio_vs_pyiso8583: %.2f" % codec_ratio())
    return 0


if __name__ == "__main__":
    sys.exit(main())
