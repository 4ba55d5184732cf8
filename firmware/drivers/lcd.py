# The LCD: rows of text from pos.screen drawn in 8x16 px cells (CJK two
# cells), glyphs read one at a time from pos.font. No frame buffer:
#
# - ColorLcd (ST7789, ILI9341; RGB565): a row is sent as windows of up to
#   four CJK glyphs (64 px x 16 rows, one 2 KB buffer): CASET, RASET (once
#   per row), RAMWR, pixels; the rest of the row after its text is one
#   window of background.
# - MonoLcd (ST7567, SSD1306; 1 bit per pixel, page addressing): a row is
#   two 8-pixel pages, each drawn into one 128-byte buffer and sent after
#   its page and column address.
#
# Both keep the text (not the pixels) of what they last showed and send
# again only the rows whose text or selection changed. The selected row is
# drawn inverted, the full width of the panel. A space is left blank, not
# read from the font.
#
# The 16x4-cell mono panel is shorter than a menu: given more rows than it
# has, it shows the title and the three rows around the selected one (see
# window()); the caller lays the screen out in layout_rows rows.
from drivers.compat import const
from pos.font import next_char, utf8
from pos.screen import is_wide

try:
    import framebuf
except ImportError:       # CPython: the same pixels, drawn in Python
    framebuf = None

try:
    from time import sleep_ms as _block_ms
except ImportError:
    from time import sleep as _sleep

    def _block_ms(ms):
        _sleep(ms / 1000)

CELL_W = const(8)
CELL_H = const(16)
_RUN_PX = const(64)       # the widest window: four CJK glyphs, 64 * 16 * 2 bytes
_SPACE = const(0x20)

# RGB565, sent high byte first.
INK = const(0x0000)
PAPER = const(0xFFFF)

_CASET = const(0x2A)
_RASET = const(0x2B)
_RAMWR = const(0x2C)
_MADCTL = const(0x36)

# MADCTL bits (both controllers): row/column exchange and mirrors, BGR order.
_MY = const(0x80)
_MX = const(0x40)
_MV = const(0x20)
_BGR = const(0x08)

# (command, parameters, then wait ms); None stands for the MADCTL byte.
_ST7789_INIT = (
    (0x01, b"", 120),              # SWRESET; 120 ms before SLPOUT may follow
    (0x11, b"", 120),              # SLPOUT; the supply settles
    (0x3A, b"\x55", 0),            # COLMOD: 16 bits per pixel, RGB565
    (_MADCTL, None, 0),
    (0x21, b"", 0),                # INVON: the IPS panels are wired inverted
    (0x13, b"", 0),                # NORON: normal display mode
    (0x29, b"", 0),                # DISPON
)
_ILI9341_INIT = (
    (0x01, b"", 120),              # SWRESET
    (0xC0, b"\x23", 0),            # PWCTR1: GVDD 4.60 V
    (0xC1, b"\x10", 0),            # PWCTR2: step-up factor
    (0xC5, b"\x3e\x28", 0),        # VMCTR1: VCOMH 4.250 V, VCOML -1.500 V
    (0xC7, b"\x86", 0),            # VMCTR2: VCOM offset
    (_MADCTL, None, 0),
    (0x3A, b"\x55", 0),            # PIXSET: 16 bits per pixel
    (0xB1, b"\x00\x18", 0),        # FRMCTR1: fosc, 79 Hz
    (0xB6, b"\x08\x82\x27", 0),    # DFUNCTR: 320 lines
    (0x26, b"\x01", 0),            # GAMSET: gamma curve 1
    (0x11, b"", 120),              # SLPOUT
    (0x29, b"", 0),                # DISPON
)
# controller -> (init table, MADCTL landscape, MADCTL portrait)
_COLOR = {
    "st7789": (_ST7789_INIT, _MX | _MV, 0),
    "ili9341": (_ILI9341_INIT, _MV | _BGR, _MX | _BGR),
}

# Mono controllers take every byte, parameters too, as a command (D/C low).
# (command bytes, then wait ms)
_ST7567_INIT = (
    (b"\xe2", 5),                  # internal reset
    (b"\xa2"                       # bias 1/9
     b"\xa0"                       # SEG 0..127 left to right
     b"\xc8"                       # COM 63..0: the module is mounted upside down
     b"\x24"                       # regulation ratio 5.0
     b"\x81\x20"                   # electronic volume (contrast) 32 of 63
     b"\x2f", 10),                 # booster, regulator and follower on
    (b"\x40"                       # display start line 0
     b"\xa6"                       # normal, not reversed
     b"\xa4"                       # show the RAM
     b"\xaf", 0),                  # display on
)


def _ssd1306_init(height):
    return (
        (b"\xae"                   # display off
         b"\xd5\x80"               # clock: divide 1, oscillator default
         b"\xa8" + bytes((height - 1,)) +   # multiplex ratio
         b"\xd3\x00"               # no display offset
         b"\x40"                   # start line 0
         b"\x8d\x14"               # charge pump on
         b"\x20\x02"               # page addressing mode
         b"\xa1"                   # column 127 is SEG0
         b"\xc8"                   # COM scan from COM[N-1]
         b"\xda" + (b"\x12" if height == 64 else b"\x02") +   # COM pins
         b"\x81\xcf"               # contrast
         b"\xd9\xf1"               # pre-charge 15 / discharge 1 clocks
         b"\xdb\x40"               # VCOMH deselect level
         b"\xa4"                   # show the RAM
         b"\xa6"                   # normal, not reversed
         b"\xaf", 0),              # display on
    )


def _swap(colour):
    """An RGB565 value as framebuf stores it (little-endian) so it goes out high byte first."""
    return (colour & 0xFF) << 8 | colour >> 8


def window(rows, selected, nrows):
    """What a panel of nrows text rows shows of a taller layout: (rows, selected).

    rows[0], the title, always. The separator (rows[1]) and the blank padding
    between the last line and the hint (or at the end) are dropped; of what
    is left, the nrows - 1 rows around the selected one (in the middle where
    the ends allow), or the first ones when nothing is selected.
    """
    if len(rows) <= nrows:
        return rows, selected
    last = len(rows) - 1
    hint = rows[last] != ""
    end = last if hint else len(rows)
    while end > 2 and rows[end - 1] == "":
        end -= 1
    body = list(range(2, end))
    if hint:
        body.append(last)
    n = nrows - 1
    top = 0
    shown = None
    if selected is not None and selected in body:
        at = body.index(selected)
        top = max(0, min(at - (n - 1) // 2, len(body) - n))
        shown = 1 + at - top
    out = [rows[0]]
    for j in range(top, top + n):
        out.append(rows[body[j]] if j < len(body) else "")
    return out, shown


class _Panel:
    """What both panels share: the row cache, the selection, glyph bitmaps as framebuffers."""

    def __init__(self, bus, width, height, backlight):
        if width % CELL_W or height < CELL_H:
            raise ValueError("width must be a multiple of 8 and height at least 16")
        self._bus = bus
        self._width = width
        self._height = height
        self._backlight = backlight
        self._shown = [None] * (height // CELL_H)
        self._inverted = -1
        # The glyph views pos.font returns are reused for every glyph, so their
        # framebuffers are made once per view: 8 px, 16 px, 16 px clipped to 8.
        self._glyph_src = [None, None, None]
        self._glyph_fb = [None, None, None]

    @property
    def cols(self):
        return self._width // CELL_W

    @property
    def nrows(self):
        return self._height // CELL_H

    @property
    def layout_rows(self):
        """How many rows to lay a Screen out in for show()."""
        return self.nrows

    def rows_area(self, first, count):
        """(x, y, width, height) in pixels of count rows from row first."""
        return 0, first * CELL_H, self._width, count * CELL_H

    def invalidate(self):
        """Forget what is on the glass: the next show() sends every row."""
        for i in range(len(self._shown)):
            self._shown[i] = None
        self._inverted = -1

    def backlight(self, on):
        if self._backlight is not None:
            self._backlight(1 if on else 0)

    def show(self, rows, selected, font):
        """Draw rows (from Screen.rows(cols, layout_rows)), selected inverted (an index or None)."""
        shown = self._shown
        old = self._inverted
        for i in range(len(shown)):
            text = rows[i] if i < len(rows) else ""
            inverted = i == selected
            if text != shown[i] or inverted != (i == old):
                self._draw_row(i, text, inverted, font)
                shown[i] = text
        self._inverted = -1 if selected is None else selected

    def _glyph(self, font, cp, cell_px):
        """The framebuffer of cp's glyph, at most cell_px wide."""
        width, bits = font.glyph(cp)
        slot = 0 if width == 8 else (1 if cell_px == 16 else 2)
        if self._glyph_src[slot] is not bits:
            self._glyph_src[slot] = bits
            self._glyph_fb[slot] = framebuf.FrameBuffer(bits, 16 if slot == 1 else 8, CELL_H,
                                                        framebuf.MONO_HLSB, width)
        return self._glyph_fb[slot]


class ColorLcd(_Panel):
    def __init__(self, bus, width=320, height=240, controller="st7789", backlight=None):
        if controller not in _COLOR:
            raise ValueError("unknown colour controller %s" % controller)
        _Panel.__init__(self, bus, width, height, backlight)
        table, landscape, portrait = _COLOR[controller]
        madctl = bytes((landscape if width > height else portrait,))
        self._init = tuple((cmd, madctl if data is None else data, wait) for cmd, data, wait in table)
        self._buf = bytearray(_RUN_PX * CELL_H * 2)
        mv = memoryview(self._buf)
        step = CELL_W * CELL_H * 2
        # views[k]: the first k + 1 cells' worth of the buffer, a window k + 1 cells wide
        self._views = tuple(mv[:step * (k + 1)] for k in range(_RUN_PX // CELL_W))
        self._arg = bytearray(4)
        self._raset = -1
        if framebuf:
            self._bands = tuple(framebuf.FrameBuffer(self._views[k], CELL_W * (k + 1), CELL_H, framebuf.RGB565)
                                for k in range(len(self._views)))
            self._palette = framebuf.FrameBuffer(bytearray(4), 2, 1, framebuf.RGB565)

    def init(self):
        bus = self._bus
        bus.reset()
        for cmd, data, wait in self._init:
            bus.write_cmd(cmd, data)
            if wait:
                bus.delay_ms(wait)
        self.invalidate()

    def invalidate(self):
        self._raset = -1          # nor is the controller's row window known
        _Panel.invalidate(self)

    def _address(self, cmd, first, last):
        a = self._arg
        a[0] = first >> 8
        a[1] = first & 0xFF
        a[2] = last >> 8
        a[3] = last & 0xFF
        self._bus.write_cmd(cmd, a)

    def _window(self, x, y, w):
        self._address(_CASET, x, x + w - 1)
        if self._raset != y:
            self._address(_RASET, y, y + CELL_H - 1)
            self._raset = y
        self._bus.write_cmd(_RAMWR)

    def _draw_row(self, row, text, inverted, font):
        fg, bg = (PAPER, INK) if inverted else (INK, PAPER)
        if framebuf:
            self._palette.pixel(0, 0, _swap(bg))
            self._palette.pixel(1, 0, _swap(fg))
        y = row * CELL_H
        width = self._width
        data = utf8(text)
        end = len(data)
        i = x = 0
        while i < end:
            j = i
            w = 0
            while j < end:
                v = next_char(data, j, end)
                cell = 16 if is_wide(v >> 3) else 8
                if w + cell > _RUN_PX or x + w + cell > width:
                    break
                w += cell
                j += v & 7
            if not w:
                break
            self._paint(data, i, j, w, font, fg, bg)
            self._window(x, y, w)
            self._bus.write_data(self._views[(w >> 3) - 1])
            x += w
            i = j
        if x < width:
            self._window(x, y, width - x)
            self._fill(bg)
            left = (width - x) * CELL_H * 2
            biggest = len(self._buf)
            while left > 0:
                n = left if left < biggest else biggest
                self._bus.write_data(self._views[n // (CELL_W * CELL_H * 2) - 1])
                left -= n

    def fill_rect(self, x, y, w, h, colour):
        """A rectangle of one colour, clipped to the glass (the signature's ink); the rows it
        touches are drawn anew by the next show()."""
        if x < 0:
            w += x
            x = 0
        if y < 0:
            h += y
            y = 0
        if x + w > self._width:
            w = self._width - x
        if y + h > self._height:
            h = self._height - y
        if w <= 0 or h <= 0:
            return
        self._address(_CASET, x, x + w - 1)
        self._address(_RASET, y, y + h - 1)
        self._raset = -1
        self._bus.write_cmd(_RAMWR)
        self._fill(colour)
        left = w * h * 2
        biggest = len(self._buf)
        while left > 0:
            n = left if left < biggest else biggest
            self._bus.write_data(memoryview(self._buf)[:n])
            left -= n
        for row in range(y // CELL_H, (y + h - 1) // CELL_H + 1):
            self._shown[row] = None

    def _fill(self, bg):
        if framebuf:
            self._bands[-1].fill(_swap(bg))
            return
        buf = self._buf
        hi, lo = bg >> 8, bg & 0xFF
        for p in range(0, len(buf), 2):
            buf[p] = hi
            buf[p + 1] = lo

    def _paint(self, data, i, j, w, font, fg, bg):
        """Glyphs of data[i:j] side by side into the buffer, as a window w px wide."""
        if framebuf:
            band = self._bands[(w >> 3) - 1]
            band.fill(_swap(bg))
        else:
            self._fill(bg)
        x = 0
        while i < j:
            v = next_char(data, i, j)
            i += v & 7
            cp = v >> 3
            cell = 16 if is_wide(cp) else 8
            if cp != _SPACE:
                if framebuf:
                    band.blit(self._glyph(font, cp, cell), x, 0, -1, self._palette)
                else:
                    gw, bits = font.glyph(cp)
                    _paint_rgb(self._buf, w, x, bits, gw >> 3, min(gw, cell), fg)
            x += cell


def _paint_rgb(buf, stride_px, x, bits, row_bytes, px, fg):
    hi, lo = fg >> 8, fg & 0xFF
    for r in range(CELL_H):
        p = (r * stride_px + x) * 2
        for c in range(px):
            if bits[r * row_bytes + (c >> 3)] >> (7 - (c & 7)) & 1:
                buf[p] = hi
                buf[p + 1] = lo
            p += 2


class MonoLcd(_Panel):
    def __init__(self, bus, width=128, height=64, controller="st7567", backlight=None):
        if controller == "st7567":
            self._init = _ST7567_INIT
        elif controller == "ssd1306":
            self._init = _ssd1306_init(height)
        else:
            raise ValueError("unknown mono controller %s" % controller)
        _Panel.__init__(self, bus, width, height, backlight)
        self._oled = controller == "ssd1306"
        self._page = bytearray(width)
        if framebuf:
            self._page_fb = framebuf.FrameBuffer(self._page, width, 8, framebuf.MONO_VLSB)
            self._palette = framebuf.FrameBuffer(bytearray(1), 2, 1, framebuf.MONO_HLSB)

    @property
    def layout_rows(self):
        """A menu needs more rows than the panel has: window() picks the ones shown."""
        return 15

    def init(self):
        bus = self._bus
        bus.reset()
        for commands, wait in self._init:
            for cmd in commands:
                bus.write_cmd(cmd)
            if wait:
                bus.delay_ms(wait)
        self.invalidate()

    def backlight(self, on):
        """The backlight pin; an OLED has none and turns the display itself off."""
        if self._backlight is None and self._oled:
            self._bus.write_cmd(0xAF if on else 0xAE)
        _Panel.backlight(self, on)

    def show(self, rows, selected, font):
        rows, selected = window(rows, selected, self.nrows)
        _Panel.show(self, rows, selected, font)

    def _draw_row(self, row, text, inverted, font):
        data = utf8(text)
        bus = self._bus
        for half in (0, 1):
            self._paint(data, half, inverted, font)
            bus.write_cmd(0xB0 | (row * 2 + half))     # page
            bus.write_cmd(0x10)                        # column 0: high nibble
            bus.write_cmd(0x00)                        # and low nibble
            bus.write_data(self._page)

    def _paint(self, data, half, inverted, font):
        """One page (the top or bottom 8 pixel rows of a text row) into the page buffer."""
        page = self._page
        ink, bg = (0, 1) if inverted else (1, 0)
        if framebuf:
            self._page_fb.fill(bg)
            self._palette.pixel(0, 0, bg)
            self._palette.pixel(1, 0, ink)
        else:
            for c in range(len(page)):
                page[c] = 0xFF if bg else 0
        width = self._width
        end = len(data)
        i = x = 0
        while i < end:
            v = next_char(data, i, end)
            i += v & 7
            cp = v >> 3
            cell = 16 if is_wide(cp) else 8
            if x + cell > width:
                break
            if cp != _SPACE:
                if framebuf:
                    self._page_fb.blit(self._glyph(font, cp, cell), x, -8 * half, -1, self._palette)
                else:
                    gw, bits = font.glyph(cp)
                    _paint_page(page, x, bits, gw >> 3, min(gw, cell), half, inverted)
            x += cell


def _paint_page(page, x, bits, row_bytes, px, half, inverted):
    for c in range(px):
        b = 0
        for r in range(8):
            b |= (bits[(8 * half + r) * row_bytes + (c >> 3)] >> (7 - (c & 7)) & 1) << r
        page[x + c] = b ^ 0xFF if inverted else b


class SpiBus:
    """write_cmd / write_data over a machine.SPI: D/C low for the command byte,
    high for data, CS low around each; rst pulses a hardware reset.
    Pins are callables set(level); cs and rst may be None (tied)."""

    def __init__(self, spi, dc, cs=None, rst=None):
        self._spi = spi
        self._dc = dc
        self._cs = cs
        self._rst = rst
        self._cmd = bytearray(1)
        if cs is not None:
            cs(1)

    def write_cmd(self, cmd, data=b""):
        cs = self._cs
        self._cmd[0] = cmd
        if cs is not None:
            cs(0)
        self._dc(0)
        self._spi.write(self._cmd)
        if data:
            self._dc(1)
            self._spi.write(data)
        if cs is not None:
            cs(1)

    def write_data(self, buf):
        cs = self._cs
        if cs is not None:
            cs(0)
        self._dc(1)
        self._spi.write(buf)
        if cs is not None:
            cs(1)

    def reset(self):
        rst = self._rst
        if rst is None:
            return
        rst(0)
        self.delay_ms(1)
        rst(1)
        self.delay_ms(10)

    def delay_ms(self, ms):
        """A blocking wait: only init() waits, at boot, before the event loop runs."""
        _block_ms(ms)
