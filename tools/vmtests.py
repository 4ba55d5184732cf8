"""make test-vm: each VM-neutral test module in its own MicroPython VM with an ESP32-sized heap.

  python -m tools.vmtests [--heap 110K] [--flow-heap 512K] [--source]

The firmware and the tests are compiled to .mpy (mpy-cross) into a scratch
tree first and run from there, as the device runs .mpy: compiling the sources
inside the VM would make the heap measure the compiler, not the firmware
(`--source` runs them from source all the same). Prints each failing module
and the sum; exit 1 if any test failed or a VM died.

The flow tests (test_flow_*.py) drive the whole application, every flow
module loaded in turn; they get --flow-heap. The ESP32-sized figure for a
flow is `make bench`'s.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# Kept as source in the tree: the runner is the script the VM starts; main.py is read by a test.
AS_SOURCE = ("host_tests/vmrun.py", "firmware/main.py")


def compiled_tree():
    """A scratch tree of firmware/ and host_tests/ as .mpy, the assets and test data linked in."""
    tree = tempfile.mkdtemp(prefix="pos-vmtests-")
    jobs = []
    for top in ("firmware", "host_tests/vm"):
        for path in glob.glob(os.path.join(ROOT, top, "**", "*.py"), recursive=True):
            rel = os.path.relpath(path, ROOT)
            jobs.append((path, os.path.join(tree, rel[:-3] + ".mpy"), rel))
    for rel in AS_SOURCE:
        os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, rel), os.path.join(tree, rel))
    for rel in ("firmware/assets", "host_tests/data"):
        if os.path.exists(os.path.join(ROOT, rel)):
            os.symlink(os.path.join(ROOT, rel), os.path.join(tree, rel))

    def compile_one(job):
        src, out, rel = job
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run([os.path.join(BIN, "mpy-cross"), "-s", rel, "-o", out, src],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("mpy-cross %s: %s" % (rel, r.stderr))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(compile_one, jobs))
    return tree


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.vmtests")
    ap.add_argument("--heap", default="110K")
    ap.add_argument("--flow-heap", default="512K")
    ap.add_argument("--source", action="store_true", help="run the .py sources (the VM compiles them)")
    ap.add_argument("--micropython", default=os.path.join(BIN, "micropython"))
    args = ap.parse_args(argv)
    tree = ROOT if args.source else compiled_tree()
    passed = failed = 0
    broken = []
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "host_tests", "vm", "test_*.py")))
    try:
        for name in names:
            heap = args.flow_heap if name.startswith("test_flow_") else args.heap
            r = subprocess.run([args.micropython, "-X", "heapsize=" + heap, "host_tests/vmrun.py", name],
                               cwd=tree, capture_output=True, text=True)
            m = re.search(r"vm: (\d+) passed, (\d+) failed", r.stdout)
            if m is None:
                broken.append(name)
                sys.stdout.write("%s: VM died (exit %d)\n%s%s" % (name, r.returncode, r.stdout, r.stderr))
                continue
            passed += int(m.group(1))
            failed += int(m.group(2))
            if int(m.group(2)):
                sys.stdout.write(r.stdout)
    finally:
        if tree != ROOT:
            shutil.rmtree(tree, ignore_errors=True)
    print("vm: %d passed, %d failed in %d modules (%s, heap %s, flows %s)%s"
          % (passed, failed, len(names), "sources" if args.source else ".mpy", args.heap, args.flow_heap,
             ", VM died in " + " ".join(broken) if broken else ""))
    return 1 if failed or broken or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
