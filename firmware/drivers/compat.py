# What drivers share to run unchanged on MicroPython and under CPython's tests:
# an awaitable sleep_ms, wrapping millisecond ticks, and pos's const().
# sleep_ms is looked up on first import (module __getattr__), so a driver that
# never waits (lcd, keypad) does not load asyncio.
from pos import const  # noqa: F401

try:
    from time import ticks_diff, ticks_ms
except ImportError:
    import time

    # MicroPython's period on the ESP32, so code tested here wraps as it will there.
    _PERIOD = 1 << 30
    _HALF = 1 << 29

    def ticks_ms():
        return int(time.monotonic() * 1000) & (_PERIOD - 1)

    def ticks_diff(end, start):
        """Signed end - start of two ticks_ms() values, across the wrap."""
        return ((end - start + _HALF) & (_PERIOD - 1)) - _HALF


def __getattr__(name):
    if name != "sleep_ms":
        raise AttributeError(name)
    import asyncio
    sleep_ms = getattr(asyncio, "sleep_ms", None)
    if sleep_ms is None:
        async def sleep_ms(ms):
            await asyncio.sleep(ms / 1000)
    globals()["sleep_ms"] = sleep_ms
    return sleep_ms
