# The device on the MicroPython VM over the port's own sockets: devicekit's fake pins and UARTs
# under the real drivers, board builder, runtime and App, its Wi-Fi's TCP going to a real
# acquirer on loopback (tools/devicerun.py runs it for host_tests/test_vm_device.py and `make bench`):
#   micropython netdevice.py ROOT STATE [--romfs IMAGE] [--slot DIR] [--every-driver] STEP...
# ROOT holds firmware/ (sources or .mpy, and its assets) and host_tests/vm/; on a VM with them
# frozen (tools/upy32.py) the frozen ones are what runs, and ROOT gives the assets only. STATE is
# the terminal's flash, its provision and settings (the acquirer's address and port among them)
# written by the caller. --slot: the application slot the device runs from (its assets, board
# file and VERSION: an update goes into the slot beside it), ROOT/firmware unless given.
# --romfs: the firmware's code is imported from IMAGE, a ROMFS image of firmware/'s .mpy files
# mounted at /rom ahead of anything frozen, bytecode and constants used where they lie as on a
# board's ROMFS partition; a devicekit in the image is taken before host_tests/vm's. On this
# port the image sits in the heap: it is read first, into one buffer at the heap's start, and
# the figures printed are of the heap after it.
# --every-driver: every driver module is imported before the device starts, as `make bench`
# defines its boot figure; without it the board builder imports the board's own, as on a board.
# Steps, in order:
#   keys K,K,...  the keys pressed on the matrix, one after the other
#   swipe TRACK2  a card through the magstripe reader (the decoder adds the sentinels)
#   until TEXT    TEXT on the screen within 60 s
#   insert NAME   the test chip card NAME (tools/testdata/emv_cards.json) into the slot: the board
#                 then has its contact reader (devicekit.BoardChip's)
#   remove        the card out of the slot
# Prints "printer_bytes: N" (what reached the printer), "app_from: FILE" (where pos.app was
# loaded from), "screen: <row>" lines of the last screen and, after a collection, the heap free
# and in use ("heap_free_bytes: ...") and the qstr pool's line (micropython.qstr_info()). Exit
# status 0; 1 when a step failed (and why); 4 on MemoryError, the shell's recovered ones too.
import gc
import sys

ROOT = sys.argv[1]
STATE = sys.argv[2]
STEPS = sys.argv[3:]
OPTIONS = {}
while STEPS[:1] in (["--romfs"], ["--slot"], ["--every-driver"]):
    flag = STEPS.pop(0)
    OPTIONS[flag] = flag == "--every-driver" or STEPS.pop(0)
SLOT = OPTIONS.get("--slot", ROOT + "/firmware")
AFTER_FROZEN = sys.path.index(".frozen") + 1
sys.path.insert(AFTER_FROZEN, ROOT + "/host_tests/vm")
if "--romfs" in OPTIONS:
    import os
    import vfs
    IMAGE = bytearray(os.stat(OPTIONS["--romfs"])[6])
    with open(OPTIONS["--romfs"], "rb") as f:
        f.readinto(IMAGE)
    vfs.mount(vfs.VfsRom(IMAGE), "/rom")
    sys.path.insert(0, "/rom")
else:
    IMAGE = b""
    sys.path.insert(AFTER_FROZEN, ROOT + "/firmware")

DRIVERS = ("compat", "keypad", "lcd", "magstripe", "icc", "nfc", "printer", "at", "modem", "wifi", "buzzer",
           "battery", "rtc")


def main():
    import select
    import socket
    from devicekit import Board, BoardChip, Device, Scans, keys, run, until
    from runtime import device
    for name in DRIVERS if "--every-driver" in OPTIONS else ():
        __import__("drivers." + name)

    class LoopbackBoard(Board):
        """The handheld without network time: nothing leaves for an NTP server; with its chip
        reader when a step inserts a card."""
        PARTS = dict(BoardChip.PARTS if [s for s in STEPS if s.startswith("insert ")] else Board.PARTS)
        PARTS["rtc"] = {"driver": "rtc.Clock", "source": "modem"}

    dev = Device(net=socket)
    root, _, slot = SLOT.rpartition("/")
    shell, _ = device.start(slot, dev.machine, dev.network, socket, root=root, board=LoopbackBoard,
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
                await until(shell, arg, 60000)
            elif verb == "insert":
                from drivers.fakes.chipcard import ATR, ChipCard, load
                from drivers.fakes.icc import FakeCard
                card, imk = load(ROOT + "/tools/testdata/emv_cards", arg)
                dev.machine.i2c.card = FakeCard(None if card.get("mute") else ATR, ChipCard(card, imk))
                card = imk = None
            elif verb == "remove":
                dev.machine.i2c.remove()
            elif verb == "sign":                 # the sample signature on the touch panel, every point read
                from drivers.compat import sleep_ms
                from pos.signature import SAMPLE, decode
                x0, y0, w, h = shell.app.touch_area
                touch = dev.machine.touch()
                touch.play([[(x0 + x * w // 320, y0 + y * h // 240) for x, y in s] for s in decode(SAMPLE)])
                while touch.frames:
                    await sleep_ms(10)
            else:
                raise ValueError("unknown step %r" % step)

    try:
        run(shell, script)
    except AssertionError as e:
        failed.append(str(e))
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
