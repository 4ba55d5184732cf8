# The device's entry: choose the application slot (bootsel rolls a failed update back), then run it.
# Changes only with a full flash; everything else lives in /slot_a or /slot_b (docs/device.md).
import sys

import bootsel

slot = bootsel.select()
sys.path.insert(0, "/" + slot)
from runtime import device  # noqa: E402

device.main(slot)
