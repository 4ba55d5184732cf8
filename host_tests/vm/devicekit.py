# A whole device on the host: fake `machine`, `network` and `socket` modules under the real
# drivers, board builder, runtime and App. The keypad is a matrix of fake pins, the magstripe
# and the printer are the drivers' own fakes behind their UARTs, the Wi-Fi reaches the flow
# tests' scripted host through the fake socket module, or a real host through the port's own
# sockets (Device(net=socket)). VM-neutral.
from drivers.fakes.magstripe import FakeDecoderUart
from drivers.fakes.printer import FakePrinter
from drivers.fakes.rtc import FakeRtc
from drivers.fakes.wifi import FakeSocketModule, FakeWlan
import asyncio

from drivers.compat import sleep_ms
from vmutil import START

KEYS = ("1", "2", "3", "CANCEL", "F1",
        "4", "5", "6", "CLEAR", "F2",
        "7", "8", "9", "ENTER", "F3",
        "UP", "0", "DOWN", "FEED", "F4")
ROWS = (4, 5, 6, 7)
COLS = (15, 16, 41, 42, 2)


class Board:
    """A handheld with an ST7789, the 4x5 keys, a magstripe, the printer, Wi-Fi and the RTC."""
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
    }


class Board4g(Board):
    """The handheld with its 4G modem beside the Wi-Fi."""
    PARTS = dict(Board.PARTS)
    PARTS["modem"] = {"driver": "modem.Modem", "uart": 2, "baudrate": 115200, "tx": 47, "rx": 48,
                      "pwrkey": None, "family": "sim7600"}
    PARTS["rtc"] = {"driver": "rtc.Clock", "source": "modem"}


class BoardChip(Board):
    """The handheld with its contact IC reader on the I2C bus (no detect pin: the reader's STATUS)."""
    PARTS = dict(Board.PARTS)
    PARTS["i2c"] = {"bus": 0, "sda": 38, "scl": 39, "freq": 400000}
    PARTS["icc"] = {"driver": "icc.IccReader", "i2c": "i2c", "addr": 0x2A}


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


class FakeMachine:
    """What the board builder asks of `machine`: pins, SPI, UARTs (the fakes), RTC, WDT, reset."""

    def __init__(self):
        self.matrix = Matrix()
        from drivers.fakes.icc import FakeIccBus
        self.uarts = {0: FakeDecoderUart(), 1: FakePrinter(record=256)}
        self.i2c = FakeIccBus()                 # the chip reader's coprocessor, no card in its slot
        self.rtc = FakeRtc(START - 8 * 3600)
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
        return self.i2c

    def WDT(self, timeout=0):
        self.wdt = _Wdt(timeout)
        return self.wdt

    def reset(self):
        self.resets += 1


class HostConn:
    """One TCP connection to the scripted host: frames in, answers out."""

    def __init__(self, host):
        self.host = host
        self.inbox = b""
        self.outbox = b""
        self.closed = False

    def send(self, data):
        self.inbox += data
        while len(self.inbox) >= 2:
            n = 2 + (self.inbox[0] << 8 | self.inbox[1])
            if len(self.inbox) < n:
                return
            frame, self.inbox = self.inbox[:n], self.inbox[n:]
            answer = self.host.answer(frame)
            if type(answer) is bytes:
                self.outbox += answer

    def recv(self):
        if self.closed:
            return b""
        if not self.outbox:
            return None
        data, self.outbox = self.outbox, b""
        return data

    def close(self):
        self.closed = True


class Network:
    """`network` with one shop network, "shop" / "secret"."""
    STA_IF = 0

    def __init__(self):
        self.wlan = FakeWlan({"shop": "secret"})

    def WLAN(self, interface):
        return self.wlan


class Device:
    """machine, network and socket fakes, and the scripted host they lead to (over Wi-Fi, and
    over the 4G modem behind UART 2); with net (the port's socket module), the Wi-Fi's sockets
    are real ones and there is no scripted host and no modem."""

    def __init__(self, host=None, net=None):
        self.machine = FakeMachine()
        self.network = Network()
        self.conns = []                 # every connection to the host, the last one last
        if net is not None:
            self.host = None
            self.socket = net
            return
        from drivers.fakes.modem import FakeModem
        from flowkit import Host
        self.host = host or Host()
        self.socket = FakeSocketModule(peer=self._connect)
        self.modem = FakeModem(peer=self._connect)
        self.machine.uarts[2] = self.modem

    def _connect(self, addr, port):
        conn = HostConn(self.host)
        self.conns.append(conn)
        return conn

    @property
    def printer(self):
        return self.machine.uarts[1]

    def swipe(self, track2):
        self.machine.uarts[0].swipe(track2)


async def until(shell, text, ms=8000):
    """Wait for text on the App's screen; AssertionError with the screen after ms."""
    waited = 0
    while True:
        screen = shell.app.screen
        if screen is not None and text in screen.text():
            return
        if waited > ms:
            raise AssertionError("no %r on the screen:\n%s" % (text, screen.text() if screen else None))
        await sleep_ms(10)
        waited += 10


class Scans:
    """Counts the shell's keypad scans, so a key is held for scans, not for a guess of milliseconds
    (a full redraw in CPython's pixel path takes longer than a finger on the key)."""

    def __init__(self, keypad):
        self.n = 0
        self.scan = keypad.scan
        keypad.scan = self

    def __call__(self, now):
        self.n += 1
        return self.scan(now)

    async def wait(self, scans):
        end = self.n + scans
        while self.n < end:
            await sleep_ms(5)


async def keys(dev, scans, names):
    """Each key pressed on the matrix for 4 scans and let go for 4 (past the debounce)."""
    for k in names.split():
        dev.machine.matrix.pressed = k
        await scans.wait(4)          # past the 20 ms debounce at one scan every 10 ms
        dev.machine.matrix.pressed = None
        await scans.wait(4)


async def login(shell, dev, scans):
    """Operator 01 / 0000 at the login screen, up to the idle screen."""
    await until(shell, "操作员号")
    await keys(dev, scans, "0 1 ENTER 0 0 0 0 ENTER")
    await until(shell, "欢迎使用")


def run(shell, script):
    """The shell's loop and script() (a coroutine function) together, until script returns."""
    async def both():
        task = asyncio.create_task(shell.run())
        try:
            await script()
        finally:
            shell.stop()
            await task
    asyncio.run(both())
