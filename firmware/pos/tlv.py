# Field 62 as data (bills, repayment, parameters; docs/protocol.md section 8):
# items of a 2-character ASCII tag, a 3-digit ASCII length and the value.
# Text is UTF-8, amounts 12 digits of fen. Parsing trusts no length: a value
# running past the end, a bad tag or length, a duplicate tag, or more than
# MAX_BYTES raise TlvError; unknown tags are kept, the caller ignores them.
from pos.iso8583 import CodecError

from pos import const

MAX_BYTES = const(999)
_HEAD = const(5)


class TlvError(CodecError):
    """Field 62 data that does not follow the item layout."""

    def __init__(self, reason):
        CodecError.__init__(self, reason, 62)


def encode(items):
    """bytes for a sequence of (tag, value) pairs; value str (UTF-8) or bytes."""
    out = bytearray()
    for tag, value in items:
        if type(tag) is not str or len(tag) != 2 or not _tag_ok(tag.encode()):
            raise TlvError("tag %r is not two letters or digits" % (tag,))
        raw = value.encode() if type(value) is str else bytes(value)
        if len(raw) > 999:
            raise TlvError("value of %s too long" % tag)
        out.extend(tag.encode())
        out.extend(b"%03d" % len(raw))
        out.extend(raw)
    if len(out) > MAX_BYTES:
        raise TlvError("%d bytes, max %d" % (len(out), MAX_BYTES))
    return bytes(out)


def _tag_ok(raw):
    for c in raw:
        if not (48 <= c <= 57 or 65 <= c <= 90):
            return False
    return True


def decode(data):
    """tag -> value bytes; raises TlvError."""
    n = len(data)
    if n > MAX_BYTES:
        raise TlvError("%d bytes, max %d" % (n, MAX_BYTES))
    mv = memoryview(data)
    items = {}
    pos = 0
    while pos < n:
        if pos + _HEAD > n:
            raise TlvError("item header cut at byte %d" % pos)
        tag = bytes(mv[pos:pos + 2])
        size = bytes(mv[pos + 2:pos + 5])
        if not _tag_ok(tag) or not size.isdigit():
            raise TlvError("bad item header at byte %d" % pos)
        end = pos + _HEAD + int(size)
        if end > n:
            raise TlvError("item %s runs past the end" % tag.decode())
        key = tag.decode()
        if key in items:
            raise TlvError("item %s twice" % key)
        items[key] = bytes(mv[pos + _HEAD:end])
        pos = end
    return items


def text(items, tag, max_bytes=60, required=True):
    """The UTF-8 text of tag, at most max_bytes; '' when absent and not required."""
    raw = items.get(tag)
    if raw is None:
        if required:
            raise TlvError("item %s missing" % tag)
        return ""
    if len(raw) > max_bytes:
        raise TlvError("item %s longer than %d bytes" % (tag, max_bytes))
    try:
        return raw.decode()
    except UnicodeError:
        raise TlvError("item %s is not UTF-8" % tag)


def token(items, tag, max_bytes, required=True):
    """The text of tag when it is 1 to max_bytes printable ASCII characters, no space (a URL, an
    order number); '' when absent and not required."""
    raw = items.get(tag)
    if raw is None:
        if required:
            raise TlvError("item %s missing" % tag)
        return ""
    if not 0 < len(raw) <= max_bytes or any(not 0x20 < b < 0x7F for b in raw):
        raise TlvError("item %s is not 1-%d printable ASCII" % (tag, max_bytes))
    return raw.decode()


def digits(items, tag, min_len=1, max_len=20, required=True):
    """The digits of tag as str; '' when absent and not required."""
    raw = items.get(tag)
    if raw is None:
        if required:
            raise TlvError("item %s missing" % tag)
        return ""
    if not min_len <= len(raw) <= max_len or not raw.isdigit():
        raise TlvError("item %s is not %d-%d digits" % (tag, min_len, max_len))
    return raw.decode()


def amount(items, tag, required=True):
    """The n12 amount of tag in fen; None when absent and not required."""
    value = digits(items, tag, 12, 12, required)
    return int(value) if value else None
