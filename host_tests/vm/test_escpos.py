# ESC/POS bytes of a slip (pos/escpos.py). VM-neutral.
import gc
import sys

from pos import escpos, receipt
from pos.escpos import EscPosError
from pos.font import Font
from pos.escpos import BOLD, CENTER, DOUBLE, NORMAL, RIGHT
from vmutil import raises
from vmutil import font_path

ON_MICROPYTHON = sys.implementation.name == "micropython"
GS_V_0 = b"\x1dv0\x00"




_FONT = []


def font():
    if not _FONT:
        _FONT.append(Font(font_path()))
    return _FONT[0]


TXN = {"type_name": "消费 SALE", "pan_masked": "622202*********0017", "entry": "C",
       "expiry": None, "issuer": "工商银行", "acquirer": "银联商务", "batch": "000001",
       "trace": "000123", "auth": "", "ref": "141509123456",
       "datetime": "2026/11/23 14:05:09", "amount_fen": 12345, "operator": "01", "remark": ""}
TERMINAL = {"merchant_name": "测试商户", "merchant_id": "898310058120001",
            "terminal_id": "10000001"}


def chunks(lines):
    return [bytes(c) for c in escpos.render_slip(lines, font())]


def ink_columns(bits, stride, rows):
    cols = []
    for r in range(rows):
        for c in range(stride * 8):
            if bits[r * stride + (c >> 3)] >> (7 - (c & 7)) & 1:
                cols.append(c)
    return cols


def test_init_feed_and_cut_bytes():
    assert escpos.init() == b"\x1b@"
    assert escpos.cut() == b"\x1dV\x01"
    assert escpos.feed(20) == b"\x1bJ\x14"
    assert escpos.feed(300) == b"\x1bJ\xff\x1bJ\x2d"
    assert escpos.feed(0) == b""


def test_a_slip_is_one_chunk_per_line_the_last_ending_with_feed_and_cut():
    lines = list(receipt.slip_lines(TXN, TERMINAL, 0))
    out = chunks(lines)
    assert len(out) == len(lines)
    for (text, _), chunk in zip(lines, out):
        assert chunk.startswith(GS_V_0 if text else b"\x1bJ")
    assert out[-1].endswith(escpos.feed(escpos.CUT_FEED) + b"\x1dV\x01")
    assert b"\x1dV" not in b"".join(c[-3:] for c in out[:-1])
    assert chunks([]) == []


def test_a_text_line_is_one_gs_v_0_raster_48_bytes_wide_16_dots_high():
    chunk = chunks([("商户名称 MERCHANT NAME:", NORMAL), ("", NORMAL)])[0]
    assert chunk[:8] == GS_V_0 + bytes((48, 0, 16, 0))
    assert len(chunk) == 8 + 48 * 16 + 3
    assert chunk[-3:] == bytes((0x1B, 0x4A, escpos.LINE_GAP))


def test_the_raster_holds_exactly_the_font_bits():
    text = "凭证号 VOUCHER NO.: 000123"
    chunk = chunks([(text, NORMAL)])[0]
    expected = bytearray(48 * 16)
    font().render_line(text, expected, 384)
    assert chunk[8:8 + 48 * 16] == bytes(expected)


def test_a_double_line_is_32_dots_high_and_twice_as_wide():
    chunk = chunks([("RMB 123.45", DOUBLE)])[0]
    assert chunk[:8] == GS_V_0 + bytes((48, 0, 32, 0))
    cols = ink_columns(chunk[8:], 48, 32)
    assert max(cols) >= 80 and max(cols) < 160


def test_an_empty_line_is_only_a_feed():
    assert chunks([("", NORMAL), ("", NORMAL)])[0] == escpos.feed(escpos.BLANK_LINE)


def test_centered_and_right_aligned_lines_are_placed_on_the_paper():
    width = font().text_width_px("SALE")
    left = ink_columns(chunks([("SALE", NORMAL)])[0][8:], 48, 16)
    center = ink_columns(chunks([("SALE", CENTER)])[0][8:], 48, 16)
    right = ink_columns(chunks([("SALE", RIGHT)])[0][8:], 48, 16)
    shift = (384 - width) // 2
    assert sorted(center) == sorted(c + shift for c in left)
    assert sorted(right) == sorted(c + 384 - width for c in left)


def test_bold_widens_every_stroke():
    plain = ink_columns(chunks([("622202*****0017", NORMAL)])[0][8:], 48, 16)
    bold = ink_columns(chunks([("622202*****0017", BOLD)])[0][8:], 48, 16)
    assert set(plain) < set(bold)
    assert set(c + 1 for c in plain) <= set(bold)


def test_a_whole_slip_prints_with_one_line_buffer():
    lines = list(receipt.slip_lines(TXN, TERMINAL, 0))
    f = font()
    if not ON_MICROPYTHON:
        assert sum(len(c) for c in escpos.render_slip(lines, f)) > 20000
        return
    buf = escpos.line_buffer()
    gc.collect()
    before = gc.mem_alloc()
    peak = 0
    for chunk in escpos.render_slip(lines, f, chunk=buf):
        peak = max(peak, gc.mem_alloc() - before)
        chunk = None
        gc.collect()
    assert peak < 1024  # the driver's line buffer is reused: nothing per line


def test_chunks_are_views_of_the_one_line_buffer():
    buf = escpos.line_buffer()
    gen = escpos.render_slip([("A", NORMAL), ("B", NORMAL)], font(), chunk=buf)
    first = bytes(next(gen))
    second = next(gen)
    assert bytes(second) != first and bytes(buf[:len(second)]) == bytes(second)
    assert raises(EscPosError, next, escpos.render_slip([("A", NORMAL)], font(), chunk=bytearray(100)))


def test_paper_sensor_status_is_parsed():
    assert escpos.parse_status(0x12) == "ok"
    assert escpos.parse_status(0x1E) == "paper_near_end"
    assert escpos.parse_status(0x72) == "paper_out"
    assert escpos.parse_status(0x7E) == "paper_out"
    assert escpos.parse_status(b"\x12") == "ok"
    assert escpos.parse_status(bytearray(b"\x72")) == "paper_out"


def test_a_byte_that_is_not_a_paper_status_is_refused():
    for bad in (0x00, 0xFF, 0x13, 0x92, 0x02, -1, 256, b"", b"\x12\x12"):
        assert raises(EscPosError, escpos.parse_status, bad)


def test_a_paper_width_that_is_not_whole_bytes_is_refused():
    gen = escpos.render_slip([("A", NORMAL)], font(), 380)
    assert raises(EscPosError, next, gen)
