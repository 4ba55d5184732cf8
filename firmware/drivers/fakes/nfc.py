# The fake of drivers/nfc.py: see that module for what the part does.
from drivers.nfc import ACK, NfcError, parse_frame

# The chip's side of the protocol, written down again here (the driver's are compile-time constants).
_HOST = 0xD4
_PN532 = 0xD5
_GET_FIRMWARE_VERSION = 0x02
_SAM_CONFIGURATION = 0x14
_RF_CONFIGURATION = 0x32
_IN_DATA_EXCHANGE = 0x40
_IN_LIST_PASSIVE_TARGET = 0x4A


class FakeCardA:
    """A type A card for FakePn532: UID, and its answers by command bytes (else 6D 00), or a
    function of the command giving the answer (a virtual card: drivers/fakes/chipcard.py)."""

    def __init__(self, uid, answers=None, gone_at=None, sens_res=b"\x00\x04", sel_res=0x20,
                 ats=b"\x06\x75\x77\x81\x02\x80"):
        self.uid = uid
        self.answers = answers or {}
        self.gone_at = gone_at  # the exchange (1 = first) during which it leaves the field
        self.sens_res = sens_res
        self.sel_res = sel_res
        self.ats = ats
        self.commands = []


class FakePn532:
    """A PN532 behind machine.I2C's writeto/readfrom_into.

    busy_reads: reads answered "not ready" before each frame (answer_reads:
    before an answer, when given). no_ack: takes commands and never
    acknowledges them. corrupt: "lcs" or "dcs" spoils the next answer's
    checksum, "error" makes it the PN532's error frame. writes: every frame
    the host wrote. polls: how many InListPassiveTarget came (the host looking for a card).
    """

    def __init__(self, card=None, busy_reads=1, answer_reads=None, no_ack=False, corrupt=None, addr=0x24):
        self.card = card
        self.busy_reads = busy_reads
        self.answer_reads = busy_reads if answer_reads is None else answer_reads
        self.no_ack = no_ack
        self.corrupt = corrupt
        self.addr = addr
        self.writes = []
        self.aborted = 0
        self.polls = 0
        self._out = []  # frames to send, in order
        self._busy = 0
        self._listed = None

    @staticmethod
    def _answer(data):
        n = len(data)
        out = bytearray((0, 0, 0xFF, n, -n & 0xFF)) + data
        out.append(-sum(data) & 0xFF)
        out.append(0)
        return out

    def _respond(self, code, data):
        if code == _SAM_CONFIGURATION or code == _RF_CONFIGURATION:
            return b""
        if code == _GET_FIRMWARE_VERSION:
            return b"\x32\x01\x06\x07"
        card = self.card
        if code == _IN_LIST_PASSIVE_TARGET:
            self.polls += 1
            if card is None:
                self._listed = None
                return b"\x00"
            self._listed = card
            return (b"\x01\x01" + card.sens_res + bytes((card.sel_res, len(card.uid))) + card.uid +
                    (card.ats if card.sel_res & 0x20 else b""))
        if code == _IN_DATA_EXCHANGE:
            if card is None or card is not self._listed or data[0] != 1:
                return b"\x01"
            card.commands.append(bytes(data[1:]))
            if card.gone_at == len(card.commands):
                self.card = None
                return b"\x01"
            command, answers = bytes(data[1:]), card.answers
            return b"\x00" + (answers(command) if callable(answers) else answers.get(command, b"\x6d\x00"))
        return None

    def writeto(self, addr, buf):
        if addr != self.addr:
            raise OSError(19)
        data = bytes(buf)
        self.writes.append(data)
        if data == ACK:
            self.aborted += 1
            self._out = []
            return
        i, n = parse_frame(data, 0, len(data))  # a bad host frame would raise here: the tests want to see it
        tfi, code = data[i], data[i + 1]
        if tfi != _HOST:
            raise NfcError("host frame without TFI D4")
        self._out = []
        if self.no_ack:
            return
        self._out.append(bytearray(ACK))
        body = self._respond(code, data[i + 2:i + n])
        if self.corrupt == "error":
            body = None
            self.corrupt = None
        if body is None:
            self._out.append(self._answer(b"\x7f"))
        else:
            answer = self._answer(bytes((_PN532, code + 1)) + body)
            if self.corrupt == "lcs":
                answer[4] ^= 0x01
            elif self.corrupt == "dcs":
                answer[-2] ^= 0x01
            self.corrupt = None
            self._out.append(answer)
        self._busy = self.busy_reads

    def remove(self):
        self.card = None

    def readfrom_into(self, addr, buf):
        if addr != self.addr:
            raise OSError(19)
        for i in range(len(buf)):
            buf[i] = 0
        if not self._out:
            return
        if self._busy > 0:
            self._busy -= 1
            return
        buf[0] = 1
        if len(buf) == 1:
            return
        out = self._out.pop(0)
        n = min(len(buf) - 1, len(out))
        buf[1:1 + n] = out[:n]
        self._busy = self.answer_reads
