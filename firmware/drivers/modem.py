# 4G modem (SIM7600 class) on a UART: power, status and one TCP socket, over the
# AT engine of drivers/at.py (one command in flight, bounded lines, finals,
# URCs, resync; its rules hold here).
# Rules:
# - URCs of the socket (its data and close events, NO CARRIER, CLOSED) and RDY,
#   +CPIN:, +CREG:/+CEREG: are recognised between commands or inside an answer;
#   the socket's go to its state first, then all to on_urc(line).
# - A peer close or a lost carrier marks the socket closed: recv() gives what was
#   already received, then b""; send() raises ModemError.
# - The socket's commands are a table per modem family (FAMILIES). Received data
#   is fetched in manual mode: the data URC, then a read command whose header
#   gives the length of the raw bytes that follow; that length is checked
#   against what was asked before one byte is taken as data.
# The fakes (ScriptedUart, FakeModem) are in drivers/fakes/modem.py, which never ships.
import asyncio

from drivers.at import AtEngine, ModemError, ModemTimeout, numbers, starts
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms

_RX_MAX = const(1024)      # received bytes held between a read command and recv()
_SEND_MAX = const(1024)    # bytes per send command (SIM7600 takes up to 1500)
_POLL_MS = const(10)
_AT_MS = const(1000)
_PING_MS = const(300)
_PROMPT_MS = const(3000)
_SENT_MS = const(10000)
_READ_MS = const(3000)
_NETOPEN_MS = const(20000)
_OPEN_MS = const(15000)
_CLOSE_MS = const(5000)
_PROBE_MS = const(1000)    # ask what data waits when no data URC came for this long
_PWRKEY_MS = const(500)    # SIM7600 power-on pulse: at least 500 ms

# A family table: (command, the line that ends it, the index of the number that
# matters in that line after its prefix: 0 = success). The result lines of
# netopen, open, send, close and netclose come after OK and end the command;
# netstate and pending are queries answered before OK.
# A Quectel EC200 would be another table with the same keys:
#   "netopen": ("AT+QIACT=1", "OK", None)           (no result line)
#   "open":    ('AT+QIOPEN=1,0,"TCP","%s",%d,0,0', "+QIOPEN: ", 1)
#   "send":    ("AT+QISEND=0,%d", "SEND OK", None)  after the same '>' prompt
#   "read":    ("AT+QIRD=0,%d", "+QIRD: ", 0)       +QIRD: <n>, then n raw bytes
#   "pending": ("AT+QIRD=0,0", "+QIRD: ", 2)        total,read,unread
#   "close":   ("AT+QICLOSE=0", "OK", None)
#   "data":    '+QIURC: "recv",0'
#   "closed":  ('+QIURC: "closed",0', '+QIURC: "pdpdeact"')
# Only sim7600 is implemented.
SIM7600 = {
    "netopen": ("AT+NETOPEN", "+NETOPEN: ", 0),
    "netstate": ("AT+NETOPEN?", "+NETOPEN: ", 0),          # 1 = the network is open
    "rxmode": "AT+CIPRXGET=1",                              # manual receive: URC, then read
    "open": ('AT+CIPOPEN=0,"TCP","%s",%d', "+CIPOPEN: ", 1),   # +CIPOPEN: 0,<err>
    "send": ("AT+CIPSEND=0,%d", "+CIPSEND: ", 2),           # +CIPSEND: 0,<asked>,<sent>
    "read": ("AT+CIPRXGET=2,0,%d", "+CIPRXGET: 2,0,", 0),   # <n>,<left in the modem>
    "pending": ("AT+CIPRXGET=4,0", "+CIPRXGET: 4,0,", 0),
    "close": ("AT+CIPCLOSE=0", "+CIPCLOSE: ", 1),
    "netclose": ("AT+NETCLOSE", "+NETCLOSE: ", 0),
    "data": "+CIPRXGET: 1,0",
    "closed": ("+IPCLOSE: 0,", "+CIPEVENT: "),              # the peer, or the network, ended it
    "events": ("+CIPOPEN: ", "+CIPCLOSE: ", "+NETOPEN: ", "+NETCLOSE: ", "+CIPSEND: "),
}

FAMILIES = {"sim7600": SIM7600}


def _closed(line):
    # SIMCom's plain-text close: "CLOSED" or "<link>, CLOSED"
    return line == "CLOSED" or line.endswith(",CLOSED") or line.endswith(", CLOSED")


def _safe(text):
    for c in text:
        if c == '"' or not " " <= c <= "~":
            return False
    return True


class Modem(AtEngine):
    def __init__(self, uart, pwrkey=None, family="sim7600", on_urc=None):
        if family not in FAMILIES:
            raise ValueError("no modem family %s" % family)
        super().__init__(uart, _RX_MAX, on_urc)
        self._pwrkey = pwrkey
        self._fam = fam = FAMILIES[family]
        self._read_prefix = fam["read"][1]
        self._rx_ready = False      # the modem holds data for us
        self._probed = 0
        self._net_open = False
        self._sock_open = False
        self._hangup_due = False
        self._task = None
        self.started = False
        self.pwrkey_ms = _PWRKEY_MS
        self.sim_error = None       # the +CME ERROR code of the last sim_ready() that failed

    def _is_urc(self, line):
        fam = self._fam
        if _closed(line) or line.startswith(fam["data"]) or starts(line, fam["closed"]):
            return True
        return super()._is_urc(line) or starts(line, fam["events"]) and not self._asked(line)

    def _urc(self, line):
        fam = self._fam
        if line.startswith(fam["data"]):
            self._rx_ready = True
        elif line == "NO CARRIER" or _closed(line) or starts(line, fam["closed"]):
            self._sock_open = False
            if not line.startswith(fam["closed"][0]):
                self._net_open = False      # the carrier or the network is gone: NETOPEN again
        elif line.startswith(fam["netclose"][1]):
            self._sock_open = self._net_open = False
        super()._urc(line)

    # -- power and status ----------------------------------------------------

    async def power_on(self):
        """One press of the power key: pwrkey(1) presses it (the usual NPN stage pulls PWRKEY low)."""
        self._pwrkey(1)
        await sleep_ms(self.pwrkey_ms)
        self._pwrkey(0)

    async def start(self, timeout_ms=20000, apn=None):
        """Power on if AT gets no answer, wait for RDY or AT OK, then echo off and numeric errors."""
        if apn is not None and not _safe(apn):
            raise ModemError("bad APN")
        async with self._lock:
            self._rdy = False
            if not await self._ping(_PING_MS):
                if self._pwrkey is None:
                    raise ModemTimeout("no answer to AT")
                await self.power_on()
                start = ticks_ms()
                while True:
                    self.poll()
                    if self._rdy or await self._ping(_PING_MS):
                        break
                    if ticks_diff(ticks_ms(), start) >= timeout_ms:
                        raise ModemTimeout("no RDY after power on")
            await self._command("ATE0")
            await self._command("AT+CMEE=1")
            if apn:
                await self._command('AT+CGDCONT=1,"IP","%s"' % apn)
            self._net_open = self._sock_open = False
            self.started = True

    async def signal(self):
        """(rssi 0..31, 99 unknown; ber 0..7, 99 unknown) from AT+CSQ."""
        found = numbers(await self.command("AT+CSQ"), "+CSQ: ")
        if len(found) != 2:
            raise ModemError("bad +CSQ")
        return found[0], found[1]

    async def sim_ready(self):
        """True for +CPIN: READY; False for a SIM wanting a PIN or a +CME ERROR (10: not inserted)."""
        try:
            lines = await self.command("AT+CPIN?", 5000)
        except ModemError as e:
            if isinstance(e, ModemTimeout):
                raise
            self.sim_error = e.code
            return False
        self.sim_error = None
        return "+CPIN: READY" in lines

    async def registered(self):
        """True when registered, home (1) or roaming (5), on LTE (AT+CEREG?) or else (AT+CREG?)."""
        for cmd in ("AT+CEREG?", "AT+CREG?"):
            try:
                lines = await self.command(cmd)
            except ModemError as e:
                if isinstance(e, ModemTimeout):
                    raise
                continue
            for line in lines:
                fields = line.split(",")
                if line.startswith(cmd[2:-1]) and len(fields) > 1 and fields[1].strip() in ("1", "5"):
                    return True
        return False

    # -- the socket ----------------------------------------------------------

    @property
    def is_open(self):
        return self._sock_open

    async def open(self, host, port, timeout_ms=_OPEN_MS):
        """Open the TCP socket (the data network first, if it is not up); ModemError when refused."""
        if not isinstance(host, str) or not host or not _safe(host) or not 0 < port < 65536:
            raise ModemError("bad address")
        fam = self._fam
        async with self._lock:
            await self._hangup()
            if not self._net_open:
                try:
                    if await self._number(fam["netopen"], _NETOPEN_MS):
                        raise ModemError("network open failed")
                except ModemError as e:
                    if isinstance(e, ModemTimeout) or await self._number(fam["netstate"], _AT_MS, False) != 1:
                        raise e
                await self._command(fam["rxmode"])
                self._net_open = True
            self._rx_len = self._rx_rest = 0
            self._rx_ready = False
            cmd, done, index = fam["open"]
            err = await self._number((cmd % (host, port), done, index), timeout_ms)
            if err:
                raise ModemError("TCP open failed", err)
            self._sock_open = True
            self._probed = ticks_ms()

    async def send(self, data):
        """Send all of data; ModemError when the socket is closed or the modem refuses."""
        cmd, done, index = self._fam["send"]
        mv = memoryview(data)
        async with self._lock:
            pos = 0
            while pos < len(data):
                if not self._sock_open:
                    raise ModemError("socket closed")
                n = min(_SEND_MAX, len(data) - pos)
                self._begin(cmd % n, (done,))
                self._want_prompt = True
                await self._wait(_PROMPT_MS, True)
                self._uart.write(mv[pos:pos + n])
                found = numbers(await self._wait(_SENT_MS), done)
                if index >= len(found) or found[index] != n:
                    self._sock_open = False     # -1: the link is gone; fewer: the stream is lost
                    raise ModemError("sent %r of %d" % (found, n))
                pos += n

    async def recv(self, max_bytes, timeout_ms):
        """Up to max_bytes received; b"" once the peer closed (and all its data was taken); None on timeout."""
        start = ticks_ms()
        while True:
            self.poll()
            if self._rx_len:
                n = min(max_bytes, self._rx_len)
                out = bytes(self._rx[:n])
                rest = self._rx_len - n
                if rest:
                    self._rx[:rest] = self._rx[n:self._rx_len]
                self._rx_len = rest
                return out
            if self._rx_ready:
                await self._pull()
                if self._rx_len:
                    continue
            if not self._sock_open and not self._rx_ready:
                return b""
            if ticks_diff(ticks_ms(), start) >= timeout_ms:
                return None
            if self._sock_open and ticks_diff(ticks_ms(), self._probed) >= _PROBE_MS:
                self._probed = ticks_ms()
                async with self._lock:      # a data URC may have been lost: ask what waits
                    try:
                        if await self._number(self._fam["pending"], _AT_MS, False) > 0:
                            self._rx_ready = True
                    except ModemError:
                        pass
            await sleep_ms(_POLL_MS)

    async def _pull(self):
        """One read command, for as much as the receive buffer takes; its raw bytes land there."""
        async with self._lock:
            want = _RX_MAX - self._rx_len
            if want <= 0:
                return
            held = self._rx_len
            self._reading = True
            self._read_want = want
            self._read_bad = False
            self._rx_rest = 0
            try:
                await self._command(self._fam["read"][0] % want, _READ_MS)
            except ModemTimeout:
                self._sock_open = False     # the modem lost track mid-read: so did we
            except ModemError:
                pass                        # +IP ERROR: No data
            self._reading = False
            if self._read_bad:
                self._rx_len = held
                self._sock_open = False
            self._rx_ready = self._rx_rest > 0 and not self._read_bad
            self._probed = ticks_ms()

    def close(self):
        """Drop the connection now; AT+CIPCLOSE follows in the background (or before the next open)."""
        was_open = self._sock_open
        self._sock_open = self._rx_ready = False
        self._rx_len = self._rx_rest = 0
        if was_open:
            self._hangup_due = True
            try:
                asyncio.current_task()
            except RuntimeError:            # no loop running: the next open() closes it
                return
            self._task = asyncio.create_task(self.hangup())

    async def hangup(self):
        """AT+CIPCLOSE now, if a close() left it due."""
        async with self._lock:
            await self._hangup()

    async def _hangup(self):
        if self._hangup_due:
            self._hangup_due = False
            try:
                await self._number(self._fam["close"], _CLOSE_MS)
            except ModemError:
                pass                        # already closed by the peer

    async def net_close(self):
        """Close the socket and the data network (AT+NETCLOSE)."""
        self.close()
        async with self._lock:
            await self._hangup()
            if self._net_open:
                self._net_open = False
                try:
                    await self._number(self._fam["netclose"], _CLOSE_MS)
                except ModemError:
                    pass
