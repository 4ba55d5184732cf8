# network.WLAN and the socket and select modules behind drivers.wifi, for tests and the device on
# fake hardware (board.py).
import errno

from drivers.wifi import STAT_CONNECTING, STAT_GOT_IP, STAT_IDLE


class FakeWlan:
    """network.WLAN for tests: networks {ssid: password}; a join takes `polls` status() calls
    (0: it is done when connect() returns).

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
        if not self._left:
            self.status()

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
