# Capacitive touch panel: a FocalTech FT6336U on I2C (address 0x38), read
# register by register (docs/signature.md, "The touch panel"):
#   0x02 TD_STATUS    touch points, 0..2 (bits 3..0)
#   0x03 P1_XH        event (bits 7..6: 0 press, 1 lift, 2 contact, 3 none), x bits 11..8
#   0x04 P1_XL        x bits 7..0
#   0x05 P1_YH        touch id (bits 7..4), y bits 11..8
#   0x06 P1_YL        y bits 7..0
#   0xA3 ID_G_CIPHER  chip id: 0x64 (FT6336U, FT6236U); 0x36 FT6236, 0x06 FT6206 read alike
#   0xA4 ID_G_MODE    0 = INT held low while touched (polling), 1 = a pulse per report
# The panel's axes are the glass's; swap_xy, invert_x and invert_y turn them
# into the LCD's (swap first, then mirror), as the board mounts them.
from drivers.compat import const

ADDR = const(0x38)
_TD_STATUS = const(0x02)
_CHIP_ID = const(0xA3)
_G_MODE = const(0xA4)
_CHIP_IDS = (0x64, 0x36, 0x06)
_LIFT = const(1)
_NO_EVENT = const(3)


class TouchError(OSError):
    """The touch controller is absent, is not an FT6x36, or stopped answering."""


class Ft6336:
    def __init__(self, i2c, addr=ADDR, width=320, height=240, swap_xy=False, invert_x=False, invert_y=False,
                 irq=None):
        self._i2c = i2c
        self._addr = addr
        self._width = width
        self._height = height
        self._swap = swap_xy
        self._invert_x = invert_x
        self._invert_y = invert_y
        self._irq = irq  # () -> 0 while touched (INT is active low), or None: ask the chip
        self._buf = bytearray(5)  # TD_STATUS and the first point's four registers
        self._last = None
        one = memoryview(self._buf)[:1]
        try:
            i2c.readfrom_mem_into(addr, _CHIP_ID, one)
        except OSError as e:
            raise TouchError("no touch controller at I2C address 0x%02x (%s)" % (addr, e))
        if one[0] not in _CHIP_IDS:
            raise TouchError("I2C address 0x%02x: chip id 0x%02x is not an FT6x36 touch controller" % (addr, one[0]))
        try:
            i2c.writeto_mem(addr, _G_MODE, b"\x00")
        except OSError as e:
            raise TouchError("touch controller not answering (%s)" % e)

    def read(self):
        """(x, y) of the first touch point in the LCD's pixels, or None when nothing touches.

        Allocates nothing while the panel is untouched or the finger holds still: the
        registers are read into a buffer of the driver's, and the same point is the same tuple.
        """
        if self._irq is not None and self._irq():
            return None
        buf = self._buf
        try:
            self._i2c.readfrom_mem_into(self._addr, _TD_STATUS, buf)
        except OSError as e:
            raise TouchError("touch controller not answering (%s)" % e)
        count = buf[0] & 15
        event = buf[1] >> 6
        if count == 0 or count > 2 or event == _LIFT or event == _NO_EVENT:
            return None
        x = (buf[1] & 15) << 8 | buf[2]
        y = (buf[3] & 15) << 8 | buf[4]
        if self._swap:
            x, y = y, x
        width = self._width
        height = self._height
        if x >= width:
            x = width - 1
        if y >= height:
            y = height - 1
        if self._invert_x:
            x = width - 1 - x
        if self._invert_y:
            y = height - 1 - y
        last = self._last
        if last is not None and last[0] == x and last[1] == y:
            return last
        self._last = last = (x, y)
        return last
