# The battery's ADC for tests, behind drivers.battery.


class FakeAdc:
    """An ADC for tests: read_uv() gives the next of
    readings (microvolts at the pin) while there are any, then uv."""

    def __init__(self, uv=1900000, readings=()):
        self.uv = uv
        self.readings = list(readings)

    def read_uv(self):
        if self.readings:
            return self.readings.pop(0)
        return self.uv
