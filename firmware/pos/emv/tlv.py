# BER-TLV of the chip card (EMV 4.3 Book 3 Annex B, a subset of ISO/IEC 8825-1) and its data
# object lists (Book 3 section 5.4). Not field 62's TLV: that is pos.tlv.
#
# A tag is an int of its 1 to 3 bytes (0x70, 0x9F26, 0xDF8111); bit 6 of its first byte marks a
# constructed object, whose value is more objects. A length is one byte up to 0x7F, else 0x81,
# 0x82 or 0x83 and that many bytes (read even where a shorter form would do; encode writes the
# shortest). Between objects, 0x00 and 0xFF bytes are padding, skipped.
# Nothing from the card is trusted: a cut tag or length, a value past the end of its container,
# 0x80 or 0x84+ as a length, a tag of 4+ bytes, templates nested deeper than MAX_DEPTH or input
# that is not bytes raise TlvError and nothing else. Parsing walks offsets over one memoryview of
# the input, so a length is checked against the bytes there before anything is allocated.
#
#   walk(data)                iterator of (tag, value) at one level; value a memoryview slice of
#                             data (no copy; bytes(value) to keep it without keeping all of data)
#   items(data)               [(tag, value bytes)] at one level
#   flatten(data, into=None)  {tag: value bytes} of every primitive object at any depth; a tag seen
#                             twice keeps its first value, as does one already in into
#   find(data, tag)           value bytes of the first object with tag at any depth (constructed
#                             or not), else None; checks the data up to it, not past it
#   encode(tag, value)        bytes of one object, its length in the shortest form
#   tag_bytes(tag)            the bytes of a tag int
#   parse_dol(dol)            [(tag, length)] of a data object list (PDOL 9F38, CDOL1 8C, ...):
#                             each entry a tag and a one-byte length
#   build_dol(dol, values)    the data a DOL asks for, from {tag: bytes}, fitted per section 5.4
from pos import const

MAX_DEPTH = const(8)        # templates inside templates; a SELECT answer 6F A5 BF0C 61 uses 4
MAX_DOL_DATA = const(255)   # a short APDU's data field, which carries what a DOL asks for
_CONSTRUCTED = const(0x20)
_MORE_TAG = const(0x1F)
_MORE_BYTE = const(0x80)

# Format n, padded and cut on the left in a DOL (Book 3 Annex A). The terminal's: amounts, codes,
# date, time, type, counter; then the card's, should a DOL ask for them.
N_TAGS = (0x9F02, 0x9F03, 0x5F2A, 0x5F36, 0x9F1A, 0x9A, 0x9C, 0x9F21, 0x9F41, 0x9F35, 0x9F15,
          0x9F39, 0x9F01, 0x5F57, 0x9F3C, 0x9F3D,
          0x5F24, 0x5F25, 0x5F28, 0x5F30, 0x5F34, 0x9F11, 0x9F42, 0x9F44)
# Format cn, padded on the right with 0xFF: the PAN, track 2 discretionary data.
CN_TAGS = (0x5A, 0x9F20)


class TlvError(ValueError):
    """Chip card data or a DOL that is not well-formed BER-TLV."""


def _view(data):
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TlvError("TLV data must be bytes, not %s" % type(data).__name__)
    return memoryview(data)


def _tag(mv, pos, end):
    """(tag, position after it) of the tag at pos."""
    tag = mv[pos]
    pos += 1
    if tag & _MORE_TAG == _MORE_TAG:
        size = 1
        while True:
            if size == 3:
                raise TlvError("tag %X longer than 3 bytes" % tag)
            if pos >= end:
                raise TlvError("tag %X cut at byte %d" % (tag, pos))
            byte = mv[pos]
            tag = tag << 8 | byte
            pos += 1
            size += 1
            if not byte & _MORE_BYTE:
                break
    return tag, pos


def _object(mv, pos, end):
    """(tag, value start, value end) of the object at pos, inside mv[:end]."""
    tag, pos = _tag(mv, pos, end)
    if pos >= end:
        raise TlvError("tag %X has no length (byte %d)" % (tag, pos))
    size = mv[pos]
    pos += 1
    if size & 0x80:
        count = size & 0x7F
        if count == 0 or count > 3:
            raise TlvError("tag %X: length byte %02X (byte %d)" % (tag, size, pos - 1))
        if count > end - pos:
            raise TlvError("tag %X: length cut at byte %d" % (tag, pos))
        size = 0
        for i in range(pos, pos + count):
            size = size << 8 | mv[i]
        pos += count
    if size > end - pos:
        raise TlvError("tag %X: %d bytes of value at byte %d, %d left" % (tag, size, pos, end - pos))
    return tag, pos, pos + size


def _skip_padding(mv, pos, end):
    while pos < end and (mv[pos] == 0 or mv[pos] == 0xFF):
        pos += 1
    return pos


def _constructed(tag):
    while tag > 0xFF:
        tag >>= 8
    return tag & _CONSTRUCTED


def walk(data):
    """(tag, memoryview of the value) of each object at the top level of data."""
    mv = _view(data)
    end = len(mv)
    pos = _skip_padding(mv, 0, end)
    while pos < end:
        tag, start, pos = _object(mv, pos, end)
        yield tag, mv[start:pos]
        pos = _skip_padding(mv, pos, end)


def items(data):
    """[(tag, value bytes)] of the top level of data, all of it checked first."""
    return [(tag, bytes(value)) for tag, value in walk(data)]


def _flatten(mv, pos, end, into, depth):
    pos = _skip_padding(mv, pos, end)
    while pos < end:
        tag, start, pos = _object(mv, pos, end)
        if _constructed(tag):
            if depth == MAX_DEPTH:
                raise TlvError("templates nested deeper than %d at tag %X" % (MAX_DEPTH, tag))
            _flatten(mv, start, pos, into, depth + 1)
        elif tag not in into:
            into[tag] = bytes(mv[start:pos])
        pos = _skip_padding(mv, pos, end)


def flatten(data, into=None):
    """{tag: value bytes} of every primitive object in data, templates opened; the first value of
    a tag is kept, also against what into holds already. On TlvError into may be partly filled."""
    if into is None:
        into = {}
    mv = _view(data)
    _flatten(mv, 0, len(mv), into, 0)
    return into


def _find(mv, pos, end, wanted, depth):
    pos = _skip_padding(mv, pos, end)
    while pos < end:
        tag, start, pos = _object(mv, pos, end)
        if tag == wanted:
            return start, pos
        if _constructed(tag):
            if depth == MAX_DEPTH:
                raise TlvError("templates nested deeper than %d at tag %X" % (MAX_DEPTH, tag))
            found = _find(mv, start, pos, wanted, depth + 1)
            if found is not None:
                return found
        pos = _skip_padding(mv, pos, end)
    return None


def find(data, tag):
    """Value bytes of the first object tagged tag, depth first in the order of data; None if none."""
    mv = _view(data)
    found = _find(mv, 0, len(mv), tag, 0)
    return None if found is None else bytes(mv[found[0]:found[1]])


def tag_bytes(tag):
    """The 1 to 3 bytes of tag; TlvError for an int that no tag encodes to."""
    if type(tag) is not int or not 0 < tag <= 0xFFFFFF:
        raise TlvError("tag %r is not 1 to 3 bytes" % (tag,))
    size = 1 if tag <= 0xFF else 2 if tag <= 0xFFFF else 3
    raw = bytes((tag >> (8 * (size - 1 - i))) & 0xFF for i in range(size))
    first = raw[0]
    ok = first != 0xFF and (first & _MORE_TAG == _MORE_TAG) == (size > 1)
    for i in range(1, size):
        ok = ok and bool(raw[i] & _MORE_BYTE) == (i < size - 1)
    if not ok:
        raise TlvError("%X is not a BER tag" % tag)
    return raw


def _length_bytes(size):
    if size < 0x80:
        return bytes((size,))
    if size <= 0xFF:
        return bytes((0x81, size))
    if size <= 0xFFFF:
        return bytes((0x82, size >> 8, size & 0xFF))
    if size <= 0xFFFFFF:
        return bytes((0x83, size >> 16, (size >> 8) & 0xFF, size & 0xFF))
    raise TlvError("value of %d bytes: at most 0xFFFFFF" % size)


def head(tag, size):
    """The tag and length bytes of an object of tag whose value is size bytes."""
    return tag_bytes(tag) + _length_bytes(size)


def encode(tag, value):
    """Bytes of the object tag = value (bytes; a template's value is its objects encoded)."""
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TlvError("value of tag %X must be bytes" % tag)
    head = tag_bytes(tag) + _length_bytes(len(value))
    out = bytearray(len(head) + len(value))
    out[:len(head)] = head
    out[len(head):] = value
    return bytes(out)


def parse_dol(dol):
    """[(tag, length)] of a data object list: each entry a tag and a one-byte length."""
    mv = _view(dol)
    end = len(mv)
    entries = []
    pos = 0
    while pos < end:
        if mv[pos] == 0 or mv[pos] == 0xFF:
            raise TlvError("DOL: byte %02X at %d is no tag" % (mv[pos], pos))
        tag, pos = _tag(mv, pos, end)
        if pos >= end:
            raise TlvError("DOL: tag %X has no length" % tag)
        entries.append((tag, mv[pos]))
        pos += 1
    return entries


def build_dol(dol, values):
    """The concatenated data a DOL asks for. A tag absent from values, or a template, gives zeros;
    a value of another length is fitted: format n (N_TAGS) padded with zeros or cut on the
    left, cn (CN_TAGS) padded with 0xFF on the right, others zeros or cut on the right."""
    entries = parse_dol(dol)
    total = 0
    for _, size in entries:
        total += size
    if total > MAX_DOL_DATA:
        raise TlvError("DOL asks for %d bytes, at most %d" % (total, MAX_DOL_DATA))
    out = bytearray(total)
    pos = 0
    for tag, size in entries:
        value = values.get(tag)
        if value is not None and not _constructed(tag):
            if not isinstance(value, (bytes, bytearray, memoryview)):
                raise TlvError("value of tag %X must be bytes" % tag)
            _fit(out, pos, size, memoryview(value), tag)
        pos += size
    return bytes(out)


def _fit(out, pos, size, value, tag):
    n = len(value)
    if tag in N_TAGS:
        if n >= size:
            out[pos:pos + size] = value[n - size:]
        else:
            out[pos + size - n:pos + size] = value
        return
    if n >= size:
        out[pos:pos + size] = value[:size]
        return
    out[pos:pos + n] = value
    if tag in CN_TAGS:
        for i in range(pos + n, pos + size):
            out[i] = 0xFF
