# The device on the MicroPython VM over the port's own sockets: devicekit's fake pins and UARTs
# under the real drivers, board builder, runtime and App, its Wi-Fi's TCP going to a real
# acquirer on loopback (host_tests/test_vm_device.py and `make bench` start one):
#   micropython netdevice.py ROOT STATE [--romfs IMAGE] [--every-driver] STEP...
# ROOT holds firmware/ (sources or .mpy, and its assets) and host_tests/vm/; STATE is the
# terminal's flash, its provision and settings (the acquirer's address and port among them)
# written by the caller. --romfs: the firmware's code is imported from IMAGE, a ROMFS image of
# firmware/'s .mpy files mounted at /rom, bytecode and constants used where they lie as on a
# board's ROMFS partition; a devicekit in the image is taken before host_tests/vm's. On this port the image sits in the heap: it is read first, into one
# buffer at the heap's start, and the figures printed are of the heap after it.
# --every-driver: every driver module is imported before the device starts, as `make bench`
# defines its boot figure; without it the board builder imports the board's own, as on a board.
# Steps, in order:
#   keys K,K,...  the keys pressed on the matrix, one after the other
#   swipe TRACK2  a card through the magstripe reader (the decoder adds the sentinels)
#   until TEXT    TEXT on the screen within 20 s
# Prints "printer_bytes: N" (what reached the printer), "app_from: FILE" (where pos.app was
# loaded from), "screen: <row>" lines of the last
# screen and, after a collection, the heap free and in use ("heap_free_bytes: ...") and the
# qstr pool's line (micropython.qstr_info()). Exit
# status 0; 1 when a step failed (and why); 4 on MemoryError, the shell's recovered ones too.
import gc
import sys

ROOT = sys.argv[1]
STATE = sys.argv[2]
STEPS = sys.argv[3:]
sys.path.insert(0, ROOT + "/host_tests/vm")
if STEPS[:1] == ["--romfs"]:
    import os
    import vfs
    IMAGE = bytearray(os.stat(STEPS[1])[6])
    with open(STEPS[1], "rb") as f:
        f.readinto(IMAGE)
    vfs.mount(vfs.VfsRom(IMAGE), "/rom")
    STEPS = STEPS[2:]
    sys.path.insert(0, "/rom")
else:
    IMAGE = b""
    sys.path.insert(0, ROOT + "/firmware")
EVERY_DRIVER = STEPS[:1] == ["--every-driver"]
if EVERY_DRIVER:
    STEPS = STEPS[1:]

DRIVERS = ("compat", "keypad", "lcd", "magstripe", "icc", "nfc", "printer", "at", "modem", "wifi", "buzzer",
           "battery", "rtc")


def main():
    import asyncio
    import select
    import socket
    from devicekit import Board, Device, Scans, keys, until
    from runtime import device
    for name in DRIVERS if EVERY_DRIVER else ():
        __import__("drivers." + name)

    class LoopbackBoard(Board):
        """The handheld without network time: nothing leaves for an NTP server."""
        PARTS = dict(Board.PARTS)
        PARTS["rtc"] = {"driver": "rtc.Clock", "source": "modem"}

    dev = Device(net=socket)
    shell, _ = device.start("firmware", dev.machine, dev.network, socket, root=ROOT, board=LoopbackBoard,
                            state=STATE, select=select)
    scans = Scans(shell.keypad)
    failed = []

    async def script():
        for step in STEPS:
            verb, _, arg = step.partition(" ")
            if verb == "keys":
                await keys(dev, scans, arg.replace(",", " "))
            elif verb == "swipe":
                dev.swipe(";" + arg + "?")
            elif verb == "until":
                await until(shell, arg, 20000)
            else:
                raise ValueError("unknown step %r" % step)

    async def both():
        task = asyncio.create_task(shell.run())
        steps = asyncio.create_task(script())
        try:
            while not steps.done():
                if shell.memory_errors:          # the shell recovered from one: not a clean run
                    steps.cancel()
                    break
                await asyncio.sleep_ms(10)
            else:
                await steps
        except AssertionError as e:
            failed.append(str(e))
        finally:
            shell.stop()
            await task
    asyncio.run(both())
    if shell.memory_errors:
        raise MemoryError
    print("printer_bytes:", dev.printer.received)
    print("app_from:", sys.modules["pos.app"].__file__)
    for row in shell.app.screen.text().split("\n"):
        print("screen:", row)
    return failed[0] if failed else None


try:
    failure = main()
except MemoryError as e:
    sys.print_exception(e)
    print("out of memory")
    sys.exit(4)
# Measured once main's locals (the device, the fake board, the script) are gone: what is left is
# what the firmware keeps, the modules it loaded and their objects.
gc.collect()
print("heap_free_bytes:", gc.mem_free())
print("heap_in_use_bytes:", gc.mem_alloc() - len(IMAGE))
import micropython  # noqa: E402
micropython.qstr_info()          # "qstr pool: ..., n_total_bytes=N": the names interned in RAM
if failure:
    print("failed:", failure)
    sys.exit(1)
