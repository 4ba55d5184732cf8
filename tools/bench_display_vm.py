# Runs on the MicroPython unix port (CPython works too):
#   micropython tools/bench_display_vm.py FONT_PATH [RUNS]
# Renders a full screen of CJK text (15 rows of 20 CJK characters, taken from
# the Chinese screen texts beside the font, assets/lang/zh.txt) into a
# 320x240 ColorLcd's byte stream through a FakeBus that only counts, every
# row sent again each run, and prints
#   lcd_full_screen_ms: <mean over RUNS runs>
#   lcd_full_screen_bytes: <bytes one screen puts on the SPI bus>
# The drivers are the VM's frozen ones where it has them (tools/upy32.py), else
# imported from the firmware tree the font belongs to (FONT_PATH/../..), else
# from this repository's firmware/.
import sys

try:
    from time import ticks_diff, ticks_us
except ImportError:
    from time import perf_counter

    def ticks_us():
        return int(perf_counter() * 1000000)

    def ticks_diff(a, b):
        return a - b

FONT = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
HERE = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
ASSETS = FONT.rsplit("/", 1)[0] if "/" in FONT else "."
AFTER_FROZEN = sys.path.index(".frozen") + 1 if ".frozen" in sys.path else 0
sys.path.insert(AFTER_FROZEN, HERE + "/../firmware")
sys.path.insert(AFTER_FROZEN, ASSETS + "/..")

from drivers.lcd import ColorLcd  # noqa: E402
from drivers.fakes.lcd import FakeBus
from pos.font import Font, next_char  # noqa: E402
from pos.screen import is_wide  # noqa: E402

ROWS, PER_ROW = 15, 20
FALLBACK = "欢迎使用银联商务消费撤销退货余额查询预授权缴费还款结算签到管理"


def cjk_text():
    """The CJK characters of the screen texts, in catalog order."""
    out = []
    try:
        f = open(ASSETS + "/lang/zh.txt", "rb")
    except OSError:
        f = None
    if f is not None:
        for line in f:
            tab = line.find(b"\t")
            data = line[tab + 1:]
            i = 0
            while i < len(data) and len(out) < ROWS * PER_ROW:
                v = next_char(data, i, len(data))
                i += v & 7
                if is_wide(v >> 3) and v >> 3 >= 0x4E00:
                    out.append(chr(v >> 3))
        f.close()
    while len(out) < ROWS * PER_ROW:
        out.extend(FALLBACK)
    return "".join(out[:ROWS * PER_ROW])


def main():
    text = cjk_text()
    rows = [text[r * PER_ROW:(r + 1) * PER_ROW] for r in range(ROWS)]
    font = Font(FONT)
    bus = FakeBus(keep=False)
    lcd = ColorLcd(bus)
    lcd.show(rows, None, font)          # warm: the file cache, the glyph framebuffers
    total = 0
    for _ in range(RUNS):
        lcd.invalidate()
        bus.clear()
        t0 = ticks_us()
        lcd.show(rows, None, font)
        total += ticks_diff(ticks_us(), t0)
    print("lcd_full_screen_ms: %.3f" % (total / RUNS / 1000))
    print("lcd_full_screen_bytes:", bus.nbytes)


main()
