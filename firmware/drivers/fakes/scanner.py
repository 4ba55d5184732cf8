# The fakes of drivers/scanner.py: the scan engine's side of its UART, and the SC16IS7xx bridge
# it sits behind on the boards (FakeI2cUart, an I2C device with the engine on its serial side).

class FakeScanEngine:
    """The engine's side of the UART: queued reads, each returned whole by one read(); what the
    terminal wrote in `written`, and its command triggers answered as a GM65 answers them."""

    def __init__(self, reads=()):
        self.reads = list(reads)
        self.written = []
        self.answer = True           # a command trigger is answered 02 00 00 01 00 33 31

    def feed(self, data):
        self.reads.append(data)

    def present(self, code, tail=b"\r", chunks=None):
        """A code held in front of the engine: its bytes (a str is UTF-8) then the tail, in one read
        or cut into reads of `chunks` bytes."""
        data = (code.encode() if isinstance(code, str) else bytes(code)) + tail
        if chunks is None:
            self.reads.append(data)
            return
        for i in range(0, len(data), chunks):
            self.reads.append(data[i:i + chunks])

    def read(self, n=-1):
        if not self.reads:
            return None
        return self.reads.pop(0)

    def write(self, data):
        data = bytes(data)
        self.written.append(data)
        if self.answer and data[:2] == b"\x7e\x00":
            self.reads.append(b"\x02\x00\x00\x01\x00\x33\x31")
        return len(data)


class FakeI2cUart:
    """An SC16IS740/750 on a fake I2C bus: its registers as the driver uses them, the engine (any
    object with read() and write()) on its serial side, 64 bytes of receive FIFO filled from it."""

    def __init__(self, engine=None, addr=0x48):
        self.engine = engine if engine is not None else FakeScanEngine()
        self.addr = addr
        self.regs = bytearray(16)
        self.divisor = None
        self.fifo = bytearray()
        self.rest = b""

    def _fill(self):
        while len(self.fifo) < 64:
            data = self.rest or self.engine.read()
            if not data:
                return
            room = 64 - len(self.fifo)
            self.fifo += data[:room]
            self.rest = bytes(data[room:])       # what the UART holds until the FIFO has room

    def readfrom_mem_into(self, addr, mem, buf):
        reg = mem >> 3
        if reg == 0x09:
            self._fill()
            buf[0] = len(self.fifo)
        elif reg == 0x08:
            buf[0] = 64
        elif reg == 0x00 and not self.regs[0x03] & 0x80:
            fifo = self.fifo
            for i in range(len(buf)):
                buf[i] = fifo[i] if i < len(fifo) else 0
            self.fifo = fifo[len(buf):]
        else:
            buf[0] = self.regs[reg]

    def writeto_mem(self, addr, mem, buf):
        reg = mem >> 3
        latch = self.regs[0x03] & 0x80
        if reg == 0x00 and not latch:
            self.engine.write(bytes(buf))
            return
        if reg in (0x00, 0x01) and latch:
            low = buf[0] if reg == 0 else (self.divisor or 0) & 0xFF
            high = buf[0] if reg == 1 else (self.divisor or 0) >> 8
            self.divisor = high << 8 | low
            return
        self.regs[reg] = buf[0]
