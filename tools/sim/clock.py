"""The simulated terminal's time: its RTC and the shell's millisecond ticks."""
import time

from drivers.compat import ticks_ms
from drivers.fakes.rtc import FakeRtc
from drivers.rtc import from_utc
from pos.clock import seconds

_TICKS_MASK = (1 << 30) - 1      # ticks wrap as MicroPython's do on the ESP32


class SimClock(FakeRtc):
    """The board's machine.RTC, keeping China's local time as drivers/rtc.py does, and the ticks
    the shell counts the App's seconds on. Headless (start: local seconds) both move only when
    advance()d; interactive (start None) the RTC starts at China's time now and both follow the
    real time. reads counts the ticks read: once it moved after advance(), the shell saw the
    new second."""

    def __init__(self, start=None):
        self.real = start is None
        FakeRtc.__init__(self, from_utc(time.time()) if self.real else start)
        self.ms = 0
        self.reads = 0
        self._t0 = time.monotonic()

    def datetime(self, value=None):
        if self.real:                    # the whole seconds since the last reading
            passed = int(time.monotonic() - self._t0)
            self._t0 += passed
            FakeRtc.advance(self, passed)
        return FakeRtc.datetime(self, value)

    def now(self):
        """Local seconds (Unix epoch)."""
        t = self.datetime()
        return seconds(t[0], t[1], t[2], t[4], t[5], t[6])

    def advance(self, secs):
        FakeRtc.advance(self, secs)
        self.ms = (self.ms + 1000 * secs) & _TICKS_MASK

    def ticks(self):
        self.reads += 1
        return ticks_ms() if self.real else self.ms
