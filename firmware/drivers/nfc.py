# NXP PN532 contactless reader on I2C (PN532 User Manual UM0701-02, 6.2):
#   frame  00 00 FF LEN LCS TFI DATA.. DCS 00   LEN = 1 + len(DATA), LCS = -LEN,
#          TFI D4 host to PN532, D5 back; DCS = -(TFI + DATA), all mod 256
#   ACK    00 00 FF 00 FF 00 (the PN532 took the command; from the host it aborts one)
# Every I2C read starts with a ready byte (01 ready, 00 busy) before the frame.
# A command: write the frame, wait for ready, read the ACK, wait for ready,
# read the answer. Only normal frames (up to 255 bytes of LEN) are used.
from drivers.compat import const, sleep_ms, ticks_diff, ticks_ms

_HOST = const(0xD4)
_PN532 = const(0xD5)
_GET_FIRMWARE_VERSION = const(0x02)
_SAM_CONFIGURATION = const(0x14)
_RF_CONFIGURATION = const(0x32)
_IN_DATA_EXCHANGE = const(0x40)
_IN_LIST_PASSIVE_TARGET = const(0x4A)

_MAX_DATA = const(253)  # LEN 255 less TFI and the command code
_MAX_APDU = const(252)  # and the target number
_POLL_MS = const(2)
_ACK_MS = const(100)
_ANSWER_MS = const(1000)
_EXCHANGE_MS = const(3000)  # the PN532 handles the card's waiting time extensions itself

ACK = b"\x00\x00\xff\x00\xff\x00"
# InDataExchange status codes that mean the card is no longer there.
_GONE = (0x01, 0x29, 0x2A, 0x2B)  # timeout, released, exchanged, disappeared


class NfcError(Exception):
    pass


class NfcCardGone(NfcError):
    """The card left the field (or never answered the exchange)."""


def frame(data, buf=None):
    """The host frame for data (TFI D4 first); built in buf when given, returns its bytes."""
    n = len(data)
    if not 0 < n <= 255:
        raise NfcError("frame data of %d bytes" % n)
    out = buf if buf is not None else bytearray(n + 7)
    out[0], out[1], out[2] = 0x00, 0x00, 0xFF
    out[3] = n
    out[4] = -n & 0xFF
    out[5:5 + n] = data
    s = 0
    for i in range(5, 5 + n):
        s += out[i]
    out[5 + n] = -s & 0xFF
    out[6 + n] = 0x00
    return memoryview(out)[:n + 7]


def parse_frame(buf, start, end):
    """(offset, length) of TFI + data of the frame in buf[start:end]; NfcError if it is not one."""
    i = start
    while i < end and buf[i] == 0x00:
        i += 1
    if i == start or i >= end or buf[i] != 0xFF:
        raise NfcError("no start code")
    i += 1
    if i + 2 > end:
        raise NfcError("frame truncated")
    length, lcs = buf[i], buf[i + 1]
    if length == 0xFF and lcs == 0xFF:
        raise NfcError("extended frame")
    if (length + lcs) & 0xFF:
        raise NfcError("bad length checksum")
    if length == 0:
        raise NfcError("ACK where an answer was due" if lcs == 0xFF else "empty frame")
    i += 2
    if i + length + 1 > end:
        raise NfcError("frame longer than the read")
    s = 0
    for k in range(i, i + length + 1):
        s += buf[k]
    if s & 0xFF:
        raise NfcError("bad data checksum")
    return i, length


class Pn532:
    def __init__(self, i2c, addr=0x24, ticks=None, sleep=None):
        self._i2c = i2c
        self._addr = addr
        self._ticks = ticks or ticks_ms
        self._sleep = sleep or sleep_ms
        self._tx = bytearray(_MAX_DATA + 9)
        self._cmd = bytearray(_MAX_DATA + 2)
        self._rx = bytearray(1 + 7 + _MAX_DATA + 2)
        self._configured = False
        self._target = None

    def _write(self, data):
        try:
            self._i2c.writeto(self._addr, data)
        except OSError as e:
            raise NfcError("PN532 not answering on I2C (%s)" % e)

    def _read(self, n):
        try:
            self._i2c.readfrom_into(self._addr, memoryview(self._rx)[:n])
        except OSError as e:
            raise NfcError("PN532 not answering on I2C (%s)" % e)
        return self._rx[0] == 0x01

    async def _ready(self, timeout_ms):
        start = self._ticks()
        while not self._read(1):
            if ticks_diff(self._ticks(), start) >= timeout_ms:
                return False
            await self._sleep(_POLL_MS)
        return True

    async def _command(self, code, params, answer_max, timeout_ms=_ANSWER_MS):
        """The answer's data after TFI D5 and code + 1, as a memoryview of the read buffer."""
        n = len(params)
        if n + 2 > 255:
            raise NfcError("command too long for a frame")
        cmd = self._cmd
        cmd[0] = _HOST
        cmd[1] = code
        cmd[2:2 + n] = params
        self._write(frame(memoryview(cmd)[:n + 2], self._tx))
        if not await self._ready(_ACK_MS):
            raise NfcError("no ACK")
        self._read(1 + len(ACK))
        if self._rx[1:1 + len(ACK)] != ACK:
            raise NfcError("no ACK")
        if not await self._ready(timeout_ms):
            self._write(ACK)  # abort the command, or the PN532 stays busy with it
            raise NfcError("no answer in %d ms" % timeout_ms)
        end = 1 + 7 + 2 + answer_max
        self._read(end)
        i, length = parse_frame(self._rx, 1, end)
        if self._rx[i] == 0x7F:
            raise NfcError("PN532 error frame")
        if length < 2 or self._rx[i] != _PN532 or self._rx[i + 1] != code + 1:
            raise NfcError("not the answer to command %02x" % code)
        return memoryview(self._rx)[i + 2:i + length]

    async def firmware_version(self):
        """(IC, version, revision, support) from GetFirmwareVersion."""
        r = await self._command(_GET_FIRMWARE_VERSION, b"", 4)
        if len(r) != 4:
            raise NfcError("bad firmware version answer")
        return tuple(r)

    async def sam_configuration(self):
        """Normal mode, 1 s virtual card timeout, IRQ pin used; then one activation try per poll."""
        await self._command(_SAM_CONFIGURATION, b"\x01\x14\x01", 0)
        # MxRtyATR FF, MxRtyPSL 01, MxRtyPassiveActivation 01: without it InListPassiveTarget waits for a card forever.
        await self._command(_RF_CONFIGURATION, b"\x05\xff\x01\x01", 0)
        self._configured = True

    async def poll(self):
        """The UID of a type A card in the field (106 kbps), or None."""
        if not self._configured:
            await self.sam_configuration()
        self._target = None
        r = await self._command(_IN_LIST_PASSIVE_TARGET, b"\x01\x00", 80)
        if len(r) < 1 or r[0] > 1:
            raise NfcError("bad InListPassiveTarget answer")
        if r[0] == 0:
            return None
        # Tg SENS_RES(2) SEL_RES NFCIDLength NFCID1.. [ATS]
        if len(r) < 6 or r[5] not in (4, 7, 10) or len(r) < 6 + r[5]:
            raise NfcError("bad target data")
        self._target = r[1]
        return bytes(r[6:6 + r[5]])

    async def apdu(self, command):
        """The card's R-APDU for command (InDataExchange with the card poll() found)."""
        if self._target is None:
            raise NfcCardGone("no card")
        n = len(command)
        if not 4 <= n <= _MAX_APDU:
            raise NfcError("APDU of %d bytes" % n)
        params = bytearray(n + 1)
        params[0] = self._target
        params[1:] = command
        r = await self._command(_IN_DATA_EXCHANGE, params, _MAX_DATA - 1, _EXCHANGE_MS)
        if len(r) < 1:
            raise NfcError("bad InDataExchange answer")
        status = r[0]
        if status & 0x3F in _GONE:
            self._target = None
            raise NfcCardGone("card gone (status %02x)" % status)
        if status & 0x3F:
            raise NfcError("InDataExchange status %02x" % status)
        if status & 0x40:
            raise NfcError("chained answer (MI) is not supported")
        if len(r) < 3:
            raise NfcError("answer without SW1 SW2")
        return bytes(r[1:])
