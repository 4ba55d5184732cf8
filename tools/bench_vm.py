# Runs on the MicroPython unix port for `make bench` (tools/bench.py drives it):
#   micropython bench_vm.py TREE imports             heap after importing every firmware module
#   micropython bench_vm.py TREE flow NAME [MODE]    boot, login, then flow NAME from the idle screen
#   micropython bench_vm.py TREE timing              PIN block + MAC + sale messages, ms per sale
#   micropython bench_vm.py TREE query               journal queries over 5,000 records
# TREE holds firmware/ as .mpy files (bytecode in RAM, as on a board without
# frozen modules), host_tests/vm/ (the scripted host of the flow tests) and
# fixtures/NAME/ (a terminal's flash to start from, written by tools/bench.py).
# On a VM with the firmware and the kits frozen (tools/upy32.py: bench.py runs
# timing, query and flow chip there) the frozen modules come before TREE's;
# imports and the other flows run on the 64-bit VM from PyPI, whose figures
# bench.py names _64bit. A flow on the 64-bit VM imports every firmware module
# first (their bytecode is in flash on a board, in this heap here); on the
# frozen VM nothing is imported first: a flow imports what it needs, as on a
# board. MODE: "sample" also prints the live heap sampled after gc.collect() at
# every step (a lower bound: it misses peaks inside one), "reserve=N" takes the
# heap's free tail but N bytes before the flow starts.
#
# Flows: sale (12345 fen, swiped, PIN, both slips), bill (the 128.50 gas
# bill: inquiry, check, card, PIN, both vouchers), chip (12345 fen, card
# "chip" of tools/testdata/emv_cards.json inserted, PIN, both slips, the card
# taken out; its virtual card, drivers/fakes/chipcard.py, is made before and
# answers in the same heap, as the scripted host does), settle500 (a batch of
# 500 sales settled not balanced: totals, 63 batch uploads, the end, the slip), ereceipts (three
# signed sales' e-receipts sent from the idle screen once the sync interval passed).
# chip reads the test cards from the repository: run it from its root.
#
# Exit status 0: done; 3: MemoryError during the flow; 4: before it (import,
# boot, login). The working heap of a flow: run in a large heap to the idle
# screen, then leave free only the holes the imports and boot left plus N
# bytes of the tail; tools/bench.py finds the smallest N at which the flow
# completes, and the free heap at that N (holes + N, printed as
# free_heap_bytes) is what the flow needs above the idle heap, fragmentation
# included. This is the heap a board would need above its idle heap, and it
# does not depend on how much the imports needed on the way.
# micropython.mem_peak() cannot give it: this build counts bytes handed out
# since start and never subtracts what the collector frees.
import gc
import os
import sys
import time

TREE = sys.argv[1]
AFTER_FROZEN = sys.path.index(".frozen") + 1     # a VM's frozen firmware and kits before the tree's
sys.path.insert(AFTER_FROZEN, TREE + "/firmware")
sys.path.insert(AFTER_FROZEN, TREE + "/host_tests/vm")

MODULES = ("app", "clock", "cup", "des", "editors", "engine", "escpos", "font", "i18n", "iso8583", "journal",
           "ledger", "mac", "menu", "message", "money", "operators", "pinblock", "receipt", "rescodes", "screen",
           "store", "tlv", "track2", "gb2312", "hanzi", "ereceipt", "outbox", "signature",
           "flows.admin", "flows.balance", "flows.bill", "flows.boot", "flows.card", "flows.common",
           "flows.idle", "flows.login", "flows.online", "flows.operators", "flows.params", "flows.preauth",
           "flows.printing", "flows.query", "flows.refund", "flows.repay", "flows.reprint", "flows.reversal",
           "flows.sale", "flows.selfcheck", "flows.settings", "flows.settle", "flows.signin", "flows.void",
           "flows.ereceipts", "flows.esync", "flows.sign")


def imports():
    gc.collect()
    before = gc.mem_alloc()
    for name in MODULES:
        __import__("pos." + name)
    gc.collect()
    print("heap_after_import_bytes:", gc.mem_alloc() - before)


class Device:
    """Fake peripherals: the flow tests' scripted host, a printer rendering each slip to ESC/POS."""

    def __init__(self, sample):
        from pos.escpos import line_buffer
        from pos.font import Font
        # Drivers are built first at boot, so their buffers do not wait for a hole.
        self.line = line_buffer()
        self.font = Font(TREE + "/firmware/assets/font16.bin")
        from flowkit import Host
        self.host = Host(keep=False)
        self.term = None
        self.sample = sample
        self.peak = 0
        self.slips = 0
        self.card = None          # the chip card at hand
        self.chip = None          # the card in the slot

    def _measure(self):
        if self.sample:
            gc.collect()
            a = gc.mem_alloc()
            if a > self.peak:
                self.peak = a

    def pump(self):
        from flowkit import run_io
        self._measure()
        run_io(self.term, self)

    # The I/O effects' handlers (pos.engine.HANDLERS): the scripted host and a printer that renders.

    def exchange(self, e):
        self._measure()
        return self.host.answer(e.frame)

    def print_slip(self, e):
        from pos import escpos
        for _chunk in escpos.render_slip(e.lines, self.font, chunk=self.line):
            self._measure()
        self.slips += 1
        return "OK"

    def connect(self, e):
        return "OK"

    disconnect = probe = restart = connect

    def keys(self, text):
        for k in text.split():
            self.term.key(k)
            self.pump()

    def swipe(self, track2):
        self.term.card(("swipe", track2))
        self.pump()

    def apdu(self, e):
        from pos.results import CARD_GONE
        self._measure()
        return CARD_GONE if self.chip is None else self.chip(e.command)

    def beep(self, e):
        return "OK"

    def insert(self):
        """The card at hand (self.card, made before the flow: its heap is the card's, not the
        terminal's) into the slot; the reader's ATR to the App."""
        from drivers.fakes.chipcard import ATR
        self.chip = self.card
        self.term.card(("insert", "".join("%02x" % b for b in ATR)))
        self.pump()

    def remove(self):
        self.chip = None
        self.term.card_removed()
        self.pump()

    def wait(self, now, secs):
        for _ in range(secs):
            now[0] += 1
            self.term.tick()
            self.pump()

    def screen(self):
        return self.term.screen.text()


def _sale(dev, now):
    from flowkit import GOOD
    dev.keys("ENTER 1 1 2 3 4 5 ENTER")
    dev.swipe(GOOD)
    dev.keys("1 2 3 4 5 6 ENTER")
    dev.wait(now, 12)
    return "交易成功" in dev.screen() and dev.slips == 2


def _bill(dev, now):
    from flowkit import GOOD
    dev.keys("ENTER 7 1")
    dev.keys("1 0 0 0 1 2 3 4 5 6 ENTER")
    if "128.50" not in dev.screen():
        return False
    dev.keys("ENTER")
    dev.swipe(GOOD)
    dev.keys("1 2 3 4 5 6 ENTER")
    dev.wait(now, 12)
    return "缴费成功" in dev.screen() and dev.slips == 2


def _chip(dev, now):
    dev.keys("ENTER 1 1 2 3 4 5 ENTER")
    dev.insert()
    dev.keys("1 2 3 4 5 6 ENTER")
    dev.wait(now, 12)
    if not ("交易成功" in dev.screen() and dev.slips == 2):
        return False
    dev.keys("ENTER")
    dev.remove()
    return "欢迎使用" in dev.screen()


def _settle500(dev, now):
    dev.host.rules["settle"] = lambda req: {48: req[48][:30] + "2" + req[48][31:]}
    dev.keys("ENTER DOWN DOWN DOWN DOWN DOWN DOWN DOWN DOWN DOWN 2")
    if "按确认结算" not in dev.screen():
        return False
    dev.keys("ENTER")
    dev.wait(now, 12)
    return dev.host.kinds.count("upload") == 63 and "结算完成" in dev.screen() and dev.slips == 1


def _chip_ready(dev):
    """The test CA's key on the flash, as the host's 370 download leaves it; card "chip" at hand."""
    from flowkit import chip_card, give_ca_keys
    give_ca_keys(dev.term)
    dev.card = chip_card("chip")


def _signed_sales(dev):
    """A handheld's day so far: three sales of 1500.00, each signed on the screen, their e-receipts
    waiting for the sync interval."""
    from flowkit import GOOD
    from pos.signature import SAMPLE, decode
    dev.term.touch_area = (0, 32, 320, 192)
    for _ in range(3):
        dev.keys("ENTER 1 1 5 0 0 0 0 ENTER")
        dev.swipe(GOOD)
        dev.keys("1 2 3 4 5 6 ENTER")
        for stroke in decode(SAMPLE):
            for x, y in stroke:
                dev.term.touch((x, y * 192 // 240))
            dev.term.touch(None)
        dev.keys("ENTER ENTER ENTER")       # 确认 the signature, tear off the first copy, the result


def _ereceipts(dev, now):
    """The idle screen's sync: the three receipts (each ~1 KB with its signature) to the host."""
    dev.wait(now, 31)
    from pos.flows import ereceipts
    return dev.host.kinds.count("ereceipt") >= 3 and ereceipts.outbox(dev.term).count() == 0


FLOWS = {"sale": _sale, "bill": _bill, "chip": _chip, "settle500": _settle500, "ereceipts": _ereceipts}
READY = {"chip": _chip_ready, "ereceipts": _signed_sales}     # what a flow needs at the idle screen besides the terminal


def _copy_tree(src, dst):
    os.mkdir(dst)
    for name in os.listdir(src):
        with open(src + "/" + name, "rb") as f, open(dst + "/" + name, "wb") as g:
            while True:
                chunk = f.read(512)
                if not chunk:
                    break
                g.write(chunk)


def _arena(reserve):
    """Fill the whole free heap but one block of reserve bytes: the flow then runs in that arena."""
    held = [None] * 16384         # allocated first: a growing list would leave holes behind it
    gc.collect()
    keep = bytearray(reserve)
    n = 0
    size = 1 << 20
    while size >= 16 and n < len(held):
        try:
            held[n] = bytearray(size - 16)
            n += 1
        except MemoryError:
            size >>= 1
    keep = None
    return held


def _frozen():
    """True on a VM with the firmware frozen (tools/upy32.py): its code is in flash, as a board's."""
    import pos
    return not pos.__file__.startswith(TREE)


def flow(name, mode):
    from vmutil import tmpdir
    from flowkit import PROVISION, START
    script = FLOWS[name]
    now = [START]
    state = tmpdir("bench") + "/flash"
    try:
        fixture = TREE + "/fixtures/" + name
        try:
            os.stat(fixture)
            _copy_tree(fixture, state)
        except OSError:
            os.mkdir(state)
        dev = Device(mode == "sample")
        if not _frozen():             # their bytecode, in flash on a board, taken before the idle heap
            for module in MODULES:
                __import__("pos." + module)
        from pos import app
        term = dev.term = app.App(state, lambda: now[0], PROVISION, TREE + "/firmware/assets")
        term.power_on()
        dev.pump()
        dev.keys("0 1 ENTER 0 0 0 0 ENTER")
        if name in READY:
            READY[name](dev)
    except MemoryError as e:
        if "-v" in sys.argv:
            sys.print_exception(e)
        sys.exit(4)
    assert "欢迎使用" in dev.screen(), dev.screen()
    gc.collect()
    base = dev.peak = gc.mem_alloc()
    print("idle_heap_bytes:", base)
    ballast = _arena(int(mode[8:])) if mode.startswith("reserve=") else None
    if ballast is not None:
        gc.collect()
        print("free_heap_bytes:", gc.mem_free())
    try:
        done = script(dev, now)
    except MemoryError as e:
        if "-v" in sys.argv:
            sys.print_exception(e)
        sys.exit(3)
    assert done, dev.screen()
    if mode == "sample":
        print("%s_sampled_live_heap_bytes: %d" % (name, dev.peak - base))


def timing():
    from flowkit import Host, MAK, PIK, GOOD
    from pos import cup, mac, message, pinblock
    host = Host()
    mac_fn = lambda data: mac.cup_ecb_mac(MAK, data)  # noqa: E731
    t0 = time.ticks_us()
    n = 20
    for i in range(n):
        pb = pinblock.encrypt_pin_block(PIK, b"123456", "6222021000000000017")
        frame = message.build(cup, "sale", {2: "6222021000000000017", 3: "000000", 4: "000000012345",
                                            11: "%06d" % (i + 1), 14: "3012", 22: "021", 25: "00", 26: "12",
                                            35: GOOD, 41: "12345678", 42: "123456789012345", 49: "156",
                                            52: pb, 53: cup.SECURITY_CONTROL, "batch": "000001"}, mac_fn)
        message.parse(cup, host.answer(frame), mac_fn, "0210")
    print("vm_pin_mac_messages_ms:", (time.ticks_diff(time.ticks_us(), t0) // n) / 1000)


def query():
    """ledger.matches by trace and by date over the 5,000-record journal of fixtures/query5000."""
    from pos import ledger
    from pos.journal import Journal
    journal = Journal(TREE + "/fixtures/query5000", 4 * 1024 * 1024)
    gc.collect()
    t0 = time.ticks_ms()
    found, _ = ledger.matches(journal, lambda r: r["trace"] == 4321)
    by_trace = time.ticks_diff(time.ticks_ms(), t0)
    assert len(found) == 1, len(found)
    t0 = time.ticks_ms()
    found, _ = ledger.matches(journal, lambda r: r.get("date", "")[4:8] == "1122")
    by_date = time.ticks_diff(time.ticks_ms(), t0)
    assert len(found) == 500, len(found)
    print("query5000_trace_ms:", by_trace)
    print("query5000_date_ms:", by_date)
    print("query5000_ms:", max(by_trace, by_date))


def main():
    what = sys.argv[2]
    if what == "imports":
        imports()
    elif what == "flow":
        flow(sys.argv[3], sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] != "-v" else "")
    elif what == "timing":
        timing()
    elif what == "query":
        query()
    else:
        raise SystemExit("unknown bench %s" % what)


main()
