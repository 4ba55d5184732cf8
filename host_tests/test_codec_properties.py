"""Any input either parses or raises the parser's own error (h11's fuzz rule).

Random and mutated bytes go to iso8583.decode / unframe and message.parse,
random text to parse_track2; valid messages generated from the profile
round-trip. Any exception other than CodecError / Track2Error fails.
"""
from binascii import hexlify

from hypothesis import HealthCheck, given, settings, strategies as st

from pos import cup, iso8583, message
from pos.iso8583 import CodecError
from pos.track2 import Track2Error, parse_track2

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TRACK2 = "6222021000000000017=30121010000000000"


def fake_mac(data):
    acc = bytearray(8)
    for i, c in enumerate(data):
        acc[i & 7] ^= c
    return hexlify(bytes(acc[:4])).upper()


def _sale_request_frame():
    values = {2: "6222021000000000017", 4: "000000012345", 11: "000123", 14: "3012", 22: "021",
              25: "00", 26: "12", 35: TRACK2, 41: "12345678", 42: "123456789012345",
              49: "156", 52: bytes(range(8)), 53: cup.SECURITY_CONTROL, "batch": "000001"}
    return message.build(cup, "sale", values, fake_mac)


def _sale_answer_frame():
    fields = {0: "0210", 2: "6222021000000000017", 3: "000000", 4: "000000012345", 11: "000123",
              12: "101530", 13: "0612", 15: "0612", 25: "00", 32: "99990000", 37: "101530000001",
              38: "654321", 39: "00", 41: "12345678", 42: "123456789012345",
              44: "01020000   99990000   ", 49: "156", 60: "22000001000", 63: "CUPICBC",
              62: bytes(40), 64: bytes(8)}
    body = bytearray(iso8583.encode(cup, fields))
    body[-8:] = fake_mac(iso8583.mac_data(body))
    return iso8583.frame(cup.TPDU_ANSWER, cup.HEADER, bytes(body))


SEEDS = (_sale_request_frame(), _sale_answer_frame())


@st.composite
def mutated(draw):
    """A valid frame with bytes flipped, inserted, deleted or cut off."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("flip", "set", "insert", "delete", "truncate")))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[i] = draw(st.integers(0, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and data:
            del data[i:i + draw(st.integers(1, 4))]
        elif op == "truncate":
            del data[i:]
    if draw(st.booleans()) and len(data) >= 2:  # keep the length prefix honest half the time
        n = len(data) - 2
        data[0], data[1] = (n >> 8) & 0xFF, n & 0xFF
    return bytes(data)


def _only_codec_errors(data):
    for fn in (lambda: message.parse(cup, data, fake_mac),
               lambda: message.parse(cup, data),
               lambda: iso8583.unframe(data),
               lambda: iso8583.decode(cup, data),
               lambda: iso8583.decode(cup, data[13:])):
        try:
            fn()
        except CodecError:
            pass


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_parse_or_raise_codec_error(data):
    _only_codec_errors(data)


@FUZZ
@given(mutated())
def test_mutated_sale_frames_parse_or_raise_codec_error(data):
    _only_codec_errors(data)


@FUZZ
@given(st.binary(min_size=8, max_size=8), st.binary(max_size=300))
def test_any_bitmap_over_any_bytes_decodes_or_raises_codec_error(bitmap, rest):
    try:
        iso8583.decode(cup, b"\x02\x10" + bitmap + rest)
    except CodecError:
        pass


def _value(kind, prefix, maxlen):
    if kind == "b":
        return st.binary(min_size=0 if prefix else maxlen, max_size=maxlen)
    alphabet = {"n": "0123456789", "z": "0123456789=",
                "an": "0123456789ABCXYZabcxyz ",
                "ans": "".join(chr(c) for c in range(0x20, 0x7F))}[kind]
    # fixed fields at full length: fixed text comes back space-padded otherwise
    return st.text(alphabet, min_size=0 if prefix else maxlen, max_size=maxlen)


FIELD_NUMBERS = [k for k in range(2, 65) if cup.FIELDS[k] is not None]


@st.composite
def messages(draw):
    msg = {0: draw(st.text("0123456789", min_size=4, max_size=4))}
    for k in draw(st.lists(st.sampled_from(FIELD_NUMBERS), unique=True)):
        msg[k] = draw(_value(*cup.FIELDS[k]))
    return msg


@FUZZ
@given(messages())
def test_any_valid_message_round_trips(msg):
    assert iso8583.decode(cup, iso8583.encode(cup, msg)) == msg


@FUZZ
@given(st.dictionaries(st.one_of(st.integers(-2, 70), st.text(max_size=2)),
                       st.one_of(st.text(max_size=40), st.binary(max_size=40), st.integers(), st.none()),
                       max_size=6))
def test_encode_of_anything_gives_bytes_or_codec_error(fields):
    msg = dict(fields)
    msg[0] = "0200"
    try:
        iso8583.encode(cup, msg)
    except CodecError:
        pass


@FUZZ
@given(st.one_of(
    st.text(max_size=45),
    st.text("0123456789=;?", max_size=45),
    st.sampled_from((TRACK2, ";" + TRACK2 + "?")).flatmap(
        lambda t: st.integers(0, len(t)).flatmap(
            lambda i: st.text(max_size=3).map(lambda s: t[:i] + s + t[i + len(s):]))),
))
def test_any_text_is_a_track_or_a_track2_error(text):
    try:
        pan, expiry, service = parse_track2(text)
    except Track2Error:
        return
    assert 13 <= len(pan) <= 19 and pan.isdigit()
    assert 1 <= int(expiry[2:]) <= 12 and len(service) == 3
