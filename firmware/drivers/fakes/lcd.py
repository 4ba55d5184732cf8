# The LCD's buses for tests and the simulator, behind drivers.lcd: FakeBus records what is sent,
# FakeGlass keeps the pixels it draws.


class FakeBus:
    """The bus for tests: records (kind, payload) per call,
    kind "cmd" (the command byte), "data" (its parameters or a write_data),
    "delay" (ms, an int) or "reset" (b""). keep=False only counts."""

    def __init__(self, keep=True):
        self.keep = keep
        self.records = []
        self.nbytes = 0
        self.ncmds = 0

    def clear(self):
        self.records = []
        self.nbytes = self.ncmds = 0

    def write_cmd(self, cmd, data=b""):
        self.ncmds += 1
        self.nbytes += 1 + len(data)
        if self.keep:
            self.records.append(("cmd", bytes((cmd,))))
            if data:
                self.records.append(("data", bytes(data)))

    def write_data(self, buf):
        self.nbytes += len(buf)
        if self.keep:
            self.records.append(("data", bytes(buf)))

    def delay_ms(self, ms):
        if self.keep:
            self.records.append(("delay", ms))

    def reset(self):
        if self.keep:
            self.records.append(("reset", b""))


_CASET = 0x2A
_RASET = 0x2B
_RAMWR = 0x2C


class FakeGlass(FakeBus):
    """A colour panel's pixels, for the simulator: CASET (x) and RASET (y) set the window as the
    landscape MADCTL of drivers.lcd turns it, RAMWR starts at its top left, the pixel data
    (RGB565, high byte first) fills it row by row. frame holds them as they came, 2 bytes a
    pixel, rows top to bottom. A window off the glass, half a pixel or pixels past the window
    are a ValueError (a driver's bug); other commands are only counted, as by FakeBus."""

    def __init__(self, width=320, height=240):
        FakeBus.__init__(self, keep=False)
        self.width = width
        self.height = height
        self.frame = bytearray(width * height * 2)
        self._writing = False           # RAMWR was the last command: data are pixels
        self._x0 = self._x1 = self._y0 = self._y1 = self._x = self._y = 0

    def write_cmd(self, cmd, data=b""):
        FakeBus.write_cmd(self, cmd, data)
        self._writing = cmd == _RAMWR
        if cmd == _CASET or cmd == _RASET:
            first, last = data[0] << 8 | data[1], data[2] << 8 | data[3]
            if not first <= last < (self.width if cmd == _CASET else self.height):
                raise ValueError("window %d..%d off the glass" % (first, last))
            if cmd == _CASET:
                self._x0, self._x1 = first, last
            else:
                self._y0, self._y1 = first, last
        elif self._writing:
            self._x, self._y = self._x0, self._y0

    def write_data(self, buf):
        FakeBus.write_data(self, buf)
        if not self._writing:
            return
        n = len(buf)
        if n & 1:
            raise ValueError("half a pixel")
        frame, i = self.frame, 0
        while i < n:
            if self._y > self._y1:
                raise ValueError("pixels past the window")
            run = min(2 * (self._x1 + 1 - self._x), n - i)     # to the window's right edge
            at = 2 * (self._y * self.width + self._x)
            frame[at:at + run] = buf[i:i + run]
            i += run
            self._x += run >> 1
            if self._x > self._x1:
                self._x = self._x0
                self._y += 1

    def pixel(self, x, y):
        """The RGB565 colour at (x, y)."""
        at = 2 * (y * self.width + x)
        return self.frame[at] << 8 | self.frame[at + 1]

    def grey(self):
        """The picture in 8-bit grey (BT.601 luma, 0 black, 255 white), width bytes a row, rows top
        to bottom: what a camera (a decoder) sees. CPython only."""
        # A pixel's luma is a part from its high byte (red, green's top 3 bits) plus one from its
        # low byte (green's low 3 bits, blue), at most 209 + 46: the parts add without a carry.
        high = bytes(round(0.299 * 255 * (b >> 3) / 31 + 0.587 * 255 * (b & 7) * 8 / 63) for b in range(256))
        low = bytes(round(0.587 * 255 * (b >> 5) / 63 + 0.114 * 255 * (b & 31) / 31) for b in range(256))
        luma = int.from_bytes(self.frame[0::2].translate(high), "big") \
            + int.from_bytes(self.frame[1::2].translate(low), "big")
        return luma.to_bytes(self.width * self.height, "big")
