# The cardholder's signature (电子签名) as data: touch samples in, a compact
# byte string out, and back out of it the strokes, the line segments the LCD
# draws and the 1-bit rows the printer prints (docs/signature.md).
#
#   "SG" 01 | width u16 | height u16 | strokes u8 | per stroke:
#       points u16 | first point: x 12 bits, y 12 bits | a step per further point:
#       one byte (dx + 8) << 4 | (dy + 8) for dx, dy in -7..7, or 00 then x, y as above
#
# Integers are big-endian. The Pad keeps a signature in that form as it is drawn,
# in one buffer of MAX_BYTES made with it, so a long signature costs no more RAM
# than a short one; the readers walk the bytes with a cursor and allocate
# nothing per point. Any byte string that is not a signature raises
# SignatureError, whatever its lengths say.
from pos import const

MAX_BYTES = const(4000)
MAX_POINTS = const(1000)
MAX_STROKES = const(255)
MAX_SIDE = const(4095)  # coordinates are 12 bits
VERSION = const(1)
PEN_DOTS = const(3)  # the printed line, in dots (8 a millimetre)
PEN_PX = const(2)  # the line on the LCD, in pixels
_HEAD = const(8)
_STROKE_HEAD = const(5)  # the point count and the first point
_ESCAPE = const(0)
_FAR = const(4)  # the escape and a point
_STEP = const(7)  # the largest |dx| or |dy| a one-byte step carries
_MAX_ZOOM = const(4)  # a small signature is printed at most 4 times its size on the pad
_BAND = const(16)  # printer rows drawn at a time


class SignatureError(ValueError):
    pass


def _put_point(buf, i, x, y):
    buf[i] = x >> 4
    buf[i + 1] = (x & 15) << 4 | y >> 8
    buf[i + 2] = y & 255


class Pad:
    """The signature being drawn on a width x height area of the touch panel.

    add(x, y) for each touch sample while the finger is down, lift() when it
    leaves. A sample less than min_step pixels (in x and in y) from the last
    point kept is dropped: a repeated point, or the jitter of a finger held
    still. A sample outside the area ends the stroke, so no line is drawn
    across to where the finger comes back. Once the pad is full (MAX_POINTS
    points, or no room left in MAX_BYTES for another point) add() keeps nothing.
    """

    def __init__(self, width, height, min_step=2):
        if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
            raise ValueError("a signature pad is 1 to 4095 pixels a side")
        if min_step < 1:
            raise ValueError("min_step is at least 1")
        self.width = width
        self.height = height
        self._min = min_step
        self._buf = bytearray(MAX_BYTES)
        self.clear()

    def clear(self):
        """Forget everything drawn (重签)."""
        self._end = _HEAD
        self._open = -1  # where the open stroke's point count is; -1 while the finger is up
        self._n = 0  # points of the open stroke
        self.strokes = 0
        self.points = 0
        self._x = self._y = self._px = self._py = 0

    def empty(self):
        return self.points == 0

    @property
    def full(self):
        """No room for another point."""
        if self.points >= MAX_POINTS:
            return True
        if self._open < 0:
            return self.strokes >= MAX_STROKES or self._end + _STROKE_HEAD > MAX_BYTES
        return self._end + _FAR > MAX_BYTES

    def add(self, x, y):
        """Take a touch sample; True when it was kept (draw last_segment())."""
        if not (0 <= x < self.width and 0 <= y < self.height):
            self.lift()
            return False
        buf = self._buf
        i = self._end
        if self._open < 0:
            if self.full:
                return False
            buf[i] = 0
            buf[i + 1] = 1
            _put_point(buf, i + 2, x, y)
            self._open = i
            self._end = i + _STROKE_HEAD
            self._n = 1
            self.strokes += 1
            self._px = x
            self._py = y
        else:
            dx = x - self._x
            dy = y - self._y
            near = self._min
            if -near < dx < near and -near < dy < near:
                return False
            if self.full:
                return False
            if -_STEP <= dx <= _STEP and -_STEP <= dy <= _STEP:
                buf[i] = (dx + 8) << 4 | (dy + 8)
                self._end = i + 1
            else:
                buf[i] = _ESCAPE
                _put_point(buf, i + 1, x, y)
                self._end = i + _FAR
            n = self._n + 1
            self._n = n
            buf[self._open] = n >> 8
            buf[self._open + 1] = n & 255
            self._px = self._x
            self._py = self._y
        self._x = x
        self._y = y
        self.points += 1
        return True

    def lift(self):
        """The finger left the panel: the next sample starts a stroke."""
        self._open = -1

    def last_segment(self):
        """(x0, y0, x1, y1): the line the last point kept adds (x0, y0 == x1, y1 at a stroke's
        first point); None on an empty pad."""
        if not self.points:
            return None
        return self._px, self._py, self._x, self._y

    def encode(self):
        """The signature's bytes (at most MAX_BYTES); SignatureError when nothing was drawn."""
        if not self.points:
            raise SignatureError("nothing signed")
        buf = self._buf
        buf[0] = 0x53  # "SG"
        buf[1] = 0x47
        buf[2] = VERSION
        buf[3] = self.width >> 8
        buf[4] = self.width & 255
        buf[5] = self.height >> 8
        buf[6] = self.height & 255
        buf[7] = self.strokes
        return bytes(memoryview(buf)[:self._end])


class _Cursor:
    """Walks a signature point by point, checking it as it goes: step() is 0 at the end,
    1 at a stroke's first point and 2 at any other, with the point in x, y."""

    def __init__(self, data):
        n = len(data)
        if n > MAX_BYTES:
            raise SignatureError("longer than %d bytes" % MAX_BYTES)
        if n < _HEAD:
            raise SignatureError("truncated header")
        if data[0] != 0x53 or data[1] != 0x47:
            raise SignatureError("not a signature (magic)")
        if data[2] != VERSION:
            raise SignatureError("version %d not known" % data[2])
        self.width = data[3] << 8 | data[4]
        self.height = data[5] << 8 | data[6]
        if not (0 < self.width <= MAX_SIDE and 0 < self.height <= MAX_SIDE):
            raise SignatureError("pad size %dx%d" % (self.width, self.height))
        self.strokes = data[7]
        if not self.strokes:
            raise SignatureError("no strokes")
        self._data = data
        self.rewind()

    def rewind(self):
        self._i = _HEAD
        self._stroke = 0
        self._left = 0  # points left in the stroke
        self.points = 0
        self.x = self.y = 0

    def _point(self, i):
        data = self._data
        x = data[i] << 4 | data[i + 1] >> 4
        y = (data[i + 1] & 15) << 8 | data[i + 2]
        if x >= self.width or y >= self.height:
            raise SignatureError("point %d,%d outside the pad" % (x, y))
        self.x = x
        self.y = y

    def step(self):
        data = self._data
        i = self._i
        n = len(data)
        if not self._left:
            if self._stroke == self.strokes:
                if i != n:
                    raise SignatureError("%d bytes after the last stroke" % (n - i))
                return 0
            if i + _STROKE_HEAD > n:
                raise SignatureError("truncated stroke %d" % self._stroke)
            count = data[i] << 8 | data[i + 1]
            if not count or self.points + count > MAX_POINTS:
                raise SignatureError("stroke %d: %d points" % (self._stroke, count))
            self._point(i + 2)
            self._stroke += 1
            self._left = count - 1
            self._i = i + _STROKE_HEAD
            self.points += 1
            return 1
        if i >= n:
            raise SignatureError("truncated stroke %d" % (self._stroke - 1))
        b = data[i]
        if b == _ESCAPE:
            if i + _FAR > n:
                raise SignatureError("truncated stroke %d" % (self._stroke - 1))
            self._point(i + 1)
            self._i = i + _FAR
        else:
            if not b >> 4 or not b & 15:
                raise SignatureError("step byte %02x at %d" % (b, i))
            x = self.x + (b >> 4) - 8
            y = self.y + (b & 15) - 8
            if not (0 <= x < self.width and 0 <= y < self.height):
                raise SignatureError("point %d,%d outside the pad" % (x, y))
            self.x = x
            self.y = y
            self._i = i + 1
        self._left -= 1
        self.points += 1
        return 2


def check(data):
    """(width, height, strokes, points) of a signature; SignatureError if it is not one."""
    c = _Cursor(data)
    while c.step():
        pass
    return c.width, c.height, c.strokes, c.points


def decode(data):
    """The strokes, each a list of (x, y) points; SignatureError if data is not a signature."""
    c = _Cursor(data)
    strokes = []
    while True:
        kind = c.step()
        if not kind:
            return strokes
        if kind == 1:
            stroke = []
            strokes.append(stroke)
        stroke.append((c.x, c.y))


def segments(data):
    """Generator of (x0, y0, x1, y1), the lines a signature is drawn with (a stroke's first point
    is a line of length 0), in pad pixels; the whole of data is checked before the first."""
    check(data)
    c = _Cursor(data)
    x = y = 0
    while True:
        kind = c.step()
        if not kind:
            return
        if kind == 1:
            x = c.x
            y = c.y
        yield x, y, c.x, c.y
        x = c.x
        y = c.y


def line_rects(x0, y0, x1, y1, pen=PEN_PX):
    """Generator of (x, y, w, h): the rectangles that draw the line from (x0, y0) to (x1, y1)
    with a pen x pen square (its top left corner on the line), a run of the pen along the
    line's longer axis each. The last ones reach pen - 1 past the line's end: the LCD clips."""
    dx = x1 - x0 if x1 > x0 else x0 - x1
    dy = y1 - y0 if y1 > y0 else y0 - y1
    sx = 1 if x0 < x1 else -1
    sy = 1 if y0 < y1 else -1
    if dx >= dy:  # one run a row
        err = dx >> 1
        start = x0
        for _ in range(dx):
            err -= dy
            if err < 0:
                yield (start if start < x0 else x0), y0, (x0 - start if x0 > start else start - x0) + pen, pen
                y0 += sy
                err += dx
                start = x0 + sx
            x0 += sx
        yield (start if start < x0 else x0), y0, (x0 - start if x0 > start else start - x0) + pen, pen
    else:  # one run a column
        err = dy >> 1
        start = y0
        for _ in range(dy):
            err -= dx
            if err < 0:
                yield x0, (start if start < y0 else y0), pen, (y0 - start if y0 > start else start - y0) + pen
                x0 += sx
                err += dy
                start = y0 + sy
            y0 += sy
        yield x0, (start if start < y0 else y0), pen, (y0 - start if y0 > start else start - y0) + pen


def draw_line(fill_rect, x0, y0, x1, y1, colour, pen=PEN_PX):
    """Draw one segment with fill_rect(x, y, w, h, colour) (framebuf's and the LCD's call)."""
    for x, y, w, h in line_rects(x0, y0, x1, y1, pen):
        fill_rect(x, y, w, h, colour)


class _Layout:
    """Where a signature goes on paper: its points' bounding box scaled by num / den to fit
    width_dots x height_dots (at most _MAX_ZOOM times), centred across; rows tall."""

    def __init__(self, data, width_dots, height_dots, pen):
        if width_dots & 7 or not 8 <= width_dots <= 2040:
            raise ValueError("paper width must be a multiple of 8 dots, at most 2040")
        if not 1 <= pen <= 16 or height_dots < pen or width_dots < pen:
            raise ValueError("pen of %d dots on %dx%d dots" % (pen, width_dots, height_dots))
        c = _Cursor(data)
        lo_x = lo_y = MAX_SIDE
        hi_x = hi_y = 0
        while c.step():
            x = c.x
            y = c.y
            if x < lo_x:
                lo_x = x
            if x > hi_x:
                hi_x = x
            if y < lo_y:
                lo_y = y
            if y > hi_y:
                hi_y = y
        num, den = _MAX_ZOOM, 1
        box_w = hi_x - lo_x
        box_h = hi_y - lo_y
        room_w = width_dots - pen
        room_h = height_dots - pen
        if box_w and room_w * den < num * box_w:
            num, den = room_w, box_w
        if box_h and room_h * den < num * box_h:
            num, den = room_h, box_h
        self.cursor = c
        self.num = num
        self.den = den
        self.lo_x = lo_x
        self.lo_y = lo_y
        self.left = (width_dots - self.scale(box_w) - pen) >> 1
        self.rows = self.scale(box_h) + pen

    def scale(self, v):
        return (v * self.num + (self.den >> 1)) // self.den


def raster_height(data, width_dots=384, height_dots=160, pen=PEN_DOTS):
    """How many rows raster_rows(data, width_dots, height_dots, pen) gives (for GS v 0's header)."""
    return _Layout(data, width_dots, height_dots, pen).rows


def raster_rows(data, width_dots=384, height_dots=160, pen=PEN_DOTS):
    """Generator of the signature as printer rows, top to bottom: width_dots / 8 bytes each, MSB
    the leftmost dot (pos.escpos's raster layout), at most height_dots of them (raster_height()).

    The strokes' bounding box is scaled to fit, aspect kept, and drawn with a pen x pen dot
    square, _BAND rows at a time into one buffer; each row is a memoryview of it, valid until
    the next row is asked for. data is checked whole before the first row.
    """
    layout = _Layout(data, width_dots, height_dots, pen)
    c = layout.cursor
    stride = width_dots >> 3
    rows = layout.rows
    band = bytearray(stride * _BAND)
    view = memoryview(band)
    left = layout.left
    lo_x = layout.lo_x
    lo_y = layout.lo_y
    scale = layout.scale
    for top in range(0, rows, _BAND):
        bottom = top + _BAND if top + _BAND < rows else rows
        for i in range(len(band)):
            band[i] = 0
        c.rewind()
        x0 = y0 = 0
        while True:
            kind = c.step()
            if not kind:
                break
            x1 = left + scale(c.x - lo_x)
            y1 = scale(c.y - lo_y)
            if kind == 1:
                x0 = x1
                y0 = y1
            if (y0 if y0 < y1 else y1) < bottom and (y1 if y0 < y1 else y0) + pen > top:
                _ink_line(band, stride, x0, y0, x1, y1, pen, top, bottom)
            x0 = x1
            y0 = y1
        for r in range(bottom - top):
            yield view[r * stride:(r + 1) * stride]


def _ink_line(band, stride, x0, y0, x1, y1, pen, top, bottom):
    """Bresenham from (x0, y0) to (x1, y1), a pen x pen square at each dot, the rows of the band
    [top, bottom) only."""
    dx = x1 - x0 if x1 > x0 else x0 - x1
    dy = y0 - y1 if y1 > y0 else y1 - y0  # minus |y1 - y0|
    sx = 1 if x0 < x1 else -1
    sy = 1 if y0 < y1 else -1
    err = dx + dy
    while True:
        first = y0 if y0 > top else top
        last = y0 + pen if y0 + pen < bottom else bottom
        for r in range(first, last):
            base = (r - top) * stride
            for x in range(x0, x0 + pen):
                band[base + (x >> 3)] |= 0x80 >> (x & 7)
        if x0 == x1 and y0 == y1:
            return
        e2 = err + err
        if e2 >= dy:
            err += dy
            x0 += sx
        if e2 <= dx:
            err += dx
            y0 += sy


# A sample signature ("Li Wei" in cursive and an underline: 5 strokes, 207 points on a
# 320x240 pad, sampled as a finger moves at about 80 Hz), as the simulator draws it with
# its verb `sign` and the benchmark measures it: decode(SAMPLE) gives its strokes.
SAMPLE = (
    b"\x53\x47\x01\x01\x40\x00\xf0\x05\x00\x4c\x02\x80\x96\xa2\xa3\xa2\xa4\xa3\x93\xa2\xa3\xa4\xb1\xa3"
    b"\xa3\xb3\xa3\xb3\xb4\xa3\xb4\xb3\xb4\xb4\xd5\xc9\x8d\x7d\x6d\x7d\x6e\x6d\x6e\x6d\x6d\x5d\x6e\x6d"
    b"\x6d\x6e\x6c\x6e\x7d\x6d\x6e\x6d\x7d\x7e\x6d\x8d\x8d\xcb\xd8\xd5\xd6\xd5\xc5\xd5\xc4\xd5\xc5\xc4"
    b"\xc4\xc5\xc8\x7d\x6e\x7d\x6c\x6d\x8e\xcb\xd8\xd6\xc4\xc4\xb4\xb5\x00\x5c\x09\x60\x70\x9d\x9e\x8d"
    b"\x9e\x9e\x9e\x9d\x9e\xac\xad\xbd\xc8\xc4\x92\x93\xa2\x92\x93\xa2\x93\xbc\x9d\x9d\x8e\x9d\x9e\x9d"
    b"\xad\xad\xca\xc5\xa4\xa3\x91\x93\xa3\x93\x92\x94\x92\xa2\xb7\x8d\x9e\x8d\x9e\xad\xbc\xcb\xda\xe9"
    b"\xc6\xc5\xc4\xb3\x93\x45\x36\x4a\x5c\x6d\x6d\x9d\xad\xbd\xbb\xda\xd7\xd6\xc5\xc4\xa3\xa3\xa3\xb6"
    b"\x8d\x9d\x8d\x9e\xad\xc9\xd5\xb4\xa3\xa2\xa3\x94\xa3\x92\xa3\x95\x00\x01\x07\x50\x80\x00\x02\x11"
    b"\x90\x7a\xa7\x00\x24\x01\xe0\xc8\x00\x02\x60\xc7\x00\x02\xe0\xc7\xf7\x00\x03\xe0\xc6\x00\x04\x60"
    b"\xc5\x00\x04\xf0\xc5\x00\x05\x80\xc4\x00\x06\x10\xc3\x00\x06\x90\xc3\x00\x07\x10\xc2\x00\x07\x90"
    b"\xc2\x00\x08\x10\xc1\x00\x08\x90\xc0\x00\x09\x10\xc0\x00\x09\xa0\xbf\x00\x0a\x20\xbf\x00\x0a\xa0"
    b"\xbe\x00\x0b\x20\xbd\x00\x0b\xa0\xbd\x00\x0c\x30\xbc\x00\x0c\xb0\xbc\x00\x0d\x40\xbb\x00\x0d\xc0"
    b"\xbb\x00\x0e\x40\xba\x00\x0e\xc0\xb9\x00\x0f\x50\xb9\x00\x0f\xd0\xb8\x00\x10\x50\xb7\x00\x10\xd0"
    b"\xb6\x00\x11\x50\xb4\xf7\x00\x12\x40\xb2\x00\x12\xc0\xb0\xf5\x95"
)
