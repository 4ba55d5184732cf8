# Wi-Fi station and one TCP socket, with the modem's socket interface.
# Rules:
# - wlan is a network.WLAN(STA_IF), socket_module the socket module; both are
#   injected. Nothing blocks: the association is polled, the socket is
#   non-blocking (connect completes on select.poll's POLLOUT), every wait
#   ends in a result or a timeout, with sleep_ms between polls.
# - A failed association raises WifiError with a reason from the status code.
# - recv() gives b"" once the peer closed, the socket failed or the association
#   dropped, so a dropped Wi-Fi reads as a broken link at once; None on timeout.
import errno

from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms

_POLL_MS = const(10)
_JOIN_POLL_MS = const(100)
_JOIN_MS = const(10000)
_OPEN_MS = const(10000)
_SEND_MS = const(10000)
_STALE_MS = const(1500)     # a failure status this soon, before CONNECTING was seen, is the last join's

# ESP32 network.WLAN.status() codes (STAT_*, and the ESP-IDF reasons it may report).
STAT_IDLE = const(1000)
STAT_CONNECTING = const(1001)
STAT_GOT_IP = const(1010)
REASONS = {
    200: "beacon_timeout",
    201: "no_ap",
    202: "wrong_password",
    203: "assoc_fail",
    204: "handshake_timeout",
    15: "wrong_password",       # 4-way handshake timeout: what a bad key gives on newer ESP-IDF
}
_WAITING = (STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP)
_BUSY = (errno.EAGAIN, errno.EINPROGRESS, errno.EALREADY)


class WifiError(Exception):
    """args[0]: the reason ("no_ap", "wrong_password", "timeout", "not_connected", ...)."""


def reason(status):
    return REASONS.get(status, "status_%d" % status)


def _errno(e):
    return e.args[0] if e.args and isinstance(e.args[0], int) else None


class Wifi:
    Error = WifiError

    def __init__(self, wlan, socket_module, select_module=None):
        self._wlan = wlan
        self._net = socket_module
        self._select = select_module     # None: the standard select, imported when first needed
        self._sock = None
        self._ssid = None
        self._password = None

    async def connect(self, ssid=None, password=None, timeout_ms=_JOIN_MS):
        """Join ssid (None: the network joined last); WifiError(reason) if that fails in time.
        Associated already: nothing to do, unless ssid or password differ from the last join's."""
        other = ssid is not None and (ssid, password or "") != (self._ssid, self._password)
        if ssid is not None:
            self._ssid = ssid
            self._password = password or ""
        w = self._wlan
        w.active(True)
        if w.isconnected() and not other:
            return
        self.close()
        try:
            w.disconnect()
            if self._ssid is None:
                w.connect()              # the configuration the WLAN already holds
            else:
                w.connect(self._ssid, self._password)
        except OSError as e:
            raise WifiError("wlan_error_%s" % _errno(e))
        start = ticks_ms()
        seen_connecting = False
        while not w.isconnected():
            status = w.status()
            if status == STAT_CONNECTING:
                seen_connecting = True
            elif status not in _WAITING and (seen_connecting or ticks_diff(ticks_ms(), start) >= _STALE_MS):
                w.disconnect()
                raise WifiError(reason(status))
            if ticks_diff(ticks_ms(), start) >= timeout_ms:
                w.disconnect()
                raise WifiError("timeout")
            await sleep_ms(_JOIN_POLL_MS)

    async def reconnect(self, timeout_ms=_JOIN_MS):
        """Join the network joined last again (after the association dropped)."""
        self.close()
        await self.connect(None, None, timeout_ms)

    def connected(self):
        return bool(self._wlan.isconnected())

    def scan(self):
        """The names of the networks in reach, the strongest first, each once (hidden ones and
        names that are not UTF-8 left out). Blocks while the radio scans (about 2 s)."""
        w = self._wlan
        w.active(True)
        best = {}
        for entry in w.scan():
            try:
                name = entry[0].decode()
            except (UnicodeError, AttributeError):
                continue
            if name and (name not in best or entry[3] > best[name]):
                best[name] = entry[3]
        return [n for _r, n in sorted([(-r, n) for n, r in best.items()])]

    @property
    def network(self):
        """(ssid, password) of the last join asked for; ssid None before any."""
        return self._ssid, self._password

    def rssi(self):
        """dBm of the access point, or None when not associated."""
        if not self._wlan.isconnected():
            return None
        try:
            return self._wlan.status("rssi")
        except (OSError, ValueError, TypeError):
            return None

    def _poller(self):
        if self._select is None:
            import select
            self._select = select
        return self._select

    async def open(self, host, port, timeout_ms=_OPEN_MS):
        """Open the TCP socket; WifiError when not associated, refused or not done in time."""
        self.close()
        if not self._wlan.isconnected():
            raise WifiError("not_connected")
        net = self._net
        try:
            addr = net.getaddrinfo(host, port)[0][-1]
        except (OSError, IndexError):
            raise WifiError("no_address")
        s = net.socket()
        try:
            s.setblocking(False)
            try:
                s.connect(addr)
            except OSError as e:
                if _errno(e) not in _BUSY:
                    raise WifiError("refused_%s" % _errno(e))
            sel = self._poller()
            poller = sel.poll()
            poller.register(s, sel.POLLOUT)
            start = ticks_ms()
            while True:
                events = poller.poll(0)
                if events:
                    if events[0][1] & (sel.POLLERR | sel.POLLHUP):
                        raise WifiError("refused")
                    break
                if not self._wlan.isconnected():
                    raise WifiError("not_connected")
                if ticks_diff(ticks_ms(), start) >= timeout_ms:
                    raise WifiError("timeout")
                await sleep_ms(_POLL_MS)
            poller.unregister(s)
        except WifiError as e:
            s.close()
            raise e
        self._sock = s

    async def send(self, data, timeout_ms=_SEND_MS):
        """Send all of data; WifiError when the socket or the association is gone."""
        s = self._sock
        if s is None:
            raise WifiError("closed")
        mv = memoryview(data)
        total = len(data)
        pos = 0
        start = ticks_ms()
        while pos < total:
            if not self._wlan.isconnected():
                self.close()
                raise WifiError("not_connected")
            try:
                n = s.send(mv[pos:])
            except OSError as e:
                if _errno(e) not in _BUSY:
                    self.close()
                    raise WifiError("send_%s" % _errno(e))
                n = 0
            pos += n or 0
            if pos < total:
                if ticks_diff(ticks_ms(), start) >= timeout_ms:
                    self.close()
                    raise WifiError("timeout")
                await sleep_ms(_POLL_MS)

    async def recv(self, max_bytes, timeout_ms):
        """Up to max_bytes; b"" once the peer closed or the link broke; None on timeout."""
        start = ticks_ms()
        while True:
            s = self._sock
            if s is None:
                return b""
            if not self._wlan.isconnected():
                self.close()
                return b""
            try:
                data = s.recv(max_bytes)
            except OSError as e:
                if _errno(e) not in _BUSY:
                    self.close()
                    return b""
                data = None
            if data is not None:
                if not data:
                    self.close()
                return data
            if ticks_diff(ticks_ms(), start) >= timeout_ms:
                return None
            await sleep_ms(_POLL_MS)

    @property
    def is_open(self):
        return self._sock is not None

    def close(self):
        s = self._sock
        self._sock = None
        if s is not None:
            try:
                s.close()
            except OSError:
                pass
