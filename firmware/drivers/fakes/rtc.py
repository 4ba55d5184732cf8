# machine.RTC behind drivers.rtc, for tests and the device on fake hardware (board.py).
from drivers.rtc import weekday
from pos.clock import civil, seconds


class FakeRtc:
    """A machine.RTC: holds a datetime tuple; advance(s) moves it on."""

    def __init__(self, secs=1795420800):
        self._secs = secs

    def datetime(self, value=None):
        if value is None:
            y, mo, d, h, mi, s = civil(self._secs)
            return (y, mo, d, weekday(self._secs), h, mi, s, 0)
        self._secs = seconds(value[0], value[1], value[2], value[4], value[5], value[6])
        return None

    def advance(self, secs):
        self._secs += secs
