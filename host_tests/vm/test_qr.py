# The QR encoder (pos/qr.py): the standard's fixed parts where the standard puts them, the
# capacities, the errors, and the LCD's and the printer's renderings. VM-neutral; the decoding by
# an independent reader is host_tests/test_qr_peers.py.
import gc

from pos import qr
from pos.escpos import IMAGE, EscPosError, raster_image
from pos.qr import (MAX_VERSION, QUIET, QrError, capacity, draw, encode, fit, format_bits, raster_height,
                    raster_rows, version_bits)
from pos.qr import image as qr_image
from vmutil import raises

CAPACITY = (14, 26, 42, 62, 84, 106, 122, 152, 180, 213)  # ISO/IEC 18004 Table 7, byte mode, level M


def bits_of(text):
    n = 0
    for c in text:
        n = n << 1 | (c == "1")
    return n


def payload(n, seed=7):
    out = bytearray(n)
    for i in range(n):
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        out[i] = seed >> 16 & 255
    return bytes(out)


# The fixed bits

def test_format_information_of_level_m_is_the_standards_table():
    table = ("101010000010010", "101000100100101", "101111001111100", "101101101001011",
             "100010111111001", "100000011001110", "100111110010111", "100101010100000")
    for mask in range(8):
        assert format_bits(mask) == bits_of(table[mask]), mask


def test_version_information_of_versions_7_to_10_is_the_standards_table():
    table = {7: "000111110010010100", 8: "001000010110111100", 9: "001001101010011001", 10: "001010010011010011"}
    for version in table:
        assert version_bits(version) == bits_of(table[version]), version


def read_format(q):
    """Both copies of the format information, read back from the symbol."""
    size = q.size
    first = second = 0
    for i in range(15):
        if i < 6:
            at = (8, i)
        elif i < 8:
            at = (8, i + 1)
        elif i == 8:
            at = (7, 8)
        else:
            at = (14 - i, 8)
        first |= q.module(*at) << i
        second |= q.module(*((size - 1 - i, 8) if i < 8 else (8, size - 15 + i))) << i
    return first, second


def test_both_copies_of_the_format_information_name_level_m_and_the_mask():
    for n in (1, 20, 50, 100, 200):
        q = encode(payload(n))
        assert read_format(q) == (format_bits(q.mask), format_bits(q.mask)), n
        assert 0 <= q.mask < 8


def test_both_copies_of_the_version_information_are_there_from_version_7():
    for version in range(7, 11):
        q = encode(payload(capacity(version)))
        size = q.size
        top = left = 0
        for i in range(18):
            top |= q.module(size - 11 + i % 3, i // 3) << i
            left |= q.module(i // 3, size - 11 + i % 3) << i
        assert top == left == version_bits(version), version


def finder_at(q, x0, y0):
    for dy in range(-1, 8):
        for dx in range(-1, 8):
            x, y = x0 + dx, y0 + dy
            if 0 <= x < q.size and 0 <= y < q.size:
                d = max(abs(dx - 3), abs(dy - 3))
                if q.module(x, y) != (d in (0, 1, 3)):
                    return False
    return True


def test_three_finder_patterns_with_separators_and_none_at_the_bottom_right():
    for n in (1, 30, 100, 213):
        q = encode(payload(n))
        last = q.size - 7
        assert finder_at(q, 0, 0) and finder_at(q, last, 0) and finder_at(q, 0, last), n
        assert not finder_at(q, last, last)


def test_timing_patterns_alternate_between_the_finders_starting_dark():
    for n in (1, 100, 213):
        q = encode(payload(n))
        for i in range(8, q.size - 8):
            assert q.module(i, 6) == (i % 2 == 0) and q.module(6, i) == (i % 2 == 0), (n, i)


def test_the_dark_module_beside_the_lower_format_copy():
    for n in (1, 42, 213):
        q = encode(payload(n))
        assert q.module(8, q.size - 8)


def test_alignment_patterns_sit_on_the_annex_e_centres():
    centres = {2: (6, 18), 3: (6, 22), 6: (6, 34), 7: (6, 22, 38), 10: (6, 28, 50)}
    for version in centres:
        q = encode(payload(capacity(version)))
        pos = centres[version]
        for cy in pos:
            for cx in pos:
                if (cx, cy) in ((6, 6), (6, pos[-1]), (pos[-1], 6)):
                    continue
                for dy in range(-2, 3):
                    for dx in range(-2, 3):
                        assert q.module(cx + dx, cy + dy) == (max(abs(dx), abs(dy)) != 1), (version, cx, cy)


def test_size_grows_by_four_modules_a_version_and_bits_are_packed_a_row_each():
    for version in range(1, 11):
        q = encode(payload(capacity(version)))
        assert q.version == version and q.size == 17 + 4 * version
        assert q.stride == (q.size + 7) // 8 and len(q.bits) == q.stride * q.size
        for y in range(q.size):  # the padding bits after each row's last module are light
            pad = q.stride * 8 - q.size
            assert q.bits[y * q.stride + q.stride - 1] & ((1 << pad) - 1) == 0


def test_module_outside_the_symbol_is_the_light_quiet_zone():
    q = encode(b"x")
    assert q.module(0, 0) and not q.module(-1, 0) and not q.module(0, q.size) and not q.module(q.size, 3)


# Reed-Solomon

def test_gf256_tables_are_powers_of_two_modulo_0x11d_and_their_logs():
    x = 1
    for i in range(255):
        assert qr._EXP[i] == qr._EXP[i + 255] == x, i
        assert qr._LOG[x] == i
        x <<= 1
        if x & 0x100:
            x ^= 0x11D
    assert len(qr._EXP) == 510 and len(qr._LOG) == 256


def test_the_generator_of_10_ec_codewords_is_the_standards():
    assert list(qr._generator(10)) == [251, 67, 46, 61, 118, 70, 64, 94, 32, 45]


def test_ec_codewords_of_the_published_1_m_example():
    # "HELLO WORLD" at 1-M as thonky.com's QR tutorial works it through: its 16 data codewords
    # in, its 10 EC codewords out.
    data = bytes((32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17))
    rem = bytearray(10)
    qr._remainder(data, qr._generator(10), rem)
    assert list(rem) == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]


# Capacity and errors

def test_capacities_are_the_standards_byte_mode_level_m_column():
    assert tuple(capacity(v) for v in range(1, 11)) == CAPACITY
    assert MAX_VERSION == 10


def test_the_largest_payload_of_each_version_fits_it_and_one_byte_more_the_next():
    for version in range(1, 11):
        assert encode(payload(CAPACITY[version - 1])).version == version
        if version < 10:
            assert encode(payload(CAPACITY[version - 1] + 1)).version == version + 1


def test_more_than_213_bytes_is_refused_saying_the_capacity():
    try:
        encode(payload(214))
    except QrError as e:
        assert "213" in str(e) and "214" in str(e), str(e)
    else:
        raise AssertionError("214 bytes encoded")
    assert raises(QrError, encode, "码" * 72)  # 216 bytes of UTF-8
    assert encode("码" * 71).version == 10  # 213


def test_max_version_bounds_the_symbol():
    assert encode(payload(26), 2).version == 2
    try:
        encode(payload(27), 2)
    except QrError as e:
        assert "26" in str(e), str(e)
    else:
        raise AssertionError("27 bytes in version 2")


def test_empty_or_bad_input_is_a_qr_error_a_value_error():
    for bad in (b"", "", None, 12, [1, 2]):
        assert raises(QrError, encode, bad), bad
    for version in (0, 11, -1):
        assert raises(QrError, encode, b"x", version)
    assert raises(ValueError, encode, b"")


def test_str_is_encoded_as_its_utf8_bytes():
    text = "收款码 ¥12.34 https://qr.example.cn/pay?id=8801"
    a = encode(text)
    b = encode(text.encode())
    assert a.bits == b.bits and a.version == b.version and a.mask == b.mask
    assert encode(bytearray(b"abc")).bits == encode(b"abc").bits


def test_encoding_is_deterministic():
    data = payload(150)
    assert encode(data).bits == encode(data).bits


def test_different_data_gives_different_symbols():
    assert encode(b"payment 1").bits != encode(b"payment 2").bits


def test_the_qr_keeps_only_its_packed_bits():
    if not hasattr(gc, "mem_alloc"):
        return
    data = payload(213)
    gc.collect()
    before = gc.mem_alloc()
    q = encode(data)
    gc.collect()
    kept = gc.mem_alloc() - before
    assert kept < len(q.bits) + 200, kept  # 456 bytes of modules; the 3.2 KB grid is gone
    assert len(q.bits) == 456


# The LCD

def test_fit_is_the_largest_whole_scale_with_the_quiet_zone():
    q = encode(b"x")  # 21 modules, 29 with the quiet zone
    assert fit(q, 240, 320) == 8 and fit(q, 320, 240) == 8
    assert fit(q, 29, 29) == 1 and fit(q, 28, 100) == 0
    assert fit(q, 58, 58, quiet=0) == 2
    big = encode(payload(213))  # 57 modules, 65
    assert fit(big, 240, 320) == 3 and QUIET == 4


def test_draw_paints_the_quiet_zone_light_then_exactly_the_dark_modules_in_row_runs():
    for n, scale in ((1, 1), (40, 3), (213, 2)):
        q = encode(payload(n))
        size = q.size
        calls = []
        draw(q, lambda x, y, w, h, c: calls.append((x, y, w, h, c)), 10, 20, scale, dark=1, light=2)
        side = (size + 8) * scale
        assert calls[0] == (10, 20, side, side, 2)
        origin_x = 10 + 4 * scale
        origin_y = 20 + 4 * scale
        painted = bytearray(size * size)  # a module once per run, runs apart: 1; twice, or runs touching: more
        for x, y, w, h, c in calls[1:]:
            assert c == 1 and h == scale and w % scale == 0
            assert (x - origin_x) % scale == 0 and (y - origin_y) % scale == 0
            mx = (x - origin_x) // scale
            my = (y - origin_y) // scale
            for i in range(mx, mx + w // scale):
                painted[my * size + i] += 1
            if mx + w // scale < size:
                assert not q.module(mx + w // scale, my)  # each run as long as it goes
        for y in range(size):
            for x in range(size):
                assert painted[y * size + x] == q.module(x, y), (n, x, y)


def test_draw_refuses_a_scale_of_zero():
    assert raises(ValueError, draw, encode(b"x"), lambda *a: None, 0, 0, 0)


# The printer

def inked(row, x):
    return row[x >> 3] >> (7 - (x & 7)) & 1 == 1


def test_raster_rows_are_48_bytes_centred_a_module_scale_dots_square():
    q = encode(payload(100))  # version 6: 41 modules
    scale = 4
    rows = [bytes(r) for r in raster_rows(q, scale)]
    assert len(rows) == raster_height(q, scale) == (41 + 8) * 4
    assert all(len(r) == 48 for r in rows)
    left = (384 - 41 * 4) // 2
    top = 4 * 4
    assert rows[:top] == [bytes(48)] * top and rows[-top:] == [bytes(48)] * top
    for y in range(q.size):
        for dy in range(scale):
            row = rows[top + y * scale + dy]
            for x in range(q.size):
                for dx in range(scale):
                    assert inked(row, left + x * scale + dx) == q.module(x, y), (x, y)
            assert not any(inked(row, i) for i in range(left))
            assert not any(inked(row, i) for i in range(left + 41 * scale, 384))


def test_raster_rows_on_other_widths_and_scales():
    q = encode(b"hello")
    for width, scale in ((384, 1), (576, 7), (232, 8)):
        rows = [bytes(r) for r in raster_rows(q, scale, width)]
        assert len(rows) == 29 * scale and all(len(r) == width // 8 for r in rows)
        left = (width - 21 * scale) // 2
        assert inked(rows[4 * scale], left) and not inked(rows[4 * scale], left - 1)


def test_a_code_wider_than_the_paper_is_refused_before_any_row():
    q = encode(payload(213))  # 65 modules with the quiet zone: scale 5 is 325 dots, 6 is 390
    assert len(list(raster_rows(q, 5))) == 325
    assert raises(ValueError, raster_rows, q, 6)
    assert raises(ValueError, raster_rows, q, 0)
    assert raises(ValueError, raster_rows, q, 1, 380)


def test_raster_rows_are_one_buffer_not_an_image():
    if not hasattr(gc, "mem_alloc"):
        return
    q = encode(payload(213))
    gc.collect()
    before = gc.mem_alloc()
    peak = 0
    for i, row in enumerate(raster_rows(q, 5)):
        if i % 40 == 20:
            gc.collect()
            peak = max(peak, gc.mem_alloc() - before)
    assert peak < 400, peak  # a 48-byte row and the generator; 325 rows are 15,600 bytes


def test_a_slip_prints_the_code_as_image_lines_like_the_signature():
    q = encode(payload(60))  # version 4: 33 modules, 41 with the quiet zone
    image = qr_image(q)  # 4 dots a module
    assert image.height == 164 and image.lines() == 6
    chunk = bytearray(8 + 48 * 32)
    got = []
    for _ in range(image.lines()):
        n = raster_image(image, chunk)
        assert chunk[:4] == b"\x1dv0\x00" and chunk[4] == 48 and chunk[5] == 0
        height = chunk[6] | chunk[7] << 8
        assert n == 8 + 48 * height
        got += [bytes(chunk[8 + 48 * i:8 + 48 * (i + 1)]) for i in range(height)]
    assert raster_image(image, chunk) == 0
    assert got == [bytes(r) for r in raster_rows(q, 4)] and IMAGE == 16


def test_an_image_asked_for_rows_of_another_width_says_so():
    image = qr_image(encode(b"x"))
    assert raises(EscPosError, image.fill, bytearray(72 * 32), 72, 32)
