# Runs the VM-neutral tests (host_tests/vm/test_*.py) without pytest.
# Works on MicroPython (no unittest there) and on CPython:
#   micropython -X heapsize=110K host_tests/vmrun.py [test_module | name-filter]
# `make test-vm` runs each module in a VM of its own (tools/vmtests.py): the
# qstrs a module interns are never freed, so one VM for all of them would
# measure the test suite's size, not the firmware's. It runs them on the
# 32-bit VM with the firmware and the kits frozen (tools/upy32.py), the tests
# compiled to .mpy, so the heap is not also the compiler's. The frozen modules
# are what the tests import: the directories go after `.frozen` on sys.path.
import gc
import os
import sys

HERE = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
ROOT = HERE + "/.."
AFTER_FROZEN = sys.path.index(".frozen") + 1 if ".frozen" in sys.path else 0
sys.path.insert(AFTER_FROZEN, ROOT + "/firmware")
sys.path.insert(AFTER_FROZEN, HERE + "/vm")


def _modules(only):
    """Test modules by name, from .py sources or the .mpy that tools/vmtests.py compiles them to."""
    for name in sorted(os.listdir(HERE + "/vm")):
        stem, dot, ext = name.rpartition(".")
        if name.startswith("test_") and ext in ("py", "mpy"):
            if only is None or (stem == only if only.startswith("test_") else only in name):
                yield stem


def main():
    only = sys.argv[1] if len(sys.argv) > 1 else None
    passed = failed = 0
    for modname in _modules(only):
        # Each test module starts from a clean slate, so the heap is never the sum of all modules.
        before = set(sys.modules)
        mod = __import__(modname)
        for attr in sorted(dir(mod)):
            fn = getattr(mod, attr)
            if not attr.startswith("test_") or not callable(fn):
                continue
            try:
                fn()
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL", modname + "." + attr)
                sys.print_exception(e) if hasattr(sys, "print_exception") else print(repr(e))
        for name in list(sys.modules):
            if name not in before:
                del sys.modules[name]
        mod = fn = None
        gc.collect()
    print("vm: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not passed else 0)


main()
