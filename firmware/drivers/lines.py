# What the UART readers share (magstripe.py, scanner.py): a line at a time from a serial line into
# one preallocated buffer, CR, LF or CR LF at its end (an LF right after a CR ends nothing more);
# a line longer than the buffer is reported once, as soon as it is full, and dropped up to its
# end; the buffer is wiped after every line (track data and payment codes never outlive the poll
# that read them). poll() gives at most one event a call and keeps the rest of a read for the next.
from drivers.compat import const

_CR = const(13)
_LF = const(10)


class LineReader:
    """A reader's base: the subclass gives _take(), the event of the line just ended (or None),
    and may put its own byte handling before _byte()."""

    def __init__(self, uart, max_len, too_long):
        self._uart = uart
        self._line = bytearray(max_len)
        self._max = max_len
        self._too_long = too_long    # the event of an overlong line
        self._len = 0
        self._overflow = False
        self._after_cr = False
        self._pending = None         # the unread rest of the last uart.read()
        self._pos = 0

    def _wipe(self):
        line = self._line
        for i in range(self._len):
            line[i] = 0
        self._len = 0

    def _byte(self, b):
        """The event a byte ends, or None."""
        after_cr, self._after_cr = self._after_cr, b == _CR
        if b == _CR or b == _LF:
            if b == _LF and after_cr:
                return None
            if self._overflow:
                self._overflow = False
                return None
            return self._take()
        if self._overflow:
            return None
        if self._len == self._max:
            self._wipe()
            self._overflow = True
            return self._too_long
        self._line[self._len] = b
        self._len += 1
        return None

    def poll(self):
        """At most one event per call; None (allocating nothing) while nothing came."""
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
                event = self._byte(data[i])
                i += 1
            if i >= end:
                self._pending = None
            else:
                self._pos = i
            if event is not None:
                return event
