"""The chip card's BER-TLV (pos.emv.tlv) against random, mutated and generated data.

Any input either parses or raises TlvError (h11's fuzz rule); trees of objects
encoded with padding between them read back as built; long lengths up to
0xFFFF and beyond are read and written in the 81/82/83 forms, and a length
claiming more than the data is refused without allocating it; well-formed data
decodes as pyemv.tlv (a codec we did not write) decodes it; a DOL is filled as
EMV Book 3 section 5.4 says.
"""
import tracemalloc

from hypothesis import HealthCheck, assume, given, settings, strategies as st
from pyemv import tlv as pyemv_tlv

from pos.emv import tlv
from pos.emv.tlv import TlvError

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# First tag bytes: low 5 bits 11111 start a multi-byte tag (0xFF is padding, never a tag);
# bit 6 (0x20) marks a template.
_ONE = [b for b in range(1, 0xFF) if b & 0x1F != 0x1F]
_MULTI = [b for b in range(0x1F, 0xFF, 0x20)]


def _tags(constructed):
    firsts_one = [b for b in _ONE if bool(b & 0x20) == constructed]
    firsts_multi = [b for b in _MULTI if bool(b & 0x20) == constructed]
    return st.one_of(
        st.sampled_from(firsts_one),
        st.builds(lambda a, b: a << 8 | b, st.sampled_from(firsts_multi), st.integers(0, 0x7F)),
        st.builds(lambda a, b, c: a << 16 | b << 8 | c, st.sampled_from(firsts_multi),
                  st.integers(0x80, 0xFF), st.integers(0, 0x7F)))


PRIMITIVE_TAGS = _tags(False)
TEMPLATE_TAGS = _tags(True)
LEAF = st.tuples(st.just("p"), PRIMITIVE_TAGS, st.binary(max_size=40))
TREES = st.recursive(LEAF, lambda kids: st.tuples(st.just("c"), TEMPLATE_TAGS, st.lists(kids, max_size=4)),
                     max_leaves=12)
FORESTS = st.lists(TREES, max_size=5)
PADDING = st.binary(max_size=3).map(lambda raw: bytes(0xFF if b & 1 else 0 for b in raw))


def encode_forest(forest, pad=lambda: b""):
    out = bytearray(pad())
    for node in forest:
        kind, tag, body = node
        value = body if kind == "p" else encode_forest(body, pad)
        out += tlv.encode(tag, value) + pad()
    return bytes(out)


def depth(forest):
    """Templates nested in the deepest branch."""
    return max((1 + depth(node[2]) for node in forest if node[0] == "c"), default=0)


def model_flatten(forest, into):
    for kind, tag, body in forest:
        if kind == "c":
            model_flatten(body, into)
        else:
            into.setdefault(tag, body)
    return into


def model_find(forest, wanted):
    for kind, tag, body in forest:
        if tag == wanted:
            return body if kind == "p" else encode_forest(body)
        if kind == "c":
            found = model_find(body, wanted)
            if found is not None:
                return found
    return None


def canonical(value, tag):
    """A template's value with the padding taken out, at every level; other values as they are."""
    if value is None or not tlv.tag_bytes(tag)[0] & 0x20:
        return value if value is None else bytes(value)
    return b"".join(tlv.encode(t, canonical(v, t)) for t, v in tlv.walk(value))


def tags_of(forest):
    for kind, tag, body in forest:
        yield tag
        if kind == "c":
            yield from tags_of(body)


def parse_all(data):
    """Every reader of the module on data; TlvError is the only error allowed out."""
    for reader in (lambda d: list(tlv.walk(d)), tlv.items, tlv.flatten, lambda d: tlv.find(d, 0x9F26),
                   tlv.parse_dol, lambda d: tlv.build_dol(d, {0x9F02: b"\x01", 0x5A: b"\x62"})):
        try:
            result = reader(data)
        except TlvError:
            continue
        if isinstance(result, dict):
            assert all(type(k) is int and 0 < k <= 0xFFFFFF and type(v) is bytes for k, v in result.items())
            assert sum(len(v) for v in result.values()) <= len(data)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_parse_or_raise_tlv_error(data):
    parse_all(data)


@st.composite
def mutated(draw):
    """An encoded forest with bytes flipped, set, inserted, deleted or cut off."""
    data = bytearray(encode_forest(draw(FORESTS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate")))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[i] = draw(st.sampled_from((0x00, 0x1F, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x84, 0xFF)))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[i]
        elif op == "truncate":
            del data[i:]
    return bytes(data)


@FAST
@given(mutated())
def test_mutated_encodings_parse_or_raise_tlv_error(data):
    parse_all(data)


@FAST
@given(FORESTS, st.data())
def test_encoded_trees_with_padding_read_back_as_built(forest, data):
    encoded = encode_forest(forest, lambda: data.draw(PADDING))
    assert [tag for tag, _ in tlv.items(encoded)] == [node[1] for node in forest]
    for node, (tag, value) in zip(forest, tlv.walk(encoded)):
        expected = node[2] if node[0] == "p" else encode_forest(node[2])
        assert canonical(value, tag) == expected
    wanted = data.draw(st.sampled_from(list(tags_of(forest)) or [0x9F26]))
    if depth(forest) > tlv.MAX_DEPTH:
        try:
            tlv.flatten(encoded)
            raise AssertionError("nested %d deep, read" % depth(forest))
        except TlvError:
            return
    bare = encode_forest(forest)
    assert tlv.flatten(encoded) == model_flatten(forest, {}) == tlv.flatten(bare)
    found = tlv.find(encoded, wanted)
    assert canonical(found, wanted) == model_find(forest, wanted)


def test_trees_nested_past_the_limit_are_refused():
    forest = [("p", 0x5A, b"\x01")]
    for level in range(tlv.MAX_DEPTH + 1):
        assert tlv.flatten(encode_forest(forest)) == {0x5A: b"\x01"}, level
        forest = [("c", 0x70, forest)]
    try:
        tlv.flatten(encode_forest(forest))
        raise AssertionError("read")
    except TlvError:
        pass


def reference_header(tag, size):
    tag_raw = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    if size < 0x80:
        return tag_raw + bytes((size,))
    count = (size.bit_length() + 7) // 8
    return tag_raw + bytes((0x80 | count,)) + size.to_bytes(count, "big")


def test_long_values_use_the_shortest_length_form_and_read_back():
    for size, head in ((0x7F, b"\x7f"), (0x80, b"\x81\x80"), (0xFF, b"\x81\xff"), (0x100, b"\x82\x01\x00"),
                       (0xFFFF, b"\x82\xff\xff"), (0x10000, b"\x83\x01\x00\x00")):
        value = bytes((i * 7) & 0xFF for i in range(size))
        data = tlv.encode(0x9F10, value)
        assert data[:2 + len(head)] == b"\x9f\x10" + head == reference_header(0x9F10, size)
        assert tlv.items(data) == [(0x9F10, value)]
        assert tlv.flatten(tlv.encode(0x70, data)) == {0x9F10: value}
        assert pyemv_tlv.decode(data) == {"9F10": value}


@FAST
@given(st.sampled_from((1, 2, 3)), st.integers(0, 0xFFFFFF), st.binary(max_size=64))
def test_a_length_claiming_more_than_the_data_is_refused(count, claimed, rest):
    claimed &= (1 << (8 * count)) - 1
    assume(claimed > len(rest))
    data = b"\x90" + bytes((0x80 | count,)) + claimed.to_bytes(count, "big") + rest
    for reader in (tlv.items, tlv.flatten, lambda d: tlv.find(d, 0x5A)):
        try:
            reader(data)
            raise AssertionError("read")
        except TlvError:
            pass
    try:
        tlv.flatten(b"\x70" + bytes((len(data),)) + data)
        raise AssertionError("read")
    except TlvError:
        pass


def test_huge_claimed_lengths_allocate_nothing_of_their_size():
    for head in (b"\x82\xff\xff", b"\x83\xff\xff\xff", b"\x83\x7f\xff\xff"):
        data = b"\x70\x83\xff\xff\xff\x90" + head + bytes(32)
        tracemalloc.start()
        try:
            for reader in (tlv.items, tlv.flatten, lambda d: tlv.find(d, 0x5A), lambda d: list(tlv.walk(d))):
                try:
                    reader(data)
                    raise AssertionError("read")
                except TlvError:
                    pass
                try:
                    reader(data[5:])
                    raise AssertionError("read")
                except TlvError:
                    pass
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 16 * 1024, peak


def test_walk_hands_out_views_of_the_data_not_copies():
    data = bytearray(tlv.encode(0x70, tlv.encode(0x5A, b"\x62\x22")) + tlv.encode(0x9F36, b"\x00\x01"))
    values = [value for _, value in tlv.walk(data)]
    assert all(isinstance(v, memoryview) and v.obj is data for v in values)
    data[-1] = 0x02
    assert bytes(values[1]) == b"\x00\x02"


def to_pyemv(forest):
    """The dict pyemv.tlv.decode gives for a forest (tags as upper-case hex)."""
    return {tlv.tag_bytes(tag).hex().upper(): body if kind == "p" else to_pyemv(body)
            for kind, tag, body in forest}


def unique_per_level(forest):
    tags = [node[1] for node in forest]
    return len(tags) == len(set(tags)) and all(unique_per_level(node[2]) for node in forest if node[0] == "c")


def primitive_tags(forest):
    for kind, tag, body in forest:
        if kind == "p":
            yield tag
        else:
            yield from primitive_tags(body)


@FAST
@given(FORESTS)
def test_well_formed_data_decodes_as_pyemv_decodes_it(forest):
    assume(depth(forest) <= tlv.MAX_DEPTH)
    data = encode_forest(forest)
    prims = list(primitive_tags(forest))
    if len(prims) == len(set(prims)):
        flat = pyemv_tlv.decode(data, flatten=True)
        assert {int(tag, 16): value for tag, value in flat.items()} == tlv.flatten(data)
    if unique_per_level(forest):
        assert pyemv_tlv.decode(data) == to_pyemv(forest)
        for tag, value in tlv.items(data):
            name = tlv.tag_bytes(tag).hex().upper()
            theirs = pyemv_tlv.decode(data)[name]
            if isinstance(theirs, bytes):
                assert theirs == value
            else:
                assert pyemv_tlv.decode(value) == theirs


@FAST
@given(FORESTS.filter(lambda f: f))
def test_what_pyemv_encodes_we_read(forest):
    assume(unique_per_level(forest) and depth(forest) <= tlv.MAX_DEPTH)
    theirs = pyemv_tlv.encode(to_pyemv(forest))
    assert tlv.flatten(theirs) == model_flatten(forest, {})


# DOLs: entries of (tag, length); values fitted as Book 3 section 5.4 says.
DOL_TAGS = st.one_of(PRIMITIVE_TAGS, TEMPLATE_TAGS, st.sampled_from(tlv.N_TAGS + tlv.CN_TAGS))
DOLS = st.lists(st.tuples(DOL_TAGS, st.integers(0, 12)), max_size=12)


def model_fit(tag, size, value):
    first = tag
    while first > 0xFF:
        first >>= 8
    if value is None or first & 0x20 or size == 0:
        return bytes(size)
    if tag in tlv.N_TAGS:
        return (bytes(size) + value)[-size:]
    if tag in tlv.CN_TAGS:
        return (value + b"\xff" * size)[:size]
    return (value + bytes(size))[:size]


@FAST
@given(DOLS, st.data())
def test_a_dol_reads_back_and_is_filled_per_section_5_4(entries, data):
    dol = b"".join(tlv.tag_bytes(tag) + bytes((size,)) for tag, size in entries)
    assert tlv.parse_dol(dol) == entries
    values = {tag: data.draw(st.binary(max_size=14)) for tag, _ in entries if data.draw(st.booleans())}
    built = tlv.build_dol(dol, values)
    assert built == b"".join(model_fit(tag, size, values.get(tag)) for tag, size in entries)
    assert len(built) == sum(size for _, size in entries)


@FAST
@given(st.lists(st.tuples(PRIMITIVE_TAGS, st.integers(0, 255)), min_size=1, max_size=8))
def test_a_dol_asking_for_more_than_255_bytes_is_refused(entries):
    dol = b"".join(tlv.tag_bytes(tag) + bytes((size,)) for tag, size in entries)
    total = sum(size for _, size in entries)
    try:
        assert len(tlv.build_dol(dol, {})) == total <= tlv.MAX_DOL_DATA
    except TlvError:
        assert total > tlv.MAX_DOL_DATA
