"""make test-vm: each VM-neutral test module in its own MicroPython VM with an ESP32-sized heap.

  python -m tools.vmtests [--heap 110K] [--flow-heap 512K]
Prints each module's result and the sum; exit 1 if any test failed or a VM died.

The flow tests (test_flow_*.py) drive the whole application, compiled from
source inside the VM: the compiler needs more heap than the code it
compiles, so they get --flow-heap. The ESP32-sized figure for a flow, with
the firmware as .mpy bytecode and no compiler, is `make bench`'s.
"""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.vmtests")
    ap.add_argument("--heap", default="110K")
    ap.add_argument("--flow-heap", default="512K")
    ap.add_argument("--micropython", default=os.path.join(os.path.dirname(sys.executable), "micropython"))
    args = ap.parse_args(argv)
    passed = failed = 0
    broken = []
    modules = sorted(glob.glob(os.path.join(ROOT, "host_tests", "vm", "test_*.py")))
    for path in modules:
        name = os.path.basename(path)[:-3]
        heap = args.flow_heap if name.startswith("test_flow_") else args.heap
        r = subprocess.run([args.micropython, "-X", "heapsize=" + heap, "host_tests/vmrun.py", name],
                           cwd=ROOT, capture_output=True, text=True)
        m = re.search(r"vm: (\d+) passed, (\d+) failed", r.stdout)
        if m is None:
            broken.append(name)
            sys.stdout.write("%s: VM died (exit %d)\n%s%s" % (name, r.returncode, r.stdout, r.stderr))
            continue
        passed += int(m.group(1))
        failed += int(m.group(2))
        if int(m.group(2)):
            sys.stdout.write(r.stdout)
    print("vm: %d passed, %d failed in %d modules (heap %s, flows %s)%s"
          % (passed, failed, len(modules), args.heap, args.flow_heap,
             ", VM died in " + " ".join(broken) if broken else ""))
    return 1 if failed or broken or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
