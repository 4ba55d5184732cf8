# Magstripe decoder module on a UART: one ASCII line per track read, CR LF
# (or either alone) at the end, each track in its start and end sentinels:
# track 1 "%...?", track 2 ";...?", track 3 "+...?". Only track 2 is used.
# Lines are assembled in one preallocated buffer; a line longer than it is a
# card error and the rest of that line is dropped. The buffer is wiped after
# every line: track data never outlives the poll that read it.
from drivers.compat import const
from pos.track2 import Track2Error, parse_track2

_MAX_LINE = const(112)  # track 3 (107 characters) with its sentinels and LRC
_CR = const(13)
_LF = const(10)
_TRACK2 = const(0x3B)  # ;
_IGNORED = (0x25, 0x2B)  # % track 1, + track 3

BAD_READ = ("card_error", "bad_read")


class Magstripe:
    def __init__(self, uart):
        self._uart = uart
        self._line = bytearray(_MAX_LINE)
        self._len = 0
        self._overflow = False
        self._pending = None  # the unread rest of the last uart.read()
        self._pos = 0

    def _wipe(self):
        line = self._line
        for i in range(self._len):
            line[i] = 0
        self._len = 0

    def _take(self):
        """The event for the line just ended, or None for a line to ignore."""
        n = self._len
        line = self._line
        try:
            if n == 0 or line[0] in _IGNORED:
                return None
            if line[0] != _TRACK2:
                return BAD_READ
            for i in range(n):
                if not 0x20 <= line[i] < 0x7F:
                    return BAD_READ
            text = bytes(line[:n]).decode()
            try:
                parse_track2(text)
            except Track2Error:
                return BAD_READ
            return ("swipe", text)
        finally:
            self._wipe()

    def poll(self):
        """None, ("swipe", ";track 2?") or ("card_error", "bad_read"): at most one event per call."""
        while True:
            data = self._pending
            if data is None:
                data = self._uart.read()
                if not data:
                    return None
                self._pending, self._pos = data, 0
            i = self._pos
            end = len(data)
            event = None
            while i < end and event is None:
                b = data[i]
                i += 1
                if b == _CR or b == _LF:
                    if self._overflow:
                        self._overflow = False
                    else:
                        event = self._take()
                elif self._overflow:
                    continue
                elif self._len == _MAX_LINE:
                    self._wipe()
                    self._overflow = True
                    event = BAD_READ
                else:
                    self._line[self._len] = b
                    self._len += 1
            if i >= end:
                self._pending = None
            else:
                self._pos = i
            if event is not None:
                return event
