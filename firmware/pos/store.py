"""Small durable documents on flash: settings, counters, the pending reversal.

A document NAME is a file of one header line, the CRC32 of the body as 8
hex digits, then the body: compact JSON.

- `save` writes the file whole to NAME.new, closes it, then renames it over
  NAME.json (atomic on littlefs and POSIX). A power loss leaves the old
  document, the new one, or the old one beside a complete or torn NAME.new.
- `load` reads NAME.new first: a copy whose CRC checks can only be there
  because the power went between its close and its rename, so it is the
  newest. A torn or corrupt copy is ignored in favour of the other one.
- Neither needs the document as one block of RAM: `save` writes it a dict
  entry at a time, `load` checks the CRC through a small buffer and then
  parses from the file. A fragmented heap still saves 99 operators.
"""
import json
import os
from binascii import crc32

MAX_DOC = 16384                # bytes of body; bounds what load reads
_HEADER = 9                    # "%08x\n"
_SEPARATORS = (",", ":")


def _path(dirpath, name, ext):
    return "%s/%s.%s" % (dirpath, name, ext)


def _pieces(value):
    """The compact JSON of value in small pieces: dicts are taken apart at every depth."""
    if not isinstance(value, dict):
        yield json.dumps(value, separators=_SEPARATORS).encode()
        return
    sep = b"{"
    for key in value:
        if not isinstance(key, str):
            raise TypeError("document keys are text")
        yield sep + json.dumps(key).encode() + b":"
        yield from _pieces(value[key])
        sep = b","
    yield b"{}" if sep == b"{" else b"}"


def _read(path):
    """The document in path, or None when it is missing, oversized, torn or corrupt."""
    try:
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        head = f.read(_HEADER)
        if len(head) != _HEADER or head[-1:] != b"\n":
            return None
        try:
            want = int(head[:-1], 16)
        except ValueError:
            return None
        buf = bytearray(128)
        crc = size = 0
        while True:
            n = f.readinto(buf)
            if not n:
                break
            size += n
            if size > MAX_DOC:
                return None
            crc = crc32(memoryview(buf)[:n], crc)
        if crc & 0xFFFFFFFF != want:
            return None
        f.seek(_HEADER)
        try:
            return json.load(f)
        except ValueError:
            return None


def load(dirpath, name, default=None):
    doc = _read(_path(dirpath, name, "new"))
    if doc is None:
        doc = _read(_path(dirpath, name, "json"))
    return default if doc is None else doc


def save(dirpath, name, doc):
    """Durably replace the document: write NAME.new whole, then rename it over NAME.json."""
    crc = size = 0
    for piece in _pieces(doc):
        crc = crc32(piece, crc)
        size += len(piece)
    if size > MAX_DOC:
        raise ValueError("document %s too large" % name)
    new = _path(dirpath, name, "new")
    with open(new, "wb") as f:
        f.write(b"%08x\n" % (crc & 0xFFFFFFFF))
        for piece in _pieces(doc):
            f.write(piece)
        f.flush()
    os.rename(new, _path(dirpath, name, "json"))


def remove(dirpath, name):
    """Delete the document; removing a missing one is not an error."""
    # A cut between the two removes brings back the newest copy, never an older one.
    for ext in ("json", "new"):
        try:
            os.remove(_path(dirpath, name, ext))
        except OSError:
            pass


MAX_NO = 999999
_COUNTERS = "counters"


class Counters:
    """The trace number (STAN, 1..999999 then 1 again) and the batch number (1..999999).

    A trace number is saved before it is handed out, so after a power loss at
    any instant the next one is always new (one may be skipped, none reused).
    """

    def __init__(self, dirpath):
        self.dir = dirpath
        self.doc = load(dirpath, _COUNTERS, {"trace": 0, "batch": 1})

    @property
    def trace(self):
        """The last trace number handed out (0 before the first)."""
        return self.doc["trace"]

    @property
    def batch(self):
        return self.doc["batch"]

    def _save(self, key, value):
        doc = {"trace": self.doc["trace"], "batch": self.doc["batch"]}
        doc[key] = value
        save(self.dir, _COUNTERS, doc)
        self.doc = doc

    def next_trace(self):
        self._save("trace", self.doc["trace"] % MAX_NO + 1)
        return self.doc["trace"]

    def set_batch(self, batch_no):
        if not 1 <= batch_no <= MAX_NO:
            raise ValueError("batch number out of range")
        if batch_no != self.doc["batch"]:
            self._save("batch", batch_no)
