# The fake of drivers/magstripe.py: see that module for what the part does.

class FakeDecoderUart:
    """The decoder's side of the UART: queued reads, each returned whole by one read()."""

    def __init__(self, reads=()):
        self.reads = list(reads)

    def feed(self, data):
        self.reads.append(data)

    def swipe(self, track2, track1=None, track3=None):
        """One swipe as the module sends it: the tracks it read, one line each."""
        out = b""
        for text in (track1, track2, track3):
            if text is not None:
                out += text.encode() + b"\r\n"
        self.reads.append(out)

    def read(self, n=-1):
        if not self.reads:
            return None
        return self.reads.pop(0)
