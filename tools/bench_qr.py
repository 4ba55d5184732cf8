"""make bench: the QR encoder's figures (docs/qr.md), as `name: value` lines, on the 32-bit frozen VM.

qr_encode_ms         pos.qr.encode() of 100 bytes (a version 6 symbol, 41 x 41 modules): the
                     median of RUNS runs in a 110 KB heap
qr_peak_heap_bytes   the heap that encode needs, fragmentation inside it included, to 64 bytes,
                     the Qr it returns counted: the payload made and the module imported, all the
                     free heap but one block of N bytes is taken (tools/bench_vm.py's arena), and
                     N is walked down, 1 KB and then 64 bytes at a time, to the last N at which
                     the encode still completes; the figure is the free heap then (gc.mem_free)
"""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = 7
PAYLOAD = 100
START = 16384  # bytes the walk starts from: several times what the encode needs

# The firmware after its frozen modules, as tools/bench_signature.py has it.
PRELUDE = """
import sys, time, gc
sys.path.insert(sys.path.index(".frozen") + 1 if ".frozen" in sys.path else 0, %r)
from pos.qr import encode
data = bytes((i * 37 + 11) & 255 for i in range(%d))
"""

TIMING = """
times = []
for _ in range(%d):
    gc.collect()
    start = time.ticks_us()
    q = encode(data)
    times.append(time.ticks_diff(time.ticks_us(), start))
assert q.version == 6, q.version
times.sort()
print("qr_encode_ms: %%.1f" %% (times[len(times) // 2] / 1000))
"""

# Exit 3: the encode ran out of memory in the arena.
ARENA = """
held = [None] * 4096
gc.collect()
keep = bytearray(%d)
n = 0
size = 1 << 20
while size >= 16 and n < len(held):
    try:
        held[n] = bytearray(size - 16)
        n += 1
    except MemoryError:
        size >>= 1
keep = None
gc.collect()
free = gc.mem_free()
try:
    q = encode(data)
except MemoryError:
    sys.exit(3)
print("free_heap_bytes:", free)
"""


def _run(vm32, script):
    prelude = PRELUDE % (os.path.join(ROOT, "firmware"), PAYLOAD)
    r = subprocess.run([vm32, "-X", "heapsize=110K", "-c", prelude + script], cwd=ROOT, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def encode_ms(vm32):
    rc, out = _run(vm32, TIMING % RUNS)
    for line in out.splitlines():
        if line.startswith("qr_encode_ms: "):
            return line.partition(": ")[2]
    return "failed: " + out.strip()[-120:]


def peak_heap(vm32):
    rc, out = _run(vm32, ARENA % START)
    if rc:
        return "failed in %d bytes: %s" % (START, out.strip()[-120:])
    n = START
    for step in (1024, 64):
        while n - step > 0:
            rc, next_out = _run(vm32, ARENA % (n - step))
            if rc:
                break
            n, out = n - step, next_out
    return out.split("free_heap_bytes:")[1].split()[0]


def main(vm32):
    print("qr_encode_ms:", encode_ms(vm32))
    print("qr_peak_heap_bytes:", peak_heap(vm32))


if __name__ == "__main__":
    from tools import upy32
    main(upy32.ensure())
