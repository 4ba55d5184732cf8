"""make test-vm: each VM-neutral test module in its own MicroPython VM with an ESP32-sized heap.

  python -m tools.vmtests [--heap 110K] [--source] [--micropython VM] [test_module ...]

The VM is the 32-bit one with the firmware and the test kits frozen
(tools/upy32.py, built first when needed), as a board keeps its code in flash.
The tests themselves, and bootsel (which a board keeps on its filesystem), are
compiled to .mpy (mpy-cross) into a scratch tree first and run from there, as
the device runs .mpy: compiling them inside the VM would make the heap measure
the compiler, not the firmware (`--source` runs them from source all the
same). The frozen modules are left out of the tree, so nothing on disk can
stand in for them. Another VM (`--micropython .venv/bin/micropython`, the
64-bit one from PyPI) gets the whole firmware compiled in the tree instead.
Prints each failing module and the sum; exit 1 if any test failed or a VM died.
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

from tools import upy32

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# Kept as source in the tree: the runner is the script the VM starts; main.py is read by a test.
AS_SOURCE = ("host_tests/vmrun.py", "firmware/main.py")


def compiled_tree(frozen=()):
    """A scratch tree of firmware/ and host_tests/ as .mpy but the files in frozen, the assets and
    test data linked in."""
    tree = tempfile.mkdtemp(prefix="pos-vmtests-")
    jobs = []
    for top in ("firmware", "host_tests/vm"):
        for path in glob.glob(os.path.join(ROOT, top, "**", "*.py"), recursive=True):
            rel = os.path.relpath(path, ROOT)
            if path not in frozen:
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


def run_module(vm, heap, tree, name, timeout=300):
    """(passed, failed, output, died) of one test module in a VM of its own."""
    try:
        r = subprocess.run([vm, "-X", "heapsize=" + heap, "host_tests/vmrun.py", name],
                           cwd=tree, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 0, 0, "%s: VM stopped after %d s\n" % (name, timeout), True
    m = re.search(r"vm: (\d+) passed, (\d+) failed", r.stdout)
    if m is None:
        return 0, 0, "%s: VM died (exit %d)\n%s%s" % (name, r.returncode, r.stdout, r.stderr), True
    return int(m.group(1)), int(m.group(2)), r.stdout, False


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.vmtests")
    ap.add_argument("--heap", default="110K")
    ap.add_argument("--source", action="store_true", help="run the .py sources (the VM compiles them)")
    ap.add_argument("--micropython", help="another VM than the 32-bit frozen one (its firmware then from the tree)")
    ap.add_argument("modules", nargs="*", help="only these test modules (test_journal, ...)")
    args = ap.parse_args(argv)
    if args.micropython:
        vm, frozen, kind = args.micropython, (), args.micropython
    else:
        vm = upy32.ensure()
        frozen = {os.path.join(base, rel) for rel, base in upy32.frozen_modules()}
        kind = "32-bit frozen VM"
    tree = ROOT if args.source else compiled_tree(frozen)
    names = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "host_tests", "vm", "test_*.py")))
    if args.modules:
        names = [n for n in names if n in args.modules]
    try:
        # One VM per core: each module is a process of its own, and its heap is its own.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            results = list(pool.map(lambda name: run_module(vm, args.heap, tree, name), names))
    finally:
        if tree != ROOT:
            shutil.rmtree(tree, ignore_errors=True)
    passed = failed = 0
    broken = []
    for name, (ok, bad, out, died) in zip(names, results):
        passed += ok
        failed += bad
        if died:
            broken.append(name)
        if died or bad:
            sys.stdout.write(out)
    print("vm: %d passed, %d failed in %d modules (%s, %s, heap %s)%s"
          % (passed, failed, len(names), kind, "sources" if args.source else ".mpy", args.heap,
             ", VM died in " + " ".join(broken) if broken else ""))
    return 1 if failed or broken or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
