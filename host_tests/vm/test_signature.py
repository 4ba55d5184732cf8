# The signature model (pos/signature.py): the Pad, the format of docs/signature.md, the checks of
# a blob, the LCD's segments and the printer's rows. VM-neutral.
import gc

from pos.signature import (MAX_BYTES, MAX_POINTS, SAMPLE, Pad, SignatureError, check, decode, draw_line,
                           line_rects, raster_height, raster_rows, segments)
from vmutil import raises


def signed(strokes, width=320, height=240):
    pad = Pad(width, height)
    for stroke in strokes:
        for x, y in stroke:
            pad.add(x, y)
        pad.lift()
    return pad


def h(text):
    return bytes(int(x, 16) for x in text.split())


# The format

def test_a_small_signature_is_the_bytes_of_the_documented_table():
    data = signed((((10, 20), (13, 18), (40, 18)), ((300, 200),))).encode()
    assert data == h("53 47 01 01 40 00 F0 02 "     # SG, version 1, 320 x 240, 2 strokes
                     "00 03 00 A0 14 B6 00 02 80 12 " # 3 points from (10, 20): +3 -2, then (40, 18) escaped
                     "00 01 12 C0 C8")                 # 1 point: (300, 200)


def test_steps_of_seven_take_one_byte_and_of_eight_an_escape():
    seven = signed((((100, 100), (107, 93), (100, 100)),)).encode()
    eight = signed((((100, 100), (108, 100)),)).encode()
    assert seven[-2:] == h("F1 1F") and len(seven) == 8 + 5 + 2
    assert eight[-4:] == h("00 06 C0 64") and len(eight) == 8 + 5 + 4


def test_round_trip_keeps_every_stroke_and_point():
    strokes = [[(0, 0), (5, 5), (100, 3), (98, 1)], [(319, 239)], [(160, 120), (162, 124), (170, 124), (10, 230)]]
    data = signed(strokes).encode()
    assert decode(data) == strokes
    assert check(data) == (320, 240, 3, 9)


def test_the_pad_size_is_in_the_blob():
    data = signed((((1, 0), (3, 0)),), 4095, 1).encode()
    assert check(data)[:2] == (4095, 1) and decode(data) == [[(1, 0), (3, 0)]]


def test_a_pad_of_a_bad_size_is_refused():
    for w, hgt in ((0, 240), (320, 0), (4096, 10), (10, 4096)):
        assert raises(ValueError, Pad, w, hgt)


# The pad

def test_repeated_points_and_the_jitter_of_a_still_finger_are_dropped():
    pad = Pad(320, 240)
    kept = [pad.add(x, y) for x, y in ((50, 50), (50, 50), (51, 50), (50, 51), (49, 49), (51, 51), (50, 50),
                                        (52, 50), (52, 50), (53, 51))]
    assert kept == [True, False, False, False, False, False, False, True, False, False]
    assert pad.points == 2 and decode(pad.encode()) == [[(50, 50), (52, 50)]]


def test_min_step_one_keeps_every_move():
    pad = Pad(320, 240, min_step=1)
    assert [pad.add(x, 7) for x in (1, 1, 2, 3)] == [True, False, True, True]


def test_a_new_stroke_starts_after_a_lift_even_on_the_same_spot():
    pad = Pad(320, 240)
    pad.add(10, 10)
    pad.add(20, 10)
    pad.lift()
    assert pad.add(20, 10) and pad.strokes == 2


def test_leaving_the_pad_ends_the_stroke():
    pad = Pad(100, 100)
    assert pad.add(10, 10) and pad.add(90, 10)
    assert not pad.add(120, 10) and not pad.add(-1, 50)
    assert pad.add(90, 90)
    assert decode(pad.encode()) == [[(10, 10), (90, 10)], [(90, 90)]]


def test_last_segment_is_the_line_to_draw_for_the_point_kept():
    pad = Pad(320, 240)
    assert pad.last_segment() is None
    pad.add(10, 10)
    assert pad.last_segment() == (10, 10, 10, 10)
    pad.add(15, 12)
    assert pad.last_segment() == (10, 10, 15, 12)
    pad.add(15, 13)  # dropped: the segment stays
    assert pad.last_segment() == (10, 10, 15, 12)
    pad.lift()
    pad.add(200, 100)
    assert pad.last_segment() == (200, 100, 200, 100)


def test_clear_empties_the_pad_for_a_new_signature():
    pad = signed((((10, 10), (20, 20)),))
    assert not pad.empty()
    pad.clear()
    assert pad.empty() and pad.strokes == 0 and pad.last_segment() is None
    assert raises(SignatureError, pad.encode)
    pad.add(30, 40)
    assert decode(pad.encode()) == [[(30, 40)]]


def test_an_empty_pad_has_nothing_to_encode():
    assert raises(SignatureError, Pad(320, 240).encode)


def test_the_pad_stops_at_max_points():
    pad = Pad(320, 240)
    x, y, d = 0, 0, 2
    kept = 0
    for _ in range(MAX_POINTS + 200):
        x += d
        if not 0 <= x < 320:
            d = -d
            x += 2 * d
            y += 2
        kept += pad.add(x, y)
    assert kept == MAX_POINTS and pad.points == MAX_POINTS and pad.full
    data = pad.encode()
    assert len(data) <= MAX_BYTES and check(data)[3] == MAX_POINTS


def test_the_pad_stops_before_max_bytes():
    pad = Pad(320, 240)
    kept = 0
    for i in range(MAX_POINTS):
        kept += pad.add((i * 97) % 320, (i * 61) % 240)  # every step far: an escape each
    assert pad.full and kept < MAX_POINTS
    assert not pad.add(1, 1)
    data = pad.encode()
    assert MAX_BYTES - 5 < len(data) <= MAX_BYTES
    assert check(data)[2:] == (1, kept)


def test_the_pad_stops_at_255_strokes():
    pad = Pad(320, 240)
    for i in range(300):
        pad.add(i % 320, i % 240)
        pad.lift()
    assert pad.strokes == 255 and pad.full and check(pad.encode())[2] == 255


# Malformed blobs

GOOD = h("53 47 01 01 40 00 F0 02 00 03 00 A0 14 B6 00 02 80 12 00 01 12 C0 C8")


def refused(data):
    return raises(SignatureError, decode, data) and raises(SignatureError, check, data)


def test_the_good_blob_of_these_tests_decodes():
    assert decode(GOOD) == [[(10, 20), (13, 18), (40, 18)], [(300, 200)]]


def test_every_truncation_is_refused():
    for n in range(len(GOOD)):
        assert refused(GOOD[:n]), n
    for n in range(0, len(SAMPLE), 7):
        assert refused(SAMPLE[:n]), n


def test_bytes_after_the_last_stroke_are_refused():
    assert refused(GOOD + b"\x00")
    assert refused(GOOD + b"\x88")


def test_bad_magic_or_version_is_refused():
    assert refused(b"SX" + GOOD[2:])
    assert refused(GOOD[:2] + b"\x02" + GOOD[3:])
    assert refused(GOOD[:2] + b"\x00" + GOOD[3:])


def test_a_bad_pad_size_or_no_strokes_is_refused():
    assert refused(GOOD[:3] + h("00 00") + GOOD[5:])
    assert refused(GOOD[:5] + h("00 00") + GOOD[7:])
    assert refused(GOOD[:3] + h("10 00") + GOOD[5:])
    assert refused(GOOD[:7] + b"\x00")
    assert refused(GOOD[:7] + b"\x03" + GOOD[8:])  # a third stroke announced, none there


def test_bad_point_counts_are_refused():
    assert refused(GOOD[:8] + h("00 00") + GOOD[10:])
    assert refused(GOOD[:8] + h("00 04") + GOOD[10:])  # one point more than there are
    assert refused(GOOD[:8] + h("00 02") + GOOD[10:])  # one point fewer: a byte left over
    big = h("53 47 01 01 40 00 F0 01 03 E9 00 00 00") + b"\x99" * 1000
    assert refused(big)  # 1001 points


def test_points_outside_the_pad_are_refused():
    assert refused(GOOD[:10] + h("14 00 14") + GOOD[13:])  # first point x 320
    assert refused(GOOD[:10] + h("00 A0 F0") + GOOD[13:])  # first point y 240
    assert refused(GOOD[:14] + h("14 00 12") + GOOD[17:])  # escaped point x 320
    assert refused(h("53 47 01 01 40 00 F0 01 00 02 00 00 00 79"))  # a step to (-1, 1)
    assert refused(h("53 47 01 01 40 00 F0 01 00 02 13 F0 EF F8"))  # a step to (318 + 7, 239)


def test_step_bytes_with_a_nibble_of_zero_are_refused():
    for b in (0x08, 0x80, 0x0F, 0xF0, 0x01):
        assert refused(GOOD[:13] + bytes((b,)) + GOOD[14:]), b


def test_more_than_max_bytes_is_refused_whatever_it_holds():
    assert refused(GOOD + bytes(MAX_BYTES))


def test_not_a_byte_string_of_a_signature_at_all():
    for junk in (b"", b"SG", b"\xff" * 8, bytes(8), b"SG\x01\x00\x01\x00\x01\x01"):
        assert refused(junk), junk


# The LCD

def bresenham(x0, y0, x1, y1):
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err = dx + dy
    out = [(x0, y0)]
    while (x0, y0) != (x1, y1):
        e2 = 2 * err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy
        out.append((x0, y0))
    return out


def covered(rects):
    dots = set()
    for x, y, w, hgt in rects:
        for i in range(w):
            for j in range(hgt):
                dots.add((x + i, y + j))
    return dots


def test_line_rects_draw_the_line_as_runs_of_the_pen():
    for line in ((10, 10, 10, 10), (0, 0, 9, 0), (9, 0, 0, 0), (0, 0, 0, 9), (0, 9, 0, 0), (0, 0, 7, 3),
                 (7, 3, 0, 0), (0, 0, 3, 7), (5, 5, 0, 9), (0, 0, 6, 6), (2, 8, 9, 1)):
        rects = list(line_rects(*line, pen=1))
        dots = covered(rects)
        assert len(dots) == max(abs(line[2] - line[0]), abs(line[3] - line[1])) + 1, line
        assert (line[0], line[1]) in dots and (line[2], line[3]) in dots, line
        # Each dot is one cell from the last: a connected line.
        for x, y in dots:
            assert (x, y) in ((line[0], line[1]),) or any((x + i, y + j) in dots for i in (-1, 0, 1)
                                                          for j in (-1, 0, 1) if i or j), line
    assert list(line_rects(0, 0, 9, 0, pen=2)) == [(0, 0, 11, 2)]
    assert len(list(line_rects(0, 0, 9, 2, pen=2))) == 3


def test_draw_line_uses_fill_rect_only():
    calls = []
    draw_line(lambda x, y, w, hgt, c: calls.append((x, y, w, hgt, c)), 0, 0, 0, 5, 0x0000, pen=2)
    assert calls == [(0, 0, 2, 7, 0)]


def test_segments_are_the_strokes_lines_a_dot_at_each_start():
    data = signed((((10, 20), (13, 18), (40, 18)), ((300, 200),))).encode()
    assert list(segments(data)) == [(10, 20, 10, 20), (10, 20, 13, 18), (13, 18, 40, 18),
                                    (300, 200, 300, 200)]
    assert raises(SignatureError, list, segments(data[:-1]))


# The printer

class Ink:
    """The dots printed: (x, y) in ink, len() how many."""

    def __init__(self, rows):
        self.rows = rows

    def __contains__(self, dot):
        x, y = dot
        return 0 <= y < len(self.rows) and 0 <= x < 384 and self.rows[y][x >> 3] >> (7 - (x & 7)) & 1 == 1

    def __len__(self):
        n = 0
        for row in self.rows:
            for b in row:
                while b:
                    n += b & 1
                    b >>= 1
        return n


def ink(rows):
    for row in rows:
        assert len(row) == 48
    return Ink(rows)


def test_rows_are_48_bytes_and_as_many_as_raster_height_says():
    rows = [bytes(r) for r in raster_rows(SAMPLE)]
    assert len(rows) == raster_height(SAMPLE) <= 160
    assert all(len(r) == 48 for r in rows)


def test_a_line_across_the_pad_is_printed_across_the_paper_three_dots_thick():
    data = signed((((20, 100), (26, 100), (33, 100), (40, 100), (300, 100)),)).encode()
    rows = [bytes(r) for r in raster_rows(data)]
    assert len(rows) == 3  # no height: the pen alone
    assert rows[0] == rows[1] == rows[2] == b"\xff" * 48  # 280 px wide, scaled to 381 and the pen


def test_the_ink_lands_where_the_strokes_are():
    # An L: down the left, along the bottom; 100 x 100 pad pixels scaled 1.57 to fill 160 rows.
    data = signed((((0, 0), (0, 50), (0, 100), (50, 100), (100, 100)),), 101, 101).encode()
    rows = [bytes(r) for r in raster_rows(data, 384, 160)]
    assert len(rows) == 160
    dots = ink(rows)
    left = (384 - 157 - 3) // 2  # the image is centred across the paper
    for y in range(157):
        assert (left, y) in dots and (left + 2, y) in dots and (left + 3, y) not in dots
    for x in range(left + 3, left + 160):
        assert (x, 157) in dots and (x, 159) in dots and (x, 156) not in dots
    assert (left - 1, 50) not in dots and (left + 50, 50) not in dots
    assert len(dots) == 3 * 160 + 3 * 160 - 9


def test_every_point_of_the_sample_is_inked_and_little_else_is():
    rows = [bytes(r) for r in raster_rows(SAMPLE)]
    dots = ink(rows)
    strokes = decode(SAMPLE)
    xs = [x for s in strokes for x, _ in s]
    ys = [y for s in strokes for _, y in s]
    lo_x, lo_y, box_w, box_h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    num, den = 157, box_h  # the height binds: 160 rows less the pen
    left = (384 - (box_w * num + den // 2) // den - 3) // 2
    for s in strokes:
        for x, y in s:
            px = left + ((x - lo_x) * num + den // 2) // den
            py = ((y - lo_y) * num + den // 2) // den
            assert (px, py) in dots and (px + 2, py + 2) in dots, (x, y)
    assert len(dots) < len(rows) * 384 // 8  # a signature, not a blot


def test_a_single_dot_prints_as_the_pen():
    data = signed((((5, 5),),)).encode()
    rows = [bytes(r) for r in raster_rows(data)]
    dots = ink(rows)
    assert len(rows) == 3 and len(dots) == 9 and all((190 + i, j) in dots for i in range(3) for j in range(3))


def test_rows_of_a_malformed_blob_are_refused_before_any_row():
    assert raises(SignatureError, list, raster_rows(SAMPLE[:-1]))
    assert raises(SignatureError, raster_height, SAMPLE + b"\x00")


def test_raster_works_in_bands_not_a_whole_image():
    if not hasattr(gc, "mem_alloc"):
        return
    gc.collect()
    before = gc.mem_alloc()
    peak = 0
    for i, row in enumerate(raster_rows(SAMPLE)):
        if i % 16 == 8:
            gc.collect()
            peak = max(peak, gc.mem_alloc() - before)
    assert peak < 2048, peak  # the 768-byte band and the generator; 160 rows are 7,680 bytes


# The sample

def test_the_sample_is_a_signature_of_several_strokes_under_1_kb():
    width, height, strokes, points = check(SAMPLE)
    assert (width, height) == (320, 240) and strokes >= 3 and 150 <= points <= 400
    assert len(SAMPLE) <= 1024


def test_the_sample_drawn_on_a_pad_encodes_to_itself():
    assert signed(decode(SAMPLE)).encode() == SAMPLE
