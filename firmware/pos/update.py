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
import os
from binascii import unhexlify

from pos import ecdsa

MANIFEST = "MANIFEST.json"
INDEX = MANIFEST + ".idx"      # the checked file list, beside it: a line "size sha256 path" a file
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


def _check_path(path):
    if not 0 < len(path) <= PATH_MAX or path.startswith(MANIFEST):
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
    return True


class _Checker:
    """Each entry of a manifest's file list checked as pos.manifest reads it, and written to the
    index: what a path must be, every size and hash; then, from the index, no path twice, none
    both a file and a directory, the slot's required files there.

    For those the paths are gathered into one buffer of exactly their bytes ("\n" before and
    after each), made once the reading has counted them, and looked up with find(): no path
    costs an allocation that outlives it, so a long list leaves no small blocks scattered across
    the heap, and the one block asked for is as small as the paths."""

    def __init__(self, index):
        self.index = index
        self.count = self.total = 0
        self.path_bytes = 1

    def __call__(self, path, size, sha):
        if not _check_path(path):
            raise UpdateError("manifest", "bad path %r" % (path,))
        if not 0 <= size <= FILE_MAX:
            raise UpdateError("manifest", "bad size of %s" % path)
        if len(sha) != 64 or sha.strip("0123456789abcdef"):
            raise UpdateError("manifest", "bad SHA-256 of %s" % path)
        raw = path.encode()
        self.index.write(b"%d %s %s\n" % (size, sha.encode(), raw))
        self.path_bytes += len(raw) + 1
        self.count += 1
        self.total += size

    def finish(self, index_path):
        """The checks over the whole list, the index (written and closed) read back."""
        if not self.count:
            raise UpdateError("manifest", "bad file list")
        paths = bytearray(self.path_bytes)
        paths[0] = 10
        end = 1
        with open(index_path, "rb") as f:
            for _ in range(self.count):
                raw = f.readline()
                raw = raw[raw.rfind(b" ") + 1:-1]
                if _listed(paths, raw, end):
                    raise UpdateError("manifest", "bad path %r" % raw.decode())
                paths[end:end + len(raw)] = raw
                end += len(raw) + 1
                paths[end - 1] = 10
        start = 1
        while start < end:
            stop = paths.find(b"\n", start)
            path = bytes(paths[start:stop])
            i = path.rfind(b"/")
            while i > 0:
                if _listed(paths, path[:i], end):
                    raise UpdateError("manifest", "%s is a file and a directory" % path[:i].decode())
                i = path.rfind(b"/", 0, i)
            start = stop + 1
        for path in REQUIRED:
            if not _listed(paths, path.encode(), end):
                raise UpdateError("manifest", "no %s" % path)


def _listed(paths, raw, end):
    """Whether raw is one of the paths in paths[:end] ("\n" before and after each)."""
    return paths.find(b"\n" + raw + b"\n", 0, end) >= 0


def _entry(line):
    """(path, size, SHA-256 bytes) of an index line."""
    size, sha, path = line.decode().rstrip("\n").split(" ", 2)
    return path, int(size), unhexlify(sha)


class Update:
    """One image received into the staging directory of the slot not running, then switched to."""

    def __init__(self, slot):
        self.slot = slot
        self.target = slot.root + "/" + slot.other
        self.staging = self.target + ".new"
        self.board = self.version = None
        self.count = None         # files in the accepted manifest
        self.received = 0
        self.receiver = None
        self._total = 0
        self._at = None           # (index, entry) last read from the index
        self._next = (0, 0)       # (index, byte offset) of the entry after it

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
        """Check the received manifest; then its files, in order, are entry(0) to entry(count - 1)."""
        from pos import manifest
        self.receiver = None
        digest = receiver.close()
        if not ecdsa.verify(self.slot.key, digest, signature):
            raise UpdateError("signature")
        index_path = self.staging + "/" + INDEX
        try:
            with open(receiver.path, "rb") as f, open(index_path, "wb") as index:
                check = _Checker(index)
                board, version = manifest.read(f, check, max_files=FILES_MAX)
            check.finish(index_path)
        except manifest.ManifestError as e:
            raise UpdateError("manifest", str(e))
        except OSError:
            raise UpdateError("flash", index_path)
        if not 0 < len(board) <= 32:
            raise UpdateError("manifest", "bad board")
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
        self.board, self.version, self.count, self._total = board, version, check.count, check.total
        self.received = 0
        self._at, self._next = None, (0, 0)

    def entry(self, index):
        """(path, size, SHA-256 bytes) of the manifest's file index, read from the index on flash
        (asked in order, the same one again or the next, it is one line read)."""
        if self._at is not None and self._at[0] == index:
            return self._at[1]
        if not 0 <= index < (self.count or 0):
            raise UpdateError("corrupt", "no file %d" % index)
        at, offset = self._next if self._next[0] <= index else (0, 0)
        with open(self.staging + "/" + INDEX, "rb") as f:
            f.seek(offset)
            while True:
                line = f.readline()
                if not line.endswith(b"\n"):
                    raise UpdateError("flash", INDEX)
                if at == index:
                    break
                at += 1
            self._next = (index + 1, f.tell())
        self._at = (index, _entry(line))
        return self._at[1]

    def entries(self):
        """Every (path, size, SHA-256 bytes) of the manifest, in order, one line at a time."""
        with open(self.staging + "/" + INDEX, "rb") as f:
            for _ in range(self.count):
                yield _entry(f.readline())

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
            if name not in (MANIFEST + ".in", INDEX):
                rmtree(self.staging + "/" + name)
        try:
            os.rename(new_path, old)
        except OSError:
            raise UpdateError("flash", old)

    def total(self):
        """Bytes of all the image's files."""
        return self._total

    def _make_room(self):
        """The idle slot's old image goes (it is never booted again); then the new one must fit."""
        rmtree(self.target)
        try:
            st = os.statvfs(self.slot.root or "/")
        except (AttributeError, OSError):
            return
        block = st[1] or st[0]
        need = 2
        for path, size, _sha in self.entries():
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
        path, size, sha = self.entry(index)
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
        if self.count is None or self.received != self.count:
            raise UpdateError("truncated", "%d files missing" % ((self.count or 0) - self.received))
        if _version_of(self.staging + "/VERSION") != self.version:
            raise UpdateError("manifest", "VERSION is not %s" % self.version)
        if board_name(self.staging + "/board.py") != self.board:
            raise UpdateError("manifest", "board.py is not %s" % self.board)
        rmtree(self.staging + "/" + INDEX)          # a working file: the slot keeps the manifest
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
