# Runs on the MicroPython unix port (make bench): heap after import, peak working
# heap of a full sale (idle screen to printed slips) with a scripted host, and
# the time of PIN block + MAC + sale messages. Prints `name: value` lines.
import gc
import os
import sys
import time

import micropython

sys.path.insert(0, sys.argv[1] + "/firmware")
sys.path.insert(0, sys.argv[1] + "/host_tests/vm")

from pos import app as _a, cup, des, engine, message, mac, pinblock, iso8583, receipt, escpos  # noqa
from pos.flows import boot, common, idle, login, printing, reversal, sale, signin  # noqa
from pos.engine import Connect, Disconnect, Exchange, Print
from vmutil import tmpdir

gc.collect()
after_import = gc.mem_alloc()
print("heap_after_import_bytes:", after_import)

TMK = b"\x01\x23\x45\x67\x89\xab\xcd\xef\xfe\xdc\xba\x98\x76\x54\x32\x10"
PIK = b"\x11" * 8 + b"\x22" * 8
MAK = b"\x33" * 8
PROV = {"terminal_id": "12345678", "merchant_id": "123456789012345", "merchant_name": "测试商户",
        "tmk": "0123456789ABCDEFFEDCBA9876543210"}


def answer(req):
    """The host's answer to a request frame, built with the firmware's own codec."""
    _tpdu, _hdr, body = iso8583.unframe(req)
    f = iso8583.decode(cup, body)
    out = {0: "0810" if f[0] == "0800" else "0210", 11: f[11], 12: "100000", 13: "1123", 32: "99990000",
           37: "100000000001", 39: "00", 41: f[41], 42: f[42], 60: f[60]}
    if f[0] == "0800":
        out[62] = (des.ecb_encrypt(TMK, PIK) + des.check_value(PIK) + des.ecb_encrypt(TMK, MAK) + bytes(8)
                   + des.check_value(MAK))
    else:
        out.update({2: f[2] if 2 in f else "6222021000000000017", 3: f[3], 4: f[4], 14: "3012", 15: "1123",
                    25: "00", 38: "123456", 44: "01020000   99990000   ", 49: "156", 63: "CUPICBC", 64: bytes(8)})
    buf = bytearray(2) + cup.TPDU_ANSWER + cup.HEADER
    iso8583.encode_into(cup, out, buf)
    n = len(buf) - 2
    buf[0], buf[1] = n >> 8, n & 0xFF
    if 64 in out:
        buf[-8:] = mac.cup_ecb_mac(MAK, iso8583.mac_data(bytes(buf[13:])))
    return bytes(buf)


def pump(term, font):
    while True:
        e = term.pending_io
        if e is None:
            return
        if isinstance(e, Exchange):
            term.resolve(answer(e.frame))
        elif isinstance(e, Print):
            for chunk in escpos.render_slip(e.lines, font):
                pass
            term.resolve("OK")
        else:
            term.resolve("OK")


def keys(term, font, text):
    for k in text.split():
        term.key(k)
        pump(term, font)


now = [1795428000]
d = tmpdir("bench")
from pos.font import Font  # noqa: E402
font = Font(sys.argv[1] + "/firmware/assets/font16.bin")
term = _a.App(d, lambda: now[0], PROV)
term.power_on()
keys(term, font, "0 1 ENTER 0 0 0 0 ENTER")
assert "欢迎使用" in term.screen.text(), term.screen.text()
gc.collect()
base = gc.mem_alloc()
keys(term, font, "ENTER 1 1 2 3 4 5 ENTER")
term.card(("swipe", "6222021000000000017=30121010000000000"))
pump(term, font)
keys(term, font, "1 2 3 4 5 6 ENTER")
for _ in range(12):
    now[0] += 1
    term.tick()
    pump(term, font)
assert "交易成功" in term.screen.text(), term.screen.text()
peak = micropython.mem_peak()
print("sale_peak_working_heap_bytes:", peak - base)

t0 = time.ticks_us()
N = 20
for i in range(N):
    pb = pinblock.encrypt_pin_block(PIK, b"123456", "6222021000000000017")
    frame = message.build(cup, "sale", {2: "6222021000000000017", 4: "000000012345", 11: "%06d" % i, 14: "3012",
                                        22: "021", 25: "00", 26: "12", 35: "6222021000000000017=30121010000000000",
                                        41: "12345678", 42: "123456789012345", 49: "156", 52: pb,
                                        53: cup.SECURITY_CONTROL, "batch": "000001"},
                          lambda data: mac.cup_ecb_mac(MAK, data))
    message.parse(cup, answer(frame), lambda data: mac.cup_ecb_mac(MAK, data), "0210")
print("vm_pin_mac_messages_ms:", (time.ticks_diff(time.ticks_us(), t0) // N) / 1000)
