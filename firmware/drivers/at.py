# The AT command engine under drivers/modem.py: lines in, one command in flight.
# Rules:
# - One command in flight (a lock). Every wait polls the non-blocking UART with
#   sleep_ms between polls and ends in an answer or a timeout; nothing blocks.
# - UART bytes become lines in one bounded buffer. A line longer than the buffer
#   and every byte that is not printable ASCII are dropped as garbage (counted
#   in `dropped` and `garbage`), never raised.
# - A command ends at OK (or at a line starting with one of `expect`), or with
#   ModemError at ERROR, +CME ERROR: n, +CMS ERROR: n (`code` = n). Nothing final
#   in time is ModemTimeout, after which a bare AT resyncs the engine. Echoed
#   command lines are skipped, so the echo before ATE0 does no harm.
# - A URC is recognised whenever it arrives, between commands or inside an
#   answer, and goes to _urc (the part's state), then to on_urc(line). A status
#   line answering the command in flight (+CPIN: to AT+CPIN?) is an answer.
# - Raw data: after a header line the part asked for (`_read_prefix` while
#   `_reading`), the number of bytes it announces, if no more than
#   `_read_want`, go to the receive buffer byte for byte, CR and LF included.
import asyncio

from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms

_LINE_MAX = const(160)     # longer lines are garbage; no answer we parse comes near
_LINES_MAX = const(8)      # information lines kept per command
_POLL_MS = const(10)
_AT_MS = const(1000)
_DRAIN_MS = const(100)     # for a stray final after a failed result line

# URCs whatever is in flight; status lines that are URCs unless asked for.
ALWAYS = ("RDY", "NO CARRIER", "SMS DONE", "PB DONE")
STATUS = ("+CPIN: ", "+CREG: ", "+CEREG: ", "+CGREG: ")


class ModemError(Exception):
    """ERROR / +CME ERROR: n / +CMS ERROR: n (code n), or an answer we cannot use.

    `info`: the lines before the final one (SIM7600's +IP ERROR: text).
    """

    def __init__(self, message, code=None, info=None):
        super().__init__(message)
        self.code = code
        self.info = info or []


class ModemTimeout(ModemError):
    pass


def starts(line, prefixes):
    for p in prefixes:
        if line.startswith(p):
            return True
    return False


def numbers(lines, prefix):
    """The comma-separated integers after prefix in the first line that has it."""
    for line in lines:
        if line.startswith(prefix):
            try:
                return [int(f) for f in line[len(prefix):].split(",")]
            except ValueError:
                break
    raise ModemError("no usable %s in %r" % (prefix, lines))


class AtEngine:
    Error = ModemError

    def __init__(self, uart, rx_size, on_urc=None):
        self._uart = uart
        self.on_urc = on_urc
        self._lock = asyncio.Lock()
        self._line = bytearray(_LINE_MAX)
        self._line_len = 0
        self._overlong = False
        self._skip_lf = False
        self._rx = bytearray(rx_size)
        self._rx_len = 0
        self._raw_left = 0          # raw data bytes still to come after a read header
        self._reading = False
        self._read_prefix = None
        self._read_want = 0
        self._read_bad = False
        self._rx_rest = 0           # bytes the part says it still holds
        self._end()
        self._cmd = ""
        self._rdy = False
        self.garbage = 0            # bytes dropped: not printable ASCII
        self.dropped = 0            # lines dropped: longer than the line buffer
        self.resyncs = 0
        self.resync_ms = 500

    def poll(self):
        """Take what the UART holds: URCs act now, answers wait for the command in flight."""
        data = self._uart.read()
        if data:
            self._feed(data)

    def _feed(self, data):
        line = self._line
        n = len(data)
        i = 0
        while i < n:
            b = data[i]
            if self._skip_lf:
                self._skip_lf = False
                if b == 10:
                    i += 1
                    continue
            if self._raw_left:
                take = min(self._raw_left, n - i)
                end = self._rx_len + take
                self._rx[self._rx_len:end] = data[i:i + take]
                self._rx_len = end
                self._raw_left -= take
                i += take
                continue
            i += 1
            if b == 13 or b == 10:
                self._skip_lf = b == 13
                if self._line_len or self._overlong:
                    self._end_line()
            elif 32 <= b < 127:
                if self._line_len < _LINE_MAX:
                    line[self._line_len] = b
                    self._line_len += 1
                else:
                    self._overlong = True
            else:
                self.garbage += 1
        if self._want_prompt and self._line_len and line[0] == 62:   # "> " has no line end
            self._line_len = 0
            self._want_prompt = False
            self._prompt = True

    def _end_line(self):
        n = self._line_len
        self._line_len = 0
        if self._overlong:
            self._overlong = False
            self.dropped += 1
            return
        line = bytes(self._line[:n]).decode()
        if self._reading and line.startswith(self._read_prefix):
            self._read_header(line[len(self._read_prefix):].split(","))
        elif self._expect is None or self._is_urc(line):
            self._urc(line)
        else:
            self._answer(line)

    def _asked(self, line):
        return self._prefix is not None and line.startswith(self._prefix)

    def _is_urc(self, line):
        return line in ALWAYS or starts(line, STATUS) and not self._asked(line)

    def _urc(self, line):
        if line == "RDY":
            self._rdy = True
        if self.on_urc is not None:
            self.on_urc(line)

    def _answer(self, line):
        if line.startswith("AT"):
            return                          # echo
        if line == "OK":
            if "OK" in self._expect:
                self._final = True
        elif line == "ERROR" or line.startswith("+CME ERROR:") or line.startswith("+CMS ERROR:"):
            code = None
            if line[0] == "+":
                try:
                    code = int(line[11:])
                except ValueError:
                    pass
            info = self._lines
            self._final = ModemError(info[-1] + " / " + line if info else line, code, info)
        else:
            if len(self._lines) < _LINES_MAX:
                self._lines.append(line)
            if starts(line, self._expect):
                self._final = True

    def _read_header(self, fields):
        try:
            n = int(fields[0])
            self._rx_rest = int(fields[1]) if len(fields) > 1 else 0
        except (ValueError, IndexError):
            n = -1
        if 0 <= n <= self._read_want:
            self._raw_left = n
            self._read_want -= n            # a second header may not overrun the buffer
        else:
            self._read_bad = True           # a length we did not ask for: the stream is lost

    def _begin(self, cmd, expect):
        self._expect = expect
        self._lines = []
        self._final = None
        self._cmd = cmd
        p = cmd[2:].split("=")[0].split("?")[0]
        self._prefix = p + ":" if p[:1] == "+" else None
        self._uart.write(cmd.encode() + b"\r")

    def _end(self):
        self._expect = self._prefix = self._lines = self._final = None
        self._want_prompt = self._prompt = False

    async def _wait(self, timeout_ms, prompt=False, resync=True):
        """The command's lines once it ends well (None at the '>' prompt, if asked to stop there)."""
        start = ticks_ms()
        while True:
            self.poll()
            if prompt and self._prompt:
                self._prompt = False
                return None
            final = self._final
            if final is not None:
                lines = self._lines
                self._end()
                if final is True:
                    return lines
                raise final
            if ticks_diff(ticks_ms(), start) >= timeout_ms:
                self._end()
                if resync:
                    self._raw_left = self._line_len = 0
                    self._reading = self._overlong = False
                    self.resyncs += 1
                    if prompt:
                        self._uart.write(b"\x1b")   # leave the data phase of a send
                    await self._ping(self.resync_ms)
                raise ModemTimeout("no answer to " + self._cmd)
            await sleep_ms(_POLL_MS)

    async def _command(self, cmd, timeout_ms=_AT_MS, expect=("OK",)):
        self._begin(cmd, expect)
        return await self._wait(timeout_ms)

    async def _ping(self, timeout_ms):
        self._begin("AT", ("OK",))
        try:
            await self._wait(timeout_ms, False, False)
        except ModemError:
            return False
        return True

    async def _number(self, entry, timeout_ms=_AT_MS, ends=True):
        """The number a (command, line, index) entry gives: from its result line (ends) or its answer before OK."""
        cmd, done, index = entry
        lines = await self._command(cmd, timeout_ms, (done,) if ends else ("OK",))
        if index is None:
            return 0
        found = numbers(lines, done)
        if index >= len(found):
            raise ModemError("short answer %r" % lines)
        if found[index] and ends:
            # a failed result line may bring a final of its own: do not let it end the next command
            self._expect = ()
            self._lines = []
            start = ticks_ms()
            while ticks_diff(ticks_ms(), start) < _DRAIN_MS:
                self.poll()
                await sleep_ms(_POLL_MS)
            self._end()
        return found[index]

    async def command(self, cmd, timeout_ms=_AT_MS, expect=("OK",)):
        """Send one command; its information lines (OK left out) once it ends well."""
        async with self._lock:
            return await self._command(cmd, timeout_ms, expect)
