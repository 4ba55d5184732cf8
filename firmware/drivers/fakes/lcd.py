# The LCD's bus for tests, behind drivers.lcd.


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
