"""Firmware update: what to accept and the file work, with no network (docs/update.md).

The flow (pos.flows.update) fetches the bytes and feeds them here:

- The running slot is found from the App's assets directory,
  <root>/slot_a/assets: its board.py names the board, its VERSION the
  version, its assets/update_key.bin (64 bytes x||y) is the P-256 key every
  manifest is checked with. An update can carry a new key for the next one.
- The image goes into the other slot's staging directory, <root>/slot_b.new:
  first the manifest (MANIFEST.json), then each file it lists, streamed
  through a SHA-256 as it is written; a file never sits in RAM. The other
  slot's old image is removed before the first file, for room.
- A download cut off (no answer, a link lost: Update.suspend) leaves the
  staging directory as it is. The next one fetches the manifest again; when
  it is the same, the files already whole are kept (their hashes checked on
  flash) and the one cut off goes on from its last byte; another manifest
  starts the staging directory afresh.
- A manifest counts only with a good signature over its SHA-256, for the
  running board, and newer than the running version (an equal one is
  "latest", an older one refused: a replayed old image cannot undo a fix).
- Once every file has its size and hash: the staging directory is renamed
  to the slot and bootsel.switch() puts the slot on trial.
Any other failure is an UpdateError; the staging directory is dropped. The
running slot is never written.
"""
import hashlib
import json
import os
from binascii import unhexlify

from pos import ecdsa

MANIFEST = "MANIFEST.json"
MANIFEST_MAX = 16384
FILES_MAX = 256
FILE_MAX = 4 * 1024 * 1024
PATH_MAX = 64
REQUIRED = ("VERSION", "board.py", "assets/update_key.bin")
KEY_FILE = "assets/update_key.bin"
_PATH_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/"


# UpdateError reasons; each has its screen text update_<reason> in the catalogs.
REASONS = ("no_slot", "no_key", "pending", "manifest", "signature", "board", "older", "latest", "none",
           "space", "truncated", "corrupt", "flash")


class UpdateError(Exception):
    """reason: a word naming what failed; the screen text is the catalog key update_<reason>."""

    def __init__(self, reason, detail=""):
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def parse_version(text):
    """(1, 2, 10, 0) for "1.2.10": one to four dot-separated numbers of 1-5 digits; "1.2" is "1.2.0"."""
    if type(text) is not str:
        raise UpdateError("manifest", "version is not text")
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        raise UpdateError("manifest", "bad version %r" % text)
    out = []
    for part in parts:
        if not 1 <= len(part) <= 5 or not part.isdigit():
            raise UpdateError("manifest", "bad version %r" % text)
        out.append(int(part))
    while len(out) < 4:
        out.append(0)
    return tuple(out)


def _parent(path):
    i = path.rstrip("/").rfind("/")
    return path[:i] if i >= 0 else "."


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def rmtree(path):
    """Remove a file or a directory tree; a missing one is not an error."""
    try:
        mode = os.stat(path)[0]
    except OSError:
        return
    if mode & 0x4000:
        for name in os.listdir(path):
            rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def _read_small(path, limit=256):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def board_name(path):
    """The NAME = "..." of a board file (read a line at a time), or None."""
    try:
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        for _ in range(200):
            line = f.readline(128)
            if not line:
                break
            name, eq, value = line.partition(b"=")
            value = value.strip()
            if eq and name.strip() == b"NAME" and len(value) > 2 and value[0] == value[-1] and value[0] in b"\"'":
                try:
                    return value[1:-1].decode()
                except UnicodeError:
                    return None
    return None


def _version_of(path):
    raw = _read_small(path, 32)
    try:
        return raw.decode().strip() if raw else "0"
    except UnicodeError:
        return "0"


class Slot:
    """The slot the App runs from: root, name, board, version and update key."""

    def __init__(self, assets_dir):
        slot_dir = _parent(assets_dir)
        self.name = slot_dir[slot_dir.rfind("/") + 1:]
        if self.name not in ("slot_a", "slot_b"):
            raise UpdateError("no_slot", slot_dir)
        self.root = _parent(slot_dir)
        self.board = board_name(slot_dir + "/board.py")
        if self.board is None:
            raise UpdateError("no_slot", "no board name")
        self.version = _version_of(slot_dir + "/VERSION")
        self.key = _read_small(slot_dir + "/" + KEY_FILE, 65)
        if self.key is None or len(self.key) != 64:
            raise UpdateError("no_key")

    @property
    def other(self):
        return "slot_b" if self.name == "slot_a" else "slot_a"


def _size(path):
    """Bytes of the file at path; -1 when there is none."""
    try:
        return os.stat(path)[6]
    except OSError:
        return -1


def _hash_file(path, h):
    """Feed the file at path into the hash h, through a small buffer."""
    buf = bytearray(256)
    mv = memoryview(buf)
    try:
        with open(path, "rb") as f:
            while True:
                n = f.readinto(buf)
                if not n:
                    return
                h.update(mv[:n])
    except OSError:
        raise UpdateError("flash", path)


class Receiver:
    """One file being written in order, checked against its size (and SHA-256, 32 bytes) as it comes.

    resume: a file already on flash is taken as received so far (its bytes hashed through a
    small buffer) when it is shorter than size, or whole when it is size bytes with the right
    hash; anything else is written again from its first byte.
    """

    def __init__(self, path, size, sha256=None, resume=False):
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.digest = None
        self.f = None
        mode = "wb"
        self.done, self.hash = 0, hashlib.sha256()
        have = _size(path) if resume else -1
        if 0 <= have <= size:
            _hash_file(path, self.hash)
            if have < size:
                mode, self.done = "ab", have
            else:
                digest = self.hash.digest()
                if digest == sha256:
                    self.done, self.digest = size, digest
                    return
                self.hash = hashlib.sha256()
        try:
            self.f = open(path, mode)
        except OSError:
            raise UpdateError("flash", path)

    @property
    def complete(self):
        return self.done == self.size

    def write(self, offset, data):
        """The bytes at offset (the next ones expected); no bytes before the end is a truncated file."""
        if offset != self.done:
            raise UpdateError("corrupt", "%s: bytes at %d, expected %d" % (self.path, offset, self.done))
        if not data:
            raise UpdateError("truncated", "%s: %d of %d bytes" % (self.path, self.done, self.size))
        if self.done + len(data) > self.size:
            raise UpdateError("corrupt", "%s: longer than %d bytes" % (self.path, self.size))
        try:
            self.f.write(data)
        except OSError:
            raise UpdateError("flash", self.path)
        self.hash.update(data)
        self.done += len(data)

    def close(self):
        """The SHA-256 of the whole file, once it is all there and its hash is the one expected."""
        if self.digest is not None:
            return self.digest
        f, self.f = self.f, None
        if f is not None:
            try:
                f.close()
            except OSError:
                raise UpdateError("flash", self.path)
        if self.done != self.size:
            raise UpdateError("truncated", "%s: %d of %d bytes" % (self.path, self.done, self.size))
        digest = self.hash.digest()
        if self.sha256 is not None and digest != self.sha256:
            raise UpdateError("corrupt", "%s: SHA-256 differs" % self.path)
        return digest


def _check_path(path, paths):
    if type(path) is not str or not 0 < len(path) <= PATH_MAX or path.startswith(MANIFEST):
        return False
    raw = path.encode()
    for c in raw:
        if c not in _PATH_CHARS:
            return False
    if raw[0] == 47 or raw[-1] == 47:       # "/"
        return False
    for part in path.split("/"):
        if part in ("", ".", ".."):
            return False
    return path not in paths


def check_manifest(doc):
    """(board, version, files) of a parsed manifest; files: [path, size, sha256 hex] each."""
    if type(doc) is not dict:
        raise UpdateError("manifest", "not an object")
    board, version, files = doc.get("board"), doc.get("version"), doc.get("files")
    if type(board) is not str or not 0 < len(board) <= 32:
        raise UpdateError("manifest", "bad board")
    parse_version(version)
    if type(files) is not list or not 0 < len(files) <= FILES_MAX:
        raise UpdateError("manifest", "bad file list")
    paths = {}
    for entry in files:
        if type(entry) is not list or len(entry) != 3:
            raise UpdateError("manifest", "bad file entry")
        path, size, sha = entry
        if not _check_path(path, paths):
            raise UpdateError("manifest", "bad path %r" % (path,))
        if type(size) is not int or not 0 <= size <= FILE_MAX:
            raise UpdateError("manifest", "bad size of %s" % path)
        if type(sha) is not str or len(sha) != 64 or sha.strip("0123456789abcdef"):
            raise UpdateError("manifest", "bad SHA-256 of %s" % path)
        paths[path] = True
    for path in paths:
        i = path.rfind("/")
        while i > 0:
            if path[:i] in paths:
                raise UpdateError("manifest", "%s is a file and a directory" % path[:i])
            i = path.rfind("/", 0, i)
    for path in REQUIRED:
        if path not in paths:
            raise UpdateError("manifest", "no %s" % path)
    return board, version, files


class Update:
    """One image received into the staging directory of the slot not running, then switched to."""

    def __init__(self, slot):
        self.slot = slot
        self.target = slot.root + "/" + slot.other
        self.staging = self.target + ".new"
        self.board = self.version = self.files = None
        self.received = 0
        self.receiver = None

    def begin(self):
        """The staging directory, kept from a download cut off; refused while the running slot is
        itself an unconfirmed update."""
        if _exists(self.slot.root + "/trial"):
            raise UpdateError("pending")
        if not _exists(self.staging):
            try:
                os.mkdir(self.staging)
            except OSError:
                raise UpdateError("flash", self.staging)

    def manifest_receiver(self, size):
        """The new manifest's receiver, beside the one a cut-off download may have left."""
        if not 0 < size <= MANIFEST_MAX:
            raise UpdateError("manifest", "%d bytes" % size)
        self.receiver = Receiver(self.staging + "/" + MANIFEST + ".in", size)
        return self.receiver

    def accept_manifest(self, receiver, signature):
        """Check the received manifest; then the files to fetch are self.files, in order."""
        self.receiver = None
        digest = receiver.close()
        if not ecdsa.verify(self.slot.key, digest, signature):
            raise UpdateError("signature")
        try:
            with open(receiver.path) as f:
                doc = json.load(f)
        except (ValueError, OSError):
            raise UpdateError("manifest", "not JSON")
        board, version, files = check_manifest(doc)
        if board != self.slot.board:
            raise UpdateError("board", board)
        new = parse_version(version)
        try:
            running = parse_version(self.slot.version)
        except UpdateError:            # a slot without a readable VERSION takes any signed image
            running = (0, 0, 0, 0)
        if new == running:
            raise UpdateError("latest", version)
        if new < running:
            raise UpdateError("older", version)
        self._keep_or_clear(receiver.path, digest)
        # Kept compact for the transfer: (path, size, SHA-256 bytes) tuples, the parsed JSON let go.
        compact = []
        for path, size, sha in files:
            compact.append((path, size, unhexlify(sha)))
        files = doc = None
        self.board, self.version, self.files = board, version, compact
        self.received = 0

    def _keep_or_clear(self, new_path, digest):
        """What a cut-off download left stays only when its manifest is this one."""
        old = self.staging + "/" + MANIFEST
        if _size(old) >= 0:
            h = hashlib.sha256()
            _hash_file(old, h)
            if h.digest() == digest:
                os.remove(new_path)
                return
        for name in os.listdir(self.staging):
            if name != MANIFEST + ".in":
                rmtree(self.staging + "/" + name)
        try:
            os.rename(new_path, old)
        except OSError:
            raise UpdateError("flash", old)

    def total(self):
        """Bytes of all the image's files."""
        n = 0
        for _path, size, _sha in self.files:
            n += size
        return n

    def _make_room(self):
        """The idle slot's old image goes (it is never booted again); then the new one must fit."""
        rmtree(self.target)
        try:
            st = os.statvfs(self.slot.root or "/")
        except (AttributeError, OSError):
            return
        block = st[1] or st[0]
        need = 2
        for path, size, _sha in self.files:
            size -= max(0, _size(self.staging + "/" + path))       # kept from a cut-off download
            need += (max(0, size) + block - 1) // block + 1
        if st[4] < need:
            raise UpdateError("space", "%d blocks free, %d needed" % (st[4], need))

    def file_receiver(self, index):
        """The receiver of files[index], its directories made; files are received in order."""
        if index != self.received:
            raise UpdateError("corrupt", "file %d out of order" % index)
        if index == 0:
            self._make_room()
        path, size, sha = self.files[index]
        full = self.staging
        for part in path.split("/")[:-1]:
            full += "/" + part
            if not _exists(full):
                try:
                    os.mkdir(full)
                except OSError:
                    raise UpdateError("flash", full)
        self.receiver = Receiver(self.staging + "/" + path, size, sha, resume=True)
        return self.receiver

    def file_received(self, receiver):
        self.receiver = None
        receiver.close()
        self.received += 1

    def install(self):
        """Rename the staging directory into the slot and switch to it, on trial."""
        if self.files is None or self.received != len(self.files):
            raise UpdateError("truncated", "%d files missing" % (len(self.files or ()) - self.received))
        if _version_of(self.staging + "/VERSION") != self.version:
            raise UpdateError("manifest", "VERSION is not %s" % self.version)
        if board_name(self.staging + "/board.py") != self.board:
            raise UpdateError("manifest", "board.py is not %s" % self.board)
        rmtree(self.target)
        try:
            os.rename(self.staging, self.target)
        except OSError:
            raise UpdateError("flash", self.target)
        import bootsel
        bootsel.switch(self.slot.other, self.slot.root)

    def suspend(self):
        """Stop, keeping what was received for the next download to go on from (idempotent)."""
        receiver, self.receiver = self.receiver, None
        if receiver is not None and receiver.f is not None:
            try:
                receiver.f.close()
            except OSError:
                pass
            receiver.f = None

    def abandon(self):
        """Drop what was received (idempotent); the running slot is untouched."""
        self.suspend()
        rmtree(self.staging)
