# Runs on the MicroPython unix port (tools/bench.py drives it):
#   micropython tools/bench_printer_vm.py FONT_PATH
# Prints how fast drivers/printer.py really feeds one merchant copy of a sample
# sale to a fake module that answers its status queries, paced at the boards'
# 6000 B/s, on the real clock: rendering every line, the status checks and the
# pacing's sleeps all count. printer_slip_bytes is every byte written for the
# job (ESC @, ESC 7, the raster lines and the DLE EOT queries).
import asyncio
import sys
import time

HERE = sys.argv[0].rsplit("/", 1)[0] if "/" in sys.argv[0] else "."
# After the VM's frozen modules: on the 32-bit frozen VM (tools/upy32.py) its firmware is measured.
sys.path.insert(sys.path.index(".frozen") + 1 if ".frozen" in sys.path else 0, HERE + "/../firmware")

from drivers.fakes.printer import FakePrinter  # noqa: E402
from drivers.printer import Printer  # noqa: E402
from pos.font import Font  # noqa: E402
from pos.receipt import slip_lines  # noqa: E402

RATE = 6000
SALE = {"type_name": "消费 SALE", "pan_masked": "622202*********0017", "entry": "S", "expiry": "2812",
        "issuer": "工商银行", "acquirer": "银联商务", "batch": "000001", "trace": "000123", "auth": "654321",
        "ref": "141509123456", "datetime": "2026/11/23 14:05:09", "amount_fen": 12345, "operator": "01",
        "remark": ""}
TERMINAL = {"merchant_name": "北京市朝阳区测试商户便利店", "merchant_id": "898310058120001",
            "terminal_id": "10000001"}


def main():
    font = Font(sys.argv[1])
    lines = slip_lines(SALE, TERMINAL, 0)
    module = FakePrinter(record=0)
    printer = Printer(module, RATE, 384)
    start = time.ticks_ms()
    result = asyncio.run(printer.print_lines(lines, font))
    elapsed = time.ticks_diff(time.ticks_ms(), start)
    if result != "OK":
        print("printer_result:", result)
        sys.exit(1)
    print("printer_bytes_per_s:", module.received * 1000 // elapsed)
    print("printer_slip_bytes:", module.received)


main()
