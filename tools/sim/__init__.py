"""Terminal simulator: the device's own code (firmware/) on CPython over the parts' fakes."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIRMWARE = os.path.join(ROOT, "firmware")
if FIRMWARE not in sys.path:        # its modules are top-level on the device: pos, drivers, runtime
    sys.path.insert(0, FIRMWARE)
