"""Virtual peripherals of the simulated terminal: printer, host link, clock."""
import select
import socket
import time

FRAME_MAX = 4096


class SimClock:
    """Local wall-clock seconds; moves only when told to (headless) or follows real time."""

    def __init__(self, start, real=False):
        self.start = start
        self.offset = 0
        self.real = real
        self.t0 = time.monotonic()

    def __call__(self):
        extra = int(time.monotonic() - self.t0) if self.real else 0
        return self.start + self.offset + extra

    def advance(self, secs):
        self.offset += secs


class Printer:
    """A 58 mm printer: collects each printed copy; paper can run out mid-slip."""

    def __init__(self):
        self.paper_lines = None      # None: plenty; n: runs out after n more lines
        self.jobs = []               # (text, escpos bytes, complete)
        self.font = None

    def _font(self):
        if self.font is None:
            from pos.font import Font
            import os
            self.font = Font(os.path.join(os.path.dirname(__file__), "..", "..", "firmware", "assets", "font16.bin"))
        return self.font

    def print_lines(self, lines):
        """Print one copy; 'OK' or 'PAPER_OUT' with what came out kept as an interrupted job."""
        from pos import escpos
        out = bytearray(escpos.init())
        text = []
        chunks = escpos.render_slip(lines, self._font())
        for i, chunk in enumerate(chunks):
            if self.paper_lines is not None:
                if self.paper_lines <= 0:
                    self.jobs.append(("\n".join(text), bytes(out), False))
                    return "PAPER_OUT"
                self.paper_lines -= 1
            out += chunk
            if i < len(lines):
                text.append(lines[i][0])
        self.jobs.append(("\n".join(text), bytes(out), True))
        return "OK"

    def last_text(self):
        return self.jobs[-1][0] if self.jobs else ""


class HostLink:
    """A TCP link to the acquirer: one request in flight, answers read as frames."""

    def __init__(self, addr):
        self.addr = addr
        self.sock = None
        self.buf = b""

    def connect(self):
        self.close()
        try:
            self.sock = socket.create_connection(self.addr, timeout=3)
        except OSError:
            self.sock = None
            return "LINK_DOWN"
        return "OK"

    def send(self, frame):
        self.buf = b""
        try:
            self.sock.sendall(frame)
        except (OSError, AttributeError):
            return False
        return True

    def poll(self, wait):
        """The answer frame, 'LINK_BROKEN', or None if nothing complete within wait seconds."""
        if self.sock is None:
            return "LINK_BROKEN"
        deadline = time.monotonic() + wait
        while True:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            try:
                data = self.sock.recv(FRAME_MAX)
            except OSError:
                data = b""
            if not data:
                self.close()
                return "LINK_BROKEN"
            self.buf += data
            if len(self.buf) >= 2:
                need = 2 + int.from_bytes(self.buf[:2], "big")
                if len(self.buf) >= need:
                    frame, self.buf = self.buf[:need], self.buf[need:]
                    return frame
            if len(self.buf) > FRAME_MAX:
                self.close()
                return "LINK_BROKEN"

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
