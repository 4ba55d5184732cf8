# The payment-code scanner (扫码): a 1D/2D scan engine on a serial line, modelled on Hangzhou Grow's
# GM65 / GM60-S ("reads payment codes"), the same TTL-232 mode as a Newland EM20 or a Honeywell
# engine: 9600 8N1, no flow control, each decoded code sent as its bytes then the tail, CR by default
# (CR LF or LF alone also end a line). The engine's read mode is set once, at installation, with the
# setup codes of its manual (docs/device.md): induction (感应) on a countertop, reading any code held
# in front of it; manual on the handheld, reading while the terminal holds TRIG low (trigger(True)).
# Without a trigger pin, trigger(True) writes the GM65's command trigger (zone bit 0x0002 = 1: one
# read in command mode; its 7-byte answer 02 00 00 01 00 33 31 is skipped, never taken for a code).
# Never trust the sender: a line is assembled in one buffer of max_len bytes; a longer line is one
# scan_error, the rest of it dropped up to its end; control bytes and bad UTF-8 are scan_errors. The
# buffer is wiped after every line: a payment code is a bearer token and never outlives its poll.
# I2cUart: the engine behind an NXP SC16IS740/750 I2C-to-UART bridge, for a board whose hardware
# UARTs are taken (both boards: docs/device.md); the same read()/write() as a machine.UART.
from drivers.compat import const
from drivers.lines import LineReader

_STX = const(2)
_REPLY_LEN = const(7)      # the answer to a zone bit write: 02 00 00 01 00 33 31
_MAX_REPLIES = const(4)
_SCAN_ONCE = b"\x7e\x00\x08\x01\x00\x02\x01\xab\xcd"  # write zone 0x0002 = 01; AB CD: no CRC check

TOO_LONG = ("scan_error", "too_long")
NOT_TEXT = ("scan_error", "not_text")
EMPTY = ("scan_error", "empty")


def _utf8_ok(line, n):
    """line[:n] is UTF-8 text without control characters (no overlongs, surrogates, > U+10FFFF)."""
    i = 0
    while i < n:
        b = line[i]
        if b < 0x80:
            if b < 0x20 or b == 0x7F:
                return False
            i += 1
            continue
        if 0xC2 <= b <= 0xDF:
            more, lo, hi = 1, 0x80, 0xBF
        elif 0xE0 <= b <= 0xEF:
            more = 2
            lo = 0xA0 if b == 0xE0 else 0x80
            hi = 0x9F if b == 0xED else 0xBF
        elif 0xF0 <= b <= 0xF4:
            more = 3
            lo = 0x90 if b == 0xF0 else 0x80
            hi = 0x8F if b == 0xF4 else 0xBF
        else:
            return False
        if i + more >= n:
            return False
        if not lo <= line[i + 1] <= hi:
            return False
        for k in range(i + 2, i + 1 + more):
            if not 0x80 <= line[k] <= 0xBF:
                return False
        i += 1 + more
    return True


class Scanner(LineReader):
    """poll() -> None / ("scan", text) / ("scan_error", "too_long" | "not_text" | "empty"); trigger(on)."""

    def __init__(self, uart, max_len=512, trigger=None):
        LineReader.__init__(self, uart, max_len, TOO_LONG)
        self._replies = 0        # command answers still to come
        self._skip = 0           # bytes of a command answer still to drop
        self._trigger = trigger  # the engine's TRIG input, a callable set(level): low reads
        if trigger is not None:
            trigger(1)

    def trigger(self, on):
        """Read (on) or stop reading: TRIG low while on; without the pin, one command-mode read."""
        if self._trigger is not None:
            self._trigger(0 if on else 1)
        elif on:
            self._uart.write(_SCAN_ONCE)
            if self._replies < _MAX_REPLIES:
                self._replies += 1

    def _take(self):
        """The event for the line just ended."""
        n = self._len
        line = self._line
        try:
            if n == 0:
                return EMPTY
            if not _utf8_ok(line, n):
                return NOT_TEXT
            return ("scan", bytes(memoryview(line)[:n]).decode())
        finally:
            self._wipe()

    def _byte(self, b):
        """The event a byte ends, or None: a command's answer is dropped, the rest is a line's."""
        if self._skip:
            self._skip -= 1
            self._after_cr = False
            return None
        if self._len == 0 and b == _STX and self._replies and not self._overflow:
            self._replies -= 1
            self._skip = _REPLY_LEN - 1
            self._after_cr = False
            return None
        return LineReader._byte(self, b)


# SC16IS740/750 registers (datasheet section 8): the I2C sub-address is reg << 3 (channel 0).
_RHR = const(0x00)   # THR when written; DLL while LCR bit 7 is set
_DLH = const(0x01)
_FCR = const(0x02)
_LCR = const(0x03)
_TXLVL = const(0x08)
_RXLVL = const(0x09)
_FIFO = const(64)


class I2cUart:
    """A machine.UART's read()/write() on an SC16IS740/750 bridge at addr on an I2C bus: 8N1 at
    baudrate from its crystal (xtal Hz, divisor xtal / 16 / baudrate), FIFOs on. read() is None
    while the receive FIFO is empty (one register read, nothing allocated), else the bytes in it.
    An absent chip raises OSError, and the board builder leaves the part out."""

    def __init__(self, i2c, addr=0x48, baudrate=9600, xtal=14745600):
        self._i2c = i2c
        self._addr = addr
        self._reg = bytearray(1)
        self._fifo = bytearray(_FIFO)
        divisor = xtal // (16 * baudrate)
        self._set(_LCR, 0x80)                       # divisor latch on
        self._set(_RHR, divisor & 0xFF)
        self._set(_DLH, divisor >> 8)
        self._set(_LCR, 0x03)                       # 8N1, latch off
        self._set(_FCR, 0x07)                       # FIFOs on, both emptied
        if self._get(_LCR) != 0x03:
            raise OSError(19)                       # something answers, but not a bridge

    def _set(self, reg, value):
        self._reg[0] = value
        self._i2c.writeto_mem(self._addr, reg << 3, self._reg)

    def _get(self, reg):
        self._i2c.readfrom_mem_into(self._addr, reg << 3, self._reg)
        return self._reg[0]

    def any(self):
        return self._get(_RXLVL)

    def read(self, n=-1):
        count = self._get(_RXLVL)
        if count == 0:
            return None
        count = min(count, _FIFO if n < 0 else n, _FIFO)
        window = memoryview(self._fifo)[:count]
        self._i2c.readfrom_mem_into(self._addr, _RHR << 3, window)  # RHR is not auto-incremented
        return bytes(window)

    def write(self, data):
        """Queues what the transmit FIFO has room for; returns how many bytes that was."""
        room = min(self._get(_TXLVL), len(data))
        if room:
            self._i2c.writeto_mem(self._addr, _RHR << 3, memoryview(data)[:room])
        return room
