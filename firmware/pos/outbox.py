"""The e-receipt queue on flash: receipts kept until the host acknowledges them (store and forward).

A file of pos.journal frames (magic, length, payload, CRC; the same recovery), each payload one
kind byte and the rest:

    b"R" + a receipt (pos.ereceipt's bytes, at most MAX_ITEM)
    b"A" + the 4-byte big-endian offset of the receipt frame the host acknowledged

- `put` appends a receipt durably before it returns, or raises OutboxFull with nothing written:
  the caller warns the merchant and goes on (a full queue never stops a sale).
- `ack` appends an acknowledgement; when no receipt waits any more the file is removed. The
  offsets `waiting` gave stay valid until the next `put`: only `put` compacts, when acknowledged
  receipts fill more than half of the file or a receipt does not fit: the waiting ones are copied
  to NAME.new, which is renamed over the file. A power cut leaves the old file (NAME.new, torn or
  whole, is dropped by the next recovery) or the new one whole.
- Receipts are never dropped unacknowledged: damage in the middle is skipped like the journal's,
  and only a torn tail (the frame being written when the power went) is cut.
- Acknowledgements have room of their own (ACK_ROOM), so a full queue can still be emptied.
"""
import os
import struct

from binascii import crc32

from pos import const
from pos.journal import MAGIC, Frames, frame_pieces

MAX_ITEM = const(6144)
ACK_ROOM = const(1024)
_OVERHEAD = const(8)        # magic, length, kind, CRC
_RECEIPT = const(0x52)      # "R"
_ACK = const(0x41)          # "A"


def _framed(head, pieces, tail):
    yield head
    yield from pieces
    yield tail


class OutboxFull(Exception):
    pass


class Outbox(Frames):
    max_record = MAX_ITEM + 1

    def __init__(self, dirpath, max_bytes=64 * 1024, name="outbox.bin"):
        Frames.__init__(self, dirpath, max_bytes, name)
        self._waiting = None    # offsets of the receipts not acknowledged, oldest first (after a scan)
        self._sizes = None      # their frames' sizes, by offset
        self._done = 0          # bytes of acknowledged receipts and of acknowledgements

    def _scan(self):
        """The waiting receipts, from the frames' first bytes (no receipt is read whole)."""
        waiting, sizes, done = [], {}, 0
        for pos, (kind, size) in self._frames(True):
            n = size + _OVERHEAD - 1
            if kind == _RECEIPT:
                waiting.append(pos)
                sizes[pos] = n
            elif kind == _ACK and size == 5:
                done += n
                acked = self._acked(pos)
                if acked in sizes:
                    waiting.remove(acked)
                    done += sizes.pop(acked)
        self._waiting, self._sizes, self._done = waiting, sizes, done

    def _acked(self, at):
        """The offset the acknowledgement frame at `at` names."""
        with open(self.path, "rb") as f:
            f.seek(at + 4)
            f.readinto(self._crc)
        return struct.unpack(">I", self._crc)[0]

    def waiting(self):
        """The offsets of the receipts waiting for the host, oldest first (a copy)."""
        if self._waiting is None:
            self._scan()
        return list(self._waiting)

    def count(self):
        if self._waiting is None:
            self._scan()
        return len(self._waiting)

    def full(self, room=2048):
        """True when a receipt of `room` bytes might not fit: the merchant is warned."""
        return self.size() + room > self.max_bytes - ACK_ROOM

    def put(self, receipt):
        """Queue a receipt durably: bytes, or an iterable of its pieces that can be iterated twice
        (pos.ereceipt.Receipt: the pieces are counted, then written, never joined). Its offset;
        OutboxFull before anything is written."""
        if isinstance(receipt, (bytes, bytearray)):
            receipt = (receipt,)
        size, crc = 1, crc32(b"R")
        for piece in receipt:
            size += len(piece)
            crc = crc32(piece, crc)
        if not 1 < size <= MAX_ITEM + 1:
            raise ValueError("a receipt is 1..%d bytes" % MAX_ITEM)
        if self._waiting is None:
            self._scan()
        if self._done * 2 > self.size():
            self.compact()          # acknowledged receipts fill half the file: give their room back
        head, tail = struct.pack(">BHB", MAGIC, size, _RECEIPT), struct.pack(">I", crc & 0xFFFFFFFF)
        at = self._append(_framed(head, receipt, tail), size + _OVERHEAD - 1, self.max_bytes - ACK_ROOM)
        if at is None and self._done:
            self.compact()
            at = self._append(_framed(head, receipt, tail), size + _OVERHEAD - 1, self.max_bytes - ACK_ROOM)
        if at is None:
            raise OutboxFull()
        self._waiting.append(at)
        self._sizes[at] = size + _OVERHEAD - 1
        return at

    def get(self, offset):
        """The receipt whose frame starts at offset, or None."""
        payload = self.payload_at(offset)
        if payload is None or payload[0] != _RECEIPT:
            return None
        return payload[1:]

    def ack(self, offset):
        """The host has the receipt at offset: record it, then drop or compact what is done."""
        if self._waiting is None:
            self._scan()
        if offset not in self._waiting:
            return
        self._waiting.remove(offset)
        if not self._waiting:
            self._clear()
        elif self._append(frame_pieces(struct.pack(">I", offset), b"A"), 5 + _OVERHEAD - 1, self.max_bytes) is None:
            self.compact()          # the new file, without the receipt, is the record of its acknowledgement
        else:
            self._done += self._sizes.pop(offset) + 5 + _OVERHEAD - 1

    def _clear(self):
        try:
            os.remove(self.path)
        except OSError:
            pass
        self._waiting, self._sizes, self._done, self._count, self._end = [], {}, 0, 0, 0

    def compact(self):
        """Copy the waiting receipts to NAME.new and rename it over the file."""
        if self._waiting is None:
            self._scan()
        tmp = self.path + ".new"
        with open(self.path, "rb") as src, open(tmp, "wb") as out:
            for at in self._waiting:            # good frames (the scan checked them), copied as they are
                src.seek(at)
                self._copy(src, out, self._sizes[at])
            out.flush()
        os.rename(tmp, self.path)
        self._end = None            # recover() counts the new file at the next append
        self._scan()
