# The Wi-Fi driver against a fake WLAN and a fake socket module. VM-neutral.
import asyncio

from drivers.wifi import Wifi, WifiError
from drivers.fakes.wifi import FakeSocketModule, FakeWlan


def run(coro):
    return asyncio.run(coro)


class Peer:
    """The host's end of one connection: answers each send with `answer` (in pieces of `piece`)."""

    def __init__(self, answer=None, piece=0):
        self.answer = answer
        self.piece = piece
        self.got = b""
        self.queue = []
        self.closed = False
        self.hang_up = False

    def send(self, data):
        self.got += data
        if self.answer is not None:
            a = self.answer
            step = self.piece or len(a)
            self.queue.extend(a[i:i + step] for i in range(0, len(a), step))

    def recv(self):
        if self.queue:
            return self.queue.pop(0)
        return b"" if self.hang_up else None

    def close(self):
        self.closed = True


def wifi(peer=None, **kw):
    wlan = FakeWlan({"shop": "secret"})
    net = FakeSocketModule((lambda host, port: peer) if peer is not None else None, **kw)
    return wlan, net, Wifi(wlan, net, net)


def reason(coro):
    try:
        run(coro)
    except WifiError as e:
        return e.args[0]
    return None


def test_connect_joins_after_polling_and_reports_rssi():
    wlan, net, w = wifi()
    assert not w.connected() and w.rssi() is None
    run(w.connect("shop", "secret", 2000))
    assert w.connected() and wlan.on
    assert w.rssi() == -60


def test_a_fake_wlan_without_polls_is_joined_when_connect_returns():
    wlan = FakeWlan({"shop": "secret"}, polls=0)
    wlan.active(True)
    wlan.connect("shop", "secret")
    assert wlan.isconnected() and wlan.ssid == "shop"
    wlan.connect("shop", "wrong")
    assert not wlan.isconnected() and wlan.status() == 202


def test_failed_joins_name_their_reason():
    wlan, net, w = wifi()
    assert reason(w.connect("shop", "wrong", 2000)) == "wrong_password"
    assert reason(w.connect("cafe", "secret", 2000)) == "no_ap"
    wlan.fail = 204
    assert reason(w.connect("shop", "secret", 2000)) == "handshake_timeout"
    wlan.fail = 77
    assert reason(w.connect("shop", "secret", 2000)) == "status_77"
    assert not w.connected()


def test_a_join_that_never_completes_times_out():
    wlan, net, w = wifi()
    wlan.polls = 10 ** 6
    assert reason(w.connect("shop", "secret", 150)) == "timeout"
    assert not w.connected()


def test_reconnect_rejoins_the_last_network_after_a_drop():
    wlan, net, w = wifi()
    run(w.connect("shop", "secret", 2000))
    wlan.drop()
    assert not w.connected()
    run(w.reconnect(2000))
    assert w.connected() and wlan.joins == 2


def test_open_send_recv_close_on_a_non_blocking_socket():
    peer = Peer(b"\x00\x03abc")
    wlan, net, w = wifi(peer, max_send=3, connect_polls=2)
    run(w.connect("shop", "secret", 2000))
    run(w.open("10.0.0.5", 5000))
    s = net.sockets[0]
    assert s.blocking is False and w.is_open
    run(w.send(b"\x00\x04ping"))                # taken three bytes at a time
    assert peer.got == b"\x00\x04ping"
    assert run(w.recv(2, 500)) == b"\x00\x03"
    assert run(w.recv(10, 500)) == b"abc"
    w.close()
    assert peer.closed and not w.is_open
    assert run(w.recv(10, 50)) == b""


def test_recv_gives_none_on_timeout_and_empty_when_the_peer_closes():
    peer = Peer()
    wlan, net, w = wifi(peer)
    run(w.connect("shop", "secret", 2000))
    run(w.open("10.0.0.5", 5000))
    assert run(w.recv(10, 30)) is None
    peer.hang_up = True
    assert run(w.recv(10, 500)) == b""
    assert not w.is_open


def test_a_dropped_association_breaks_recv_and_send_at_once():
    peer = Peer()
    wlan, net, w = wifi(peer)
    run(w.connect("shop", "secret", 2000))
    run(w.open("10.0.0.5", 5000))
    wlan.drop()
    assert run(w.recv(10, 5000)) == b""
    assert reason(w.send(b"x")) == "closed"


def test_open_fails_without_wifi_or_when_refused():
    wlan, net, w = wifi()
    assert reason(w.open("10.0.0.5", 5000)) == "not_connected"
    run(w.connect("shop", "secret", 2000))
    assert reason(w.open("10.0.0.5", 5000)) == "refused"
    assert net.sockets[0].closed and not w.is_open


class _ScanWlan(FakeWlan):
    def scan(self):
        return [(b"cafe", b"\x01" * 6, 1, -70, 3, False), (b"", b"\x02" * 6, 6, -40, 3, True),
                ("茶楼".encode(), b"\x03" * 6, 11, -50, 3, False), (b"\xff\xfe", b"\x04" * 6, 1, -30, 3, False),
                (b"cafe", b"\x05" * 6, 6, -45, 3, False)]


def test_a_scan_names_each_network_once_the_strongest_first():
    wifi = Wifi(_ScanWlan(), FakeSocketModule(None))
    assert wifi.scan() == ["cafe", "茶楼"]          # hidden and non-UTF-8 names left out
    wlan = FakeWlan({"shop": "x", "back": "y"})
    wlan.rssi_of["back"] = -40
    assert Wifi(wlan, FakeSocketModule(None)).scan() == ["back", "shop"]


def test_a_join_to_another_network_leaves_the_one_associated():
    wlan = FakeWlan({"shop": "secret", "back": "secret22"})
    wifi = Wifi(wlan, FakeSocketModule(None))
    run(wifi.connect("shop", "secret", 2000))
    run(wifi.connect("shop", "secret", 2000))
    assert wlan.ssid == "shop" and wlan.joins == 1
    run(wifi.connect("back", "secret22", 2000))
    assert wlan.ssid == "back" and wlan.joins == 2 and wifi.network == ("back", "secret22")
