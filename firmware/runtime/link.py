# The link to the acquirer host: one TCP connection at a time, over Wi-Fi or 4G.
# Rules:
# - connect() tries the preferred link (settings["link"]: "wifi" or "4g"), then
#   the other. Wi-Fi needs an association (joined here, unless keep_wifi() is
#   already rejoining it: then it counts as down), 4G a ready SIM and a
#   registration; then the TCP open must succeed. OK, or LINK_DOWN when neither
#   link could connect (nothing was sent).
# - A frame is a 2-byte big-endian length and that many bytes, at most 4096.
#   send_frame sends the frame as given; recv_frame reads exactly one, however
#   the reads split it. Anything wrong on the wire (the peer closed, the link
#   dropped, a length over the bound) is LINK_BROKEN and closes the connection,
#   so the next connect() starts over and finds the link that works.
# - recv_frame never decides the exchange's timeout (the engine does, on its
#   clock): after timeout_ms it returns None, keeping a partial frame, and the
#   caller asks again.
# - keep_wifi() rejoins a dropped Wi-Fi in the background; a connection made on
#   4G stays there until it is closed; the next connect() prefers Wi-Fi again.
# Settings read: host_addr, host_port, link, and if present wifi_ssid,
# wifi_password (None: the network the WLAN joined last) and apn, at every
# connect(): a network or an APN changed in the settings is joined (or the
# modem started with it) before the next connection.
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms
from pos.results import LINK_BROKEN, LINK_DOWN, OK

FRAME_MAX = const(4096)
_JOIN_MS = const(8000)
_REGISTER_MS = const(5000)
_REGISTER_POLL_MS = const(1000)
_KEEP_EVERY_MS = const(5000)


def _text(e):
    return str(e.args[0]) if e.args else type(e).__name__


# The lowest reading for 4, 3, 2 and 1 bars: Wi-Fi RSSI in dBm; the modem's CSQ (0-31, 99 unknown:
# -113 dBm + 2 per step, so 20 is -73 dBm).
_WIFI_BARS = (-55, -66, -77, -88)
_CSQ_BARS = (20, 15, 10, 5)


def _bars(value, lows):
    for i in range(4):
        if value >= lows[i]:
            return 4 - i
    return 0


class Link:
    def __init__(self, settings, wifi=None, modem=None, join_ms=_JOIN_MS, register_ms=_REGISTER_MS):
        self.settings = settings
        self.wifi = wifi
        self.modem = modem
        self.join_ms = join_ms
        self.register_ms = register_ms
        self.active = None      # the link the last connect() opened, kept after close(); None after LINK_DOWN
        self.reasons = {}       # why each link failed in the last connect(): {"wifi": "no_ap", ...}
        self.frame_max = FRAME_MAX
        self._dev = None
        self._head = bytearray(2)
        self._frame = self._head    # the length prefix, then the frame of that length
        self._have = 0
        self._keeping = False
        self._joining = False
        self._apn = None        # the APN the modem was started with

    @property
    def connected(self):
        return self._dev is not None

    async def signal(self):
        """("wifi" or "4g", bars 0-4) of the link in use (the Wi-Fi while it is associated and
        4G was not the last opened), or None before any. Wi-Fi bars from the RSSI in dBm, 4G
        bars from AT+CSQ (its command waits for any other on the modem; a modem that does not
        answer is 0 bars)."""
        w = self.wifi
        if w is not None and self.active != "4g":
            dbm = w.rssi()
            if dbm is not None:
                return "wifi", _bars(dbm, _WIFI_BARS)
        if self.modem is not None and self.active == "4g":
            try:
                rssi, _ber = await self.modem.signal()
            except Exception:
                rssi = 99
            return "4g", 0 if rssi == 99 else _bars(rssi, _CSQ_BARS)
        return None

    async def connect(self):
        self.close()
        first = "4g" if self.settings.get("link") == "4g" else "wifi"
        reasons = {}
        for name in (first, "wifi" if first == "4g" else "4g"):
            reason = await (self._open_wifi() if name == "wifi" else self._open_4g())
            if reason is None:
                self.active = name
                self.reasons = reasons
                return OK
            reasons[name] = reason
        self.active = None
        self.reasons = reasons
        return LINK_DOWN

    async def _join(self, w):
        """Join the Wi-Fi; a join already under way (keep_wifi, prepare) is waited for, not doubled."""
        if self._joining:
            start = ticks_ms()
            while self._joining and ticks_diff(ticks_ms(), start) < self.join_ms:
                await sleep_ms(_REGISTER_POLL_MS)
            if w.connected():
                return
        self._joining = True
        try:
            want = self._wifi_wanted()
            await w.connect(want[0], want[1], self.join_ms)
        finally:
            self._joining = False

    def _wifi_wanted(self):
        s = self.settings
        return (s.get("wifi_ssid") or None, s.get("wifi_password") or "")

    async def _start_modem(self, m):
        apn = self.settings.get("apn") or None
        if m.started:
            await m.net_close()               # the data network of the APN it was started with
        await m.start(apn=apn)
        self._apn = apn

    async def _open_wifi(self):
        w = self.wifi
        if w is None:
            return "absent"
        try:
            want = self._wifi_wanted()
            if not w.connected() or (want[0] is not None and want != w.network):
                if self._keeping and self.modem is not None:
                    return "not_connected"      # keep_wifi() is rejoining: 4G now rather than wait
                await self._join(w)
            await w.open(self.settings["host_addr"], self.settings["host_port"])
        except (w.Error, OSError) as e:
            return _text(e)
        self._dev = w
        return None

    async def _open_4g(self):
        m = self.modem
        if m is None:
            return "absent"
        try:
            if not m.started or (self.settings.get("apn") or None) != self._apn:
                await self._start_modem(m)
            if not await m.sim_ready():
                return "no_sim"
            if not await self._registered(m):
                return "not_registered"
            await m.open(self.settings["host_addr"], self.settings["host_port"])
        except (m.Error, OSError) as e:
            return _text(e)
        self._dev = m
        return None

    async def _registered(self, m):
        start = ticks_ms()
        while not await m.registered():
            if ticks_diff(ticks_ms(), start) >= self.register_ms:
                return False
            await sleep_ms(_REGISTER_POLL_MS)
        return True

    async def send_frame(self, frame):
        """True once the whole frame is sent; False when the link broke (it is closed then)."""
        dev = self._dev
        if dev is None:
            return False
        self._frame = self._head
        self._have = 0
        try:
            await dev.send(frame)
        except (dev.Error, OSError):
            self.close()
            return False
        return True

    async def recv_frame(self, timeout_ms):
        """The whole answer frame, length included (a bytearray of its own), LINK_BROKEN, or None
        when it is not complete in time (what came is kept for the next call)."""
        dev = self._dev
        if dev is None:
            return LINK_BROKEN
        start = ticks_ms()
        while True:
            buf = self._frame
            have = self._have
            if have == len(buf):
                if buf is self._head:
                    declared = buf[0] << 8 | buf[1]
                    if declared > self.frame_max:
                        self.close()
                        return LINK_BROKEN
                    self._frame = bytearray(2 + declared)   # allocated only once the length is known
                    self._frame[0:2] = buf
                    continue
                self._frame = self._head
                self._have = 0
                return buf
            left = timeout_ms - ticks_diff(ticks_ms(), start)
            try:
                data = await dev.recv(len(buf) - have, left if left > 0 else 0)
            except (dev.Error, OSError):
                data = b""
            if data is None:
                return None
            n = len(data)
            if not n or n > len(buf) - have:
                self.close()
                return LINK_BROKEN
            buf[have:have + n] = data
            self._have = have + n

    def close(self):
        dev = self._dev
        self._dev = None
        self._frame = self._head
        self._have = 0
        if dev is not None:
            dev.close()

    async def prepare(self):
        """Power the modem on and join the Wi-Fi ahead of the first connect() (boot); failures wait for connect()."""
        m = self.modem
        if m is not None and not m.started:
            try:
                await self._start_modem(m)
            except (m.Error, OSError):
                pass
        w = self.wifi
        if w is not None and not w.connected():
            try:
                await self._join(w)
            except (w.Error, OSError):
                pass

    async def keep_wifi(self, every_ms=_KEEP_EVERY_MS):
        """A background task: every every_ms, rejoin the Wi-Fi if it is down."""
        w = self.wifi
        if w is None:
            return
        self._keeping = True
        try:
            while True:
                if not w.connected():
                    try:
                        await self._join(w)
                    except (w.Error, OSError):
                        pass
                await sleep_ms(every_ms)
        finally:
            self._keeping = False
