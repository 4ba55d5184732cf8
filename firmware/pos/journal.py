"""The append-only transaction journal.

Record frame: magic 0xA5, 2-byte big-endian payload length, payload (JSON,
UTF-8), 4-byte big-endian CRC32 of the payload. A record is written in one
call and the file closed before append returns. At boot `recover()` cuts a
torn tail (short frame, bad magic, bad CRC) back to the last good record.
Records are never rewritten: later facts (printed, voided) are new records.
Full PAN, track data and PIN never reach the journal.
"""
import json
import os
import struct
from binascii import crc32

MAGIC = 0xA5
MAX_RECORD = 1024
_HEAD = 3
_FORBIDDEN = ("track2", "track", "pin", "pinblock", "cvv")


class JournalFull(Exception):
    pass


class JournalError(ValueError):
    pass


def _check(record):
    for key in _FORBIDDEN:
        if key in record:
            raise ValueError("%s never goes to the journal" % key)
    pan = record.get("pan")
    if pan is not None:
        visible = 0
        for ch in pan:
            if ch != "*":
                visible += 1
        if visible > 10:
            raise ValueError("the journal keeps masked card numbers only")


class Journal:
    def __init__(self, dirpath, max_bytes=256 * 1024, name="journal.bin"):
        self.dir = dirpath
        self.path = dirpath + "/" + name
        self.max_bytes = max_bytes

    def size(self):
        try:
            return os.stat(self.path)[6]
        except OSError:
            return 0

    def full(self, headroom=4 * MAX_RECORD):
        """True when a transaction's records might not fit any more."""
        return self.size() + headroom > self.max_bytes

    def append(self, record):
        _check(record)
        payload = json.dumps(record).encode()
        if len(payload) > MAX_RECORD:
            raise ValueError("record too large")
        frame = struct.pack(">BH", MAGIC, len(payload)) + payload + struct.pack(">I", crc32(payload) & 0xFFFFFFFF)
        if self.size() + len(frame) > self.max_bytes:
            raise JournalFull()
        with open(self.path, "ab") as f:
            f.write(frame)

    def _frames(self):
        """(offset, payload) of each good record, stopping at the first bad one."""
        try:
            f = open(self.path, "rb")
        except OSError:
            return
        head = bytearray(_HEAD)
        tail = bytearray(4)
        pos = 0
        with f:
            while True:
                if f.readinto(head) != _HEAD or head[0] != MAGIC:
                    return
                n = (head[1] << 8) | head[2]
                if n > MAX_RECORD:
                    return
                payload = f.read(n)
                if len(payload) != n or f.readinto(tail) != 4:
                    return
                if struct.unpack(">I", tail)[0] != crc32(payload) & 0xFFFFFFFF:
                    return
                yield pos, payload
                pos += _HEAD + n + 4

    def records(self):
        """Each good record in order, read one at a time (never the whole file)."""
        for _, payload in self._frames():
            yield json.loads(payload)

    def good_length(self):
        end = 0
        for pos, payload in self._frames():
            end = pos + _HEAD + len(payload) + 4
        return end

    def recover(self):
        """Drop a torn tail; returns how many bytes were dropped (0 the second time)."""
        size = self.size()
        good = self.good_length()
        if good == size:
            return 0
        tmp = self.path + ".new"
        buf = bytearray(512)
        with open(self.path, "rb") as src, open(tmp, "wb") as dst:
            left = good
            while left:
                n = src.readinto(buf)
                n = min(n, left)
                dst.write(memoryview(buf)[:n])
                left -= n
        os.rename(tmp, self.path)
        return size - good

    def roll(self, batch):
        """Keep the settled batch as journal-<batch>.bin and start an empty journal."""
        for name in os.listdir(self.dir):
            if name.startswith("journal-") and name.endswith(".bin"):
                os.remove(self.dir + "/" + name)
        try:
            os.rename(self.path, "%s/journal-%06d.bin" % (self.dir, batch))
        except OSError:
            pass
