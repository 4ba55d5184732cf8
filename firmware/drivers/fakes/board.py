# A board on the host: fake `machine` and `network` modules for the runtime's board builder, and
# the test handheld's parts and pins. The keypad is a matrix of fake pins, the magstripe and the
# printer are the drivers' own fakes behind their UARTs, the card readers' chips (the contact
# reader's coprocessor, the PN532), the touch panel's FT6336U and the scan engine's SC16IS7xx bridge
# the fakes of icc.py, nfc.py, touch.py and scanner.py on one fake I2C bus, the RTC and the Wi-Fi
# are the fakes of rtc.py and wifi.py. Shared by the device tests (host_tests/vm/devicekit.py) and
# the simulator (tools/sim/terminal.py).
from drivers.fakes.magstripe import FakeDecoderUart
from drivers.fakes.printer import FakePrinter
from drivers.fakes.rtc import FakeRtc

KEYS = ("1", "2", "3", "CANCEL", "F1",
        "4", "5", "6", "CLEAR", "F2",
        "7", "8", "9", "ENTER", "F3",
        "UP", "0", "DOWN", "FEED", "F4")
ROWS = (4, 5, 6, 7)
COLS = (15, 16, 41, 42, 2)
TOUCH_IRQ = 8


class Board:
    """A handheld with an ST7789 and its touch panel, the 4x5 keys, a magstripe, the payment-code
    scanner (machine.scanner() is its engine), the printer, Wi-Fi and the RTC."""
    NAME = "test_handheld"
    MCU = "esp32s3"
    FLASH_MB = 8
    PSRAM = False
    PARTS = {
        "lcd": {"driver": "lcd.ColorLcd", "controller": "st7789", "width": 320, "height": 240,
                "spi": 2, "baudrate": 40000000, "sck": 12, "mosi": 11, "cs": 10, "dc": 9, "rst": 14},
        "keypad": {"driver": "keypad.Keypad", "rows": ROWS, "cols": COLS, "keys": KEYS},
        "magstripe": {"driver": "magstripe.Magstripe", "uart": 0, "baudrate": 9600, "tx": 43, "rx": 44},
        "printer": {"driver": "printer.Printer", "uart": 1, "baudrate": 115200, "tx": 17, "rx": 18,
                    "dots": 384, "bytes_per_s": 60000},
        "wifi": {"driver": "wifi.Wifi"},
        "rtc": {"driver": "rtc.Clock", "source": "ntp"},
        "i2c": {"bus": 0, "sda": 38, "scl": 39, "freq": 400000},
        "touch": {"driver": "touch.Ft6336", "i2c": "i2c", "addr": 0x38, "irq": TOUCH_IRQ, "width": 320,
                  "height": 240},
        "scanner": {"driver": "scanner.Scanner", "i2c": "i2c", "addr": 0x48, "baudrate": 9600, "trigger": 35,
                    "max_len": 128},
    }


class Matrix:
    """The key matrix behind the pins: a row driven low reads low on the pressed key's column."""

    def __init__(self):
        self.driven = None
        self.pressed = None

    def drive(self, row, level):
        if level == 0:
            self.driven = row
        elif self.driven == row:
            self.driven = None

    def sense(self, col):
        if self.pressed is None or self.driven is None:
            return 1
        i = KEYS.index(self.pressed)
        return 0 if (i // len(COLS), i % len(COLS)) == (self.driven, col) else 1


class _Pin:
    OUT, IN, PULL_UP = 1, 0, 2

    def __init__(self, machine, n, mode=None, pull=None):
        self.machine = machine
        self.n = n
        self.level = 1

    def value(self, level=None):
        matrix = self.machine.matrix
        if level is None and self.n == TOUCH_IRQ:
            return self.machine.touch().irq()
        if level is None:
            return matrix.sense(COLS.index(self.n)) if self.n in COLS else self.level
        self.level = level
        if self.n in ROWS:
            matrix.drive(ROWS.index(self.n), level)
        return None


class _Spi:
    def __init__(self, *args, **kw):
        self.written = 0

    def write(self, data):
        self.written += len(data)


class _Wdt:
    def __init__(self, timeout=0):
        self.fed = 0

    def feed(self):
        self.fed += 1


ICC_ADDR = 0x2A
PN532_ADDR = 0x24
TOUCH_ADDR = 0x38
SCANNER_ADDR = 0x48


class FakeI2C:
    """machine.I2C with the card readers' chips on it, each answering at its own address: the chip
    reader's coprocessor (icc, a FakeIccBus at 0x2A), the PN532 (a FakePn532 at 0x24) and the touch
    panel's FT6336U (a FakeFt6336 at 0x38, its axes the LCD's), each made the first time it is
    addressed or asked for: a board without them loads none of their code (a handheld's bus with
    only its touch panel on it holds no chip reader's fake in the heap its figures measure). Any
    other address is not acknowledged, as on a bus."""

    def __init__(self):
        self._icc = None
        self.pn532 = None
        self.touch = None
        self.scanner = None

    @property
    def icc(self):
        if self._icc is None:
            from drivers.fakes.icc import FakeIccBus
            self._icc = FakeIccBus(addr=ICC_ADDR)       # no card in its slot
        return self._icc

    def device(self, addr):
        if addr == ICC_ADDR:
            return self.icc
        if addr == TOUCH_ADDR:
            if self.touch is None:
                from drivers.fakes.touch import FakeFt6336
                self.touch = FakeFt6336(addr=addr)
            return self.touch
        if addr == SCANNER_ADDR:
            if self.scanner is None:
                from drivers.fakes.scanner import FakeI2cUart
                self.scanner = FakeI2cUart(addr=addr)
            return self.scanner
        if addr != PN532_ADDR:
            raise OSError(19)  # ENODEV: nobody acknowledges the address
        if self.pn532 is None:
            from drivers.fakes.nfc import FakePn532
            self.pn532 = FakePn532(addr=addr)
        return self.pn532

    def writeto(self, addr, buf):
        return self.device(addr).writeto(addr, buf)

    def readfrom_into(self, addr, buf):
        return self.device(addr).readfrom_into(addr, buf)

    def readfrom_mem_into(self, addr, memaddr, buf):
        return self.device(addr).readfrom_mem_into(addr, memaddr, buf)

    def writeto_mem(self, addr, memaddr, buf):
        return self.device(addr).writeto_mem(addr, memaddr, buf)


class FakeMachine:
    """What the board builder asks of `machine`: pins, SPI, UARTs (the fakes), RTC, WDT, reset.
    rtc: the machine.RTC (a FakeRtc unless given)."""

    def __init__(self, rtc=None):
        self.matrix = Matrix()
        self.uarts = {0: FakeDecoderUart(), 1: FakePrinter(record=256)}
        self.bus = None                         # the I2C bus (a FakeI2C), once a board asks for it
        self.rtc = rtc if rtc is not None else FakeRtc()
        self.wdt = None
        self.resets = 0
        machine = self

        class Pin(_Pin):
            def __init__(self, n, mode=None, pull=None):
                _Pin.__init__(self, machine, n, mode, pull)
        self.Pin = Pin

    def SPI(self, *args, **kw):
        self.spi = _Spi()
        return self.spi

    def UART(self, n, **kw):
        return self.uarts[n]

    def RTC(self):
        return self.rtc

    def I2C(self, *args, **kw):
        if self.bus is None:
            self.bus = FakeI2C()
        return self.bus

    @property
    def i2c(self):
        """The chip reader's coprocessor on the bus (a FakeIccBus): where a test puts a card."""
        return self.I2C().icc

    def pn532(self):
        """The PN532 on the I2C bus (a FakePn532, no card on its field until one is put there)."""
        return self.I2C().device(PN532_ADDR)

    def touch(self):
        """The touch panel's controller on the I2C bus (a FakeFt6336, untouched until a finger is
        scripted on it)."""
        return self.I2C().device(TOUCH_ADDR)

    def scanner(self):
        """The scan engine behind its SC16IS7xx bridge on the I2C bus (a FakeScanEngine: present(code))."""
        return self.I2C().device(SCANNER_ADDR).engine

    def WDT(self, timeout=0):
        self.wdt = _Wdt(timeout)
        return self.wdt

    def reset(self):
        self.resets += 1


class FakeNetwork:
    """`network` with one station interface, wlan (a FakeWlan)."""
    STA_IF = 0

    def __init__(self, wlan):
        self.wlan = wlan

    def WLAN(self, interface):
        return self.wlan
