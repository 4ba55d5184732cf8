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


class FakeWlan:
    """network.WLAN for tests: networks {ssid: password}; a join takes `polls` status() calls.

    drop() loses the association; fail (a status code) makes every join fail with it.
    """

    def __init__(self, networks=None, rssi=-60, polls=2, fail=None):
        self.networks = networks or {}
        self.level = rssi
        self.rssi_of = {}         # a network's own level in a scan, when not `rssi`
        self.polls = polls
        self.fail = fail
        self.on = False
        self.joins = 0
        self._ssid = None
        self._up = False
        self._status = STAT_IDLE
        self._left = 0
        self._result = STAT_IDLE

    def active(self, on=None):
        if on is None:
            return self.on
        self.on = bool(on)
        if not self.on:
            self.disconnect()

    def connect(self, ssid=None, key=None):
        if not self.on:
            raise OSError(-1)
        self.joins += 1
        if self.fail is not None:
            self._result = self.fail
        elif ssid not in self.networks:
            self._result = 201
        elif self.networks[ssid] != (key or ""):
            self._result = 202
        else:
            self._result = STAT_GOT_IP
        self._ssid = ssid
        self._status = STAT_CONNECTING
        self._left = self.polls

    def disconnect(self):
        self._up = False
        self._status = STAT_IDLE

    def drop(self):
        self._up = False
        self._status = 200

    def isconnected(self):
        return self._up

    def scan(self):
        """(ssid, bssid, channel, RSSI, security, hidden) of each network, as network.WLAN gives them."""
        if not self.on:
            raise OSError(-1)
        return [(name.encode(), b"\x00" * 6, 1, self.rssi_of.get(name, self.level), 3, False)
                for name in self.networks]

    @property
    def ssid(self):
        """The network of the association, while there is one."""
        return self._ssid if self._up else None

    def status(self, param=None):
        if param == "rssi":
            if not self._up:
                raise OSError(-1)
            return self.level
        if self._status == STAT_CONNECTING:
            if self._left > 0:
                self._left -= 1
            else:
                self._status = self._result
                self._up = self._result == STAT_GOT_IP
        return self._status


class FakeSocketModule:
    """The socket and select modules: connections go to peer. `max_send`: bytes one
    send() takes at most (0: all); `connect_polls`: polls before a connect completes.
    """
    POLLIN = 1
    POLLOUT = 4
    POLLERR = 8
    POLLHUP = 16

    def __init__(self, peer=None, max_send=0, connect_polls=1):
        self.peer = peer
        self.max_send = max_send
        self.connect_polls = connect_polls
        self.sockets = []

    def getaddrinfo(self, host, port, *args):
        return [(2, 1, 0, "", (host, port))]

    def socket(self, *args):
        s = _FakeSocket(self)
        self.sockets.append(s)
        return s

    def poll(self):
        return _FakePoll(self)


class _FakeSocket:
    def __init__(self, net):
        self.net = net
        self.conn = None
        self.refused = False
        self.closed = False
        self.blocking = True
        self.left = 0
        self.pending = b""

    def setblocking(self, flag):
        self.blocking = flag

    def connect(self, addr):
        try:
            self.conn = self.net.peer(addr[0], addr[1]) if self.net.peer is not None else None
        except OSError:
            self.conn = None
        self.refused = self.conn is None
        self.left = self.net.connect_polls
        raise OSError(errno.EINPROGRESS)

    def send(self, data):
        if self.closed or self.conn is None:
            raise OSError(errno.ENOTCONN)
        n = len(data) if not self.net.max_send else min(len(data), self.net.max_send)
        self.conn.send(bytes(data[:n]))
        return n

    def recv(self, n):
        if self.closed or self.conn is None:
            raise OSError(errno.ENOTCONN)
        if not self.pending:
            data = self.conn.recv()
            if data is None:
                raise OSError(errno.EAGAIN)
            if not data:
                return b""
            self.pending = data
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def close(self):
        if not self.closed and self.conn is not None:
            self.conn.close()
        self.closed = True


class _FakePoll:
    def __init__(self, net):
        self.net = net
        self.sock = None

    def register(self, sock, mask):
        self.sock = sock

    def unregister(self, sock):
        self.sock = None

    def poll(self, timeout=-1):
        s = self.sock
        if s is None:
            return []
        if s.left > 0:
            s.left -= 1
            return []
        if s.refused:
            return [(s, FakeSocketModule.POLLOUT | FakeSocketModule.POLLERR | FakeSocketModule.POLLHUP)]
        return [(s, FakeSocketModule.POLLOUT)]
