# The LCD drivers (drivers/lcd.py) checked on the bytes they send. VM-neutral.
#
# Streams go to models of the controllers (CASET/RASET/RAMWR for colour, page
# and column addresses for mono) whose pixels are compared with the rows drawn
# straight from the font's glyphs, and two are compared byte for byte with the
# golden files host_tests/data/lcd_*.bin, written once by
#   PYTHONPATH=firmware:host_tests/vm python host_tests/vm/test_drivers_display.py --write-golden
# The models keep pixels, not streams, and the panels are small, so the module
# runs in the VM's ESP32-sized heap (-X heapsize=110K) beside its own bytecode;
# each bus collects first, so a test's small objects take the small holes the
# last test's garbage left and the 2 KB blocks stay whole for the drivers' buffers.
import gc
import sys

from drivers.lcd import INK, PAPER, ColorLcd, MonoLcd, window
from drivers.fakes.lcd import FakeBus
from pos.font import Font, next_char
from pos.screen import Screen, is_wide
from vmutil import font_path, raises

ON_MICROPYTHON = sys.implementation.name == "micropython"
UNIFONT_ZHONG = "01000100010001003FF8210821082108210821083FF821080100010001000100"
_FONT = []


def font():
    if not _FONT:
        _FONT.append(Font(font_path()))
    return _FONT[0]


def data_path(name):
    try:
        here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
        return here + "/../data/" + name
    except NameError:
        return "host_tests/data/" + name


def stream(spec):
    """FakeBus records from R (reset), Cxx (command), Dxx.. (data), Wn (wait n ms)."""
    out = []
    for tok in spec.split():
        if tok == "R":
            out.append(("reset", b""))
        elif tok[0] == "W":
            out.append(("delay", int(tok[1:])))
        else:
            out.append(("cmd" if tok[0] == "C" else "data", bytes.fromhex(tok[1:])))
    return out


# The init streams, from the datasheets' command tables.
ST7789_INIT = stream("R C01 W120"          # SWRESET
                     " C11 W120"           # SLPOUT
                     " C3A D55"            # COLMOD: RGB565
                     " C36 D60"            # MADCTL: MX | MV, landscape
                     " C21 C13 C29")       # INVON, NORON, DISPON
ILI9341_INIT = stream("R C01 W120"         # SWRESET
                      " CC0 D23"           # PWCTR1: GVDD 4.60 V
                      " CC1 D10"           # PWCTR2
                      " CC5 D3E28"         # VMCTR1: 4.250 V, -1.500 V
                      " CC7 D86"           # VMCTR2
                      " C36 D28"           # MADCTL: MV | BGR, landscape
                      " C3A D55"           # PIXSET: 16 bits
                      " CB1 D0018"         # FRMCTR1: 79 Hz
                      " CB6 D088227"       # DFUNCTR: 320 lines
                      " C26 D01"           # GAMSET
                      " C11 W120 C29")     # SLPOUT, DISPON
ST7567_INIT = stream("R CE2 W5"            # reset
                     " CA2 CA0 CC8 C24"    # bias 1/9, SEG normal, COM reversed, ratio 5.0
                     " C81 C20 C2F W10"    # contrast 32, booster + regulator + follower
                     " C40 CA6 CA4 CAF")   # start line 0, normal, RAM shown, on
SSD1306_INIT = stream("R CAE CD5 C80 CA8 C3F CD3 C00 C40"   # off, clock, 64 lines, no offset, line 0
                      " C8D C14 C20 C02 CA1 CC8 CDA C12"    # charge pump, page mode, remap, COM pins
                      " C81 CCF CD9 CF1 CDB C40 CA4 CA6 CAF")  # contrast, precharge, VCOMH, on

COLOR_ROWS = ["  消费 SALE", "金额:12.34元"]
MONO_SCREEN = Screen("消费", ["请刷卡或插卡", "金额:123.45"], "按取消键退出")
COLOR_GOLDEN = "lcd_st7789_96x32.bin"
MONO_GOLDEN = "lcd_st7567_128x64.bin"


class ColorPanel(FakeBus):
    """An ST7789 / ILI9341's memory as a bus: CASET and RASET set the window,
    RAMWR starts at its top left, pixels (2 bytes, high first) fill it row by
    row. A pixel is kept as one bit, PAPER or INK, and any other colour is
    counted in odd; pixels=False keeps only the windows and write sizes."""

    def __init__(self, width, height, pixels=True):
        gc.collect()
        FakeBus.__init__(self, keep=False)
        self.width, self.height = width, height
        self.paper = bytearray(width * height // 8) if pixels else None
        self.odd = self.command = self.x0 = self.x1 = self.y0 = self.y1 = self.x = self.y = 0
        self.mark()

    def mark(self):
        """Count afresh: the windows and pixel bytes of what comes next."""
        self.windows = []
        self.pixel_bytes = self.largest_write = 0

    def write_cmd(self, cmd, data=b""):
        self.command = cmd
        if cmd == 0x2A:
            self.x0, self.x1 = data[0] << 8 | data[1], data[2] << 8 | data[3]
        elif cmd == 0x2B:
            self.y0, self.y1 = data[0] << 8 | data[1], data[2] << 8 | data[3]
        elif cmd == 0x2C:
            self.x, self.y = self.x0, self.y0
            self.windows.append((self.x0, self.y0, self.x1 - self.x0 + 1))

    def write_data(self, buf):
        assert self.command == 0x2C and len(buf) % 2 == 0
        self.pixel_bytes += len(buf)
        self.largest_write = max(self.largest_write, len(buf))
        for k in range(0, len(buf), 2):
            assert self.y <= self.y1, "pixels past the window"
            if self.paper is not None:
                c = buf[k] << 8 | buf[k + 1]
                p = self.y * self.width + self.x
                if c == PAPER:
                    self.paper[p >> 3] |= 0x80 >> (p & 7)
                else:
                    self.paper[p >> 3] &= ~(0x80 >> (p & 7))
                    self.odd += c != INK
            self.x += 1
            if self.x > self.x1:
                self.x = self.x0
                self.y += 1

    def pixel(self, x, y):
        p = y * self.width + x
        return PAPER if self.paper[p >> 3] & 0x80 >> (p & 7) else INK

    def shows(self, rows, selected):
        """True when the pixels are rows drawn straight from the glyphs, selected inverted."""
        for r in range(self.height // 16):
            cells = glyph_cells(rows[r] if r < len(rows) else "", self.width)
            ink, paper = (PAPER, INK) if r == selected else (INK, PAPER)
            for y in range(16):
                for x in range(self.width):
                    if self.pixel(x, r * 16 + y) != (ink if ink_at(cells, x, y) else paper):
                        return False
        return self.odd == 0


class MonoPanel(FakeBus):
    """An ST7567 / SSD1306 in page addressing: B0+page, 10+column high, 00+column low, column bytes."""

    def __init__(self, width, height):
        gc.collect()
        FakeBus.__init__(self, keep=False)
        self.width, self.height = width, height
        self.pages = bytearray(width * height // 8)
        self.page = self.col = 0
        self.mark()

    def mark(self):
        self.pages_written = []

    def write_cmd(self, c, data=b""):
        assert data == b""
        if 0xB0 <= c <= 0xB7:
            self.page = c & 7
            self.pages_written.append(self.page)
        elif 0x10 <= c <= 0x1F:
            self.col = (c & 0xF) << 4 | self.col & 0xF
        elif c <= 0x0F:
            self.col = self.col & 0xF0 | c

    def write_data(self, buf):
        for b in buf:
            self.pages[self.page * self.width + self.col] = b
            self.col += 1

    def shows(self, rows, selected):
        w = self.width
        for r in range(self.height // 16):
            cells = glyph_cells(rows[r] if r < len(rows) else "", w)
            flip = 0xFF if r == selected else 0
            for half in (0, 1):
                for x in range(w):
                    b = 0
                    for y in range(8):
                        b |= ink_at(cells, x, half * 8 + y) << y
                    if self.pages[(2 * r + half) * w + x] != b ^ flip:
                        return False
        return True


def glyph_cells(text, width):
    """(x, cell px, glyph width, glyph bits) of each character of text that fits.
    UTF-8 is walked as bytes: iterating a str would intern every character for good."""
    out = []
    data = text.encode()
    i = x = 0
    while i < len(data):
        v = next_char(data, i, len(data))
        i += v & 7
        cell = 16 if is_wide(v >> 3) else 8
        if x + cell > width:
            break
        gw, bits = font().glyph(v >> 3)
        out.append((x, cell, gw, bytes(bits)))
        x += cell
    return out


def ink_at(cells, x, y):
    """1 where the glyphs of cells put ink at (x, y): a glyph is clipped to its cell."""
    for x0, cell, gw, bits in cells:
        if x0 <= x < x0 + cell:
            x -= x0
            return bits[y * (gw >> 3) + (x >> 3)] >> (7 - (x & 7)) & 1 if x < gw else 0
    return 0


def encode(kind, payload):
    """A record in a golden file: kind's letter (C, D, W, R), 2-byte length, payload."""
    if kind == "delay":
        payload = bytes((payload >> 8, payload & 0xFF))
    return kind[0:1].upper().encode() + bytes((len(payload) >> 8, len(payload) & 0xFF)) + payload


class GoldenBus(FakeBus):
    """Compares the stream with a golden file as it comes; done() is True when they are the same."""

    def __init__(self, name):
        gc.collect()
        FakeBus.__init__(self, keep=False)
        self._file = open(data_path(name), "rb")
        self._same = True

    def _check(self, kind, payload):
        n = len(payload)
        same = self._same and self._file.read(3) == kind[0:1].upper().encode() + bytes((n >> 8, n & 0xFF))
        for i in range(0, n, 256):            # in pieces: a 2 KB block may not be free in a 110 KB heap
            same = same and self._file.read(min(256, n - i)) == bytes(payload[i:i + 256])
        self._same = same

    def write_cmd(self, cmd, data=b""):
        FakeBus.write_cmd(self, cmd, data)
        self._check("cmd", bytes((cmd,)))
        if data:
            self._check("data", data)

    def write_data(self, buf):
        FakeBus.write_data(self, buf)
        self._check("data", buf)

    def done(self):
        same = self._same and self._file.read(1) == b""
        self._file.close()
        return same


def draw_color_golden(bus, controller="st7789"):
    ColorLcd(bus, 96, 32, controller).show(COLOR_ROWS, 1, font())
    return bus


def draw_mono_golden(bus, controller="st7567"):
    lcd = MonoLcd(bus, controller=controller)
    lcd.show(MONO_SCREEN.rows(lcd.cols, lcd.layout_rows), MONO_SCREEN.selected_row(lcd.cols), font())
    return bus


def new_bus(keep=True):
    gc.collect()
    return FakeBus(keep)


def init_stream(lcd):
    lcd.init()
    return lcd._bus.records


def test_each_controller_gets_its_datasheet_init_stream():
    assert init_stream(ColorLcd(new_bus())) == ST7789_INIT
    assert init_stream(ColorLcd(new_bus(), controller="ili9341")) == ILI9341_INIT
    assert init_stream(MonoLcd(new_bus())) == ST7567_INIT
    assert init_stream(MonoLcd(new_bus(), controller="ssd1306")) == SSD1306_INIT


def test_panels_measure_8_by_16_px_cells_and_know_their_controllers_and_orientation():
    color, mono = ColorLcd(new_bus()), MonoLcd(new_bus())
    assert (color.cols, color.nrows, color.layout_rows) == (40, 15, 15)
    assert (mono.cols, mono.nrows, mono.layout_rows) == (16, 4, 15)
    assert raises(ValueError, ColorLcd, new_bus(), 320, 240, "st7735")
    assert raises(ValueError, MonoLcd, new_bus(), 128, 64, "pcd8544")
    assert init_stream(ColorLcd(new_bus(), 240, 320))[8] == ("data", b"\x00")          # portrait: no MV
    assert init_stream(ColorLcd(new_bus(), 240, 320, "ili9341"))[12] == ("data", b"\x48")


def test_a_two_row_colour_screen_is_the_golden_stream_on_both_controllers():
    assert draw_color_golden(GoldenBus(COLOR_GOLDEN)).done()
    assert draw_color_golden(GoldenBus(COLOR_GOLDEN), "ili9341").done()


def test_a_mono_screen_is_the_golden_stream_on_both_controllers():
    assert draw_mono_golden(GoldenBus(MONO_GOLDEN)).done()
    assert draw_mono_golden(GoldenBus(MONO_GOLDEN), "ssd1306").done()


def test_the_golden_streams_draw_the_font_glyphs_with_the_selected_row_inverted():
    panel = draw_color_golden(ColorPanel(96, 32))
    assert panel.shows(COLOR_ROWS, 1)
    assert panel.pixel(95, 0) == PAPER and panel.pixel(95, 16) == INK
    rows, selected = window(MONO_SCREEN.rows(16, 15), None, 4)
    assert rows == ["      消费", "请刷卡或插卡", "金额:123.45", "  按取消键退出"]
    assert draw_mono_golden(MonoPanel(128, 64)).shows(rows, selected)
    mono = MonoPanel(128, 64)
    MonoLcd(mono).show(["a", "b", "c", "d"], 2, font())
    assert mono.pages[4 * 128 + 127] == mono.pages[5 * 128 + 127] == 0xFF and mono.pages[2 * 128 + 127] == 0
    assert mono.shows(["a", "b", "c", "d"], 2)


def test_cjk_glyphs_are_two_cells_wide():
    panel = ColorPanel(128, 16)
    ColorLcd(panel, 128, 16).show(["中A"], None, font())
    bits = "".join("%d" % (panel.pixel(x, y) == INK) for y in range(16) for x in range(16))
    want = "".join("%d" % (int(UNIFONT_ZHONG[i:i + 2], 16) >> (7 - b) & 1) for i in range(0, 64, 2) for b in range(8))
    assert bits == want
    assert panel.windows[0] == (0, 0, 24)            # 中 and A in one window, 16 + 8 px
    assert panel.shows(["中A"], None)


def test_a_run_of_cjk_goes_four_glyphs_per_window_then_the_blank_rest_in_one():
    panel = ColorPanel(320, 240, pixels=False)
    ColorLcd(panel).show(["消费撤销退货余额查询"], None, font())
    assert panel.windows[:5] == [(0, 0, 64), (64, 0, 64), (128, 0, 32), (160, 0, 160), (0, 16, 320)]


def test_a_wide_character_with_a_narrow_glyph_and_the_reverse_keep_the_grid_and_the_edge_cuts():
    rows = ["\u303fA\u2057B"]            # wide with an 8 px glyph; narrow with a 16 px one, clipped
    panel = ColorPanel(64, 16)
    ColorLcd(panel, 64, 16).show(rows, None, font())
    assert panel.shows(rows, None)
    mono = MonoPanel(64, 16)
    MonoLcd(mono, 64, 16).show(rows, None, font())
    assert mono.shows(rows, None)
    panel = ColorPanel(64, 16)
    ColorLcd(panel, 64, 16).show(["一二三四五A"], None, font())       # 88 px on 64: cut at the edge
    assert panel.shows(["一二三四"], None)


def test_no_write_is_bigger_than_the_four_glyph_buffer_and_every_pixel_is_sent_once():
    panel = ColorPanel(320, 240, pixels=False)
    ColorLcd(panel).show(["消费撤销退货余额查询预授权缴费还款结算签到"] * 15, 4, font())
    assert panel.largest_write == 64 * 16 * 2 and panel.pixel_bytes == 320 * 240 * 2


def test_the_colour_driver_holds_no_frame_buffer():
    if not ON_MICROPYTHON:
        return
    gc.collect()
    before = gc.mem_alloc()
    lcd = ColorLcd(new_bus(keep=False))
    gc.collect()
    held = gc.mem_alloc() - before
    assert held < 6 * 1024, held            # one 2 KB buffer, its views and framebuffers (64-bit VM)
    lcd.show(["消费撤销退货余额查询预授权缴费还款结算签到"] * 15, 3, font())
    gc.collect()
    assert gc.mem_alloc() - before - held < 1024, "the rows' text is kept, not pixels"


def test_the_same_screen_again_sends_nothing_until_init():
    for lcd in (ColorLcd(new_bus(keep=False), 96, 32), MonoLcd(new_bus(keep=False))):
        lcd.show(COLOR_ROWS, 1, font())
        first = (lcd._bus.nbytes, lcd._bus.ncmds)
        lcd._bus.clear()
        lcd.show(list(COLOR_ROWS), 1, font())
        assert lcd._bus.nbytes == 0
        lcd.init()
        lcd._bus.clear()
        lcd.show(COLOR_ROWS, 1, font())
        assert (lcd._bus.nbytes, lcd._bus.ncmds) == first


def test_a_second_show_with_one_changed_row_sends_only_that_row():
    panel = ColorPanel(32, 48)
    lcd = ColorLcd(panel, 32, 48)
    lcd.show(["消费", "12元", "刷卡"], None, font())
    panel.mark()
    lcd.show(["消费", "12元", "插卡"], None, font())
    assert set(y for x, y, w in panel.windows) == {32} and panel.pixel_bytes == 32 * 16 * 2
    assert panel.shows(["消费", "12元", "插卡"], None)
    mono = MonoPanel(128, 64)
    lcd = MonoLcd(mono)
    lcd.show(["标题", "一", "二", "三"], None, font())
    mono.mark()
    lcd.show(["标题", "一", "2", "三"], None, font())
    assert mono.pages_written == [4, 5]
    assert mono.shows(["标题", "一", "2", "三"], None)


def test_moving_the_selection_redraws_the_two_rows_it_left_and_reached():
    panel = ColorPanel(32, 48)
    lcd = ColorLcd(panel, 32, 48)
    rows = ["标题", "1.消", "2.撤"]
    lcd.show(rows, 1, font())
    panel.mark()
    lcd.show(rows, 2, font())
    assert set(y for x, y, w in panel.windows) == {16, 32}
    assert panel.shows(rows, 2)


def menu_rows(labels, index):
    """A list menu laid out as the engine does with ListEditor (pages of nine, a page line)."""
    first = index // 9 * 9
    lines = ["%d.%s" % (i - first + 1, labels[i]) for i in range(first, min(first + 9, len(labels)))]
    lines.append("%d/%d" % (first // 9 + 1, (len(labels) + 8) // 9))
    scr = Screen("主菜单", lines, "确认", index - first)
    return scr.rows(16, 15), scr.selected_row(16)


def test_the_mono_window_is_the_title_and_three_rows_around_the_selection():
    rows = ["标题", "-" * 16, "1.a", "2.b", "3.c", "4.d", "5.e", "", "", "提示"]
    assert window(rows, 2, 4) == (["标题", "1.a", "2.b", "3.c"], 1)
    assert window(rows, 4, 4) == (["标题", "2.b", "3.c", "4.d"], 2)
    assert window(rows, 6, 4) == (["标题", "4.d", "5.e", "提示"], 2)
    assert window(rows, None, 4) == (["标题", "1.a", "2.b", "3.c"], None)
    assert window(["标题", "-" * 16, "请刷卡", "", "", ""], None, 4) == (["标题", "请刷卡", "", ""], None)
    assert window(["a", "b", "c"], 1, 4) == (["a", "b", "c"], 1)


def test_every_item_of_a_twelve_item_menu_can_be_reached_on_the_mono_panel():
    labels = ["菜单%d" % i for i in range(1, 13)]
    panel = MonoPanel(128, 64)
    lcd = MonoLcd(panel)
    for i in range(len(labels)):
        laid_out, selected_row = menu_rows(labels, i)
        rows, selected = window(laid_out, selected_row, lcd.nrows)
        assert rows[0].strip() == "主菜单" and rows[selected].endswith(labels[i]), (i, rows)
        lcd.show(laid_out, selected_row, font())
        assert panel.shows(rows, selected), i


def test_scrolling_the_mono_window_sends_only_the_body_rows():
    labels = ["菜单%d" % i for i in range(1, 13)]
    panel = MonoPanel(128, 64)
    lcd = MonoLcd(panel)
    lcd.show(*menu_rows(labels, 3), font())
    panel.mark()
    lcd.show(*menu_rows(labels, 4), font())
    assert panel.pages_written == [2, 3, 4, 5, 6, 7]


if __name__ == "__main__" and "--write-golden" in sys.argv:
    for name, draw in ((COLOR_GOLDEN, draw_color_golden), (MONO_GOLDEN, draw_mono_golden)):
        with open(data_path(name), "wb") as f:
            for kind, payload in draw(new_bus()).records:
                f.write(encode(kind, payload))
