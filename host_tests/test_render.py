"""The simulator's pictures (tools/sim/render.py) and the font generator."""
import os
import struct
import zlib

import pytest
from hypothesis import given, settings, strategies as st

from pos import escpos, receipt
from pos.font import Font
from tools import fontgen
from tools.sim import render
from tools.sim.render import EscPosDataError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONT_PATH = os.path.join(ROOT, "firmware", "assets", "font16.bin")
UNIFONT = "/usr/share/unifont/unifont.hex"

TXN = {"type_name": "消费 SALE", "pan_masked": "622202*********0017", "entry": "S",
       "expiry": "2812", "issuer": "工商银行", "acquirer": "银联商务", "batch": "000001",
       "trace": "000123", "auth": "654321", "ref": "141509123456",
       "datetime": "2026/11/23 14:05:09", "amount_fen": 12345, "operator": "01",
       "remark": "龘靐"}
TERMINAL = {"merchant_name": "测试商户便利店", "merchant_id": "898310058120001",
            "terminal_id": "10000001"}


@pytest.fixture(scope="module")
def font():
    f = Font(FONT_PATH)
    yield f
    f.close()


def decode_png(data):
    """(width, height, bit depth, rows) of a greyscale PNG, by hand."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack_from(">I", data, pos + 8 + length)[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert colour == 0 and interlace == 0
    raw = zlib.decompress(idat)
    stride = (width * depth + 7) // 8
    assert len(raw) == height * (stride + 1)
    rows = [raw[r * (stride + 1):(r + 1) * (stride + 1)] for r in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, depth, [row[1:] for row in rows]


def slip_bytes(font, copy=0):
    return b"".join(bytes(c) for c in escpos.render_slip(receipt.slip_lines(TXN, TERMINAL, copy), font))


def test_a_slip_renders_to_a_384_dot_wide_png(font, tmp_path):
    path = tmp_path / "slip.png"
    render.escpos_to_png(slip_bytes(font), str(path), font)
    width, height, depth, rows = decode_png(path.read_bytes())
    assert (width, depth) == (384, 1)
    assert height > 40 * 16
    inked = sum(1 for row in rows if row != b"\xff" * 48)
    assert inked > 30 * 12  # some 12 inked rows for each of 30-odd text lines


def test_the_png_shows_exactly_the_raster_the_firmware_sent(font, tmp_path):
    text = "凭证号 VOUCHER NO.: 000123"
    data = b"".join(bytes(c) for c in escpos.render_slip([(text, 0)], font))
    line = bytearray(48 * 16)
    font.render_line(text, line, 384)
    rows = render.escpos_to_rows(data, font)
    assert [bytes(r) for r in rows[:16]] == [bytes(line[r * 48:(r + 1) * 48]) for r in range(16)]
    path = tmp_path / "line.png"
    render.escpos_to_png(data, str(path), font)
    _, _, _, png_rows = decode_png(path.read_bytes())
    assert png_rows[:16] == [bytes(b ^ 0xFF for b in line[r * 48:(r + 1) * 48]) for r in range(16)]


def test_feeds_and_the_cut_lengthen_the_paper(font):
    rows = render.escpos_to_rows(b"\x1b@\x1bJ\x10\x1bd\x02" + escpos.cut(), font)
    assert len(rows) == 16 + 2 * render.DEFAULT_LINE_SPACING + 9
    assert b"\xf0" * 48 in [bytes(r) for r in rows]


def test_plain_ascii_text_prints_with_the_font(font):
    rows = render.escpos_to_rows(b"\x1b@\x1ba\x01RMB 1.00\n", font)
    assert len(rows) == render.DEFAULT_LINE_SPACING
    assert any(any(r) for r in rows[:16])
    line = bytearray(48 * 16)
    x = (384 - font.text_width_px("RMB 1.00")) // 2
    font.render_line("RMB 1.00", line, 384, x)
    assert bytes(rows[0]) + bytes(rows[5]) == bytes(line[:48]) + bytes(line[5 * 48:6 * 48])


def test_an_unknown_command_is_skipped(font):
    raster = escpos.raster_header(1, 2) + b"\x80\x01"
    rows = render.escpos_to_rows(b"\x1b@\x1bZ" + b"\x1d\xee" + b"\x1b!\x08" + raster, font)
    assert [bytes(r[:1]) for r in rows] == [b"\x80", b"\x01"]


def test_the_printer_drivers_heating_and_status_queries_draw_nothing(font):
    slip = slip_bytes(font)
    driven = b"\x10\x04\x04\x10\x04\x03" + b"\x1b7\x07\x50\x02" + slip + b"\x10\x04\x04\x10\x04\x03"
    assert render.escpos_to_rows(driven, font) == render.escpos_to_rows(slip, font)


def test_a_slip_cut_short_keeps_its_whole_lines():
    lines = [("凭证号 %d" % i, 0) for i in range(3)] + [("", 0)]
    f = Font(FONT_PATH)
    try:
        chunks = [bytes(c) for c in escpos.render_slip(lines, f)]
    finally:
        f.close()
    data = escpos.init() + b"".join(chunks)
    assert render.whole_lines(data) == (data[:-len(escpos.cut())], 4 + 1)   # the feed to the cutter counts
    two = escpos.init() + chunks[0] + chunks[1]
    assert render.whole_lines(two + chunks[2][:100]) == (two, 2)
    assert render.whole_lines(escpos.init() + chunks[0][:-1]) == (b"", 0)


def test_a_raster_wider_than_the_paper_is_cropped(font):
    bits = bytes(range(60)) * 2
    rows = render.escpos_to_rows(escpos.raster_header(60, 2) + bits, font)
    assert [bytes(r) for r in rows] == [bits[:48], bits[60:108]]


@pytest.mark.parametrize("data", [
    escpos.raster_header(48, 16) + b"\x00" * 100,   # raster cut short
    escpos.raster_header(48, 16)[:5],               # header cut short
    b"\x1bJ",                                       # feed without its n
    b"\x1dV",                                       # cut without m
    b"\x1dVA",                                      # feed-and-cut without n
    b"\x1b",                                        # lone ESC
])
def test_a_truncated_command_raises_the_renderers_own_error(font, data):
    with pytest.raises(EscPosDataError):
        render.escpos_to_rows(b"\x1b@" + data, font)


def test_a_runaway_feed_is_refused(font):
    with pytest.raises(EscPosDataError):
        render.escpos_to_rows(b"\x1bJ\xff" * 1000, font)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_either_renders_or_raises_the_renderers_error(data):
    font = Font(FONT_PATH)
    try:
        rows = render.escpos_to_rows(data, font)
    except EscPosDataError:
        return
    finally:
        font.close()
    assert all(len(r) == 48 for r in rows)


def test_lcd_rows_draw_dark_on_light_with_the_inverse_row_highlighted(font, tmp_path):
    path = tmp_path / "lcd.png"
    render.lcd_png(["消费 SALE", "请刷卡 SWIPE CARD", "", "1.查询 2.结算"], str(path),
                   inverse_row=1, font=font)
    width, height, depth, rows = decode_png(path.read_bytes())
    assert (width, height, depth) == (320, 240, 8)
    normal, inverse, blank = rows[0:16], rows[16:32], rows[32:48]
    assert {v for row in blank for v in row} == {0xD8}
    assert {v for row in normal for v in row} == {0x20, 0xD8}
    assert sum(row.count(0x20) for row in inverse) > sum(row.count(0xD8) for row in inverse)


@pytest.mark.skipif(not os.path.exists(UNIFONT), reason="Debian unifont not installed")
def test_the_font_file_is_what_fontgen_makes_from_unifont():
    with open(UNIFONT, encoding="ascii") as f:
        glyphs = fontgen.read_hex(f)
    with open(FONT_PATH, "rb") as f:
        assert f.read() == fontgen.build(glyphs)


def test_fontgen_keeps_real_glyphs_and_drops_unifont_placeholder_boxes():
    ni = bytes.fromhex("00007FFE422042205FFC422041005FFC420047F84A08520843F840007FFE0000")
    unassigned = bytes.fromhex("00007FFE61866FBE638E6FBE6FBE7FFE7FFE73CE6DB66DB66DB673CE7FFE0000")
    soft_hyphen = bytes.fromhex("AAAA000180003A63C25433C98A48724980000001800003C18000000180005555")
    assert not fontgen.is_placeholder(ni)
    assert fontgen.is_placeholder(unassigned)
    assert fontgen.is_placeholder(soft_hyphen)
    glyphs = {0x41: b"\x01" * 16, 0x42: b"\x02" * 16, 0x533F: ni, 0xFF00: unassigned,
              0xFFFD: b"\xff" * 16}
    blocks = ((0x41, 0x42, ""), (0x533F, 0x533F, ""), (0xFF00, 0xFF00, ""), (0xFFFD, 0xFFFD, ""))
    assert fontgen.ranges(glyphs, blocks) == [(0x41, 0x42, 1), (0x533F, 0x533F, 2),
                                              (0xFFFD, 0xFFFD, 1)]


def test_fontgen_refuses_bad_input():
    with pytest.raises(fontgen.FontgenError):
        fontgen.read_hex(["0041:00FF"])
    with pytest.raises(fontgen.FontgenError):
        fontgen.read_hex(["00ZZ:" + "00" * 16])
    with pytest.raises(fontgen.FontgenError):
        fontgen.build({0x41: b"\x00" * 16})
