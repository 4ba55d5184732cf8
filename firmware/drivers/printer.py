# 58 mm ESC/POS thermal module (CSN-A2 class) on a UART with no flow control.
# Rules: every byte is paced so the module never holds more than one slice it
# has not printed (an overrun garbles the print, silently); the module is
# asked for its paper and error status (DLE EOT 4 and 3, real-time commands)
# before a job, every few lines and at the end, only between lines and only
# once it has taken all it was sent, and the line waits for the answer before
# more data goes out (what the ESC/POS references ask of DLE EOT).
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms
from pos.escpos import EscPosError, line_buffer, parse_status, render_slip
from pos.results import OK, PAPER_OUT, PRINTER_ERROR

_MAX_SLICE = const(128)  # the ESP32 UART's hardware FIFO: a write of this much never blocks
_SLICE_MS = const(20)
_CHECK_EVERY = const(4)  # lines between status checks: ~0.5 s of paper at 6000 B/s
_POLL_MS = const(2)
_STATUS_TIMEOUT_MS = const(500)
_COOL_POLL_MS = const(500)
_COOL_LIMIT_MS = const(30000)  # a head that is still hot after this is a fault
_DRAIN_READS = const(8)

# ESC 7 n1 n2 n3 (CSN-A2 "set heating parameters"): n1 + 1 = heating dots / 8,
# n2 = heating time in 10 us, n3 = interval in 10 us. Density 2 is the module's
# own default (7, 80, 2), so a module that ignores ESC 7 prints the same.
_HEAT = (b"\x1b7\x07\x3c\x02", b"\x1b7\x07\x50\x02", b"\x1b7\x07\x78\x02")
_INIT = b"\x1b@"

_PAPER = {"ok": "ok", "paper_near_end": "near_end", "paper_out": "out"}


class PrinterError(Exception):
    pass


def _status_byte(byte):
    """A DLE EOT answer as an int; fixed bits 1 and 4 on, 0 and 7 off."""
    if isinstance(byte, (bytes, bytearray)):
        if len(byte) != 1:
            raise PrinterError("a status is one byte")
        byte = byte[0]
    if not 0 <= byte <= 255 or byte & 0x93 != 0x12:
        raise PrinterError("not a status byte: %r" % byte)
    return byte


def parse_printer_status(byte):
    """DLE EOT 1: True when the printer is online (bit 3 off)."""
    return not _status_byte(byte) & 0x08


def parse_offline_status(byte):
    """DLE EOT 2: why it is offline: "cover_open", "paper_end_stop", "error" or None."""
    b = _status_byte(byte)
    if b & 0x04:
        return "cover_open"
    if b & 0x20:
        return "paper_end_stop"
    if b & 0x40:
        return "error"
    return None


def parse_error_status(byte):
    """DLE EOT 3: "unrecoverable", "cutter", "mechanical", "overheat" or None.

    Bit 6 (automatically recoverable) is the head's temperature: printing
    stops until it cools and then goes on by itself.
    """
    b = _status_byte(byte)
    if b & 0x20:
        return "unrecoverable"
    if b & 0x08:
        return "cutter"
    if b & 0x04:
        return "mechanical"
    if b & 0x40:
        return "overheat"
    return None


def parse_paper_status(byte):
    """DLE EOT 4: "ok", "near_end" or "out" (pos.escpos.parse_status's reading)."""
    try:
        return _PAPER[parse_status(byte)]
    except EscPosError as e:
        raise PrinterError(str(e))


class Printer:
    """The thermal printer; ticks and sleep may be injected (a fake clock in tests)."""

    def __init__(self, uart, bytes_per_s=6000, dots=384, ticks=None, sleep=None,
                 status_timeout_ms=_STATUS_TIMEOUT_MS, cool_limit_ms=_COOL_LIMIT_MS):
        if bytes_per_s <= 0:
            raise ValueError("bytes_per_s")
        self._uart = uart
        self._rate = bytes_per_s
        self._dots = dots
        self._ticks = ticks or ticks_ms
        self._sleep = sleep or sleep_ms
        self._timeout = status_timeout_ms
        self._cool_limit = cool_limit_ms
        # 20 ms of data per write (120 B at 6000 B/s): whole milliseconds, so pacing loses nothing to rounding.
        slice_bytes = bytes_per_s * _SLICE_MS // 1000
        self._slice = _MAX_SLICE if slice_bytes > _MAX_SLICE else slice_bytes if slice_bytes > 16 else 16
        self._line = line_buffer(dots)
        self._query = bytearray(b"\x10\x04\x00")
        self._due = self._ticks()  # when the module will have printed all it was sent

    async def _idle(self):
        """Wait until the module has taken every byte sent (at bytes_per_s)."""
        while True:
            wait = ticks_diff(self._due, self._ticks())
            if wait <= 0:
                return
            await self._sleep(wait)

    async def _send(self, data):
        mv = memoryview(data)
        n = len(mv)
        i = 0
        while i < n:
            j = i + self._slice if i + self._slice < n else n
            await self._idle()
            self._uart.write(mv[i:j])
            # Rounded up, so no window between two writes ever carries more than bytes_per_s.
            self._due = self._ticks() + ((j - i) * 1000 + self._rate - 1) // self._rate
            i = j

    def _drain(self):
        """Drop what waits on the line: raster data can hold a DLE EOT sequence by chance."""
        for _ in range(_DRAIN_READS):
            if not self._uart.read():
                return

    async def _ask(self, n):
        """The status byte for DLE EOT n, or None when no answer came in time."""
        await self._idle()
        self._drain()
        self._query[2] = n
        await self._send(self._query)
        start = self._ticks()
        while True:
            b = self._uart.read(1)
            if b:
                return b[0]
            if ticks_diff(self._ticks(), start) >= self._timeout:
                return None
            await self._sleep(_POLL_MS)

    async def _check(self):
        """OK to go on, PAPER_OUT or PRINTER_ERROR; waits out an overheated head."""
        b = await self._ask(4)
        if b is None:
            return PRINTER_ERROR
        if parse_paper_status(b) == "out":
            return PAPER_OUT
        start = self._ticks()
        while True:
            b = await self._ask(3)
            if b is None:
                return PRINTER_ERROR
            error = parse_error_status(b)
            if error is None:
                return OK
            if error != "overheat" or ticks_diff(self._ticks(), start) >= self._cool_limit:
                return PRINTER_ERROR
            await self._sleep(_COOL_POLL_MS)

    async def print_lines(self, lines, font, density=2):
        """Print one slip: "OK", "PAPER_OUT" (print it all again once paper is in) or "PRINTER_ERROR"."""
        heat = _HEAT[(1 if density < 1 else 3 if density > 3 else density) - 1]
        try:
            r = await self._check()
            if r != OK:
                return r
            await self._send(_INIT)
            await self._send(heat)
            count = 0
            checked = True
            for chunk in render_slip(lines, font, self._dots, self._line):
                await self._send(chunk)
                count += 1
                checked = count % _CHECK_EVERY == 0
                if checked:
                    r = await self._check()
                    if r != OK:
                        return r
            return OK if checked else await self._check()
        except PrinterError:
            return PRINTER_ERROR

    async def status(self):
        """{"paper": "ok"/"near_end"/"out"/None, "error": None/"overheat"/"cutter"/..., "online": bool}."""
        answers = bytearray(4)
        try:
            for n in range(4):
                b = await self._ask(n + 1)
                if b is None:
                    return {"paper": None, "error": "no_answer", "online": False}
                answers[n] = b
            why = parse_error_status(answers[2]) or parse_offline_status(answers[1])
            if why == "paper_end_stop":
                why = None  # the paper field says it
            return {"paper": parse_paper_status(answers[3]), "error": why,
                    "online": parse_printer_status(answers[0])}
        except PrinterError:
            return {"paper": None, "error": "bad_answer", "online": False}
