# The fake of drivers/printer.py: see that module for what the part does.
from array import array

from drivers.compat import ticks_diff, ticks_ms


class FakePrinter:
    """A CSN-A2 on a fake UART (write/read as machine.UART), for tests and the device on fake
    hardware (board.py).

    Answers every DLE EOT n in the byte stream as a module does, raster data
    included. paper_bytes: the roll ends after that many bytes (0: no paper).
    overheat_at/overheat_ms: the head is hot for overheat_ms from byte
    overheat_at on. mute: never answers. answer: a byte sent in place of every
    answer. Since the last clear(): the first `record` bytes (data, view) and
    the time and end offset of each write among them (times, ends, writes());
    every write is handed to sink(memoryview) if given, so a test on a 110 KB
    heap can check a whole 27 KB slip without holding it.
    """

    def __init__(self, ticks=None, record=1024, sink=None, paper_bytes=None, near_end_bytes=None,
                 overheat_at=None, overheat_ms=0, mute=False, answer=None, cover_open=False):
        self._ticks = ticks or ticks_ms
        self.paper_bytes = paper_bytes
        self.near_end_bytes = near_end_bytes
        self.overheat_at = overheat_at
        self.overheat_ms = overheat_ms
        self.mute = mute
        self.answer = answer
        self.cover_open = cover_open
        self.hot_since = None
        self.received = 0
        self._base = 0  # received when the log was last cleared
        self._log = bytearray(record)
        self.sink = sink
        self.times = array("i")
        self.ends = array("i")
        self._rx = bytearray()
        self._scan = 0  # bytes of "DLE EOT" seen: 0, 1 or 2

    @property
    def view(self):
        n = self.received - self._base
        return memoryview(self._log)[:n if n < len(self._log) else len(self._log)]

    @property
    def data(self):
        return bytes(self.view)

    def writes(self):
        """(ticks_ms, memoryview of the bytes) of each write, as far as recorded."""
        view = self.view
        start = 0
        for i in range(len(self.ends)):
            end = self.ends[i]
            if start >= len(view):
                return
            yield self.times[i], view[start:end]
            start = end

    def clear(self):
        """Forget what was recorded (paper and heat still count every byte)."""
        self._base = self.received
        self.times = array("i")
        self.ends = array("i")

    def load_paper(self):
        self.paper_bytes = None

    def inject(self, data):
        """Bytes waiting on the line before the next read (noise, a stale answer)."""
        self._rx += data

    def _paper_out(self):
        return self.paper_bytes is not None and self.received >= self.paper_bytes

    def _hot(self):
        return self.hot_since is not None and ticks_diff(self._ticks(), self.hot_since) < self.overheat_ms

    def _status(self, n):
        out = self._paper_out()
        hot = self._hot()
        if n == 1:
            return 0x12 | (0x08 if out or hot or self.cover_open else 0)
        if n == 2:
            return 0x12 | (0x04 if self.cover_open else 0) | (0x20 if out else 0) | (0x40 if hot else 0)
        if n == 3:
            return 0x12 | (0x40 if hot else 0)
        near = self.near_end_bytes is not None and self.received >= self.near_end_bytes
        return 0x12 | (0x60 if out else 0) | (0x0C if near else 0)

    def write(self, buf):
        n = len(buf)
        now = self._ticks()
        before = self.received
        pos = before - self._base
        room = len(self._log) - pos
        if room > 0:
            k = n if n < room else room
            self._log[pos:pos + k] = buf[:k]
            self.times.append(now)
            self.ends.append(pos + n)
        self.received = before + n
        if self.sink is not None:
            self.sink(memoryview(buf))
        if self.overheat_at is not None and self.hot_since is None and before <= self.overheat_at < self.received:
            self.hot_since = now
        scan = self._scan
        for b in buf:
            if scan == 2 and 1 <= b <= 4:
                if not self.mute:
                    self._rx.append(self.answer if self.answer is not None else self._status(b))
                scan = 0
            elif b == 0x10:
                scan = 1
            else:
                scan = 2 if scan == 1 and b == 0x04 else 0
        self._scan = scan
        return n

    def read(self, n=-1):
        if not self._rx:
            return None
        if n < 0 or n >= len(self._rx):
            n = len(self._rx)
        out = bytes(self._rx[:n])
        self._rx = self._rx[n:]
        return out
