# The battery's voltage through a resistor divider on an ADC pin, and a
# charge estimate linear between the empty and full voltages.
from drivers.compat import const

SAMPLES = const(8)               # averaged per reading: the ADC is noisy under radio load


class Battery:
    def __init__(self, adc, divider, empty_mv, full_mv, full_scale_mv=3300):
        if full_mv <= empty_mv:
            raise ValueError("full_mv must be above empty_mv")
        self._adc = adc
        self._divider = divider
        self._empty = empty_mv
        self._full = full_mv
        self._scale = full_scale_mv      # what read_u16() 65535 stands for, without read_uv()
        self._uv = hasattr(adc, "read_uv")

    def millivolts(self):
        """The battery's voltage in mV: the mean of SAMPLES readings, times the divider."""
        adc = self._adc
        total = 0
        for _ in range(SAMPLES):
            if self._uv:
                total += adc.read_uv()
            else:
                total += adc.read_u16() * self._scale * 1000 // 65535
        return int(total // SAMPLES * self._divider) // 1000

    def percent(self):
        mv = self.millivolts()
        if mv <= self._empty:
            return 0
        if mv >= self._full:
            return 100
        return (mv - self._empty) * 100 // (self._full - self._empty)
