# The fake of drivers/touch.py: an FT6336U's registers behind machine.I2C's
# readfrom_mem_into / writeto_mem, and a finger scripted on it.
from drivers.touch import ADDR

_PRESS = 0x00  # the event bits of P1_XH
_LIFT = 0x40
_CONTACT = 0x80
_NO_EVENT = 0xC0


class FakeFt6336:
    """The chip's register file, its first touch point set by press/move/lift (in the LCD's
    pixels, turned into the glass's by the same swap_xy / invert_x / invert_y the driver is given).

    Strokes can also be queued (play): then each poll consumes the next frame of the finger, a
    poll being a read from TD_STATUS, or irq() when the next frame is the finger leaving (a host
    with an INT pin does not read the chip then). chip_id: what ID_G_CIPHER reads (0x64).
    """

    def __init__(self, width=320, height=240, swap_xy=False, invert_x=False, invert_y=False, chip_id=0x64,
                 addr=ADDR):
        self.addr = addr
        self.width = width
        self.height = height
        self.swap_xy = swap_xy
        self.invert_x = invert_x
        self.invert_y = invert_y
        self.regs = bytearray(256)
        self.regs[0x03] = _NO_EVENT
        self.regs[0x9F] = 0x26  # ID_G_CIPHER_MID
        self.regs[0xA0] = 0x02  # ID_G_CIPHER_LOW: FT6336U
        self.regs[0xA3] = chip_id
        self.regs[0xA4] = 0x01  # ID_G_MODE after reset: trigger
        self.regs[0xA8] = 0x11  # ID_G_FOCALTECH_ID
        self.frames = []  # queued (event, x, y)
        self.reads = 0  # reads of TD_STATUS
        self.gone = False  # True: the chip no longer acknowledges its address

    def _check(self, addr):
        if addr != self.addr or self.gone:
            raise OSError(19)  # ENODEV: nobody acknowledges the address

    def _set(self, event, x, y):
        """The registers of one report: event one of the P1_XH event bits, (x, y) in LCD pixels."""
        regs = self.regs
        if event == _LIFT:
            regs[0x02] = 0
            regs[0x03] = _LIFT | (regs[0x03] & 0x0F)
            return
        if self.invert_x:
            x = self.width - 1 - x
        if self.invert_y:
            y = self.height - 1 - y
        if self.swap_xy:
            x, y = y, x
        regs[0x02] = 1
        regs[0x03] = event | x >> 8
        regs[0x04] = x & 0xFF
        regs[0x05] = y >> 8  # touch id 0
        regs[0x06] = y & 0xFF

    def press(self, x, y):
        self._set(_PRESS, x, y)

    def move(self, x, y):
        self._set(_CONTACT, x, y)

    def lift(self):
        self._set(_LIFT, 0, 0)

    def play(self, strokes):
        """Queue strokes (sequences of (x, y)): press at the first point, move through the rest,
        lift; one frame a poll."""
        for stroke in strokes:
            event = _PRESS
            for x, y in stroke:
                self.frames.append((event, x, y))
                event = _CONTACT
            self.frames.append((_LIFT, 0, 0))

    def touched(self):
        return self.regs[0x02] & 0x0F != 0 and self.regs[0x03] & 0xC0 != _LIFT

    def irq(self):
        """The INT pin (ID_G_MODE 0: held low while touched), as of the next poll."""
        frames = self.frames
        if frames and frames[0][0] == _LIFT:
            self._set(*frames.pop(0))
            return 1
        if frames:
            return 0
        return 0 if self.touched() else 1

    def readfrom_mem_into(self, addr, memaddr, buf):
        self._check(addr)
        if memaddr == 0x02:
            self.reads += 1
            if self.frames:
                self._set(*self.frames.pop(0))
        regs = self.regs
        for i in range(len(buf)):
            buf[i] = regs[(memaddr + i) & 0xFF]

    def readfrom_mem(self, addr, memaddr, n):
        buf = bytearray(n)
        self.readfrom_mem_into(addr, memaddr, buf)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf):
        self._check(addr)
        for i in range(len(buf)):
            self.regs[(memaddr + i) & 0xFF] = buf[i]
