"""The terminal's signature (firmware/pos/signature.py) against the acquirer's own reader
(tools/acquirer/signature.py), written apart from it from docs/signature.md: what the one
encodes the other reads exactly, both refuse the same malformed blobs with their own error and
nothing else, and the acquirer's PNG shows the ink where the strokes are."""
import io
import os
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "firmware"))

from pos import signature as terminal  # noqa: E402
from tools.acquirer import signature as acquirer  # noqa: E402

sizes = st.tuples(st.integers(1, 4095), st.integers(1, 4095))


@st.composite
def finger(draw):
    """A pad and what a finger does on it: strokes of samples, wandering by small and large steps,
    sometimes off the pad."""
    width, height = draw(st.one_of(st.just((320, 240)), sizes))
    strokes = []
    for _ in range(draw(st.integers(1, 6))):
        x, y = draw(st.integers(0, width - 1)), draw(st.integers(0, height - 1))
        stroke = [(x, y)]
        for _ in range(draw(st.integers(0, 60))):
            far = draw(st.integers(0, 9)) == 0
            reach = 300 if far else 8
            x += draw(st.integers(-reach, reach))
            y += draw(st.integers(-reach, reach))
            stroke.append((x, y))
        strokes.append(stroke)
    return width, height, strokes


def pad_of(width, height, strokes):
    pad = terminal.Pad(width, height)
    for stroke in strokes:
        for x, y in stroke:
            pad.add(x, y)
        pad.lift()
    return pad


def read_both(data):
    """(the terminal's reading, the acquirer's), each (width, height, strokes) or the error type."""
    out = []
    for read in (lambda d: terminal.check(d)[:2] + (terminal.decode(d),), acquirer.decode):
        try:
            out.append(tuple(read(data)))
        except (terminal.SignatureError, acquirer.SignatureError) as e:
            out.append(type(e).__name__)
    return out


@settings(max_examples=300, deadline=None)
@given(finger())
def test_the_acquirer_reads_exactly_what_the_terminal_encodes(drawn):
    width, height, strokes = drawn
    pad = pad_of(width, height, strokes)
    if pad.empty():
        return
    data = pad.encode()
    assert len(data) <= acquirer.MAX_BYTES
    w, h, got = acquirer.decode(data)
    assert (w, h) == (width, height)
    assert got == [list(s) for s in terminal.decode(data)]
    assert sum(len(s) for s in got) == pad.points and len(got) == pad.strokes
    # What the pad kept is what was drawn, less what it drops: each point kept was drawn.
    drawn_points = set(p for s in strokes for p in s)
    assert all(p in drawn_points for s in got for p in s)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4094), st.integers(0, 4094)), min_size=1, max_size=2000))
def test_a_pad_never_encodes_more_than_the_acquirer_takes(points):
    pad = pad_of(4095, 4095, [points])
    data = pad.encode()
    assert len(data) <= acquirer.MAX_BYTES and pad.points <= terminal.MAX_POINTS
    assert acquirer.decode(data)[2] == terminal.decode(data)


def valid_blob():
    return finger().map(lambda d: pad_of(*d)).filter(lambda p: not p.empty()).map(lambda p: p.encode())


@st.composite
def mutated(draw):
    data = bytearray(draw(st.one_of(valid_blob(), st.just(terminal.SAMPLE))))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("flip", "set", "cut", "insert", "delete")))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "delete" and data:
            del data[at]
    return bytes(data)


@settings(max_examples=1500, deadline=None)
@given(mutated())
def test_mutated_blobs_are_read_alike_or_refused_alike_by_both(data):
    mine, theirs = read_both(data)
    if isinstance(mine, str) or isinstance(theirs, str):
        assert (mine, theirs) == ("SignatureError", "SignatureError")
    else:
        assert mine[:2] == theirs[:2] and mine[2] == theirs[2]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64).map(lambda tail: b"SG\x01" + tail))
def test_random_bytes_after_the_magic_never_crash_either_reader(data):
    mine, theirs = read_both(data)
    assert (mine == "SignatureError") == (theirs == "SignatureError")


def test_every_truncation_of_the_sample_is_refused_by_both():
    for n in range(len(terminal.SAMPLE)):
        assert read_both(terminal.SAMPLE[:n]) == ["SignatureError", "SignatureError"], n


def test_oversized_blobs_are_refused_before_reading():
    assert read_both(terminal.SAMPLE + bytes(4000)) == ["SignatureError", "SignatureError"]


@settings(max_examples=100, deadline=None)
@given(mutated())
def test_the_terminals_raster_and_segments_refuse_what_decode_refuses(data):
    try:
        terminal.decode(data)
        ok = True
    except terminal.SignatureError:
        ok = False
    for use in (lambda d: list(terminal.raster_rows(d)), lambda d: list(terminal.segments(d))):
        try:
            use(data)
            assert ok
        except terminal.SignatureError:
            assert not ok


def ink_of(png_bytes):
    image = Image.open(io.BytesIO(png_bytes))
    image.load()
    return image


def test_png_is_a_valid_png_of_the_pad_with_ink_on_the_strokes():
    image = ink_of(acquirer.png(terminal.SAMPLE))
    assert image.format == "PNG" and image.size == (320, 240) and image.mode == "L"
    pixels = image.load()
    for stroke in terminal.decode(terminal.SAMPLE):
        for x, y in stroke:
            assert pixels[x, y] == 0, (x, y)
    dark = sum(1 for v in image.get_flattened_data() if v == 0)
    assert 1000 < dark < 320 * 240 // 10  # lines, not a blot
    assert pixels[0, 0] == pixels[319, 0] == pixels[160, 5] == 255


def test_png_scales_and_keeps_within_max_width():
    assert ink_of(acquirer.png(terminal.SAMPLE, scale=2)).size == (640, 480)
    assert ink_of(acquirer.png(terminal.SAMPLE, scale=3, max_width=400)).size == (400, 300)
    image = ink_of(acquirer.png(terminal.SAMPLE, scale=2))
    pixels = image.load()
    x, y = terminal.decode(terminal.SAMPLE)[0][0]
    assert pixels[2 * x + 1, 2 * y + 1] == 0


@settings(max_examples=50, deadline=None)
@given(valid_blob())
def test_png_of_any_signature_opens_with_pillow(data):
    width, height, strokes = acquirer.decode(data)
    image = ink_of(acquirer.png(data, max_width=400))
    scale = min(1.0, 400 / width)
    assert image.size == (max(1, round(width * scale)), max(1, round(height * scale)))
    assert image.getextrema()[0] == 0  # some ink


def test_png_of_a_malformed_blob_is_a_signature_error():
    try:
        acquirer.png(terminal.SAMPLE[:-1])
    except acquirer.SignatureError:
        return
    raise AssertionError("no SignatureError")
