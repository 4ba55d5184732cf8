# Firmware update test kit, VM-neutral: slot trees on flash, signed images, and power cuts.
# Signing uses the firmware's curve arithmetic with a published test key (RFC 6979 A.2.5's);
# host_tests/test_ecdsa_vs_cryptography.py checks that arithmetic against `cryptography`.
import hashlib
import json
import os
from binascii import hexlify, unhexlify

from pos import ecdsa
from vmutil import rmtree, tmpdir

BOARD = "esp32_countertop"
# RFC 6979 A.2.5: a P-256 private key published as a test vector, and its public key.
KEY_D = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
KEY = unhexlify("60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6"
                "7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299")
OTHER_D = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
N = ecdsa._N
P = ecdsa._P


def _affine(point):
    x, y, z = point
    zi = pow(z, P - 2, P)
    return x * zi * zi % P, y * zi * zi * zi % P


def public_key(d):
    """x||y of d*G."""
    x, y = _affine(ecdsa._shamir(d, 0, ecdsa._table(ecdsa._GX, ecdsa._GY)))
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def sign_digest(digest, d=KEY_D):
    """r||s of ECDSA P-256 over a 32-byte digest with a fresh random nonce."""
    e = int.from_bytes(digest, "big")
    table = ecdsa._table(ecdsa._GX, ecdsa._GY)
    while True:
        k = int.from_bytes(os.urandom(32), "big") % N
        if not k:
            continue
        r = _affine(ecdsa._shamir(k, 0, table))[0] % N
        s = pow(k, N - 2, N) * (e + r * d) % N
        if r and s:
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign(data, d=KEY_D):
    return sign_digest(hashlib.sha256(data).digest(), d)


def sha256_hex(data):
    return hexlify(hashlib.sha256(data).digest()).decode()


def board_file(board=BOARD):
    return ('# test board\nNAME = "%s"\nMCU = "esp32"\n' % board).encode()


def slot_files(board=BOARD, version="1.0.0", key=KEY, extra=None):
    """path -> bytes of a small application slot laid out as `make firmware` builds one."""
    files = {"VERSION": (version + "\n").encode(), "board.py": board_file(board),
             "assets/update_key.bin": key, "pos/__init__.py": b"",
             "pos/app.py": b"# the app of %s\n" % version.encode() + b"x = 1\n" * 200,
             "assets/lang/zh.txt": b"welcome\t\xe6\xac\xa2\xe8\xbf\x8e\n"}
    if extra:
        files.update(extra)
    return files


def write_tree(top, files):
    for path in files:
        full = top
        parts = path.split("/")
        for part in parts[:-1]:
            full += "/" + part
            try:
                os.mkdir(full)
            except OSError:
                pass
        with open(top + "/" + path, "wb") as f:
            f.write(files[path])


def read_tree(top, prefix=""):
    """path -> bytes of every file under top."""
    out = {}
    for name in os.listdir(top):
        full = top + "/" + name
        if os.stat(full)[0] & 0x4000:
            out.update(read_tree(full, prefix + name + "/"))
        else:
            with open(full, "rb") as f:
                out[prefix + name] = f.read()
    return out


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def read(path):
    with open(path) as f:
        return f.read()


class Flash:
    """A filesystem root with /slot_a running version `version` and /state; close() removes it."""

    def __init__(self, version="1.0.0", board=BOARD, key=KEY):
        self.root = tmpdir("upd")
        os.mkdir(self.root + "/slot_a")
        os.mkdir(self.root + "/state")
        self.running = slot_files(board, version, key)
        write_tree(self.root + "/slot_a", self.running)
        with open(self.root + "/current", "w") as f:
            f.write("a")

    @property
    def assets(self):
        return self.root + "/slot_a/assets"

    def close(self):
        rmtree(self.root)


class Image:
    """A published image: the manifest bytes, their signature and the files (path -> bytes)."""

    def __init__(self, version="1.1.0", board=BOARD, files=None, d=KEY_D, manifest=None, new_key=KEY):
        self.board, self.version = board, version
        self.files = files if files is not None else slot_files(board, version, new_key)
        if manifest is None:
            entries = [[path, len(self.files[path]), sha256_hex(self.files[path])] for path in sorted(self.files)]
            manifest = json.dumps({"board": board, "version": version, "files": entries}).encode()
        self.manifest = manifest
        self.signature = sign(manifest, d)

    def order(self):
        return [entry[0] for entry in json.loads(self.manifest)["files"]]


def receive(up, image, chunk=400, files=None):
    """Feed an image to a pos.update.Update as the flow does, in chunks, each file from where its
    receiver stands (a download cut off goes on); files: how many to feed before stopping.
    Returns the offset each file was fed from."""
    receiver = up.manifest_receiver(len(image.manifest))
    _feed(receiver, image.manifest, chunk)
    up.accept_manifest(receiver, image.signature)
    starts = []
    for i in range(up.count if files is None else files):
        receiver = up.file_receiver(i)
        starts.append(receiver.done)
        _feed(receiver, image.files[up.entry(i)[0]], chunk)
        up.file_received(receiver)
    return starts


def _feed(receiver, data, chunk):
    while not receiver.complete:
        offset = receiver.done
        receiver.write(offset, data[offset:offset + chunk])


class PowerCut(Exception):
    pass


class _Torn:
    """A file whose writes reach the disk up to the budget; then the power goes."""

    def __init__(self, f, cut):
        self.f = f
        self.cut = cut

    def write(self, data):
        if self.cut.hit():
            self.f.write(data[:len(data) // 2])
            self.f.close()
            raise PowerCut()
        return self.f.write(data)

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


class _Os:
    def __init__(self, cut):
        self.cut = cut

    def __getattr__(self, name):
        return getattr(os, name)

    def rename(self, a, b):
        if self.cut.hit():
            raise PowerCut()
        os.rename(a, b)

    def remove(self, path):
        if self.cut.hit():
            raise PowerCut()
        os.remove(path)

    def rmdir(self, path):
        if self.cut.hit():
            raise PowerCut()
        os.rmdir(path)


class Cut:
    """Power goes at the n-th write, rename or remove made by the modules patched (0: never).
    `steps` counts the ones made so far."""

    def __init__(self, n, modules):
        self.n = n
        self.steps = 0
        self.modules = modules

    def hit(self):
        self.steps += 1
        return self.steps == self.n

    def __enter__(self):
        cut = self

        def cutting_open(path, mode="r"):
            f = open(path, mode)
            return _Torn(f, cut) if "w" in mode or "a" in mode else f

        for module in self.modules:
            module.open = cutting_open
            module.os = _Os(self)
        return self

    def __exit__(self, *exc):
        for module in self.modules:
            del module.open
            module.os = os
        return exc[0] is PowerCut
