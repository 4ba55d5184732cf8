# Runs on the MicroPython unix port for `make bench` (tools/bench.py drives it):
#   micropython bench_vm.py TREE imports        heap after importing every firmware module
#   micropython bench_vm.py TREE sale           every module imported, then boot, login and a sale
#   micropython bench_vm.py TREE sale-sampled   the same, live heap sampled at every step
#   micropython bench_vm.py TREE lazy-sale      modules imported as the terminal needs them
#   micropython bench_vm.py TREE timing         PIN block + MAC + sale messages, ms per sale
# TREE holds firmware/ as .mpy files (bytecode in RAM, as on a board without frozen modules).
#
# Exit status 0: done; 3: MemoryError during the sale; 4: MemoryError before it
# (import, boot, login). tools/bench.py finds the smallest -X heapsize at which
# the sale completes: that minus the idle heap printed by the same run is the
# sale's peak working heap, fragmentation included, to 1 KB. The sampled figure
# (gc.collect() at every step) is a lower bound: it misses peaks inside a step.
# micropython.mem_peak() cannot give either: this build counts bytes handed out
# since start and never subtracts what the collector frees.
import gc
import sys
import time

sys.path.insert(0, sys.argv[1] + "/firmware")
sys.path.insert(0, sys.argv[1] + "/host_tests/vm")

MODULES = ("app", "clock", "cup", "des", "editors", "engine", "escpos", "font", "i18n", "iso8583", "journal",
           "mac", "menu", "message", "money", "operators", "pinblock", "receipt", "rescodes", "screen", "store",
           "track2", "lang.zh", "lang.en", "lang.rc_zh", "lang.rc_en", "flows.boot", "flows.common",
           "flows.idle", "flows.login", "flows.printing", "flows.reversal", "flows.sale", "flows.signin")

PIK = b"\x11" * 8 + b"\x22" * 8
MAK = b"\x33" * 8
TRACK2 = "6222021000000000017=30121010000000000"
PROV = {"terminal_id": "12345678", "merchant_id": "123456789012345", "merchant_name": "测试商户",
        "tmk": "0123456789ABCDEFFEDCBA9876543210"}


def imports():
    gc.collect()
    before = gc.mem_alloc()
    for name in MODULES:
        __import__("pos." + name)
    gc.collect()
    print("heap_after_import_bytes:", gc.mem_alloc() - before)


class Host:
    """Answers each request frame as the acquirer would, with the firmware's own codec."""

    def answer(self, req):
        from pos import cup, des, iso8583, mac
        _tpdu, _hdr, body = iso8583.unframe(req)
        f = iso8583.decode(cup, body)
        out = {0: f[0][:2] + "1" + f[0][3], 11: f[11], 12: "100000", 13: "1123", 32: "99990000",
               37: "100000000001", 39: "00", 41: f[41], 42: f[42], 60: f[60]}
        if f[0] == "0800":
            tmk = b"\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10"
            out[62] = (des.ecb_encrypt(tmk, PIK) + des.check_value(PIK) + des.ecb_encrypt(tmk, MAK) + bytes(8)
                       + des.check_value(MAK))
        else:
            for k in (2, 3, 4, 49):
                if k in f:
                    out[k] = f[k]
            out.update({14: "3012", 15: "1123", 25: "00", 38: "123456", 44: "01020000   99990000   ",
                        63: "CUPICBC", 64: bytes(8)})
        buf = bytearray(2) + cup.TPDU_ANSWER + cup.HEADER
        iso8583.encode_into(cup, out, buf)
        n = len(buf) - 2
        buf[0], buf[1] = n >> 8, n & 0xFF
        if 64 in out:
            buf[-8:] = mac.cup_ecb_mac(MAK, iso8583.mac_data(bytes(buf[13:])))
        return bytes(buf)


class Device:
    """Fake peripherals: the scripted host, a printer that renders every slip to ESC/POS."""

    def __init__(self, sample):
        from pos.engine import Exchange, Print
        from pos.escpos import line_buffer
        from pos.font import Font
        # Drivers are built first at boot, so their buffers do not wait for a hole.
        self.line = line_buffer()
        self.font = Font(sys.argv[1] + "/firmware/assets/font16.bin")
        self.term = None
        self.host = Host()
        self.exchange, self.print = Exchange, Print
        self.sample = sample
        self.peak = 0
        self.slips = 0

    def _measure(self):
        if self.sample:
            gc.collect()
            a = gc.mem_alloc()
            if a > self.peak:
                self.peak = a

    def pump(self):
        from pos import escpos
        while True:
            self._measure()
            e = self.term.pending_io
            if e is None:
                return
            if isinstance(e, self.exchange):
                self.term.resolve(self.host.answer(e.frame))
            elif isinstance(e, self.print):
                for _chunk in escpos.render_slip(e.lines, self.font, chunk=self.line):
                    self._measure()
                self.slips += 1
                self.term.resolve("OK")
            else:
                self.term.resolve("OK")

    def keys(self, text):
        for k in text.split():
            self.term.key(k)
            self.pump()


def _ballast(reserve):
    """Blocks taking the free heap but reserve bytes, biggest first: holes are left as they are."""
    held = []
    gc.collect()
    while True:
        want = gc.mem_free() - reserve - 64
        if want < 1024:
            return held
        while want >= 1024:
            try:
                held.append(bytearray(want))
                break
            except MemoryError:
                want = want * 3 // 4
        else:
            return held


def sale(lazy=False, sample=False, reserve=None):
    from vmutil import tmpdir
    now = [1795428000]
    try:
        dev = Device(sample)
        if not lazy:
            for name in MODULES:
                __import__("pos." + name)
        from pos import app
        term = dev.term = app.App(tmpdir("bench"), lambda: now[0], PROV)
        term.power_on()
        dev.pump()
        dev.keys("0 1 ENTER 0 0 0 0 ENTER")
    except MemoryError as e:
        if "-v" in sys.argv:
            sys.print_exception(e)
        sys.exit(4)
    assert "欢迎使用" in term.screen.text(), term.screen.text()
    gc.collect()
    base = dev.peak = gc.mem_alloc()
    print("idle_heap_bytes:", base)
    if reserve is not None:
        ballast = _ballast(reserve)
        gc.collect()
        print("free_heap_bytes:", gc.mem_free())
    try:
        dev.keys("ENTER 1 1 2 3 4 5 ENTER")
        term.card(("swipe", TRACK2))
        dev.pump()
        dev.keys("1 2 3 4 5 6 ENTER")
        for _ in range(12):
            now[0] += 1
            term.tick()
            dev.pump()
    except MemoryError as e:
        if "-v" in sys.argv:
            sys.print_exception(e)
        sys.exit(3)
    assert "交易成功" in term.screen.text(), term.screen.text()
    assert dev.slips == 2, dev.slips
    if sample:
        print("sale_sampled_live_heap_bytes:", dev.peak - base)


def timing():
    from pos import cup, mac, message, pinblock
    host = Host()
    t0 = time.ticks_us()
    n = 20
    for i in range(n):
        pb = pinblock.encrypt_pin_block(PIK, b"123456", "6222021000000000017")
        frame = message.build(cup, "sale", {2: "6222021000000000017", 4: "000000012345", 11: "%06d" % (i + 1),
                                            14: "3012", 22: "021", 25: "00", 26: "12", 35: TRACK2,
                                            41: "12345678", 42: "123456789012345", 49: "156", 52: pb,
                                            53: cup.SECURITY_CONTROL, "batch": "000001"},
                              lambda data: mac.cup_ecb_mac(MAK, data))
        message.parse(cup, host.answer(frame), lambda data: mac.cup_ecb_mac(MAK, data), "0210")
    print("vm_pin_mac_messages_ms:", (time.ticks_diff(time.ticks_us(), t0) // n) / 1000)


def main():
    what = sys.argv[2]
    if what == "imports":
        imports()
    elif what == "sale":
        sale(reserve=int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else None)
    elif what == "sale-sampled":
        sale(sample=True)
    elif what == "lazy-sale":
        sale(lazy=True)
    elif what == "timing":
        timing()
    else:
        raise SystemExit("unknown bench %s" % what)


main()
