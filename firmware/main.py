# The device's entry: choose the application slot (bootsel rolls a failed update back), then run it.
# Changes only with a full flash; everything else lives in /slot_a or /slot_b (docs/device.md).
# A slot that fails (an import, a MemoryError at boot, an error out of the shell's loop) is reset
# out of, so a terminal in the field never sits at the REPL: at once while an update is on trial,
# so the rollback comes after its two boots; after 10 s otherwise, in which an engineer's Ctrl-C
# stops at the REPL. A terminal not provisioned shows so and waits at the REPL for `make provision`.
import sys

import bootsel

slot = bootsel.select()
sys.path.insert(0, "/" + slot)


def run():
    from runtime import device      # in a function: the build's walk takes it as required
    try:
        device.main(slot)
    except device.NotProvisioned:   # its screen says so; a reset would not change it: to the REPL
        pass


try:
    run()
except Exception as e:
    sys.print_exception(e)
    import machine
    import time
    time.sleep(0 if bootsel.on_trial() else 10)
    machine.reset()
