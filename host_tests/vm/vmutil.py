# Helpers for VM-neutral tests: no pytest, no tempfile (MicroPython has neither).
import os

START = 1795428000   # the tests' local time at start: 2026-11-23 10:00:00


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def rmtree(path):
    if not exists(path):
        return
    if os.stat(path)[0] & 0x4000:
        for name in os.listdir(path):
            rmtree(path + "/" + name)
        os.rmdir(path)
    else:
        os.remove(path)


def tmpdir(tag="t"):
    """A fresh empty directory under /tmp."""
    path = "/tmp/pos-%s-%s" % (tag, "".join("%02x" % b for b in os.urandom(6)))
    os.mkdir(path)
    return path


def raises(exc_type, fn, *args):
    """True when fn(*args) raises exc_type (VM-neutral pytest.raises)."""
    try:
        fn(*args)
    except exc_type:
        return True
    return False


def asset_path(name):
    """A file of firmware/assets, found from this directory; frozen (no directory in __file__), or
    on a MicroPython without __file__, from the working directory, the tests' root."""
    here = globals().get("__file__", "")
    if "/" in here:
        return here.rsplit("/", 1)[0] + "/../../firmware/assets/" + name
    return "firmware/assets/" + name


def font_path():
    return asset_path("font16.bin")


def table_path():
    """The 区位码 (GB2312) table."""
    return asset_path("gb2312.bin")
