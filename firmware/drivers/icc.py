# Contact IC card reader: a coprocessor on I2C that drives the card's
# contacts and runs T=0/T=1 itself. Its framing is ours (docs/device.md,
# "Printer and card readers"):
#   command  LEN_H LEN_L CMD DATA.. XOR            LEN = 1 + len(DATA)
#   answer   RDY [LEN_H LEN_L STATUS DATA.. XOR]   RDY 0 busy, 1 ready; LEN = 1 + len(DATA)
# XOR covers every byte before it from LEN_H. Every read starts again at RDY
# and the answer's first byte, and the answer stays until the next command,
# so a garbled answer is read again rather than asked again.
# The host follows 61xx (GET RESPONSE) and 6Cxx (the command again, Le = xx).
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms

CMD_STATUS = const(0x01)
CMD_POWER_ON = const(0x02)
CMD_APDU = const(0x03)
CMD_POWER_OFF = const(0x04)

ST_OK = const(0x00)
ST_NO_CARD = const(0x01)
ST_MUTE = const(0x02)
ST_REMOVED = const(0x03)
ST_PROTOCOL = const(0x04)
ST_BAD_FRAME = const(0x05)
ST_NOT_POWERED = const(0x06)
ST_UNKNOWN = const(0x07)

_MAX_COMMAND = const(261)  # CLA INS P1 P2 Lc 255 bytes Le
_MAX_ANSWER = const(259)  # STATUS + 256 bytes + SW1 SW2
_MAX_RESPONSE = const(1024)  # all the GET RESPONSE rounds of one command together
_MAX_ROUNDS = const(8)
_MAX_ATR = const(33)
_POLL_MS = const(2)
_SYNC_READS = const(8)  # STATUS is answered from the slot's state, at once
_POWER_ON_MS = const(1500)
_APDU_MS = const(5000)  # a card may think for seconds (RSA, T=0 with many waits)

_PROBLEMS = {ST_NO_CARD: "no card", ST_MUTE: "the card does not answer (no ATR)",
             ST_PROTOCOL: "card protocol error", ST_BAD_FRAME: "the reader refused the frame",
             ST_NOT_POWERED: "card not powered", ST_UNKNOWN: "the reader does not know the command"}


class IccError(Exception):
    pass


class IccCardGone(IccError):
    """The card left the slot (before or during a command)."""


def _xor(buf, start, end):
    x = 0
    for i in range(start, end):
        x ^= buf[i]
    return x


def parse_atr(atr):
    """ISO 7816-3 answer to reset -> {"convention", "protocols", "ta1", "historical"}; IccError if malformed."""
    n = len(atr)
    if n < 2:
        raise IccError("ATR truncated")
    if n > _MAX_ATR:
        raise IccError("ATR longer than 33 bytes")
    if atr[0] not in (0x3B, 0x3F):
        raise IccError("TS is not 3B or 3F")
    y = atr[1] >> 4
    historical = atr[1] & 0x0F
    i = 2
    ta1 = None
    protocols = []
    tck = False
    level = 1
    while True:
        if level == 1 and y & 1:
            if i >= n:
                raise IccError("ATR truncated")
            ta1 = atr[i]
        i += (y & 1) + (y >> 1 & 1) + (y >> 2 & 1)  # TAi TBi TCi
        if not y & 8:
            break
        if i >= n:
            raise IccError("ATR truncated")
        td = atr[i]
        i += 1
        t = td & 0x0F
        if t != 0:
            tck = True  # any protocol but T=0 alone means a TCK
        if t != 15 and t not in protocols:
            protocols.append(t)
        y = td >> 4
        level += 1
    start = i
    i += historical
    if i + (1 if tck else 0) > n:
        raise IccError("ATR truncated")
    if tck:
        if _xor(atr, 1, i + 1):
            raise IccError("ATR check byte TCK is wrong")
        i += 1
    if i != n:
        raise IccError("bytes after the end of the ATR")
    return {"convention": "direct" if atr[0] == 0x3B else "inverse",
            "protocols": tuple(protocols) if protocols else (0,),
            "ta1": ta1, "historical": bytes(atr[start:start + historical])}


def _case(command):
    """ISO 7816-4 case of a short C-APDU: 1 header only, 2 Le, 3 data, 4 data and Le."""
    n = len(command)
    if n == 4:
        return 1
    if n == 5:
        return 2
    if n > 5 and command[4] and n in (5 + command[4], 6 + command[4]):
        return 3 if n == 5 + command[4] else 4
    raise IccError("not a short C-APDU")


class IccReader:
    def __init__(self, i2c, addr, detect=None, ticks=None, sleep=None):
        self._i2c = i2c
        self._addr = addr
        self._detect = detect  # () -> truthy while a card is in the slot (polarity is the board's)
        self._ticks = ticks or ticks_ms
        self._sleep = sleep or sleep_ms
        self._tx = bytearray(3 + _MAX_COMMAND + 1)
        self._rx = bytearray(3 + _MAX_ANSWER + 1)
        self._busy = False
        self._powered = False
        self.atr = None

    def _write(self, cmd, data):
        n = len(data)
        if n > _MAX_COMMAND:
            raise IccError("command too long")
        tx = self._tx
        tx[0] = (n + 1) >> 8
        tx[1] = (n + 1) & 0xFF
        tx[2] = cmd
        tx[3:3 + n] = data
        tx[3 + n] = _xor(tx, 0, 3 + n)
        try:
            self._i2c.writeto(self._addr, memoryview(tx)[:4 + n])
        except OSError as e:
            raise IccError("reader not answering on I2C (%s)" % e)

    def _read(self, n):
        view = memoryview(self._rx)[:n]
        try:
            self._i2c.readfrom_into(self._addr, view)
        except OSError as e:
            raise IccError("reader not answering on I2C (%s)" % e)
        return self._rx[0] == 1

    def _length(self):
        length = self._rx[1] << 8 | self._rx[2]
        if not 1 <= length <= _MAX_ANSWER:
            raise IccError("answer length %d" % length)
        return length

    def _frame(self):
        """(status, memoryview of the data) of the answer waiting; re-read once if garbled."""
        length = self._length()
        for _ in range(2):
            if self._read(4 + length) and self._length() == length and not _xor(self._rx, 1, 4 + length):
                return self._rx[3], memoryview(self._rx)[4:3 + length]
        raise IccError("garbled answer from the reader")

    async def _exchange(self, cmd, data, timeout_ms):
        self._busy = True
        try:
            for _ in range(2):
                self._write(cmd, data)
                start = self._ticks()
                while not self._read(3):
                    if self._detect is not None and not self._detect():
                        raise IccCardGone("card removed")
                    if ticks_diff(self._ticks(), start) >= timeout_ms:
                        raise IccError("no answer from the reader")
                    await self._sleep(_POLL_MS)
                status, data_view = self._frame()
                if status != ST_BAD_FRAME:
                    break  # a command the reader refused was never acted on: send it once more
        finally:
            self._busy = False
        if status == ST_OK:
            return data_view
        if status in (ST_REMOVED, ST_NO_CARD) and cmd != CMD_POWER_ON:
            self._powered = False
            raise IccCardGone("card removed")
        if status in (ST_REMOVED, ST_NO_CARD):
            raise IccError("no card")
        raise IccError(_PROBLEMS.get(status, "reader status %d" % status))

    def present(self):
        """True while a card is in the slot: the detect pin, else the reader's STATUS."""
        if self._detect is not None:
            return bool(self._detect())
        if self._busy:
            return True  # an exchange is waiting for its answer: STATUS would replace it
        self._write(CMD_STATUS, b"")
        for _ in range(_SYNC_READS):
            if self._read(3):
                status, data = self._frame()
                if status != ST_OK or len(data) != 1:
                    raise IccError("bad STATUS answer")
                return bool(data[0] & 1)
        raise IccError("no STATUS answer")

    async def power_on(self):
        """Power the card and return its ATR (checked per ISO 7816-3)."""
        data = await self._exchange(CMD_POWER_ON, b"\x00", _POWER_ON_MS)
        atr = bytes(data)
        parse_atr(atr)
        self._powered = True
        self.atr = atr
        return atr

    async def _transmit(self, command):
        r = await self._exchange(CMD_APDU, command, _APDU_MS)
        if len(r) < 2:
            raise IccError("answer without SW1 SW2")
        return bytes(r)

    async def apdu(self, command):
        """The R-APDU (data, SW1, SW2) for a short C-APDU; 61xx and 6Cxx followed up."""
        if not self._powered:
            raise IccError("card not powered")
        case = _case(command)
        r = await self._transmit(command)
        if r[-2] == 0x6C:
            again = bytearray(command)
            if case in (1, 3):
                again.append(r[-1])
            else:
                again[-1] = r[-1]
            r = await self._transmit(again)
        if r[-2] != 0x61:
            return r
        data = bytearray()
        get_response = bytearray(b"\x00\xc0\x00\x00\x00")
        for _ in range(_MAX_ROUNDS):
            data += r[:-2]
            if len(data) > _MAX_RESPONSE:
                break
            get_response[4] = r[-1]
            r = await self._transmit(get_response)
            if r[-2] != 0x61:
                data += r
                return bytes(data)
        raise IccError("the card's answer goes on past %d bytes" % _MAX_RESPONSE)

    def power_off(self):
        """Deactivate the contacts (best effort: a card pulled out is off already)."""
        self._powered = False
        self.atr = None
        try:
            self._write(CMD_POWER_OFF, b"")
        except IccError:
            pass
