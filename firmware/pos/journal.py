"""The append-only transaction journal of the current batch.

Frame: magic 0xA5, 2-byte big-endian payload length, payload (compact JSON,
UTF-8, at most MAX_RECORD bytes), 4-byte big-endian CRC32 of the payload.

- A record is one frame written by one call, flushed and closed before
  `append` returns. Records are never rewritten: later facts (printed,
  voided, reversed) are new records.
- The power can go mid-append. At boot `recover()` cuts a torn tail (short
  frame, bad magic, bad length, bad CRC) back to the end of the last good
  frame; `append` does the same first if the file is not as it left it.
- Reading streams one frame at a time and never trusts a length above
  MAX_RECORD. A bad frame with good frames after it is damage, not a torn
  tail: readers skip to the next good frame and `recover` keeps it all.
- Full PAN, track data, PIN and CVV never reach the journal: `append`
  refuses a record carrying them (ValueError).
"""
import json
import os
import struct
from binascii import crc32

from pos import const

MAGIC = const(0xA5)
MAX_RECORD = const(1024)
_HEAD = const(3)
_CRC = const(4)
_MIN_PAYLOAD = const(2)        # "{}"
_MAX_VISIBLE_DIGITS = const(10)
_MAGIC_BYTE = b"\xa5"
_FORBIDDEN = ("track2", "track", "pin", "pinblock", "cvv")
_SEPARATORS = (",", ":")


class JournalFull(Exception):
    pass


def _check_pan(pan):
    if not isinstance(pan, str):
        raise ValueError("pan must be the masked card number text")
    digits = 0
    for ch in pan:
        if "0" <= ch <= "9":
            digits += 1
    if digits > _MAX_VISIBLE_DIGITS:
        raise ValueError("the journal keeps masked card numbers only")


def _check(value):
    """Refuse card secrets at any depth of a record."""
    if isinstance(value, dict):
        for key in value:
            name = key.lower() if isinstance(key, str) else key
            if name in _FORBIDDEN:
                raise ValueError("%s never goes to the journal" % name)
            if name == "pan" or (isinstance(name, str) and name.endswith("pan")):
                _check_pan(value[key])
            _check(value[key])
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check(item)


def frame(record):
    """The bytes of one journal record."""
    if not isinstance(record, dict):
        raise ValueError("a journal record is a dict")
    _check(record)
    payload = json.dumps(record, separators=_SEPARATORS).encode()
    if len(payload) > MAX_RECORD:
        raise ValueError("record too large")
    return b"".join(frame_pieces(payload))


def frame_pieces(payload, kind=b""):
    """The frame around kind + payload as three pieces to write one after the other: no copy of
    the payload is made."""
    n = len(kind) + len(payload)
    return (struct.pack(">BH", MAGIC, n) + kind, payload,
            struct.pack(">I", crc32(payload, crc32(kind)) & 0xFFFFFFFF))


class Frames:
    """A file of frames, appended and never rewritten in place (pos.outbox keeps its queue in one
    too): durable appends, reading with resynchronisation past damage, a torn tail cut off."""
    max_record = MAX_RECORD        # the largest payload a frame may carry

    def __init__(self, dirpath, max_bytes, name):
        self.dir = dirpath
        self.name = name
        self.path = dirpath + "/" + name
        self.max_bytes = max_bytes
        self._count = None         # good frames, known after a scan
        self._end = None           # file length as last left by this object
        self._head = bytearray(_HEAD)
        self._crc = bytearray(_CRC)
        self._buf = bytearray(256)

    def size(self):
        try:
            return os.stat(self.path)[6]
        except OSError:
            return 0

    def _append(self, pieces, size, limit):
        """Write one frame of size bytes durably (pieces: its bytes, an iterable written piece by
        piece), if the file stays within limit bytes: its offset, or None before anything is written."""
        if self._end is None or self._end != self.size():
            self.recover()         # first append, or a write of ours was cut short
        if self._end + size > limit:
            return None
        count, end = self._count, self._end
        self._end = None           # unknown until the write is known complete
        with open(self.path, "ab") as f:
            for piece in pieces:
                f.write(piece)
            f.flush()
        self._count, self._end = count + 1, end + size
        return end

    def recover(self):
        """Cut a torn tail; returns how many bytes were dropped (0 when called again)."""
        size = self.size()
        count = end = 0
        for pos, got in self._frames(True):
            count += 1
            end = pos + _HEAD + got[1] + _CRC
        tmp = self.path + ".new"
        if end < size:
            self._copy_prefix(end, tmp)
            os.rename(tmp, self.path)
        else:
            try:
                os.remove(tmp)     # left by a cut during an earlier recover
            except OSError:
                pass
        self._count, self._end = count, end
        return size - end

    def check(self):
        """(good records, bytes that are not part of one): 0 bytes is a whole journal. Changes nothing."""
        count = used = 0
        for _pos, got in self._frames(True):
            count += 1
            used += _HEAD + got[1] + _CRC
        return count, self.size() - used

    def _exists(self):
        try:
            os.stat(self.path)
            return True
        except OSError:
            return False

    def _copy_prefix(self, length, dest):
        # MicroPython's files (littlefs, unix) have no truncate: write the good prefix anew.
        with open(self.path, "rb") as src, open(dest, "wb") as dst:
            self._copy(src, dst, length)
            dst.flush()

    def _copy(self, src, dst, length):
        """length bytes from src's position to dst, through the small buffer."""
        buf = self._buf
        while length:
            n = src.readinto(buf)
            if not n:
                break
            if n > length:
                n = length
            dst.write(memoryview(buf)[:n])
            length -= n

    def _frames(self, skim=False):
        """(offset, payload) of each good frame, or with skim (offset, (first payload byte, payload
        length)) read through the small buffer; damage is skipped by resynchronising."""
        try:
            f = open(self.path, "rb")
        except OSError:
            return
        with f:
            pos = 0
            while True:
                got = self._skim_frame(f) if skim else self._read_frame(f)
                if got is not None:
                    yield pos, got
                    pos += _HEAD + (got[1] if skim else len(got)) + _CRC
                    continue
                pos = self._resync(f, pos + 1)
                if pos < 0:
                    return

    def _length(self, f):
        """The payload length the frame head at the file position gives, or -1 for no frame head."""
        head = self._head
        if f.readinto(head) != _HEAD or head[0] != MAGIC:
            return -1
        n = (head[1] << 8) | head[2]
        return n if _MIN_PAYLOAD <= n <= self.max_record else -1

    def payload_at(self, offset):
        """The payload of the good frame at offset, or None."""
        try:
            f = open(self.path, "rb")
        except OSError:
            return None
        with f:
            f.seek(offset)
            return self._read_frame(f)

    def _read_frame(self, f):
        """The payload of the frame at the file position, or None if it is not a good frame."""
        n = self._length(f)
        if n < 0:
            return None
        payload = f.read(n)
        if len(payload) != n or f.readinto(self._crc) != _CRC:
            return None
        if struct.unpack(">I", self._crc)[0] != crc32(payload) & 0xFFFFFFFF:
            return None
        return payload

    def _skim_frame(self, f):
        """(first payload byte, payload length) of the good frame at the file position, or None;
        the payload's CRC is checked through the small buffer, the payload never read whole."""
        n = self._length(f)
        if n < 0:
            return None
        buf = self._buf
        mv = memoryview(buf)
        first = buf[0] if f.readinto(mv[:1]) == 1 else None
        crc = crc32(mv[:1])
        left = n - 1
        while left:
            k = f.readinto(mv[:left] if left < len(buf) else buf)
            if not k:
                return None
            crc = crc32(mv[:k], crc)
            left -= k
        if first is None or f.readinto(self._crc) != _CRC or struct.unpack(">I", self._crc)[0] != crc & 0xFFFFFFFF:
            return None
        return first, n

    def _resync(self, f, start):
        """Offset of the next good frame at or after start (file positioned there), or -1."""
        buf = self._buf
        while True:
            f.seek(start)
            n = f.readinto(buf)
            if not n:
                return -1
            i = buf.find(_MAGIC_BYTE, 0, n)
            if i < 0:
                start += n
                continue
            start += i
            f.seek(start)
            if self._skim_frame(f) is not None:
                f.seek(start)
                return start
            start += 1


class Journal(Frames):
    def __init__(self, dirpath, max_bytes=256 * 1024, name="journal.bin"):
        Frames.__init__(self, dirpath, max_bytes, name)

    def full(self, headroom=4 * MAX_RECORD):
        """True when a transaction's records might not fit any more."""
        return self.size() + headroom > self.max_bytes

    def append(self, record):
        """Write one record durably; returns its index. JournalFull before anything is written."""
        data = frame(record)
        if self._append((data,), len(data), self.max_bytes) is None:
            raise JournalFull()
        return self._count - 1

    def records(self):
        """Each good record in order, read one frame at a time."""
        it = self.entries()
        try:
            for _, record in it:
                yield record
        finally:
            it.close()

    def entries(self):
        """(offset, record) of each good record in order; read(offset) gets one back."""
        frames = self._frames()
        try:
            for pos, payload in frames:
                try:
                    record = json.loads(payload)
                except ValueError:
                    continue       # a CRC-good frame we cannot read: skip it like damage
                yield pos, record
        finally:
            frames.close()         # a reader that stops early closes the file now

    def read(self, offset):
        """The record whose frame starts at offset, or None if no good record starts there."""
        payload = self.payload_at(offset)
        if payload is None:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def last(self, n):
        """The last n records, oldest first (n records held, not the journal)."""
        out = []
        if n <= 0:
            return out
        for record in self.records():
            out.append(record)
            if len(out) > n:
                out.pop(0)
        return out

    def find(self, pred):
        """The first record for which pred is true, or None; reading stops there."""
        it = self.records()
        try:
            for record in it:
                if pred(record):
                    return record
        finally:
            it.close()
        return None

    def roll(self, batch_no):
        """Keep the settled batch as journal-<batch>.bin, drop older ones, start empty."""
        stem = self.name.split(".")[0] + "-"
        archive = "%s%06d.bin" % (stem, batch_no)
        if self._exists():
            os.rename(self.path, self.dir + "/" + archive)
        for name in os.listdir(self.dir):
            if name.startswith(stem) and name.endswith(".bin") and name != archive:
                os.remove(self.dir + "/" + name)
        self._count, self._end = 0, 0

    def previous(self):
        """The journal of the last settled batch, kept by roll() until the next one, or None."""
        stem = self.name.split(".")[0] + "-"
        for name in os.listdir(self.dir):
            if name.startswith(stem) and name.endswith(".bin"):
                return Journal(self.dir, self.max_bytes, name)
        return None
