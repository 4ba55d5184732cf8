"""make bench: the signature's figures (docs/signature.md), as `name: value` lines.

signature_bytes        the encoded size of pos.signature.SAMPLE drawn again on a Pad (CPython)
signature_raster_ms    raster_rows() of SAMPLE for the 384-dot printer, every row taken, on the
                       32-bit frozen VM in a 110 KB heap: the median of RUNS runs
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = 5

# On the VM: the firmware after its frozen modules, as tools/bench_printer_vm.py has it.
VM_SCRIPT = """
import sys, time, gc
sys.path.insert(sys.path.index(".frozen") + 1 if ".frozen" in sys.path else 0, %r)
from pos.signature import SAMPLE, raster_rows
times = []
for _ in range(%d):
    gc.collect()
    start = time.ticks_us()
    for row in raster_rows(SAMPLE):
        pass
    times.append(time.ticks_diff(time.ticks_us(), start))
times.sort()
print("signature_raster_ms: %%.1f" %% (times[len(times) // 2] / 1000))
"""


def sample_bytes():
    sys.path.insert(0, os.path.join(ROOT, "firmware"))
    from pos.signature import SAMPLE, Pad, decode
    pad = Pad(320, 240)
    for stroke in decode(SAMPLE):
        for x, y in stroke:
            pad.add(x, y)
        pad.lift()
    return len(pad.encode())


def raster_ms(vm32):
    r = subprocess.run([vm32, "-X", "heapsize=110K", "-c", VM_SCRIPT % (os.path.join(ROOT, "firmware"), RUNS)],
                       cwd=ROOT, capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.startswith("signature_raster_ms: "):
            return line.partition(": ")[2]
    return "failed: " + (r.stdout + r.stderr).strip()[-120:]


def main(vm32):
    print("signature_bytes:", sample_bytes())
    print("signature_raster_ms:", raster_ms(vm32))


if __name__ == "__main__":
    from tools import upy32
    main(upy32.ensure())
