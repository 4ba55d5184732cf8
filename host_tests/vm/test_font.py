# The bitmap font file and its reader (pos/font.py). VM-neutral.
import gc
import io
import os
import sys

from pos.font import REPLACEMENT, Font, FontError, cells, next_char
from vmutil import raises
from vmutil import font_path

ON_MICROPYTHON = sys.implementation.name == "micropython"

# Straight from Debian's unifont.hex.
UNIFONT_A = "0000000018242442427E424242420000"
UNIFONT_ZHONG = "01000100010001003FF8210821082108210821083FF821080100010001000100"
UNIFONT_FFFD = "0000007E665A5A7A76767E76767E0000"




_FONT = []


def font():
    if not _FONT:
        _FONT.append(Font(font_path()))
    return _FONT[0]


def hexbits(bits):
    return "".join("%02X" % b for b in bits)


def test_the_font_file_is_about_700_kb():
    size = os.stat(font_path())[6]
    assert 600000 < size < 720000


def test_capital_a_is_the_unifont_glyph():
    width, bits = font().glyph(ord("A"))
    assert width == 8
    assert hexbits(bits) == UNIFONT_A


def test_zhong_is_the_unifont_glyph_and_full_width():
    width, bits = font().glyph(0x4E2D)
    assert width == 16
    assert hexbits(bits) == UNIFONT_ZHONG


def test_rare_characters_are_in_the_font():
    for cp in (0x9F98, 0x9750, 0x9FFF, 0x4E00, 0x533F):  # 龘 靐, the block's ends, 匿
        width, bits = font().glyph(cp)
        assert width == 16
        assert hexbits(bits) != UNIFONT_FFFD


def test_a_missing_codepoint_gets_the_replacement_glyph():
    for cp in (0x1F600, 0x00AD, 0x7F, 0x10):
        width, bits = font().glyph(cp)
        assert (width, hexbits(bits)) == (8, UNIFONT_FFFD)
        assert font().width_px(cp) == 8
    question = hexbits(font().glyph(0xFF1F)[1])
    for cp in (0x3400, 0xFF00):             # wide ones keep their two cells: a fullwidth ？
        width, bits = font().glyph(cp)
        assert (width, hexbits(bits)) == (16, question)


def test_glyph_returns_a_view_of_one_reused_buffer():
    _, first = font().glyph(0x4E2D)
    _, second = font().glyph(0x4E2E)
    assert hexbits(first) == hexbits(second)


def test_glyph_does_not_allocate():
    f = font()
    f.glyph(0x41)
    if not ON_MICROPYTHON:
        return
    gc.collect()
    before = gc.mem_alloc()
    for i in range(100):
        f.glyph(0x4E00 + i * 97)
        f.glyph(0x41 + i % 30)
        f.glyph(0x1F600)
    assert gc.mem_alloc() - before == 0


def test_text_width_counts_cjk_as_two_cells():
    assert font().text_width_px("RMB 123.45") == 80
    assert font().text_width_px("商户名称 MERCHANT NAME") == 8 * 2 * 4 + 8 * 14
    assert font().text_width_px("") == 0


def test_cells_never_undercounts_the_font():
    for text in ("消费 SALE", "（测试）", "龘靐", "日期/时间", "€ ½ é", "\U0001F600x", "ｱｲｳ"):
        assert cells(text) * 8 >= font().text_width_px(text)
    assert cells("中文ab") == 6


def test_malformed_utf8_decodes_as_replacement():
    for data in (b"\xff", b"\xe4\xb8", b"\xe4\x41\x41", b"\x80"):
        assert next_char(data, 0, len(data)) >> 3 == REPLACEMENT
    assert next_char("中".encode(), 0, 3) == 0x4E2D << 3 | 3


def ink(buf, stride, row, col):
    return buf[row * stride + (col >> 3)] >> (7 - (col & 7)) & 1


def test_render_line_draws_the_glyph_at_any_x():
    _, bits = font().glyph(ord("A"))
    expected = bytes(bits)
    for x in (0, 3, 8, 13):
        buf = bytearray(6 * 16)
        assert font().render_line("A", buf, 48, x) == x + 8
        for row in range(16):
            for col in range(8):
                assert ink(buf, 6, row, x + col) == expected[row] >> (7 - col) & 1


def test_render_line_at_scale_2_doubles_width_and_height():
    _, bits = font().glyph(0x4E2D)
    glyph = bytes(bits)
    buf = bytearray(8 * 32)
    assert font().render_line("中", buf, 64, 5, 2) == 5 + 32
    for row in range(32):
        for col in range(32):
            src = glyph[(row // 2) * 2 + (col // 2) // 8] >> (7 - (col // 2) % 8) & 1
            assert ink(buf, 8, row, 5 + col) == src


def test_render_line_stops_at_the_edge_of_the_buffer():
    buf = bytearray(2 * 16)
    assert font().render_line("ABC", buf, 16) == 16
    assert font().render_line("中", bytearray(2 * 16), 16, 1) == 1


def test_render_line_rejects_a_bad_width_or_buffer():
    assert raises(ValueError, font().render_line, "A", bytearray(100), 12)
    assert raises(ValueError, font().render_line, "A", bytearray(10), 16)


def tiny_font():
    """A font file with one range holding U+0041 and U+FFFD, 8 px wide."""
    def u32(n):
        return bytes((n & 0xFF, n >> 8 & 0xFF, n >> 16 & 0xFF, n >> 24))
    head = b"PF16" + bytes((1, 16, 2, 0))
    ranges = u32(0x41) + u32(0x41) + b"\x01\x00\x00\x00" + u32(40)
    ranges += u32(0xFFFD) + u32(0xFFFD) + b"\x01\x00\x00\x00" + u32(56)
    return head + ranges + bytes(range(16)) + b"\xff" * 16


def test_a_font_reads_from_an_injected_file_object():
    f = Font(io.BytesIO(tiny_font()))
    assert hexbits(f.glyph(0x41)[1]) == "000102030405060708090A0B0C0D0E0F"
    assert hexbits(f.glyph(0x42)[1]) == "FF" * 16


def test_a_file_that_is_not_a_font_is_refused():
    good = tiny_font()
    for data in (b"", b"PK\x03\x04" + good[4:], good[:20], good[:-1],
                 good[:6] + b"\x00\x00" + good[8:]):
        assert raises(FontError, Font, io.BytesIO(data))


def test_the_gb2312_font_of_small_boards_has_its_hanzi_and_replaces_the_rest():
    from vmutil import asset_path
    full, small = font(), Font(asset_path("font16_gb2312.bin"))
    for ch in "测试商户张三欢迎使用ABC123":
        cp = ord(ch)
        assert hexbits(small.glyph(cp)[1]) == hexbits(full.glyph(cp)[1]), ch
    question = hexbits(small.glyph(0xFF1F)[1])
    for ch in "龘靐":                      # outside GB2312: a wide ？ keeps the layout's two cells
        assert small.width_px(ord(ch)) == 16
        assert hexbits(small.glyph(ord(ch))[1]) == question
    assert small.text_width_px("龘A") == 24
    assert hexbits(small.glyph(0x0E01)[1]) == hexbits(small.glyph(REPLACEMENT)[1])
    small.close()


def test_a_font_of_thousands_of_ranges_finds_every_one():
    def u32(n):
        return bytes((n & 0xFF, n >> 8 & 0xFF, n >> 16 & 0xFF, n >> 24))
    n = 300
    data = bytearray(b"PF16" + bytes((1, 16, (n + 1) & 0xFF, (n + 1) >> 8)))
    base = 8 + 16 * (n + 1)
    for r in range(n):                  # every other codepoint from U+4E00: no two ranges join
        cp = 0x4E00 + 2 * r
        data += u32(cp) + u32(cp) + b"\x01\x00\x00\x00" + u32(base + 16 * r)
    data += u32(REPLACEMENT) + u32(REPLACEMENT) + b"\x01\x00\x00\x00" + u32(base + 16 * n)
    for r in range(n):
        data += bytes((r & 0xFF,)) * 16
    data += b"\xee" * 16
    f = Font(io.BytesIO(data))
    for r in (0, 1, 31, 32, 33, 150, 298, 299):
        assert f.glyph(0x4E00 + 2 * r)[1][0] == r & 0xFF, r
        assert f.glyph(0x4E01 + 2 * r)[1][0] == 0xEE, r
    assert f.glyph(0x20)[1][0] == 0xEE
