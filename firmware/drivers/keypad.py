# The key matrix: rows driven low one at a time, columns read (pulled up,
# 0 = pressed). scan(now_ms), called every 10 ms, returns the names of the
# keys newly pressed, and again while UP, DOWN or CLEAR is held.
#
# - Debounce: a key changes state only after its reading has stayed the same
#   for debounce_ms, pressed and released alike, so contact chatter is one
#   press and a glitch during a hold is no new press.
# - Ghosting: without diodes, three keys held at three corners of a
#   rectangle read as four. A reading where two rows share two or more
#   pressed columns is ambiguous: that scan reports nothing and changes no
#   key's state; keys are read again from the first clean scan.
# - Idle scans return the empty tuple and allocate nothing.
from drivers.compat import ticks_diff

REPEATING = ("UP", "DOWN", "CLEAR")
NONE = ()


class Keypad:
    def __init__(self, rows, cols, keys, debounce_ms=20, repeat_after_ms=600, repeat_every_ms=150):
        if len(keys) != len(rows) * len(cols):
            raise ValueError("keys must name every row x column crossing")
        self._rows = rows
        self._cols = cols
        self._keys = keys
        self._debounce = debounce_ms
        self._after = repeat_after_ms
        self._every = repeat_every_ms
        n = len(keys)
        self._raw = bytearray(n)          # last reading, 1 = pressed
        self._down = bytearray(n)         # debounced state
        self._since = [0] * n             # when the reading last changed
        self._last = [0] * n              # when the key was last reported
        self._repeated = bytearray(n)     # 1 once the first repeat came
        self._repeats = bytearray(1 if k in REPEATING else 0 for k in keys)
        self._masks = [0] * len(rows)     # pressed columns of each row, this scan
        for drive in rows:
            drive(1)

    def _read(self):
        """Fill _masks from the matrix; True when the reading could hold a ghost."""
        cols = self._cols
        masks = self._masks
        ghost = False
        for r in range(len(self._rows)):
            drive = self._rows[r]
            drive(0)
            mask = 0
            for c in range(len(cols)):
                if not cols[c]():
                    mask |= 1 << c
            drive(1)
            masks[r] = mask
            if mask & (mask - 1):
                for q in range(r):
                    both = masks[q] & mask
                    if both & (both - 1):
                        ghost = True
        return ghost

    def scan(self, now_ms):
        if self._read():
            return NONE
        out = NONE
        ncols = len(self._cols)
        masks = self._masks
        raw = self._raw
        down = self._down
        for k in range(len(self._keys)):
            level = masks[k // ncols] >> (k % ncols) & 1
            if level != raw[k]:
                raw[k] = level
                self._since[k] = now_ms
            if level != down[k] and ticks_diff(now_ms, self._since[k]) >= self._debounce:
                down[k] = level
                if level:
                    self._last[k] = now_ms
                    self._repeated[k] = 0
                    out = self._add(out, k)
            elif level and down[k] and self._repeats[k]:
                wait = self._every if self._repeated[k] else self._after
                if ticks_diff(now_ms, self._last[k]) >= wait:
                    self._last[k] = now_ms
                    self._repeated[k] = 1
                    out = self._add(out, k)
        return out

    def _add(self, out, k):
        if out is NONE:
            out = []
        out.append(self._keys[k])
        return out
