# The keypad for tests, with drivers.keypad's scan() and repeat.
from drivers.compat import ticks_diff
from drivers.keypad import NONE, REPEATING


class FakeKeypad:
    """The tests' keypad: press(key) and release(key) from the
    host, with the same scan(now_ms) and the same repeat for UP/DOWN/CLEAR.
    A press released before the next scan is still reported once."""

    def __init__(self, repeat_after_ms=600, repeat_every_ms=150):
        self._after = repeat_after_ms
        self._every = repeat_every_ms
        self._queued = []
        self._held = {}       # key -> [time last reported or None, repeated]

    def press(self, key):
        self._queued.append(key)
        self._held[key] = [None, False]

    def release(self, key):
        self._held.pop(key, None)

    @property
    def waiting(self):
        """True while a press has not been reported by a scan yet."""
        return bool(self._queued)

    def scan(self, now_ms):
        out = self._queued
        for key in self._held:
            state = self._held[key]
            if state[0] is None:
                state[0] = now_ms
            elif key in REPEATING:
                wait = self._every if state[1] else self._after
                if ticks_diff(now_ms, state[0]) >= wait:
                    state[0] = now_ms
                    state[1] = True
                    out.append(key)
        if not out:
            return NONE
        self._queued = []
        return out
