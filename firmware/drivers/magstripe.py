# Magstripe decoder module on a UART: one ASCII line per track read, CR LF
# (or either alone) at the end, each track in its start and end sentinels:
# track 1 "%...?", track 2 ";...?", track 3 "+...?". Only track 2 is used.
# Lines are read by drivers/lines.py (one preallocated buffer, wiped after
# every line: track data never outlives the poll that read it); a line longer
# than it is a card error and the rest of that line is dropped.
from drivers.compat import const
from drivers.lines import LineReader
from pos.track2 import Track2Error, parse_track2

_MAX_LINE = const(112)  # track 3 (107 characters) with its sentinels and LRC
_TRACK2 = const(0x3B)  # ;
_IGNORED = (0x25, 0x2B)  # % track 1, + track 3

BAD_READ = ("card_error", "bad_read")


class Magstripe(LineReader):
    """poll() -> None, ("swipe", ";track 2?") or ("card_error", "bad_read"): at most one event per call."""

    def __init__(self, uart):
        LineReader.__init__(self, uart, _MAX_LINE, BAD_READ)

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
