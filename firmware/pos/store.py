"""Small durable documents on flash: settings, counters, the pending reversal.

Each document is written whole to NAME.new (JSON + CRC32 trailer line) and
renamed over NAME.json, so a power loss leaves either the old or the new
document, never a mix. A torn or corrupt file is ignored in favour of the
other copy.
"""
import json
import os
from binascii import crc32


def _path(dirpath, name, ext):
    return "%s/%s.%s" % (dirpath, name, ext)


MAX_DOC = 8192


def _read(path):
    try:
        if os.stat(path)[6] > MAX_DOC:
            return None
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    body, sep, tail = raw.rpartition(b"\n")
    if not sep or tail != b"%08x" % (crc32(body) & 0xFFFFFFFF):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def load(dirpath, name, default=None):
    # A complete .new is the newest document: the power went before its rename.
    doc = _read(_path(dirpath, name, "new"))
    if doc is None:
        doc = _read(_path(dirpath, name, "json"))
    return default if doc is None else doc


def save(dirpath, name, doc):
    body = json.dumps(doc).encode()
    if len(body) > MAX_DOC - 9:
        raise ValueError("document too large")
    new = _path(dirpath, name, "new")
    with open(new, "wb") as f:
        f.write(body + b"\n" + b"%08x" % (crc32(body) & 0xFFFFFFFF))
    os.rename(new, _path(dirpath, name, "json"))


def remove(dirpath, name):
    for ext in ("json", "new"):
        try:
            os.remove(_path(dirpath, name, ext))
        except OSError:
            pass


class Counters:
    """Trace (STAN) and batch numbers; a trace number is stored before it is used."""

    def __init__(self, dirpath):
        self.dir = dirpath
        self.doc = load(dirpath, "counters", {"trace": 0, "batch": 1})

    @property
    def trace(self):
        return self.doc["trace"]

    @property
    def batch(self):
        return self.doc["batch"]

    def next_trace(self):
        self.doc["trace"] = self.doc["trace"] % 999999 + 1
        save(self.dir, "counters", self.doc)
        return self.doc["trace"]

    def set_batch(self, batch):
        if not 1 <= batch <= 999999:
            raise ValueError("batch out of range")
        if batch != self.doc["batch"]:
            self.doc["batch"] = batch
            save(self.dir, "counters", self.doc)

    def advance_batch(self):
        self.set_batch(self.doc["batch"] % 999999 + 1)
